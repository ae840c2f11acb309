#include "service/backtest.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "domain/close.hpp"
#include "domain/percentile.hpp"

namespace md::service {

using domain::Day;
using domain::YearMonth;

void Backtest::add_row(std::string_view household, Day day, double kwh) {
  if (households_.empty() || households_.back().id != household) {
    households_.push_back(Household{std::string(household), day, {}});
  }
  Household& h = households_.back();
  int index = domain::days_between(h.first, day);
  if (index < static_cast<int>(h.cumulative.size())) return;  // duplicate or out of order: skip
  double before = h.cumulative.empty() ? 0.0 : h.cumulative.back();
  // Days missing from the data count as no consumption, for the readings and the truth alike.
  while (static_cast<int>(h.cumulative.size()) < index) h.cumulative.push_back(before);
  double factor = 1.0;
  if (auto shock = options_.shocks.find(YearMonth::of(day)); shock != options_.shocks.end())
    factor = shock->second;
  h.cumulative.push_back(before + std::max(0.0, kwh) * factor);
}

double Backtest::Household::through(Day d) const {
  int i = domain::days_between(first, d);
  if (i < 0) return 0.0;
  if (i >= static_cast<int>(cumulative.size())) return cumulative.back();
  return cumulative[static_cast<size_t>(i)];
}

std::vector<BacktestPlan> Backtest::plans() const {
  std::vector<BacktestPlan> plans;
  for (const auto& h : households_) {
    // Too short to learn from (under four months), or under the months asked for.
    const auto days = static_cast<double>(h.cumulative.size());
    if (days < 120 || days < options_.min_months * 365.25 / 12) continue;
    std::mt19937_64 rng(options_.seed ^ std::hash<std::string>{}(h.id));
    BacktestPlan p;
    p.household = h.id;
    p.installed_on = h.first;
    p.installation = domain::ChainPoint{
        h.first + date::days{1}, static_cast<std::int64_t>(std::floor(h.through(h.first))), true};
    p.first_month = YearMonth::of(h.first).next();
    int skip_run = 0;
    for (YearMonth m = p.first_month;; m = m.next()) {
      domain::Window w = domain::window(m, options_.window);
      if (w.last > h.last()) break;
      p.last_month = m;
      p.truth[m] = h.through(m.last_day()) - h.through(m.first_day() - date::days{1});
      int span = domain::days_between(w.first, w.last) + 1;
      Day taken = w.first + date::days{static_cast<int>(rng() % static_cast<unsigned>(span))};
      double u = std::uniform_real_distribution<>(0, 1)(rng);
      if (skip_run == 0 && std::uniform_real_distribution<>(0, 1)(rng) < options_.run_probability)
        skip_run = 2 + static_cast<int>(rng() % 2);
      bool dropped = skip_run > 0 || u < options_.drop_probability;
      if (skip_run > 0) --skip_run;
      if (!dropped)
        p.readings[m] = domain::ChainPoint{m.next().first_day(),
                                           static_cast<std::int64_t>(std::floor(h.through(taken))),
                                           false, taken + date::days{1}};
    }
    if (p.last_month < p.first_month) continue;
    plans.push_back(std::move(p));
  }
  return plans;
}

namespace {

// What the system knows of a household when `closing` closes: its installation and the readings
// sent up to then.
domain::Chain chain_at(const BacktestPlan& p, YearMonth closing, double default_rate) {
  domain::Chain c;
  c.default_rate = default_rate;
  c.points.push_back(p.installation);
  for (const auto& [m, point] : p.readings) {
    if (m > closing) break;
    c.points.push_back(point);
  }
  c.normalize();
  return c;
}

bool open_in(const BacktestPlan& p, YearMonth m) {
  return m >= p.first_month && m <= p.last_month;
}

// The estimates' errors against the truth, and the corrections, summed as the closes run.
struct Tally {
  std::vector<double> ape, abs_delta, shock_ape, shock_signed, year_ape;
  double year_signed = 0, signed_sum = 0, abs_err = 0, err_sum = 0, actual_sum = 0, delta_sum = 0;

