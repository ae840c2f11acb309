#include "service/exchange.hpp"

#include "domain/reading_value.hpp"
#include "service/accounts.hpp"

namespace md::service {
namespace {

SubmitRequest reading(const ExchangeRequest& req, const std::string& serial, const char* type,
                      int zones, const std::vector<std::string>& values) {
  SubmitRequest r;
  r.channel = req.channel;
  r.account = req.account;
  r.meter_serial = serial;
  r.taken_on = req.date;
  r.type = type;
  r.confirmed = true;  // entered from the signed exchange act
  r.actor = req.actor;
  r.raw_input = "exchange " + req.old_serial + " -> " + req.new_serial;
  auto list = domain::zones_of(zones);
  for (size_t z = 0; z < list.size() && z < values.size(); ++z)
    r.values.emplace_back(std::string(domain::zone_name(list[z])), values[z]);
  return r;
}

std::string why(const SubmitOutcome& o, const char* which) {
  std::string code = o.rejection ? o.rejection->code : std::string(status_name(o.status));
  std::map<std::string, std::string> params;
  if (o.rejection) {
    params = o.rejection->params;
    if (o.rejection->zone) params["zone"] = std::string(domain::zone_name(*o.rejection->zone));
  }
  return std::string(which) + ": " + code + " (" + i18n::message(i18n::Lang::en, code, params) +
         ")";
}

}  // namespace

ExchangeResult exchange_meter(store::Store& store, Submissions& submissions,
                              const ExchangeRequest& req, domain::Instant now) {
  if (!domain::valid_zone_count(req.zones)) throw ExchangeRefused("zones must be 1, 2 or 3");
  if (!domain::valid_digits(req.digits)) throw ExchangeRefused("digits must be 4 to 8");
  if (!valid_serial(req.new_serial)) throw ExchangeRefused("the new serial is not a serial number");
  if (static_cast<int>(req.new_initial.size()) != req.zones)
    throw ExchangeRefused("the new meter needs " + std::to_string(req.zones) + " initial values");
  std::vector<std::int64_t> initial;
  for (const auto& v : req.new_initial) {
    auto parsed = domain::parse_reading_value(v, req.digits);
    if (parsed.error != domain::ParsedValue::Error::none || parsed.decimal_ignored)
      throw ExchangeRefused("initial value '" + v + "' is not a whole number of at most " +
                            std::to_string(req.digits) + " digits");
    initial.push_back(parsed.value);
  }

  auto tx = store.begin_write();
  auto old = tx->find_meter(req.account, req.old_serial);
  if (!old) throw ExchangeRefused("no meter " + req.old_serial + " is installed for this account");
  if (req.date < old->installed_on)
    throw ExchangeRefused("the exchange date is before the old meter was installed");
  if (req.new_serial == req.old_serial || tx->find_meter(req.account, req.new_serial))
    throw ExchangeRefused("meter " + req.new_serial + " is already installed for this account");
  if (static_cast<int>(req.old_final.size()) != old->zones)
    throw ExchangeRefused("the old meter needs " + std::to_string(old->zones) + " final values");

  SubmitOutcome final_reading = submissions.process(
      *tx, reading(req, old->serial, "exchange_final", old->zones, req.old_final), now);
  if (final_reading.status != SubmitOutcome::Status::accepted)
    throw ExchangeRefused(why(final_reading, "the old meter's final reading"));

  ExchangeResult result;
  result.final_receipt = final_reading.receipt_id;
  result.counter_continues = old->zones == req.zones;
  if (result.counter_continues) {
    // The counter as stored with the final reading: the new meter continues from there.
    auto stored = tx->accepted_readings(old->meter_id, 1, std::nullopt).latest;
    for (size_t z = 0; z < initial.size(); ++z)
      result.offsets.push_back(stored.at(0).unwrapped.at(z) - initial[z]);
  }
  tx->remove_meter(old->meter_id, req.date);
  auto new_id = tx->insert_meter(
      old->point_id,
      store::NewMeter{req.new_serial, req.zones, req.digits, req.date, result.offsets});
  SubmitOutcome initial_reading = submissions.process(
      *tx, reading(req, req.new_serial, "exchange_initial", req.zones, req.new_initial), now);
  if (initial_reading.status != SubmitOutcome::Status::accepted)
    throw ExchangeRefused(why(initial_reading, "the new meter's initial reading"));
  result.initial_receipt = initial_reading.receipt_id;
  tx->insert_exchange(
      store::NewExchange{old->point_id, old->meter_id, new_id, req.date, result.offsets, req.actor},
      now);
  tx->append_audit(
      store::AuditEntry{now, req.actor, req.channel, "meter_exchange", "account=" + req.account, "",
                        req.old_serial + " -> " + req.new_serial, req.reason, std::nullopt});
  tx->commit();
  return result;
}

}  // namespace md::service
