// Row readers and column lists shared by the store's queries on either engine.
#pragma once

#include <string>
#include <vector>

#include "store/sql/conn.hpp"

namespace md::store {

namespace detail {

inline std::int64_t secs(Instant t) {
  return t.time_since_epoch().count();
}
inline Instant instant(std::int64_t s) {
  return Instant{std::chrono::seconds{s}};
}
inline std::string day_text(Day d) {
  return domain::format_date(d);
}
inline Day day_of(const std::string& s) {
  return domain::parse_date(s).value_or(Day{});
}

// The id an INSERT … RETURNING id gave.
inline std::int64_t returning_id(Query& q) {
  if (!q.step()) throw StoreError("the insert returned no id");
  std::int64_t id = q.i64(0);
  q.run();
  return id;
}

inline constexpr const char* kMeterColumns =
    "m.id, p.id, a.id, a.number, a.active, p.eic, m.serial, m.zones, m.digits, m.installed_on,"
    " m.counter_offsets";

inline std::string offsets_text(const std::vector<std::int64_t>& v) {
  std::string out;
  for (auto x : v) out += (out.empty() ? "" : ",") + std::to_string(x);
  return out;
}
inline std::vector<std::int64_t> offsets_of(const std::string& text) {
  std::vector<std::int64_t> out;
  for (const auto& part : split_flags(text)) out.push_back(std::stoll(part));
  return out;
}

inline MeterRow meter_row(Query& q) {
  MeterRow r;
  r.meter_id = q.i64(0);
  r.point_id = q.i64(1);
  r.account_id = q.i64(2);
  r.account_number = q.text(3);
  r.account_active = q.i64(4) != 0;
  r.eic = q.text(5);
  r.serial = q.text(6);
  r.zones = static_cast<int>(q.i64(7));
  r.digits = static_cast<int>(q.i64(8));
  r.installed_on = day_of(q.text(9));
  r.counter_offsets = offsets_of(q.text(10));
  return r;
}

#define READING_COLUMNS                                                                      \
  "s.id, s.receipt, s.meter_id, m.serial, m.zones, s.channel, s.type, s.taken_on, s.as_of, " \
  "s.period, s.received_at, s.status, s.flags, s.v1, s.v2, s.v3, s.u1, s.u2, s.u3"
inline constexpr int kReadingColumns = 19;

inline ReadingRow reading_row(Query& q) {
  ReadingRow r;
  r.id = q.i64(0);
  r.receipt = q.text(1);
  r.meter_id = q.i64(2);
  r.meter_serial = q.text(3);
  r.zones = static_cast<int>(q.i64(4));
  r.channel = q.text(5);
  r.type = q.text(6);
  r.taken_on = day_of(q.text(7));
  r.as_of = instant(q.i64(8));
  if (!q.is_null(9)) r.period = YearMonth::parse(q.text(9));
  r.received_at = instant(q.i64(10));
  r.status = q.text(11);
  r.flags = split_flags(q.text(12));
  for (int i = 0; i < r.zones; ++i) {
    r.values.push_back(q.i64(13 + i));
    r.unwrapped.push_back(q.i64(16 + i));
  }
  return r;
}

inline AuditRow audit_row(Query& q) {
  AuditRow a;
  a.id = q.i64(0);
  a.at = instant(q.i64(1));
  a.actor = q.text(2);
  a.channel = q.text(3);
  a.action = q.text(4);
  a.identity = q.text(5);
  a.raw_input = q.text(6);
  a.result = q.text(7);
  a.reason = q.text(8);
  if (!q.is_null(9)) a.submission_id = q.i64(9);
  a.request_id = q.text(10);
  return a;
}

#define VOLUME_COLUMNS                                                                       \
  "v.metering_point_id, v.meter_id, v.zone, v.zone_index, v.start_value, v.start_kind,"      \
  " v.end_value, v.end_kind, v.volume, v.correction, v.position, v.method, v.estimated_run," \
  " v.estimate, a.number, p.eic, m.serial, m.digits, a.electric_heating, m.zones, v.chain,"  \
  " v.start_shown, v.end_shown, v.period"                                                    \
  " FROM period_volumes v JOIN metering_points p ON p.id = v.metering_point_id"              \
  " JOIN accounts a ON a.id = p.account_id JOIN meters m ON m.id = v.meter_id"

inline VolumeRow volume_row(Query& q) {
  VolumeRow v;
  v.point_id = q.i64(0);
  v.meter_id = q.i64(1);
  v.zone = q.text(2);
  v.zone_index = static_cast<int>(q.i64(3));
  v.start_value = q.i64(4);
  v.start_kind = q.text(5);
  v.end_value = q.i64(6);
  v.end_kind = q.text(7);
  v.volume = q.i64(8);
  v.correction = q.i64(9);
  v.position = q.i64(10);
  v.method = q.text(11);
  v.estimated_run = static_cast<int>(q.i64(12));
  v.estimate = q.text(13);
  v.account_number = q.text(14);
  v.eic = q.text(15);
  v.serial = q.text(16);
  v.digits = static_cast<int>(q.i64(17));
  v.electric_heating = q.i64(18) != 0;
  v.zones = static_cast<int>(q.i64(19));
  v.chain = q.i64(20);
  v.start_shown = q.i64(21);
  v.end_shown = q.i64(22);
  v.period = YearMonth::parse(q.text(23)).value_or(YearMonth{});
  return v;
}

// The installed meter of that serial on that account.
std::optional<MeterRow> find_meter_on(SqlConn& c, std::string_view account, std::string_view serial,
                                      bool lock = false);
// An attempt limit's counts in the windows starting at `start` and `start - length`.
AttemptCounts attempts_on(SqlConn& c, std::string_view name, std::int64_t start,
                          std::int64_t length);

}  // namespace detail

}  // namespace md::store
