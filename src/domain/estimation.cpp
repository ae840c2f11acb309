#include "domain/estimation.hpp"

#include <algorithm>
#include <cmath>

namespace md::domain {

std::string_view method_name(EstimationMethod m) {
  switch (m) {
    case EstimationMethod::regulatory:
      return "regulatory";
    case EstimationMethod::recent:
      return "recent";
    case EstimationMethod::seasonal:
      return "seasonal";
    case EstimationMethod::blend:
      return "blend";
  }
  return "regulatory";
}

std::optional<EstimationMethod> parse_method(std::string_view name) {
  for (auto m : {EstimationMethod::regulatory, EstimationMethod::recent, EstimationMethod::seasonal,
                 EstimationMethod::blend})
    if (method_name(m) == name) return m;
  return std::nullopt;
}

double EstimationRules::k_of(YearMonth m) const {
  auto it = k.find(m);
  return it == k.end() ? 1.0 : it->second;
}
double EstimationRules::k_outage_of(YearMonth m, const std::string& area) const {
  if (!area.empty())
    if (auto it = area_k_outage.find(std::pair{area, m}); it != area_k_outage.end())
      return it->second;
  auto it = k_outage.find(m);
  return it == k_outage.end() ? 1.0 : it->second;
}
bool EstimationRules::has_area_k_outage(YearMonth m, const std::string& area) const {
  return !area.empty() && area_k_outage.contains(std::pair{area, m});
}

std::optional<std::int64_t> actual_volume(const Chain& chain, YearMonth m) {
  auto start = value_from_readings(chain, m.first_day());
  auto end = value_from_readings(chain, m.next().first_day());
  if (!start || !end) return std::nullopt;
  return end->value - start->value;
}

void SeasonalIndex::add(YearMonth m, std::vector<double> daily_rates) {
  if (daily_rates.empty()) return;
  auto mid = daily_rates.begin() + static_cast<std::ptrdiff_t>(daily_rates.size() / 2);
  std::nth_element(daily_rates.begin(), mid, daily_rates.end());
  level[m] = *mid;
  samples[m] = static_cast<int>(daily_rates.size());
}

std::optional<double> SeasonalIndex::level_over(Day from, Day to) const {
  if (to <= from) return std::nullopt;
  double weighted = 0;
  int days = 0;
  for (YearMonth m = YearMonth::of(from); m.first_day() < to; m = m.next()) {
    Day a = std::max(from, m.first_day()), b = std::min(to, m.next().first_day());
    auto it = level.find(m);
    if (it == level.end()) return std::nullopt;
    weighted += it->second * days_between(a, b);
    days += days_between(a, b);
  }
  if (days == 0 || weighted <= 0) return std::nullopt;
  return weighted / days;
}

std::optional<double> SeasonalIndex::ratio_between(Day target_from, Day target_to, Day basis_from,
                                                   Day basis_to) const {
  auto target = level_over(target_from, target_to);
  auto basis = level_over(basis_from, basis_to);
  if (!target || !basis || *target <= 0) return std::nullopt;
  return *target / *basis;
}

std::optional<double> SeasonalIndex::ratio(YearMonth target, Day basis_from, Day basis_to) const {
  // Population level a year before the target, over the population level of the basis interval
  // a year before it (weighted by days).
  auto target_level = level.find(target.plus(-12));
  if (target_level == level.end() || basis_to <= basis_from) return std::nullopt;
  auto basis = level_over(basis_from - date::days{365}, basis_to - date::days{365});
  if (!basis) return std::nullopt;
  return target_level->second / *basis;
}

namespace {

std::optional<RateBasis> last_known_rate(const Chain& chain, YearMonth m,
                                         const EstimationRules& rules) {
  if (chain.points.size() < 2) return std::nullopt;
  const ChainPoint& a = chain.points[chain.points.size() - 2];
  const ChainPoint& b = chain.points.back();
  auto rate = rate_between(a.day, a.value, b.day, b.value);
  if (!rate) return std::nullopt;
  RateBasis r;
  r.kind = RateBasis::Kind::last_known_rate;
  r.volume = b.value - a.value;
  r.days = days_between(a.day, b.day);
  r.from = a.day;
  r.to = b.day;
  r.k_outage = rules.k_outage_of(m, chain.area);
  r.rate = *rate * r.k_outage;
  return r;
}

RateBasis class_default(const Chain& chain) {
  RateBasis r;
  r.kind = RateBasis::Kind::class_default;
  r.rate = chain.default_rate;
  return r;
}

// The blend's rate for month m, when the household's readings and the fitted model allow it.
std::optional<RateBasis> blend_rate(const Chain& chain, YearMonth m, const EstimationRules& rules,
                                    const Population& population, std::string& fallback) {
  const BlendModel& model = *population.blend;
  auto in = blend_inputs(chain, chain.points.size(), m.first_day(), m.next().first_day(),
                         &population.seasonal);
  if (!in) {
    fallback = "fewer than two readings two weeks apart";
    return std::nullopt;
  }
  RateBasis r;
  r.kind = RateBasis::Kind::blend;
  r.inputs = *in;
  auto y = model.predict(*in, &r.step);
  if (!y) {
    fallback = "no model was fitted";
    return std::nullopt;
  }
  r.from = in->recent_from;
  r.to = in->recent_to;
  r.seasonal = in->season;
  // This month's signal measures what the submitters really used, outages included: K_outage
  // applies only where no signal measured it, or an outage would count twice. The area's own
  // signal measured the area's outages; the whole DSO's signal did not measure one area's.
  const std::size_t k = in->after_estimate ? 1 : 0;
  const BlendModel::AreaSignal* area = nullptr;
  if (auto it = model.areas.find(chain.area); m == model.month && !chain.area.empty() &&
                                              it != model.areas.end() &&
                                              it->second.households[k] > 0)
    area = &it->second;
  if (area) {
    r.signal = std::exp(area->signal[k]);
    r.signal_area = chain.area;
  } else if (m == model.month && model.signal_households[k] > 0) {
    r.signal = std::exp(model.signal[k]);
    if (rules.has_area_k_outage(m, chain.area)) r.k_outage = rules.k_outage_of(m, chain.area);
  } else {
    r.k_outage = rules.k_outage_of(m, chain.area);
  }
  r.rate = std::exp(*y) * r.signal * r.k_outage;
  return r;
}

}  // namespace

RateBasis daily_rate(const Chain& chain, YearMonth m, const EstimationRules& rules,
                     const Population* population) {
  std::string fallback;
  if (rules.method == EstimationMethod::blend) {
    if (population && population->blend) {
      if (auto r = blend_rate(chain, m, rules, *population, fallback)) return *r;
    } else {
      fallback = "no model was fitted";
    }
  }
  if (rules.method == EstimationMethod::regulatory) {
    YearMonth year_ago = m.plus(-12);
    if (auto v = actual_volume(chain, year_ago)) {
      RateBasis r;
      r.kind = RateBasis::Kind::same_month_last_year;
      r.basis_month = year_ago;
      r.volume = *v;
      r.days = year_ago.days();
      r.k = rules.k_of(m);
      r.k_outage = rules.k_outage_of(m, chain.area);
      r.rate = static_cast<double>(*v) / r.days * r.k * r.k_outage;
      return r;
    }
  }
  if (auto r = last_known_rate(chain, m, rules)) {
    const bool scaled =
        rules.method == EstimationMethod::seasonal || rules.method == EstimationMethod::blend;
    if (scaled && population) {
      if (auto ratio = population->seasonal.ratio(m, r->from, r->to)) {
        r->seasonal = *ratio;
        r->rate *= *ratio;
      }
    }
    r->fallback = fallback;
    return *r;
  }
  RateBasis r = class_default(chain);
  if (rules.method == EstimationMethod::blend && population && population->blend &&
      population->blend->month == m) {
    // What this month's senders of the same class use, not a constant from the configuration.
    r.class_scale = population->blend->class_scale;
    r.rate *= r.class_scale;
  }
  r.fallback = fallback;
  return r;
}

Estimate estimate_between(const Chain& chain, Day from, Day to, const EstimationRules& rules,
                          const Population* population) {
  Estimate e;
  e.method = rules.method;
  double total = 0;
  for (YearMonth m = YearMonth::of(from); m.first_day() < to; m = m.next()) {
    Day a = std::max(from, m.first_day()), b = std::min(to, m.next().first_day());
    int days = days_between(a, b);
    if (days <= 0) continue;
    RateBasis basis = daily_rate(chain, m, rules, population);
    total += basis.rate * days;
    e.segments.push_back(EstimateSegment{m, days, basis});
  }
  e.kwh = std::max<std::int64_t>(0, round_half_away(total));
  return e;
}

}  // namespace md::domain
