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
  if (auto r = guess_refused(guesses.limits, account, guesses.remote, now, guesses.how))
    return refused(r->until, r->limit);
  auto meter = store.find_meter(account, serial);
  if (meter && (meter->account_active || closed_too)) {
    out.status = Identification::Status::found;
    out.meter = std::move(meter);
    return out;
  }
  if (auto r = count_wrong_guess(guesses.limits, account, guesses.remote, now))
    return refused(r->until, r->limit);
  return out;
}

namespace {

// The meter the last four digits of its serial name among the account's: only one may match.
std::optional<store::MeterRow> by_last_four(store::WriteTx& tx, store::AccountReads& accounts,
                                            std::string_view account, std::string_view digits) {
  auto a = accounts.account(account);
  if (digits.size() != 4 || !a) return std::nullopt;
  std::optional<std::string> serial;
  for (const auto& m : accounts.account_meters(a->id)) {
    if (!m.serial.ends_with(digits)) continue;
    if (serial) return std::nullopt;
    serial = m.serial;
  }
  return serial ? tx.find_meter(account, *serial) : std::nullopt;
}

}  // namespace

Identification identify_meter(store::WriteTx& tx, store::AccountReads& accounts,
                              AttemptLimit* per_account, std::string_view account,
                              std::string_view serial, domain::Instant now, SerialForm form) {
  Identification out;
  const std::string key = account_key(account);
  auto refused = [&](domain::Instant until) {
    out.status = Identification::Status::refused;
    out.retry_at = until;
    out.limit = "per_account";
    return out;
  };
  if (per_account)
    if (auto until = per_account->retry_at(tx, key, now); until > now) return refused(until);
  std::optional<store::MeterRow> meter;
  if (form == SerialForm::last_four)
    meter = by_last_four(tx, accounts, account, serial);
  else if (!serial.empty() && serial.size() <= 32)
    meter = tx.find_meter(account, serial);
  if (meter && meter->account_active) {
    out.status = Identification::Status::found;
    out.meter = std::move(meter);
    return out;
  }
  if (per_account && !per_account->allow(tx, key, now))
    return refused(per_account->retry_at(tx, key, now));
  return out;
}

}  // namespace md::service
