// Backtesting the estimators on real daily consumption (issue: period close, item 6): each
// household becomes monthly customer readings on a random day of each window, some dropped, and
// every month is closed as the system would; estimated volumes are compared with the truth.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "domain/estimation.hpp"

namespace md::service {

struct BacktestOptions {
  std::uint64_t seed = 2026;
  double drop_probability = 0.3;  // each month independently
  double run_probability = 0.05;  // chance a month starts a run of 2–3 missed months
  domain::WindowRules window;
  double default_rate = 6.0;
  double min_true_kwh = 10.0;  // months with less real consumption are left out of APE
  int min_months = 4;          // households with fewer months of data are left out
  // Population-wide shocks (power cuts): every household's daily use in the month × factor.
  std::map<domain::YearMonth, double> shocks;
  bool keep_closes = false;  // keep every closed month in the result (tests)
};

// What a household's meter shows the system: the installation reading and one customer reading
// per month (taken on a random day of the window), some of them never sent.
struct BacktestPlan {
  std::string household;
  domain::Day installed_on{};
  domain::YearMonth first_month{}, last_month{};  // months to close
  domain::ChainPoint installation{};
  std::map<domain::YearMonth, domain::ChainPoint> readings;  // sent ones only
  std::map<domain::YearMonth, double> truth;                 // real consumption of each month
};

struct BacktestClose {
  std::size_t plan = 0;  // index into plans()
  domain::YearMonth month{};
  std::int64_t volume = 0, correction = 0;
  domain::ValueKind end_kind{};
};

struct BacktestResult {
  std::string method;
  std::int64_t households = 0, closed_months = 0, estimated_months = 0;
  double median_ape = 0, p90_ape = 0, mean_signed = 0;  // percent
  double wape = 0;                                      // Σ|err| / Σ actual, percent
  double volume_bias = 0;                               // Σ err / Σ actual, percent
  std::int64_t corrections = 0;                         // months with Δ ≠ 0
  double median_abs_delta = 0, p90_abs_delta = 0;       // kWh, over months with Δ ≠ 0
  double mean_delta = 0;                                // kWh, over all closed months
  // Over the months of households with a year of readings before them (the full model's inputs
  // exist; a household's first months can only be estimated from what others use).
  std::int64_t year_months = 0;
  double year_median_ape = 0, year_p90_ape = 0, year_mean_signed = 0;
  // Over the shocked months only (when there are shocks).
  std::int64_t shock_months = 0;
  double shock_median_ape = 0, shock_p90_ape = 0, shock_mean_signed = 0;
  // blend: the months whose fit fell back, and the last month's model.
  std::int64_t fit_failures = 0;
  std::optional<domain::BlendModel> last_model;
  std::vector<BacktestClose> closes;  // with keep_closes
};

class Backtest {
 public:
  explicit Backtest(const BacktestOptions& options) : options_(options) {}
  // Feeds one row of household_id,date,kwh (rows of a household together, dates ascending).
  void add_row(std::string_view household, domain::Day day, double kwh);
  [[nodiscard]] std::size_t households() const { return households_.size(); }
  BacktestResult run(const domain::EstimationRules& rules) const;
  // The readings every estimator is shown (the same for each: drops and days are seeded).
  [[nodiscard]] std::vector<BacktestPlan> plans() const;

 private:
  struct Household {
    std::string id;
    domain::Day first{};
    std::vector<double> cumulative;  // kWh through the end of day first + i
    [[nodiscard]] domain::Day last() const {
      return first + date::days{static_cast<int>(cumulative.size()) - 1};
    }
    [[nodiscard]] double through(domain::Day d) const;  // counter at the end of day d
  };
  domain::Population population_at(const std::vector<BacktestPlan>& plans, domain::YearMonth m,
                                   const domain::EstimationRules& rules,
                                   BacktestResult& result) const;
  BacktestOptions options_;
  std::vector<Household> households_;
};

}  // namespace md::service
