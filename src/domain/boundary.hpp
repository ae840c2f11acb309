// Boundary values of a register chain from its actual readings (rules.md §6).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/calendar.hpp"

namespace md::domain {

// An accepted actual reading of one register: its as-of day (the civil date of its as-of
// instant, always a midnight in Kyiv) and the unwrapped counter value.
struct ChainPoint {
  Day day{};
  std::int64_t value = 0;
  bool installation = false;  // an installation or exchange reading
  // The day at whose start the value was read (the end of the day it was taken); unset (the
  // epoch) when it is the as-of day. A window reading counts at the 1st but is read up to three
  // days off it: the `blend` estimator times rates by this day.
  Day read{};
};

// The readings of one register, sorted by day; on a day with several, the last one counts.
struct Chain {
  std::vector<ChainPoint> points;
  double default_rate = 6.0;  // estimation.default_kwh_per_day for this zone (§7 step 3)
  // Set when an exchange changed the zones: the chain ends at its last (exchange) reading, as of
  // this day (rules.md §4).
  std::optional<Day> ended;
  // The DSO's area of the metering point (its district; empty when none was given): K_outage and
  // this month's signal may be set per area.
  std::string area;

  // Sorts and keeps one point per day (the last given).
  void normalize();
  [[nodiscard]] const ChainPoint* first() const;
  [[nodiscard]] const ChainPoint* last() const;
};

enum class ValueKind { actual, derived, estimated, installation };
std::string_view kind_name(ValueKind k);

struct BoundaryValue {
  ValueKind kind = ValueKind::actual;
  std::int64_t value = 0;
};

// The value at day b from readings alone: actual (a reading as of b; installation if that reading
// is one), derived (b between two readings: linear by days, rounded half away from zero), or
// nothing (b before the first or after the last reading).
std::optional<BoundaryValue> value_from_readings(const Chain& chain, Day b);

// x / d rounded half away from zero (d > 0).
std::int64_t div_round(std::int64_t x, std::int64_t d);
std::int64_t round_half_away(double x);

// rules.md §7 step 2, "the last known rate": the advance a day between two values of a register
// at their as-of days; none when they are on the same day. The one daily rate the estimators
// (estimation.cpp) and validation's expectation (validation.cpp, §5) are built on.
std::optional<double> rate_between(Day from, std::int64_t from_value, Day to,
                                   std::int64_t to_value);

}  // namespace md::domain
