// Attempt limits (per client address, per account): at most `limit` in any `window`, counted
// with a sliding-window estimate (the previous window's count weighted by its overlap). One node
// counts in memory; several nodes on one PostgreSQL count in it, or each node would allow the
// limit again and an attacker spreading over N nodes would get N times the tries.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "domain/calendar.hpp"

namespace md::store {
class Store;
class WriteTx;
}  // namespace md::store

namespace md::service {

class AttemptLimit {
 public:
  AttemptLimit(int limit, std::chrono::seconds window) : limit_(limit), window_(window) {}
  virtual ~AttemptLimit() = default;
  AttemptLimit(const AttemptLimit&) = delete;
  AttemptLimit& operator=(const AttemptLimit&) = delete;

  // Counts an attempt for `key`; false (not counted) when the key is over its limit.
  virtual bool allow(std::string_view key, domain::Instant now) = 0;
  // When the key may try again (now if it may).
  virtual domain::Instant retry_at(std::string_view key, domain::Instant now) = 0;
  // The same inside the caller's write transaction (a messenger's or a call's step): a shared
  // count is written with it, on its connection.
  virtual bool allow(store::WriteTx& tx, std::string_view key, domain::Instant now) = 0;
  virtual domain::Instant retry_at(store::WriteTx& tx, std::string_view key,
                                   domain::Instant now) = 0;
  // Until when `key` is refused, as far as it is known without a database round trip: for a
  // check before every request. In memory it is exact; a shared limit knows the refusals this
  // node has seen (each node learns a key another used up at its first refused try here).
  virtual std::optional<domain::Instant> known_refused(std::string_view key,
                                                       domain::Instant now) = 0;
  // Whether `key` was counted at all in the last two windows: an address that never guessed
  // wrong is "clean" (a database read when the limit is shared; asked only of locked accounts).
  virtual bool seen(std::string_view key, domain::Instant now) = 0;
  [[nodiscard]] int limit() const { return limit_; }

 protected:
  // One key's counts: `current` in the window starting at `start` (unix seconds), `previous` in
  // the one before it.
  struct Counts {
    std::int64_t start = 0;
    int current = 0, previous = 0;
  };
  [[nodiscard]] std::int64_t window_start(domain::Instant now) const;
  // The counts as seen at `now` (a later window moves current to previous, or forgets both).
  [[nodiscard]] Counts at(Counts c, domain::Instant now) const;
  // How many may be counted in `c`'s window while `now` is in it: an attempt is allowed while
  // current stays below this.
  [[nodiscard]] int room(const Counts& c, domain::Instant now) const;
  [[nodiscard]] domain::Instant first_free(const Counts& c, domain::Instant now) const;

  int limit_;
  std::chrono::seconds window_;
};

// One process: in bounded memory.
class RateLimiter final : public AttemptLimit {
 public:
  RateLimiter(int limit, std::chrono::seconds window, std::size_t max_keys = 100000)
      : AttemptLimit(limit, window), max_keys_(max_keys) {}
  bool allow(std::string_view key, domain::Instant now) override;
  domain::Instant retry_at(std::string_view key, domain::Instant now) override;
  bool allow(store::WriteTx&, std::string_view key, domain::Instant now) override {
    return allow(key, now);
  }
  domain::Instant retry_at(store::WriteTx&, std::string_view key, domain::Instant now) override {
    return retry_at(key, now);
  }
  std::optional<domain::Instant> known_refused(std::string_view key, domain::Instant now) override {
    auto at = retry_at(key, now);
    return at > now ? std::optional(at) : std::nullopt;
  }
  bool seen(std::string_view key, domain::Instant now) override;

 private:
  std::size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Counts> slots_;
};

// Every node of one database: counted in it (an unlogged table on PostgreSQL), under `name` and
// a digest of the key, so the table holds no addresses or account numbers.
class SharedRateLimiter final : public AttemptLimit {
 public:
  SharedRateLimiter(store::Store& store, std::string name, int limit, std::chrono::seconds window)
      : AttemptLimit(limit, window), store_(store), name_(std::move(name)) {}
  bool allow(std::string_view key, domain::Instant now) override;
  domain::Instant retry_at(std::string_view key, domain::Instant now) override;
  bool allow(store::WriteTx& tx, std::string_view key, domain::Instant now) override;
  domain::Instant retry_at(store::WriteTx& tx, std::string_view key, domain::Instant now) override;
  std::optional<domain::Instant> known_refused(std::string_view key, domain::Instant now) override;
  bool seen(std::string_view key, domain::Instant now) override;

