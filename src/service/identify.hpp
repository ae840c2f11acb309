// Who names a meter by account number and serial: one identification for every channel. The
// public form, its zones lookup and the API's history ask it on their own; the messengers and the
// phone line ask it inside their step's write transaction. Every channel counts a wrong pair
// against the same per-account limit (a submission that finds no meter is counted by Ingestor).
#pragma once

#include <optional>
#include <string_view>

#include "service/rate_limit.hpp"
#include "store/store.hpp"

namespace md::service {

// The attempt limits a guess is counted against.
struct Guesses {
  GuessLimits limits;                  // per account (shared with the messengers), address, network
  std::string_view remote;             // the client address
  Knowledge how = Knowledge::counted;  // known: no database round trip before the lookup
};

struct Identification {
  enum class Status { found, not_found, refused };
  Status status = Status::not_found;
  std::optional<store::MeterRow> meter;  // found: installed now (on an active account)
  domain::Instant retry_at{};            // refused: until when
  const char* limit = "";                // refused: "per_account", "per_address", "per_network"
};

// Refused while the address's or the network's guesses are spent, or the account's and this
// address has guessed wrong lately (guess_refused: before anything is looked up); found; or not
// found, counted against every limit, and the same answer whichever of the two was wrong (the
// answer must not confirm that an account exists). A guess that spends a limit is refused.
// `closed_too`: a closed account's meter is found as well (its history stays readable).
Identification identify_meter(store::ReadingReads& store, const Guesses& guesses,
                              std::string_view account, std::string_view serial,
                              domain::Instant now, bool closed_too = false);

// The same inside a messenger's or a call's write transaction, the account's guesses counted in
// it (a refusal is the caller's to audit). On the phone line `serial` is the last four digits
// typed, which must name exactly one of the account's meters installed now.
enum class SerialForm { whole, last_four };
Identification identify_meter(store::WriteTx& tx, store::AccountReads& accounts,
                              AttemptLimit* per_account, std::string_view account,
                              std::string_view serial, domain::Instant now,
                              SerialForm form = SerialForm::whole);

}  // namespace md::service
