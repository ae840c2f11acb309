#include "service/receipt.hpp"

#include <nlohmann/json.hpp>

namespace md::service {

std::string mask_account(std::string_view account) {
  std::string out(account);
  for (size_t i = 0; i + 4 < out.size(); ++i) out[i] = '*';
  return out;
}

CountsAs counts_as(const std::optional<domain::YearMonth>& period, std::string_view type,
                   domain::Day taken_on) {
  if (period) return {"period_end", "period", period->str()};
  if (type.starts_with("exchange_")) return {"installation", "date", domain::format_date(taken_on)};
  return {"off_cycle", "date", domain::format_date(taken_on)};
}

std::string receipt_to_json(const Receipt& r) {
  nlohmann::ordered_json j;
  j["receipt"] = r.id;
  j["received_at"] = domain::format_kyiv(r.received_at);
  j["account"] = r.account_masked;
  j["meter_serial"] = r.meter_serial;
  j["taken_on"] = domain::format_date(r.taken_on);
  j["type"] = r.type;
  j["channel"] = r.channel;
  nlohmann::ordered_json readings = nlohmann::ordered_json::object();
  for (const auto& [zone, v] : r.readings) readings[zone] = v;
  j["readings"] = readings;
  if (r.consumption.empty()) {
    j["consumption"] = nullptr;
  } else {
    nlohmann::ordered_json c = nlohmann::ordered_json::object();
    for (const auto& [zone, v] : r.consumption) c[zone] = v;
    j["consumption"] = c;
  }
  CountsAs c = counts_as(r.period, r.type, r.taken_on);
  j["counts_as"] = {{"kind", c.kind}, {c.key, c.value}};
  j["correction_deadline"] = domain::format_date(r.correction_deadline);
  j["flags"] = r.flags;
  j["notes"] = r.notes;
  return j.dump();
}

}  // namespace md::service
