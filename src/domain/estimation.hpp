// Estimating consumption a customer did not report (rules.md §7).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/blend.hpp"
#include "domain/boundary.hpp"

namespace md::domain {

enum class EstimationMethod { regulatory, recent, seasonal, blend };
std::string_view method_name(EstimationMethod m);
std::optional<EstimationMethod> parse_method(std::string_view name);

struct EstimationRules {
  EstimationMethod method = EstimationMethod::regulatory;  // estimation.method
  std::map<YearMonth, double> k;                           // K(M), default 1.0
  std::map<YearMonth, double> k_outage;                    // K_outage(M), default 1.0
  // K_outage(M) of one area (operators enter it after an area's outages): over the whole DSO's.
  std::map<std::pair<std::string, YearMonth>, double, std::less<>> area_k_outage;
  int max_consecutive = 3;  // estimation.max_consecutive
  [[nodiscard]] double k_of(YearMonth m) const;
  // The area's own K_outage(M), else the whole DSO's, else 1.
  [[nodiscard]] double k_outage_of(YearMonth m, const std::string& area = {}) const;
  [[nodiscard]] bool has_area_k_outage(YearMonth m, const std::string& area) const;
};

// The population's average daily consumption per month, relative to any one month: used by the
// `seasonal` and `blend` estimators to scale a household's recent rate to the target month.
struct SeasonalIndex {
  std::map<YearMonth, double> level;  // the median household's daily kWh in the month
  std::map<YearMonth, int> samples;
  // Sets a month's level from the daily rates of every household with an actual/derived volume.
  // The median, not the mean: a few heavy users must not set the season for everyone.
  void add(YearMonth m, std::vector<double> daily_rates);
  [[nodiscard]] std::optional<double> ratio(YearMonth target, Day basis_from, Day basis_to) const;
  // The level over [target_from, target_to) over the level over [basis_from, basis_to), both
  // intervals as given (the caller shifts them a year back).
  [[nodiscard]] std::optional<double> ratio_between(Day target_from, Day target_to, Day basis_from,
                                                    Day basis_to) const;
  // The day-weighted level over [from, to), when every month of it has one.
  [[nodiscard]] std::optional<double> level_over(Day from, Day to) const;
};

// What the close learned from everyone, for the policy estimators: the seasonal index and, for
// `blend`, the fitted model with this month's signal.
struct Population {
  SeasonalIndex seasonal;
  std::optional<BlendModel> blend;
};

// Where a daily rate came from: enough to explain it to the customer.
struct RateBasis {
  enum class Kind { same_month_last_year, last_known_rate, class_default, blend };
  Kind kind = Kind::class_default;
  YearMonth basis_month{};  // same_month_last_year: the month a year before
  std::int64_t volume = 0;  // same_month_last_year / last_known_rate: kWh of the basis
  int days = 0;             // ...over this many days
  Day from{}, to{};         // last_known_rate: the two readings' days
  double k = 1.0, k_outage = 1.0, seasonal = 1.0;
  double rate = 0;  // kWh/day after coefficients
  // blend: the model step that estimated it, its inputs, and this month's signal (a factor).
  BlendStep step = BlendStep::recent;
  BlendInputs inputs;
  double signal = 1.0;
  std::string signal_area;  // the area whose senders gave the signal (empty: the whole DSO's)
  // class_default under blend: this month's senders' use over the class default.
  double class_scale = 1.0;
  // A step taken back (e.g. blend -> last known rate) says why.
  std::string fallback;
};

struct EstimateSegment {
  YearMonth month{};
  int days = 0;
  RateBasis basis;
};

struct Estimate {
  EstimationMethod method = EstimationMethod::regulatory;
  std::int64_t kwh = 0;  // Σ rate × days, rounded once
  std::vector<EstimateSegment> segments;
};

// ρ for `chain` in month `m` (§7).
RateBasis daily_rate(const Chain& chain, YearMonth m, const EstimationRules& rules,
                     const Population* population = nullptr);

// The estimate from day `from` to day `to` (exclusive): Σ ρ(month) × days of that month inside
// [from, to), rounded to whole kWh once, at the end.
Estimate estimate_between(const Chain& chain, Day from, Day to, const EstimationRules& rules,
                          const Population* population = nullptr);

// The monthly volume V(m) from actual or derived boundary values, if the readings reach both ends.
std::optional<std::int64_t> actual_volume(const Chain& chain, YearMonth m);

}  // namespace md::domain
