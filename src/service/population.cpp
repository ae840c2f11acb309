// What the estimators learn from everyone, and the evidence of how each would have estimated a
// closed month (the console's estimation page).
#include "service/population.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <set>

#include "domain/close.hpp"
#include "domain/percentile.hpp"
#include "service/outages.hpp"
#include "service/period_close.hpp"

namespace md::service {

using domain::YearMonth;

void PopulationLearner::add(std::int64_t point, const std::vector<ChainSpec>& chains) {
  if (!blend_) {
    std::vector<const domain::Chain*> of;
    of.reserve(chains.size());
    for (const auto& c : chains) of.push_back(&c.chain);
    add_to_index(of);
    return;
  }
  ++seen_;
  auto copy = [&] {
    std::vector<domain::Chain> out;
    out.reserve(chains.size());
    for (const auto& c : chains) out.push_back(c.chain);
    return out;
  };
  if (sample_.size() < kSample) {
    sample_.emplace_back(point, copy());
  } else if (auto j = rng_() % seen_; j < kSample) {
    sample_[j] = {point, copy()};
  }
}

domain::Population PopulationLearner::finish() {
  domain::Population population;
  if (blend_) {
    for (const auto& household : sample_) {
      std::vector<const domain::Chain*> of;
      for (const auto& c : household.second) of.push_back(&c);
      add_to_index(of);
    }
  }
  for (auto& [m, r] : rates_) population.seasonal.add(m, std::move(r));
  if (!blend_) return population;
  std::vector<domain::BlendRow> rows, submitters;
  for (const auto& [point, chains] : sample_) {
    for (const auto& chain : chains) {
      if (chain.ended || chain.points.size() < 3) continue;
      domain::blend_rows(chain, point, month_.plus(-12), month_.prev(), month_.first_day(),
                         &population.seasonal, rows);
      domain::blend_rows(chain, point, month_, month_, month_.next().first_day(),
                         &population.seasonal, submitters);
    }
  }
  population.blend = domain::fit_blend(rows);
  population.blend->month = month_;
  domain::set_signal(*population.blend, submitters);
  return population;
}

void PopulationLearner::add_to_index(const std::vector<const domain::Chain*>& chains) {
  // A household's level is the sum over its zones: the index describes households. Each
  // chain's values at the 26 boundaries come from one walk over its readings.
  constexpr int kMonths = 25;
  const YearMonth first = month_.plus(-kMonths);
  std::array<std::int64_t, kMonths> total{};
  std::array<bool, kMonths> all{};
  all.fill(!chains.empty());
  for (const domain::Chain* c : chains) {
    if (c->ended) continue;
    const auto& pts = c->points;
    std::size_t i = 0;
    std::optional<std::int64_t> previous;
    YearMonth m = first;
    for (int k = 0; k <= kMonths; ++k, m = m.next()) {
      const domain::Day b = m.first_day();
      while (i < pts.size() && pts[i].day < b) ++i;
      std::optional<std::int64_t> value;
      if (i < pts.size() && pts[i].day == b) {
        value = pts[i].value;
      } else if (i > 0 && i < pts.size()) {  // between two readings: as value_from_readings
        const auto& before = pts[i - 1];
        std::int64_t span = domain::days_between(before.day, pts[i].day);
        std::int64_t into = domain::days_between(before.day, b);
        value = before.value + domain::div_round((pts[i].value - before.value) * into, span);
      }
      if (k > 0) {
        auto at = static_cast<std::size_t>(k - 1);
        if (previous && value)
          total[at] += *value - *previous;
        else
          all[at] = false;
      }
      previous = value;
    }
  }
  YearMonth m = first;
  for (std::size_t k = 0; k < total.size(); ++k, m = m.next())
    if (all[k]) rates_[m].push_back(static_cast<double>(total[k]) / m.days());
}

domain::Population learn_population(store::PeriodReads& store, YearMonth month,
                                    const ServiceConfig& config) {
  PopulationLearner learner(month, config.estimation.method == domain::EstimationMethod::blend);
  store.scan_points([&](store::PointHistory&& p) {
    auto chains = chains_of(p, config.rules);
    learner.add(p.point_id, chains);
  });
  return learner.finish();
}

MonthEvidence estimation_evidence(store::PeriodReads& store, YearMonth month,
                                  const ServiceConfig& config) {
  using Key = ChainKey;
  MonthEvidence evidence;
  evidence.month = month;
  const domain::EstimationRules estimation = effective_estimation(store, config.estimation);
  std::set<Key> estimated;
  for (const auto& v : store.volumes(month))
    if (v.method == "estimated") estimated.insert({v.point_id, v.chain, v.zone_index});
  evidence.estimated = static_cast<int>(estimated.size());
  std::map<Key, domain::PriorPosition> prior;
  store.positions(month.prev(), [&](const store::Store::Position& p) {
    prior[{p.point_id, p.chain, p.zone_index}] = domain::PriorPosition{p.position, p.estimated_run};
  });

  // What the close knew: the readings as of the month's end at the latest.
  const domain::Day end = month.next().first_day();
  auto known_then = [&](domain::Chain chain) {
    auto& pts = chain.points;
    pts.erase(std::find_if(pts.begin(), pts.end(),
                           [&](const domain::ChainPoint& p) { return p.day > end; }),
              pts.end());
    return chain;
  };
  struct Case {
    Key key;
    domain::Chain chain;  // as the close knew it
    double truth = 0;
  };
  std::vector<Case> cases;
  PopulationLearner everyone(month, false), sample(month, true);
  store.scan_points([&](store::PointHistory&& p) {
    auto specs = chains_of(p, config.rules);
    for (auto& spec : specs) {
      // The truth from today's readings, for the chains the close estimated.
      Key key{p.point_id, spec.id, spec.zone_index};
      if (estimated.contains(key)) {
        auto truth = domain::actual_volume(spec.chain, month);
        if (truth && *truth >= 10)
          cases.push_back(Case{key, known_then(spec.chain), static_cast<double>(*truth)});
      }
      spec.chain = known_then(std::move(spec.chain));
    }
    everyone.add(p.point_id, specs);
    sample.add(p.point_id, specs);
  });
  evidence.known = static_cast<int>(cases.size());
  domain::Population seasonal = everyone.finish(), blend = sample.finish();
  for (auto method : {domain::EstimationMethod::regulatory, domain::EstimationMethod::recent,
                      domain::EstimationMethod::seasonal, domain::EstimationMethod::blend}) {
    domain::EstimationRules rules = estimation;
    rules.method = method;
    const domain::Population* population =
        method == domain::EstimationMethod::blend ? &blend : &seasonal;
    std::vector<double> ape;
    double signed_sum = 0, abs_sum = 0, truth_sum = 0;
    for (const auto& c : cases) {
      std::optional<domain::PriorPosition> before;
      if (auto it = prior.find(c.key); it != prior.end()) before = it->second;
      auto r = domain::close_chain(c.chain, month, before, rules, population);
      if (!r.exists) continue;
      double err = static_cast<double>(r.volume) - c.truth;
      ape.push_back(100.0 * std::abs(err) / c.truth);
      signed_sum += 100.0 * err / c.truth;
      abs_sum += std::abs(err);
      truth_sum += c.truth;
    }
    MethodEvidence m;
    m.method = method;
    m.months = static_cast<int>(ape.size());
    m.median_ape = domain::percentile(ape, 0.5);
    m.p90_ape = domain::percentile(ape, 0.9);
    m.mean_signed = ape.empty() ? 0 : signed_sum / static_cast<double>(ape.size());
    m.wape = truth_sum > 0 ? 100.0 * abs_sum / truth_sum : 0;
    evidence.methods.push_back(m);
  }
  return evidence;
}

}  // namespace md::service
