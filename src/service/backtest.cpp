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

  auto chain_at = [&](const BacktestPlan& p, YearMonth closing) {
    domain::Chain c;
    c.default_rate = options_.default_rate;
    c.points.push_back(p.installation);
    for (const auto& [m, point] : p.readings) {
      if (m > closing) break;
      c.points.push_back(point);
    }
    c.normalize();
    return c;
  };

  std::vector<std::optional<domain::PriorPosition>> prior(plans.size());
  std::vector<double> ape, abs_delta, shock_ape, shock_signed, year_ape;
  double year_signed = 0;
  double signed_sum = 0, abs_err = 0, err_sum = 0, actual_sum = 0, delta_sum = 0;
  const bool seasonal = rules.method == domain::EstimationMethod::seasonal ||
                        rules.method == domain::EstimationMethod::blend;
  for (YearMonth m = global_first; m <= global_last; m = m.next()) {
    domain::Population population;
    if (seasonal) {
      std::map<YearMonth, std::vector<double>> rates;
      for (const auto& p : plans) {
        if (m < p.first_month || m > p.last_month) continue;
        domain::Chain c = chain_at(p, m);
        for (YearMonth x = m.plus(-25); x < m; x = x.next()) {
          if (auto v = domain::actual_volume(c, x))
            rates[x].push_back(static_cast<double>(*v) / x.days());
        }
      }
      for (auto& [x, r] : rates) population.seasonal.add(x, r);
    }
    if (rules.method == domain::EstimationMethod::blend) {
      // Learned from what the system knows at this close: earlier months for the weights, this
      // month's submitters for the signal. Nothing later.
      std::vector<domain::BlendRow> rows, submitters;
      for (size_t i = 0; i < plans.size(); ++i) {
        const BacktestPlan& p = plans[i];
        if (m < p.first_month || m > p.last_month) continue;
        domain::Chain c = chain_at(plans[i], m);
        auto id = static_cast<std::int64_t>(i);
        domain::blend_rows(c, id, m.plus(-12), m.prev(), m.first_day(), &population.seasonal, rows);
        domain::blend_rows(c, id, m, m, m.next().first_day(), &population.seasonal, submitters);
      }
      population.blend = domain::fit_blend(rows);
      population.blend->month = m;
      domain::set_signal(*population.blend, submitters);
      for (const auto& f : population.blend->fits) result.fit_failures += !f;
      result.last_model = population.blend;
    }
    for (size_t i = 0; i < plans.size(); ++i) {
      const BacktestPlan& p = plans[i];
      if (m < p.first_month || m > p.last_month) continue;
      domain::Chain c = chain_at(p, m);
      domain::ChainClose r = domain::close_chain(c, m, prior[i], rules, &population);
      if (!r.exists) continue;
      prior[i] = domain::PriorPosition{r.position, r.estimated_run};
      ++result.closed_months;
      if (options_.keep_closes)
        result.closes.push_back(BacktestClose{i, m, r.volume, r.correction, r.end_kind});
      delta_sum += static_cast<double>(r.correction);
      if (r.correction != 0) {
        ++result.corrections;
        abs_delta.push_back(std::abs(static_cast<double>(r.correction)));
      }
      if (r.end_kind != domain::ValueKind::estimated) continue;
      double truth = p.truth.at(m);
      if (truth < options_.min_true_kwh) continue;
      ++result.estimated_months;
      double err = static_cast<double>(r.volume) - truth;
      ape.push_back(100.0 * std::abs(err) / truth);
      signed_sum += 100.0 * err / truth;
      abs_err += std::abs(err);
      err_sum += err;
      actual_sum += truth;
      if (domain::days_between(p.installed_on, m.first_day()) >= 365) {
        year_ape.push_back(100.0 * std::abs(err) / truth);
        year_signed += 100.0 * err / truth;
      }
      if (options_.shocks.contains(m)) {
        shock_ape.push_back(100.0 * std::abs(err) / truth);
        shock_signed.push_back(100.0 * err / truth);
      }
    }
  }
  result.median_ape = domain::percentile(ape, 0.5);
  result.p90_ape = domain::percentile(ape, 0.9);
  result.mean_signed = ape.empty() ? 0 : signed_sum / static_cast<double>(ape.size());
  result.wape = actual_sum > 0 ? 100.0 * abs_err / actual_sum : 0;
  result.volume_bias = actual_sum > 0 ? 100.0 * err_sum / actual_sum : 0;
  result.median_abs_delta = domain::percentile(abs_delta, 0.5);
  result.p90_abs_delta = domain::percentile(abs_delta, 0.9);
  result.year_months = static_cast<std::int64_t>(year_ape.size());
  result.year_median_ape = domain::percentile(year_ape, 0.5);
  result.year_p90_ape = domain::percentile(year_ape, 0.9);
  result.year_mean_signed =
      year_ape.empty() ? 0 : year_signed / static_cast<double>(year_ape.size());
  result.shock_months = static_cast<std::int64_t>(shock_ape.size());
  result.shock_median_ape = domain::percentile(shock_ape, 0.5);
  result.shock_p90_ape = domain::percentile(shock_ape, 0.9);
  double shock_sum = 0;
  for (double e : shock_signed) shock_sum += e;
  result.shock_mean_signed =
      shock_signed.empty() ? 0 : shock_sum / static_cast<double>(shock_signed.size());
  result.mean_delta =
      result.closed_months ? delta_sum / static_cast<double>(result.closed_months) : 0;
  return result;
}

}  // namespace md::service
