#include "service/submission.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "domain/latest_wins.hpp"
#include "domain/receipt_id.hpp"

namespace md::service {

using domain::Day;
using domain::Instant;

bool channel_may_backdate(std::string_view channel) {
  return channel == "api" || channel == "operator_console" || channel == "import";
}

namespace {

// When a request's reading was taken (customers' channels cannot backdate) and what it counts for.
struct Counting {
  Day taken_on;
  bool in_window;
  domain::AsOf as_of;
};

Counting counting(const SubmitRequest& req, Day today, const domain::WindowRules& w) {
  Counting c;
  c.taken_on = req.taken_on && channel_may_backdate(req.channel) ? *req.taken_on : today;
  c.in_window = req.type != "exchange_initial" && req.type != "exchange_final";
  c.as_of = domain::as_of(c.taken_on, c.in_window, w);
  return c;
}

}  // namespace

std::string_view status_name(SubmitOutcome::Status s) {
  switch (s) {
    case SubmitOutcome::Status::accepted:
      return "accepted";
    case SubmitOutcome::Status::replayed:
      return "replayed";
    case SubmitOutcome::Status::needs_confirmation:
      return "needs_confirmation";
    case SubmitOutcome::Status::rejected:
      return "rejected";
    case SubmitOutcome::Status::not_found:
      return "not_found";
    case SubmitOutcome::Status::unavailable:
      return "unavailable";
  }
  return "unavailable";
}

ReceiptIdSource random_receipt_ids() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  return [] {
    // One getrandom() per 128 receipts instead of eight per receipt: the kernel call dominated
    // the writer thread's profile. Bytes ≥ 248 are rejected so each symbol stays uniform.
    thread_local std::array<unsigned char, 1024> pool{};
    thread_local std::size_t used = pool.size();
    auto next = [&]() -> std::uint32_t {
      for (;;) {
        if (used == pool.size()) {
          randombytes_buf(pool.data(), pool.size());
          used = 0;
        }
        unsigned char b = pool[used++];
        if (b < 248) return b % static_cast<std::uint32_t>(domain::kReceiptAlphabet.size());
      }
    };
    std::array<std::uint32_t, 8> symbols{};
    for (auto& s : symbols) s = next();
    return domain::format_receipt_id(symbols);
  };
}

domain::PriorReading to_prior(const store::ReadingRow& row) {
  domain::PriorReading p;
  p.taken_on = row.taken_on;
  p.as_of = domain::AsOf{row.as_of, domain::kyiv_date(row.as_of), row.period};
  p.values = row.values;
  p.unwrapped = row.unwrapped;
  return p;
}

Submissions::Submissions(ServiceConfig config, ReceiptIdSource ids)
    : config_(std::move(config)), ids_(std::move(ids)) {}

