#include "service/identify.hpp"

namespace md::service {

Identification identify_meter(store::ReadingReads& store, const Guesses& guesses,
                              std::string_view account, std::string_view serial,
                              domain::Instant now, bool closed_too) {
  Identification out;
  auto refused = [&](domain::Instant until, const char* limit) {
    out.status = Identification::Status::refused;
    out.retry_at = until;
    out.limit = limit;
    return out;
  };
  if (guesses.per_account)
    if (auto until = account_refused(*guesses.per_account, account, now, guesses.how))
      return refused(*until, "per_account");
  auto meter = store.find_meter(account, serial);
  if (meter && (meter->account_active || closed_too)) {
    out.status = Identification::Status::found;
    out.meter = std::move(meter);
    return out;
  }
  // Both counted, whichever then refuses: a guesser pays on each limit.
  std::optional<domain::Instant> by_address;
  if (guesses.per_address)
    by_address = count_wrong_pair_from(*guesses.per_address, guesses.remote, now);
  if (guesses.per_account)
    if (auto until = count_wrong_serial(*guesses.per_account, account, now))
      return refused(*until, "per_account");
  if (by_address) return refused(*by_address, "per_address");
  return out;
}

}  // namespace md::service
