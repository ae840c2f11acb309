// The `blend` estimator (rules.md §7): ln ρ is a weighted sum of the logs of a household's own
// rates and of the population's seasonal ratio, with weights learned at each close from the
// DSO's own readings of earlier months, plus this month's signal from the customers who did
// submit. Rates are timed by the days readings were taken, not the boundary they count for: a
// window reading is taken up to three days off the 1st, ~7 % of a month.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/boundary.hpp"

namespace md::domain {

struct SeasonalIndex;

// The terms of the model, by column.
enum BlendTerm : std::uint8_t {
  kConstant,
  kRecent,          // ln rate between the two latest readings
  kEarlier,         // ln rate over the interval before that one (the recent rate when none)
  kSeason,          // ln population ratio: the target a year ago over the recent basis a year ago
  kYearAgo,         // ln rate over the target period a year earlier
  kLastYear,        // ln rate over the 12 months before the latest reading
  kQuarterYearAgo,  // ln rate over the 3 months before the latest reading, a year earlier
  kBlendTerms
};

// Which terms a household has decides the model that estimates it: the richest one it can feed.
enum class BlendStep : std::uint8_t {
  full,    // everything, a year of history included
  season,  // no year-ago history: recent rate, seasonal ratio
  recent,  // no seasonal index either: recent rate alone
};
constexpr int kBlendSteps = 3;
// Each step is fitted twice: for a month right after a reading, and for one after estimated
// months (the latest reading older, its rate a worse guide).
constexpr int kBlendModels = kBlendSteps * 2;
constexpr std::size_t model_index(BlendStep s, bool after_estimate) {
  return static_cast<std::size_t>(s) * 2 + (after_estimate ? 1 : 0);
}
std::string_view step_name(BlendStep s);
int term_count(BlendStep s);  // the model uses the first term_count(s) terms

// Logs of rates below this are taken at it: a household away sends zero advances, and ln 0 is
// not a number.
constexpr double kRateFloor = 0.1;  // kWh/day

// A household's signals for a target interval, from its readings up to a point.
struct BlendInputs {
  BlendStep step = BlendStep::recent;
  double recent = 0;               // kWh/day between the two latest readings...
  Day recent_from{}, recent_to{};  // ...taken on these days (end of day)
  double earlier = 0;              // kWh/day over the interval before (the recent one when none)
  bool after_estimate = false;
  double season = 1;                                         // population ratio (1 when unknown)
  double year_ago = 0, last_year = 0, quarter_year_ago = 0;  // kWh/day, when step is full
  [[nodiscard]] std::array<double, kBlendTerms> terms() const;
};

// The day at whose start a reading's value stood: the end of the day it was taken.
Day reading_day(const ChainPoint& p);

// The inputs for a target interval [from, to) from the chain's first `upto` points (the
// history known then). Nothing without two readings at least two weeks apart.
std::optional<BlendInputs> blend_inputs(const Chain& chain, std::size_t upto, Day from, Day to,
                                        const SeasonalIndex* index);

// The fitted models, stored with the period so any estimate can be explained and reproduced.
struct BlendModel {
  struct Fit {
    std::vector<double> weights;  // term_count(step) of them
    int rows = 0, households = 0;
  };
  std::array<std::optional<Fit>, kBlendModels> fits;  // by model_index
  std::array<std::string, kBlendModels> failures;     // why a model was not fitted
  YearMonth month{};  // the month whose close fitted it: the signal is that month's
  // This month's ln ratio of the submitters' real use to what the models expected of them,
  // seen from their previous reading [0] and from an older one [1].
  std::array<double, 2> signal{};
  std::array<int, 2> signal_households{};
  // The same from one area's senders, where an area has enough of them: a power cut of one
  // district is not spread over the whole DSO.
  struct AreaSignal {
    std::array<double, 2> signal{};
    std::array<int, 2> households{};
  };
  std::map<std::string, AreaSignal, std::less<>> areas;
  // This month's submitters' median rate over their class default: a chain with too few
  // readings for the model is estimated at its class default times this (1 when unknown).
  double class_scale = 1.0;
  [[nodiscard]] const Fit* fit(BlendStep s, bool after_estimate) const {
    const auto& f = fits[model_index(s, after_estimate)];
    return f ? &*f : nullptr;
  }
  // ln ρ before the signal, from the richest fitted step the inputs allow at or below theirs.
  [[nodiscard]] std::optional<double> predict(const BlendInputs& in,
                                              BlendStep* used = nullptr) const;
};

// One training example: a month-long interval between two readings, with the inputs known
// before it.
struct BlendRow {
  BlendInputs inputs;
  double log_rate = 0;  // ln of the rate over the interval, floored
  std::int64_t household = 0;
  double class_rate = 0;  // the chain's class default (estimation.default_kwh_per_day)
  std::string area;       // the chain's area
};

// Training rows of one chain: each interval of 20–45 days between consecutive readings whose
// end counts no later than `known_until` and whose middle falls in [first_month, last_month],
// seen from its start and from one and two readings earlier (the month(s) before estimated).
void blend_rows(const Chain& chain, std::int64_t household, YearMonth first_month,
                YearMonth last_month, Day known_until, const SeasonalIndex* index,
                std::vector<BlendRow>& out);

// Fits every step from the rows (at most `max_rows` of them, taken evenly). A step whose fit
// fails keeps the reason.
BlendModel fit_blend(const std::vector<BlendRow>& rows, std::size_t max_rows = 60000);

// From the month's submitters (`rows`, each seen from its previous reading): the signal, the
// shift of the model's expectation with the least absolute percentage error over them (only
// intervals of 10 kWh or more, where a percentage means something), so that the month's
// estimates are unbiased in percent; and the class scale. Nothing with fewer than
// `min_households` (the whole DSO's, and each area's).
void set_signal(BlendModel& model, const std::vector<BlendRow>& rows, int min_households = 30);

}  // namespace md::domain