  void correction(std::int64_t delta, BacktestResult& r) {
    delta_sum += static_cast<double>(delta);
    if (delta == 0) return;
    ++r.corrections;
    abs_delta.push_back(std::abs(static_cast<double>(delta)));
  }
  void estimate(double err, double truth, bool a_year_in, bool shock) {
    const double pct = 100.0 * err / truth;
    ape.push_back(std::abs(pct));
    signed_sum += pct;
    abs_err += std::abs(err);
    err_sum += err;
    actual_sum += truth;
    if (a_year_in) {
      year_ape.push_back(std::abs(pct));
      year_signed += pct;
    }
    if (shock) {
      shock_ape.push_back(std::abs(pct));
      shock_signed.push_back(pct);
    }
  }
  void into(BacktestResult& r) const {
    auto mean = [](double sum, std::size_t n) { return n ? sum / static_cast<double>(n) : 0.0; };
    r.median_ape = domain::percentile(ape, 0.5);
    r.p90_ape = domain::percentile(ape, 0.9);
    r.mean_signed = mean(signed_sum, ape.size());
    r.wape = actual_sum > 0 ? 100.0 * abs_err / actual_sum : 0;
    r.volume_bias = actual_sum > 0 ? 100.0 * err_sum / actual_sum : 0;
    r.median_abs_delta = domain::percentile(abs_delta, 0.5);
    r.p90_abs_delta = domain::percentile(abs_delta, 0.9);
    r.year_months = static_cast<std::int64_t>(year_ape.size());
    r.year_median_ape = domain::percentile(year_ape, 0.5);
    r.year_p90_ape = domain::percentile(year_ape, 0.9);
    r.year_mean_signed = mean(year_signed, year_ape.size());
    r.shock_months = static_cast<std::int64_t>(shock_ape.size());
    r.shock_median_ape = domain::percentile(shock_ape, 0.5);
    r.shock_p90_ape = domain::percentile(shock_ape, 0.9);
    double shock_sum = 0;
    for (double e : shock_signed) shock_sum += e;
    r.shock_mean_signed = mean(shock_sum, shock_signed.size());
    r.mean_delta = mean(delta_sum, static_cast<std::size_t>(r.closed_months));
  }
};

}  // namespace

// What the population tells the close of `m`, learned only from what the system knows then:
// the seasonal profile from the months before, the blend's weights from the year before and its
// signal from this month's submitters.
domain::Population Backtest::population_at(const std::vector<BacktestPlan>& plans, YearMonth m,
                                           const domain::EstimationRules& rules,
                                           BacktestResult& result) const {
  domain::Population population;
  const bool blend = rules.method == domain::EstimationMethod::blend;
  if (!blend && rules.method != domain::EstimationMethod::seasonal) return population;
  std::map<YearMonth, std::vector<double>> rates;
  for (const auto& p : plans) {
    if (!open_in(p, m)) continue;
    domain::Chain c = chain_at(p, m, options_.default_rate);
    for (YearMonth x = m.plus(-25); x < m; x = x.next())
      if (auto v = domain::actual_volume(c, x))
        rates[x].push_back(static_cast<double>(*v) / x.days());
  }
  for (auto& [x, r] : rates) population.seasonal.add(x, r);
  if (!blend) return population;
  std::vector<domain::BlendRow> rows, submitters;
  for (size_t i = 0; i < plans.size(); ++i) {
    if (!open_in(plans[i], m)) continue;
    domain::Chain c = chain_at(plans[i], m, options_.default_rate);
    auto id = static_cast<std::int64_t>(i);
    domain::blend_rows(c, id, m.plus(-12), m.prev(), m.first_day(), &population.seasonal, rows);
    domain::blend_rows(c, id, m, m, m.next().first_day(), &population.seasonal, submitters);
  }
  population.blend = domain::fit_blend(rows);
  population.blend->month = m;
  domain::set_signal(*population.blend, submitters);
  for (const auto& f : population.blend->fits) result.fit_failures += !f;
  result.last_model = population.blend;
  return population;
}

BacktestResult Backtest::run(const domain::EstimationRules& rules) const {
  BacktestResult result;
  result.method = std::string(domain::method_name(rules.method));
  const std::vector<BacktestPlan> plans = this->plans();
  YearMonth global_first{9999, 12}, global_last{0, 1};
  for (const auto& p : plans) {
    global_first = std::min(global_first, p.first_month);
    global_last = std::max(global_last, p.last_month);
  }
  result.households = static_cast<std::int64_t>(plans.size());
  std::vector<std::optional<domain::PriorPosition>> prior(plans.size());
  Tally tally;
  for (YearMonth m = global_first; m <= global_last; m = m.next()) {
    const domain::Population population = population_at(plans, m, rules, result);
    for (size_t i = 0; i < plans.size(); ++i) {
      const BacktestPlan& p = plans[i];
      if (!open_in(p, m)) continue;
      domain::Chain c = chain_at(p, m, options_.default_rate);
      domain::ChainClose r = domain::close_chain(c, m, prior[i], rules, &population);
      if (!r.exists) continue;
      prior[i] = domain::PriorPosition{r.position, r.estimated_run};
      ++result.closed_months;
      if (options_.keep_closes)
        result.closes.push_back(BacktestClose{i, m, r.volume, r.correction, r.end_kind});
      tally.correction(r.correction, result);
      if (r.end_kind != domain::ValueKind::estimated) continue;
      double truth = p.truth.at(m);
      if (truth < options_.min_true_kwh) continue;
      ++result.estimated_months;
      tally.estimate(static_cast<double>(r.volume) - truth, truth,
                     domain::days_between(p.installed_on, m.first_day()) >= 365,
                     options_.shocks.contains(m));
    }
  }
  tally.into(result);
  return result;
}

}  // namespace md::service
