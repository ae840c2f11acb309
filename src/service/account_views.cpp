#include "service/account_views.hpp"

#include <nlohmann/json.hpp>

#include "domain/latest_wins.hpp"
#include "service/prices.hpp"

namespace md::service {

std::optional<store::MeterRow> find_meter(store::ReadingReads& store, std::string_view account,
                                          std::string_view serial) {
  return store.find_meter(account, serial);
}

std::optional<store::ReadingRow> compared_reading(store::ReadingReads& store, std::int64_t meter_id,
                                                  domain::Instant now,
                                                  const domain::WindowRules& window) {
  const auto period = domain::as_of(domain::kyiv_date(now), true, window).period;
  std::vector<store::ReadingRow> accepted;
  std::vector<domain::AcceptedReading> seen;
  // A window holds a few readings at most: the latest of the others is among the last 20.
  for (auto& r : store.history(meter_id, 20)) {
    if (r.status != "accepted") continue;
    seen.push_back({r.id, r.as_of, r.period});
    accepted.push_back(std::move(r));
  }
  const auto rule = domain::latest_in_window_wins(period, seen, 1);
  if (rule.compared_with.empty()) return std::nullopt;
  return std::move(accepted[rule.compared_with.front()]);
}

std::vector<store::MeterRow> account_meters(store::AccountReads& store, std::int64_t account_id) {
  return store.account_meters(account_id);
}

std::vector<store::ReadingRow> meter_history(store::ReadingReads& store, std::int64_t meter_id,
                                             int limit) {
  return store.history(meter_id, limit);
}

std::optional<std::string> stored_receipt(store::ReadingReads& store, std::string_view receipt) {
  return store.receipt_json(receipt);
}

CustomerOverview customer_overview(store::Store& store, std::int64_t account_id,
                                   const domain::PriceList& configured_prices) {
  CustomerOverview o;
  if (auto account = store.account_by_id(account_id)) o.account = std::move(*account);
  for (auto& m : store.account_meters(account_id)) {
    auto last = store.latest_accepted(m.meter_id);
    o.meters.push_back({std::move(m), std::move(last)});
  }
  o.months =
      account_months(store.account_volumes(account_id), effective_prices(store, configured_prices));
  return o;
}

std::vector<store::ReadingRow> account_history(store::AccountReads& store, std::int64_t account_id,
                                               int limit) {
  return store.account_readings(account_id, limit);
}

std::vector<store::VolumeRow> account_volumes(store::AccountReads& store, std::int64_t account_id) {
  return store.account_volumes(account_id);
}

AccountBills account_bills(store::Store& store, std::int64_t account_id,
                           const domain::PriceList& configured_prices) {
  AccountBills b;
  b.volumes = store.account_volumes(account_id);
  b.months = account_months(b.volumes, effective_prices(store, configured_prices));
  return b;
}

namespace {

// Every reading a download holds; more than any account gathers in a lifetime of months.
constexpr int kAllReadings = 100000;

store::AccountRow account_of(store::Store& store, const store::UserRow& user) {
  auto account = user.account_id ? store.account_by_id(*user.account_id) : std::nullopt;
  if (!account) throw std::invalid_argument("no account for this user");
  return *account;
}

}  // namespace

AccountExport account_data_json(store::Store& store, const store::UserRow& user) {
  using json = nlohmann::ordered_json;
  const auto account = account_of(store, user);
  json j;
  j["account"] = {{"number", account.number},
                  {"holder", account.holder},
                  {"address", account.address},
                  {"phone", account.phone},
                  {"email", account.email}};
  j["cabinet"] = {{"email", user.email}, {"phone", user.phone}, {"reminders", user.reminders}};
  json rs = json::array();
  for (const auto& x : store.account_readings(account.id, kAllReadings))
    rs.push_back({{"receipt", x.receipt},
                  {"meter_serial", x.meter_serial},
                  {"taken_on", domain::format_date(x.taken_on)},
                  {"received_at", domain::format_kyiv(x.received_at)},
                  {"channel", x.channel},
                  {"type", x.type},
                  {"status", x.status},
                  {"flags", x.flags},
                  {"values", x.values},
                  {"review", x.review},
                  {"review_reason", x.review_reason}});
  j["readings"] = rs;
  j["volumes"] = json::parse(volumes_json(store.account_volumes(account.id)));
  return {"meterdesk-" + account.number + ".json",
          j.dump(2, ' ', false, json::error_handler_t::replace)};
}

AccountExport account_data_csv(store::Store& store, const store::UserRow& user) {
  const auto account = account_of(store, user);
  std::string out =
      "receipt,meter_serial,taken_on,received_at,channel,type,status,flags,value1,value2,"
      "value3\n";
  for (const auto& x : store.account_readings(account.id, kAllReadings)) {
    out += x.receipt + "," + x.meter_serial + "," + domain::format_date(x.taken_on) + "," +
           domain::format_kyiv(x.received_at) + "," + x.channel + "," + x.type + "," + x.status +
           "," + store::join_flags(x.flags);
    for (std::size_t i = 0; i < 3; ++i)
      out += "," + (i < x.values.size() ? std::to_string(x.values[i]) : std::string());
    out += "\n";
  }
  out += "\n" + volumes_csv(store.account_volumes(account.id));
  return {"meterdesk-" + account.number + ".csv", std::move(out)};
}

bool store_healthy(store::Store& store) {
  return store.healthy();
}

std::int64_t review_backlog(store::ReadingReads& store) {
  return store.review_backlog();
}

}  // namespace md::service
