// Validation of a submitted reading (rules.md §5, steps 2–6; step 1, identity, needs the store and
// lives in the service). Pure: everything it needs is passed in.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/calendar.hpp"
#include "domain/meter.hpp"

namespace md::domain {

enum class Flag { zero, high, rollover, off_cycle, photo };
std::string_view flag_name(Flag f);

// estimation.default_kwh_per_day (§7 step 3)
struct DefaultRates : PerZone<double> {
  DefaultRates() : PerZone<double>{6.0, 4.0, 2.0, 1.5, 3.0, 1.5} {}
};

struct ValidationRules {
  WindowRules window;
  double rollover_max_factor = 2.0;  // rollover.max_factor
  double physical_max_kw = 15.0;     // physical.max_kw
  double high_factor = 2.0;          // high.factor
  double high_min_kwh = 100.0;       // high.min_kwh
  DefaultRates default_rates;
};

// An accepted actual reading the new one is compared with.
struct PriorReading {
  Day taken_on{};
  AsOf as_of{};
  std::vector<std::int64_t> values;     // as the meter showed them, in zone order
  std::vector<std::int64_t> unwrapped;  // the continuous counter
};

struct ValidationInput {
  MeterSpec meter;
  std::vector<std::pair<std::string, std::string>> entries;  // zone name → text as typed
  Day taken_on{};
  Day today{};
  bool counts_in_window = true;                 // false for installation/exchange readings
  std::optional<YearMonth> last_closed;         // the latest closed period, if any
  std::optional<PriorReading> previous;         // latest accepted actual reading (not superseded)
  std::optional<PriorReading> before_previous;  // the one before it, for the rate of §7 step 2
  bool confirmed = false;                       // the customer confirmed a `high` reading
};

struct RegisterResult {
  Zone zone = Zone::total;
  std::int64_t value = 0;                  // as shown on the meter
  std::int64_t unwrapped = 0;              // continuous counter after this reading
  std::optional<std::int64_t> advance;     // consumption since the previous reading
  std::optional<double> expected;          // the estimator's volume for the same days
  std::optional<std::int64_t> suggestion;  // typo hint (§5 step 6)
};

struct Rejection {
  std::string code;  // machine code, e.g. "lower_than_previous"
  std::optional<Zone> zone;
  std::map<std::string, std::string> params;  // for the message catalogue
  std::optional<std::int64_t> suggestion;
};

struct Validation {
  std::optional<Rejection> rejection;  // set: nothing may be stored
  std::vector<RegisterResult> registers;
  std::vector<Flag> flags;
  std::vector<std::string> notes;  // e.g. "decimal_ignored"
  AsOf as_of{};
  bool needs_confirmation = false;  // `high` and not yet confirmed: nothing may be stored

  [[nodiscard]] bool ok() const { return !rejection && !needs_confirmation; }
  [[nodiscard]] bool has(Flag f) const;
};

Validation validate(const ValidationInput& in, const ValidationRules& rules);

// The values given so far of a reading still missing zones (channels.md, step 4: "validate each
// value as soon as it arrives"): the rejection of a given one, if any. Missing zones are judged
// as if they repeated the previous reading, which no rule rejects, so only a given value can be
// named; a missing zone is never a rejection here.
std::optional<Rejection> reject_given(const ValidationInput& in, const ValidationRules& rules);

// What §5 expects a day of a register: §7 steps 2–3, the last known rate (rate_between the two
// readings before) else the class default; K_outage and the policy estimators are the close's.
double usual_daily_rate(const ValidationInput& in, size_t register_index,
                        const ValidationRules& rules);

// §5 step 6: a value one adjacent swap or one dropped digit away from `typed` whose advance over
// `previous` lies in [0, 2 × expected]; the one closest to `expected`.
std::optional<std::int64_t> typo_hint(const std::string& typed, std::int64_t previous,
                                      double expected, int digits);

}  // namespace md::domain
