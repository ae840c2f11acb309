#include "domain/blend.hpp"

#include <algorithm>
#include <cmath>

#include "domain/estimation.hpp"
#include "domain/robust_fit.hpp"

namespace md::domain {

namespace {

constexpr int kMinRecentDays = 14;  // a rate over fewer days is mostly the noise of reading days
constexpr int kMaxGapDays = 100;    // interpolating over a longer gap guesses more than it reads
constexpr date::days kYear{365};

double log_rate(double rate) {
  return std::log(std::max(rate, kRateFloor));
}

// The counter at the start of day d, interpolated between the readings around it.
std::optional<double> counter_at(const Chain& chain, std::size_t upto, Day d) {
  const auto& pts = chain.points;
  auto end = pts.begin() + static_cast<std::ptrdiff_t>(upto);
  auto it = std::lower_bound(pts.begin(), end, d,
                             [](const ChainPoint& p, Day x) { return reading_day(p) < x; });
  if (it != end && reading_day(*it) == d) return static_cast<double>(it->value);
  if (it == pts.begin() || it == end) return std::nullopt;
  const ChainPoint& before = *(it - 1);
  int span = days_between(reading_day(before), reading_day(*it));
  if (span <= 0 || span > kMaxGapDays) return std::nullopt;
  double into = days_between(reading_day(before), d);
  return static_cast<double>(before.value) +
         static_cast<double>(it->value - before.value) * into / span;
}

std::optional<double> rate_over(const Chain& chain, std::size_t upto, Day from, Day to) {
  auto a = counter_at(chain, upto, from), b = counter_at(chain, upto, to);
  int days = days_between(from, to);
  if (!a || !b || days <= 0) return std::nullopt;
  return std::max(0.0, (*b - *a) / days);
}

}  // namespace

std::string_view step_name(BlendStep s) {
  switch (s) {
    case BlendStep::full:
      return "full";
    case BlendStep::season:
      return "season";
    case BlendStep::recent:
      return "recent";
  }
  return "recent";
}

int term_count(BlendStep s) {
  switch (s) {
    case BlendStep::full:
      return kBlendTerms;
    case BlendStep::season:
      return kSeason + 1;
    case BlendStep::recent:
      return kEarlier + 1;
  }
  return kEarlier + 1;
}

Day reading_day(const ChainPoint& p) {
  return p.read == Day{} ? p.day : p.read;
}

std::array<double, kBlendTerms> BlendInputs::terms() const {
  std::array<double, kBlendTerms> t{};
  t[kConstant] = 1;
  t[kRecent] = log_rate(recent);
  t[kEarlier] = log_rate(earlier);
  t[kSeason] = std::log(season);
  t[kYearAgo] = log_rate(year_ago);
  t[kLastYear] = log_rate(last_year);
  t[kQuarterYearAgo] = log_rate(quarter_year_ago);
  return t;
}

std::optional<BlendInputs> blend_inputs(const Chain& chain, std::size_t upto, Day from, Day to,
                                        const SeasonalIndex* index) {
  upto = std::min(upto, chain.points.size());
  if (upto < 2) return std::nullopt;
  const ChainPoint& last = chain.points[upto - 1];
  const Day t = reading_day(last);
  std::size_t j = upto - 1;
  while (j > 0 && days_between(reading_day(chain.points[j - 1]), t) < kMinRecentDays) --j;
  if (j == 0) return std::nullopt;
  const ChainPoint& before = chain.points[j - 1];
  BlendInputs in;
  in.recent_from = reading_day(before);
  in.recent_to = t;
  in.recent = std::max(0.0, static_cast<double>(last.value - before.value) /
                                days_between(in.recent_from, in.recent_to));
  in.earlier = in.recent;
  std::size_t k = j - 1;
  while (k > 0 && days_between(reading_day(chain.points[k - 1]), in.recent_from) < kMinRecentDays)
    --k;
  if (k > 0) {
    const ChainPoint& first = chain.points[k - 1];
    in.earlier = std::max(0.0, static_cast<double>(before.value - first.value) /
                                   days_between(reading_day(first), in.recent_from));
  }
  in.after_estimate = days_between(t, from) > 10;
  in.step = BlendStep::recent;
  if (!index) return in;
  auto season = index->ratio_between(from - kYear, to - kYear, in.recent_from - kYear, t - kYear);
  if (!season) return in;
  in.season = *season;
  in.step = BlendStep::season;
  auto year_ago = rate_over(chain, upto, from - kYear, to - kYear);
  auto last_year = rate_over(chain, upto, t - kYear, t);
  auto quarter = rate_over(chain, upto, t - kYear - date::days{91}, t - kYear);
  if (year_ago && last_year && quarter) {
    in.year_ago = *year_ago;
    in.last_year = *last_year;
    in.quarter_year_ago = *quarter;
    in.step = BlendStep::full;
  }
  return in;
}

std::optional<double> BlendModel::predict(const BlendInputs& in, BlendStep* used) const {
  auto terms = in.terms();
  for (bool est : {in.after_estimate, !in.after_estimate}) {
    for (int s = static_cast<int>(in.step); s < kBlendSteps; ++s) {
      auto step = static_cast<BlendStep>(s);
      const Fit* f = fit(step, est);
      if (!f) continue;
      double y = 0;
      for (std::size_t i = 0; i < f->weights.size(); ++i) y += f->weights[i] * terms[i];
      if (!std::isfinite(y)) continue;
      if (used) *used = step;
      return y;
    }
  }
  return std::nullopt;
}

void blend_rows(const Chain& chain, std::int64_t household, YearMonth first_month,
                YearMonth last_month, Day known_until, const SeasonalIndex* index,
                std::vector<BlendRow>& out) {
  const auto& pts = chain.points;
  for (std::size_t i = 0; i + 1 < pts.size(); ++i) {
    if (pts[i + 1].day > known_until) break;
    Day from = reading_day(pts[i]), to = reading_day(pts[i + 1]);
    int days = days_between(from, to);
    if (days < 20 || days > 45) continue;
    YearMonth month = YearMonth::of(from + date::days{days / 2});
    if (month < first_month || month > last_month) continue;
    double y = log_rate(static_cast<double>(pts[i + 1].value - pts[i].value) / days);
    for (std::size_t upto = i + 1; upto >= 2 && upto + 2 >= i + 1; --upto) {
      auto in = blend_inputs(chain, upto, from, to, index);
      if (!in) break;
      out.push_back(BlendRow{*in, y, household, chain.default_rate, chain.area});
    }
  }
}

BlendModel fit_blend(const std::vector<BlendRow>& rows, std::size_t max_rows) {
  BlendModel model;
  for (int s = 0; s < kBlendSteps; ++s) {
    for (bool est : {false, true}) {
      auto step = static_cast<BlendStep>(s);
      const int columns = term_count(step);
      auto takes = [&](const BlendRow& r) {
        return static_cast<int>(r.inputs.step) <= s && r.inputs.after_estimate == est;
      };
      std::size_t eligible = 0;
      for (const auto& r : rows) eligible += takes(r);
      const std::size_t stride = std::max<std::size_t>(1, (eligible + max_rows - 1) / max_rows);
      std::vector<double> x, y;
      std::vector<std::int64_t> households;
      std::size_t seen = 0;
      for (const auto& r : rows) {
        if (!takes(r) || seen++ % stride != 0) continue;
        auto t = r.inputs.terms();
        x.insert(x.end(), t.begin(), t.begin() + columns);
        y.push_back(r.log_rate);
        households.push_back(r.household);
      }
      FitFailure failure;
      auto fit = fit_least_absolute(x, y, columns, &failure);
      if (!fit) {
        model.failures[model_index(step, est)] = failure.why;
        continue;
      }
      std::sort(households.begin(), households.end());
      BlendModel::Fit f;
      f.weights = std::move(fit->weights);
      f.rows = fit->rows;
      f.households =
          static_cast<int>(std::unique(households.begin(), households.end()) - households.begin());
      model.fits[model_index(step, est)] = std::move(f);
    }
  }
  return model;
}

namespace {

// The value v minimising Σ |v − x| / x: the estimate with the least absolute percentage error
// over the sample, below the median when the values spread.
double least_percentage_error(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  double total = 0;
  for (double v : values) total += 1.0 / v;
  double running = 0;
  for (double v : values) {
    running += 1.0 / v;
    if (running >= total / 2) return v;
  }
  return values.back();
}

}  // namespace

namespace {

// The shift s with the least Σ |e^(d+s) − 1| over the residuals d = ln expected − ln real: the
// least absolute percentage error over the senders. It is where the e^d on either side of −s
// balance.
double least_percentage_shift(std::vector<double>& residuals) {
  std::sort(residuals.begin(), residuals.end());
  double total = 0;
  for (double d : residuals) total += std::exp(std::clamp(d, -3.0, 3.0));
  double running = 0;
  for (auto it = residuals.rbegin(); it != residuals.rend(); ++it) {
    running += std::exp(std::clamp(*it, -3.0, 3.0));
    if (running >= total / 2) return -*it;
  }
  return 0;
}

}  // namespace

void set_signal(BlendModel& model, const std::vector<BlendRow>& rows, int min_households) {
  const double min_rate = std::log(10.0 / 30.0);  // 10 kWh a month
  std::array<std::vector<double>, 2> residuals;
  std::map<std::string, std::array<std::vector<double>, 2>, std::less<>> by_area;
  std::vector<double> scales;
  for (const auto& r : rows) {
    if (r.log_rate < min_rate) continue;
    if (r.class_rate > 0 && !r.inputs.after_estimate)
      scales.push_back(std::exp(r.log_rate) / r.class_rate);
    if (auto p = model.predict(r.inputs)) {
      const std::size_t k = r.inputs.after_estimate ? 1 : 0;
      residuals[k].push_back(*p - r.log_rate);
      if (!r.area.empty()) by_area[r.area][k].push_back(*p - r.log_rate);
    }
  }
  for (std::size_t k = 0; k < 2; ++k) {
    // Too few senders measure nothing: no signal (0 households), and K_outage applies.
    const bool enough = static_cast<int>(residuals[k].size()) >= min_households;
    model.signal_households[k] = enough ? static_cast<int>(residuals[k].size()) : 0;
    model.signal[k] = enough ? least_percentage_shift(residuals[k]) : 0;
  }
  model.areas.clear();
  for (auto& [area, res] : by_area) {
    BlendModel::AreaSignal a;
    for (std::size_t k = 0; k < 2; ++k) {
      if (static_cast<int>(res[k].size()) < min_households) continue;
      a.households[k] = static_cast<int>(res[k].size());
      a.signal[k] = least_percentage_shift(res[k]);
    }
    if (a.households[0] > 0 || a.households[1] > 0) model.areas.emplace(area, a);
  }
  model.class_scale = 1.0;
  if (static_cast<int>(scales.size()) >= min_households)
    model.class_scale = least_percentage_error(std::move(scales));
}

}  // namespace md::domain
