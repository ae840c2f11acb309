#include "service/rate_limit.hpp"

#include <cmath>

#include <spdlog/spdlog.h>

#include "service/digest.hpp"
#include "store/store.hpp"

namespace md::service {

namespace {
std::int64_t unix_seconds(domain::Instant t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
// Shared counts are kept this long: longer than any window in use (an hour) twice over.
constexpr std::int64_t kKeepSeconds = std::int64_t{24} * 3600;
}  // namespace

std::int64_t AttemptLimit::window_start(domain::Instant now) const {
  const std::int64_t w = window_.count();
  const std::int64_t t = unix_seconds(now);
  return t - ((t % w) + w) % w;
}

AttemptLimit::Counts AttemptLimit::at(Counts c, domain::Instant now) const {
  const std::int64_t start = window_start(now);
  if (start == c.start) return c;
  return Counts{start, 0, start == c.start + window_.count() ? c.current : 0};
}

int AttemptLimit::room(const Counts& c, domain::Instant now) const {
  // Allowed while current + 1 + previous × (the part of the previous window still in the
  // sliding one) stays within the limit.
  const double into =
      static_cast<double>(unix_seconds(now) - c.start) / static_cast<double>(window_.count());
  const double weighted = c.previous * (1.0 - into);
  return static_cast<int>(std::floor(limit_ - 1 - weighted)) + 1;
}

domain::Instant AttemptLimit::first_free(const Counts& c, domain::Instant now) const {
  for (std::int64_t step = 0; step <= window_.count() * 2; step += 60) {
    auto t = now + std::chrono::seconds(step);
    Counts then = at(c, t);
    if (then.current < room(then, t)) return t;
  }
  return now + window_ * 2;
}

bool RateLimiter::allow(std::string_view key, domain::Instant now) {
  std::lock_guard lock(mutex_);
  const std::string k(key);
  if (slots_.size() >= max_keys_ && !slots_.count(k)) {
    // Forget keys idle for two windows; if all are busy, the table is under attack: refuse.
    const std::int64_t start = window_start(now);
    std::erase_if(slots_,
                  [&](const auto& kv) { return kv.second.start + window_.count() < start; });
    if (slots_.size() >= max_keys_) return false;
  }
  Counts& s = slots_[k];
  s = at(s, now);
  if (s.current >= room(s, now)) return false;
  ++s.current;
  return true;
}

bool RateLimiter::seen(std::string_view key, domain::Instant now) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(std::string(key));
  if (it == slots_.end()) return false;
  const Counts c = at(it->second, now);
  return c.current + c.previous > 0;
}

domain::Instant RateLimiter::retry_at(std::string_view key, domain::Instant now) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(std::string(key));
  if (it == slots_.end()) return now;
  return first_free(at(it->second, now), now);
}

std::string SharedRateLimiter::row_name(std::string_view key) const {
  return name_ + ":" + digest_hex(key);
}

bool SharedRateLimiter::allow(store::WriteTx& tx, std::string_view key, domain::Instant now) {
  const std::string row = row_name(key);
  const std::int64_t start = window_start(now);
  auto counts = tx.attempts(row, start, window_.count());
  // The previous window is over: only this window's count can move under us, and the
  // conditional increment settles that in the database, whichever node asks.
  Counts c{start, counts.current, counts.previous};
  const int free = room(c, now);
  const bool counted = tx.count_attempt(row, start, free);
  if (counted) {
    if (c.current + 1 < free) return true;
    ++c.current;  // that was the last try: remembered as if refused already
  }
  const auto until = first_free(c, now);
  std::lock_guard lock(mutex_);
  if (refused_.size() >= kMaxRefused) {
    std::erase_if(refused_, [now](const auto& r) { return r.second <= now; });
    if (refused_.size() >= kMaxRefused) refused_.erase(refused_.begin());
  }
  refused_[std::string(key)] = until;
  return counted;
}