namespace {

std::string identity_of(const SubmitRequest& r) {
  // The account number is personal data but the audit needs it; the audit lives in the store,
  // never in logs.
  return "account=" + r.account + " serial=" + r.meter_serial;
}

// What rules.md §3 makes of the accepted readings the store found for a new one.
struct Wins {
  std::vector<std::int64_t> superseded;
  std::vector<const store::ReadingRow*> compared_with;  // the latest first
};
Wins latest_in_window_wins(std::optional<domain::YearMonth> window,
                           const store::WriteTx::Accepted& found) {
  std::vector<domain::AcceptedReading> readings;
  for (const auto& r : found.latest) readings.push_back({r.id, r.as_of, r.period});
  // The store gives these by id only: they count for the window it was asked about.
  for (std::int64_t id : found.in_window) readings.push_back({id, {}, window});
  const auto rule = domain::latest_in_window_wins(window, readings, found.latest.size());
  Wins out{rule.superseded, {}};
  for (std::size_t i : rule.compared_with) out.compared_with.push_back(&found.latest.at(i));
  return out;
}

Day correction_deadline(const domain::AsOf& as_of, Day taken_on, const domain::WindowRules& w) {
  if (as_of.period) return domain::window(*as_of.period, w).last;
  // An off-cycle reading feeds the close of its own month, after that month's window.
  return domain::window(domain::YearMonth::of(taken_on), w).last;
}

// Every attempt's audit record, whatever becomes of it.
store::AuditEntry audit_of(const SubmitRequest& req, Instant now) {
  store::AuditEntry audit;
  audit.at = now;
  audit.actor = req.actor;
  audit.channel = req.channel;
  audit.action = "submit";
  audit.identity = identity_of(req);
  audit.raw_input = req.raw_input;
  audit.request_id = req.request_id;
  return audit;
}

// Rules §3: the readings of the same window no longer count; each change is audited.
void supersede(store::WriteTx& tx, const std::vector<std::int64_t>& ids,
               const store::AuditEntry& audit, const std::string& receipt) {
  for (std::int64_t old : ids) {
    store::AuditEntry why = audit;
    why.action = "status_change";
    why.result = "superseded";
    why.reason = "replaced by " + receipt + " in the same window";
    tx.change_status(old, "superseded", why);
  }
}

// What validation is given for a reading of `meter`: the values as typed, when it counts, and
// the accepted readings rules §3 compares it with (the latest first).
domain::ValidationInput validation_input(const SubmitRequest& req, const store::MeterRow& meter,
                                         const Counting& when, Day today,
                                         std::optional<domain::YearMonth> last_closed,
                                         const std::vector<const store::ReadingRow*>& previous) {
  domain::ValidationInput in;
  in.meter = domain::MeterSpec{meter.zones, meter.digits, meter.installed_on};
  in.entries = req.values;
  in.taken_on = when.taken_on;
  in.today = today;
  in.counts_in_window = when.in_window;
  in.confirmed = req.confirmed;
  in.last_closed = last_closed;
  if (!previous.empty()) in.previous = to_prior(*previous[0]);
  if (previous.size() > 1) in.before_previous = to_prior(*previous[1]);
  return in;
}

// A reading of `meter` as validation sees it, and the readings it would supersede.
struct Judging {
  Counting when;
  std::vector<std::int64_t> superseded;
  domain::ValidationInput in;
};
Judging judging(store::WriteTx& tx, const SubmitRequest& req, const store::MeterRow& meter,
                Instant now, const domain::WindowRules& window) {
  const Day today = domain::kyiv_date(now);
  Judging j{counting(req, today, window), {}, {}};
  // The latest reading in a window wins (rules.md §3): the store reads the candidates, the rule
  // says which are superseded and which this one is compared with.
  const auto accepted = tx.accepted_readings(meter.meter_id, 2, j.when.as_of.period);  // prefetch
  const auto wins = latest_in_window_wins(j.when.as_of.period, accepted);
  j.superseded = wins.superseded;
  j.in = validation_input(req, meter, j.when, today, tx.last_closed_period(), wins.compared_with);
  return j;
}

// A valid reading as it will be stored and as the customer's receipt shows it (the receipt's id
// is drawn when it is inserted).
std::pair<Receipt, store::NewSubmission> draft(const SubmitRequest& req,
                                               const store::MeterRow& meter,
                                               const domain::ValidationInput& in,
                                               const domain::AsOf& as_of,
                                               const domain::Validation& v, Instant now,
                                               const domain::WindowRules& window) {
  Receipt receipt;
  receipt.received_at = now;
  receipt.account_masked = mask_account(meter.account_number);
  receipt.meter_serial = meter.serial;
  receipt.type = req.type;
  receipt.channel = req.channel;
  receipt.taken_on = in.taken_on;
  receipt.period = as_of.period;
  receipt.correction_deadline = correction_deadline(as_of, in.taken_on, window);
  for (domain::Flag f : v.flags) receipt.flags.emplace_back(domain::flag_name(f));
  for (const auto& note : v.notes) receipt.notes.push_back(i18n::message(req.lang, note));

  store::NewSubmission s;
  s.meter_id = meter.meter_id;
  s.account_id = meter.account_id;
  s.channel = req.channel;
  s.idempotency_key = req.idempotency_key;
  s.type = req.type;
  s.taken_on = in.taken_on;
  s.as_of = as_of.instant;
  s.period = as_of.period;
  s.received_at = now;
  s.flags = receipt.flags;
  s.raw_input = req.raw_input;
  s.actor = req.actor;
  for (size_t i = 0; i < v.registers.size(); ++i) {
    const auto& reg = v.registers[i];
    std::string zone(domain::zone_name(reg.zone));
    receipt.readings.emplace_back(zone, reg.value);
    if (reg.advance) receipt.consumption.emplace_back(zone, *reg.advance);
    s.values.push_back(reg.value);
    // A meter's first reading starts the counter where the metering point's counter stands: after
    // an exchange with the same zones it continues the old meter's (rules.md §4).
    std::int64_t offset =
        !in.previous && i < meter.counter_offsets.size() ? meter.counter_offsets[i] : 0;
    s.unwrapped.push_back(reg.unwrapped + offset);
  }
  return {std::move(receipt), std::move(s)};
}

}  // namespace

namespace {

// The answer stored with this request's idempotency key, if the key was used before (audited as
// such).
std::optional<SubmitOutcome> stored_answer(store::WriteTx& tx, const SubmitRequest& req,
                                           store::AuditEntry& audit) {
  if (req.idempotency_key.empty()) return std::nullopt;
  auto stored = tx.find_replay(req.channel, req.idempotency_key);
  if (!stored) return std::nullopt;
  SubmitOutcome r;
  r.status = SubmitOutcome::Status::replayed;
  r.receipt_json = std::move(*stored);
  audit.result = "replayed";
  tx.append_audit(audit);
  return r;
}

}  // namespace