 private:
  [[nodiscard]] std::string row_name(std::string_view key) const;
  store::Store& store_;
  std::string name_;
  // The keys this node saw refused, until they may try again (bounded: the oldest go first).
  static constexpr std::size_t kMaxRefused = 100000;
  std::mutex mutex_;
  std::unordered_map<std::string, domain::Instant> refused_;
};

// Shared when several nodes may serve from the store, in memory otherwise.
std::unique_ptr<AttemptLimit> attempt_limit(store::Store& store, std::string name, int limit,
                                            std::chrono::seconds window);

// Attempts to reach an account with a guessable identifier (its meter's serial): one limit for
// the public form, the personal account's sign-up, the messengers and the phone line.
inline std::unique_ptr<AttemptLimit> account_attempts(store::Store& store, int per_hour) {
  return attempt_limit(store, "form-account", per_hour, std::chrono::hours(1));
}

// Wrong account + serial pairs from one client address (the same limit for the form, sign-up and
// the API), and from its network: several times as many, for guesses spread over neighbours.
inline std::unique_ptr<AttemptLimit> address_attempts(store::Store& store, int per_hour) {
  return attempt_limit(store, "form-address", per_hour, std::chrono::hours(1));
}
inline constexpr int kNetworkAddresses = 4;
inline std::unique_ptr<AttemptLimit> network_attempts(store::Store& store, int address_per_hour) {
  return attempt_limit(store, "form-network", address_per_hour * kNetworkAddresses,
                       std::chrono::hours(1));
}

// The keys the limits count under. An account's key is the same on every channel, so guesses at
// one account count together wherever they come from.
inline std::string account_key(std::string_view account) {
  return "acct:" + std::string(account);
}
inline std::string address_key(std::string_view remote) {
  return "ip:" + std::string(remote);
}
// The network an address is in, for a limit on guesses spread over neighbouring addresses: its
// /24 (IPv4) or /48 (IPv6, the usual end-site prefix).
std::string network_key(std::string_view remote);

// Guesses at an account's meter serial, the credential of the public form, the API and sign-up.
// Only a wrong account + serial is a guess and counts: a household sending both its meters or
// mending a typo, an integration sending many customers' readings, are not slowed.
enum class Knowledge {
  counted,  // the count itself: a database read when it is shared
  known,    // what this node knows without asking (for a check before every API reading)
};
// Until when guesses at `account` are refused (before anything is looked up); none while it may
// be tried.
std::optional<domain::Instant> account_refused(AttemptLimit& limit, std::string_view account,
                                               domain::Instant now,
                                               Knowledge how = Knowledge::counted);
// Counts a wrong serial for `account`; until when it is refused when that one was over the limit.
// A store that cannot count it is logged and the guess left uncounted: the answer to the guess
// (not found) must not turn into an error, and a writer thread must not be left by an exception.
std::optional<domain::Instant> count_wrong_serial(AttemptLimit& limit, std::string_view account,
                                                  domain::Instant now);

// The limits a guess from the web (the public form, its zones lookup, sign-up, the JSON API) is
// counted against: the account's (shared with the messengers and the phone line), the client
// address's and its network's. Only a wrong account + serial counts, so a guesser trying many
// accounts from one address is slowed while the many households behind one carrier's address
// (carrier-grade NAT), each sending a right pair three or four times per reading, are not.
struct GuessLimits {
  AttemptLimit* per_account = nullptr;
  AttemptLimit* per_address = nullptr;
  AttemptLimit* per_network = nullptr;  // network_key(); several times the address's limit
};
struct Refusal {
  domain::Instant until{};
  const char* limit = "";  // "per_account", "per_address" or "per_network"
};
// Before anything is looked up: refused while the address or its network has spent its guesses.
std::optional<Refusal> address_refused(const GuessLimits& limits, std::string_view remote,
                                       domain::Instant now, Knowledge how = Knowledge::counted);
// The same, and refused while the account has spent its guesses, unless this address has not
// guessed wrong lately: a locked account stays reachable with its right pair from a clean
// address, so whoever spends an account's guesses does not lock its household out.
std::optional<Refusal> guess_refused(const GuessLimits& limits, std::string_view account,
                                     std::string_view remote, domain::Instant now,
                                     Knowledge how = Knowledge::counted);
// Counts a wrong pair against the account, the address and the network, whichever then refuses.
std::optional<Refusal> count_wrong_guess(const GuessLimits& limits, std::string_view account,
                                         std::string_view remote, domain::Instant now);

// Forgets the shared counts of windows that ended long ago (they hold only the last two).
void prune_attempts(store::Store& store, domain::Instant now);

}  // namespace md::service