std::optional<domain::Instant> SharedRateLimiter::known_refused(std::string_view key,
                                                                domain::Instant now) {
  std::lock_guard lock(mutex_);
  auto it = refused_.find(std::string(key));
  if (it == refused_.end()) return std::nullopt;
  if (it->second <= now) {
    refused_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

bool SharedRateLimiter::seen(std::string_view key, domain::Instant now) {
  auto counts = store_.attempts(row_name(key), window_start(now), window_.count());
  return counts.current + counts.previous > 0;
}

domain::Instant SharedRateLimiter::retry_at(store::WriteTx& tx, std::string_view key,
                                            domain::Instant now) {
  const std::int64_t start = window_start(now);
  auto counts = tx.attempts(row_name(key), start, window_.count());
  return first_free(Counts{start, counts.current, counts.previous}, now);
}

bool SharedRateLimiter::allow(std::string_view key, domain::Instant now) {
  auto tx = store_.begin_write();
  const bool counted = allow(*tx, key, now);
  tx->commit();
  return counted;
}

domain::Instant SharedRateLimiter::retry_at(std::string_view key, domain::Instant now) {
  // A read: no writer connection taken for it.
  const std::int64_t start = window_start(now);
  auto counts = store_.attempts(row_name(key), start, window_.count());
  return first_free(Counts{start, counts.current, counts.previous}, now);
}

std::unique_ptr<AttemptLimit> attempt_limit(store::Store& store, std::string name, int limit,
                                            std::chrono::seconds window) {
  if (store.shared_by_nodes())
    return std::make_unique<SharedRateLimiter>(store, std::move(name), limit, window);
  return std::make_unique<RateLimiter>(limit, window);
}

void prune_attempts(store::Store& store, domain::Instant now) {
  if (!store.shared_by_nodes()) return;
  auto tx = store.begin_write();
  tx->prune_attempts(unix_seconds(now) - kKeepSeconds);
  tx->commit();
}

namespace {

std::optional<domain::Instant> refused(AttemptLimit& limit, const std::string& key,
                                       domain::Instant now, Knowledge how) {
  if (how == Knowledge::known) return limit.known_refused(key, now);
  auto at = limit.retry_at(key, now);
  return at > now ? std::optional(at) : std::nullopt;
}

std::optional<domain::Instant> count_guess(AttemptLimit& limit, const std::string& key,
                                           domain::Instant now) {
  try {
    if (limit.allow(key, now)) return std::nullopt;
    return limit.retry_at(key, now);
  } catch (const store::StoreError& e) {
    spdlog::error("a wrong account + serial could not be counted: {}", e.what());
    return std::nullopt;
  }
}

}  // namespace

std::optional<domain::Instant> account_refused(AttemptLimit& limit, std::string_view account,
                                               domain::Instant now, Knowledge how) {
  return refused(limit, account_key(account), now, how);
}

std::optional<domain::Instant> count_wrong_serial(AttemptLimit& limit, std::string_view account,
                                                  domain::Instant now) {
  return count_guess(limit, account_key(account), now);
}

std::string network_key(std::string_view remote) {
  // IPv4, and IPv4 mapped into IPv6 ("::ffff:192.0.2.7"): the /24.
  if (const auto dot = remote.rfind('.'); dot != std::string_view::npos)
    return "net4:" + std::string(remote.substr(0, dot));
  // IPv6: the first three groups of the address as written (a "::" inside them shortens it).
  std::size_t end = 0;
  for (int colons = 0; end < remote.size(); ++end)
    if (remote[end] == ':' && ++colons == 3) break;
  return "net6:" + std::string(remote.substr(0, end));
}

std::optional<Refusal> address_refused(const GuessLimits& limits, std::string_view remote,
                                       domain::Instant now, Knowledge how) {
  if (limits.per_address)
    if (auto until = refused(*limits.per_address, address_key(remote), now, how))
      return Refusal{*until, "per_address"};
  if (limits.per_network)
    if (auto until = refused(*limits.per_network, network_key(remote), now, how))
      return Refusal{*until, "per_network"};
  return std::nullopt;
}

std::optional<Refusal> guess_refused(const GuessLimits& limits, std::string_view account,
                                     std::string_view remote, domain::Instant now, Knowledge how) {
  if (auto r = address_refused(limits, remote, now, how)) return r;
  if (!limits.per_account) return std::nullopt;
  auto until = account_refused(*limits.per_account, account, now, how);
  if (!until) return std::nullopt;
  // Without an address limit every address counts as one that guessed.
  if (limits.per_address && !limits.per_address->seen(address_key(remote), now))
    return std::nullopt;
  return Refusal{*until, "per_account"};
}

std::optional<Refusal> count_wrong_guess(const GuessLimits& limits, std::string_view account,
                                         std::string_view remote, domain::Instant now) {
  // Each counted, whichever then refuses: a guesser pays on every limit.
  std::optional<Refusal> out;
  if (limits.per_network)
    if (auto until = count_guess(*limits.per_network, network_key(remote), now))
      out = Refusal{*until, "per_network"};
  if (limits.per_address)
    if (auto until = count_guess(*limits.per_address, address_key(remote), now))
      out = Refusal{*until, "per_address"};
  if (limits.per_account)
    if (auto until = count_wrong_serial(*limits.per_account, account, now))
      out = Refusal{*until, "per_account"};
  return out;
}

}  // namespace md::service