SubmitOutcome Submissions::process(store::WriteTx& tx, const SubmitRequest& req, Instant now) {
  store::AuditEntry audit = audit_of(req, now);

  SubmitOutcome out;
  // Asked only when this request would not be stored: a used key makes the insert conflict, so
  // the usual path saves the round trip.
  auto replay = [&] { return stored_answer(tx, req, audit); };
  // An answer that stores nothing: the stored one if the key was used, else this one, audited.
  auto refuse = [&](SubmitOutcome::Status status, std::optional<domain::Rejection> why,
                    std::string result) -> SubmitOutcome {
    if (auto replayed = replay()) return std::move(*replayed);
    out.status = status;
    out.rejection = std::move(why);
    audit.result = std::move(result);
    tx.append_audit(audit);
    return std::move(out);
  };

  auto meter = tx.find_meter(req.account, req.meter_serial);
  if (!meter)
    return refuse(SubmitOutcome::Status::not_found,
                  domain::Rejection{"not_found", std::nullopt, {}, std::nullopt},
                  "rejected:not_found");
  if (!meter->account_active)
    return refuse(SubmitOutcome::Status::rejected,
                  domain::Rejection{"account_inactive", std::nullopt, {}, std::nullopt},
                  "rejected:account_inactive");

  const Judging j = judging(tx, req, *meter, now, config_.rules.window);
  const domain::AsOf& as_of = j.when.as_of;
  const domain::ValidationInput& in = j.in;

  out.validation = domain::validate(in, config_.rules);
  const domain::Validation& v = out.validation;
  if (v.rejection)
    return refuse(SubmitOutcome::Status::rejected, v.rejection, "rejected:" + v.rejection->code);
  if (v.needs_confirmation)
    return refuse(SubmitOutcome::Status::needs_confirmation, std::nullopt,
                  "needs_confirmation:high");

  auto [receipt, s] = draft(req, *meter, in, as_of, v, now, config_.rules.window);
  std::int64_t id = 0;
  for (int attempt = 0;; ++attempt) {
    receipt.id = ids_();
    s.receipt = receipt.id;
    s.receipt_json = receipt_to_json(receipt);
    try {
      id = tx.insert_submission(s);
      break;
    } catch (const store::ConflictError& e) {
      // Another node stored the same idempotency key meanwhile: its answer is the answer.
      if (e.kind == store::Conflict::idempotency)
        if (auto replayed = replay()) return std::move(*replayed);
      // Ids are random: a collision is possible but rare; try another one.
      if (e.kind != store::Conflict::receipt || attempt >= 8) throw;
    }
  }
  supersede(tx, j.superseded, audit, receipt.id);
  if (v.has(domain::Flag::high)) tx.add_review_item(id, "high", now);
  if (req.photo) tx.insert_photo(id, *req.photo, now);

  audit.result = "accepted";
  audit.submission_id = id;
  tx.append_audit(audit);

  out.status = SubmitOutcome::Status::accepted;
  out.receipt_id = receipt.id;
  out.receipt_json = std::move(s.receipt_json);
  return out;
}

std::optional<domain::Rejection> Submissions::judge_given(store::WriteTx& tx,
                                                          const SubmitRequest& req, Instant now) {
  auto meter = tx.find_meter(req.account, req.meter_serial);
  if (!meter || !meter->account_active) return std::nullopt;  // said when the reading is whole
  auto rejection =
      domain::reject_given(judging(tx, req, *meter, now, config_.rules.window).in, config_.rules);
  if (rejection) {
    store::AuditEntry audit = audit_of(req, now);
    audit.result = "rejected:" + rejection->code;
    tx.append_audit(audit);
  }
  return rejection;
}

Submissions::LastReadings Submissions::last_readings(store::WriteTx& tx,
                                                     const store::MeterRow& meter, Instant now) {
  SubmitRequest req;  // a customer's reading, today
  const Day today = domain::kyiv_date(now);
  const Counting when = counting(req, today, config_.rules.window);
  const auto accepted = tx.accepted_readings(meter.meter_id, 2, when.as_of.period);
  const auto wins = latest_in_window_wins(when.as_of.period, accepted);
  LastReadings out;
  if (!wins.compared_with.empty()) out.compared_with = *wins.compared_with.front();
  // The store names this window's readings by id only: the newest of all, if it is one of them.
  auto newest = tx.accepted_readings(meter.meter_id, 1, std::nullopt).latest;
  if (!newest.empty() &&
      std::binary_search(wins.superseded.begin(), wins.superseded.end(), newest.front().id))
    out.replaced = std::move(newest.front());
  return out;
}

void Submissions::prefetch(store::WriteTx& tx, const std::vector<const SubmitRequest*>& reqs,
                           Instant now) {
  const Day today = domain::kyiv_date(now);
  std::vector<store::WriteTx::MeterKey> keys;
  keys.reserve(reqs.size());
  for (const SubmitRequest* req : reqs)
    keys.push_back({req->account, req->meter_serial,
                    counting(*req, today, config_.rules.window).as_of.period, req->channel,
                    req->idempotency_key});
  tx.prefetch(keys, 2);  // the previous reading and the one before it
}

}  // namespace md::service
