// The blend estimator (rules.md §7): the robust fit, the inputs timed by the days readings were
// taken, the model's steps and fallbacks, this month's signal, and the explanation.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "domain/close.hpp"
#include "domain/robust_fit.hpp"
#include "i18n/explain.hpp"

using namespace md::domain;

namespace {

Day d(const char* s) {
  return *parse_date(s);
}
YearMonth ym(const char* s) {
  return *YearMonth::parse(s);
}

// A chain read on the 1st of every month from `first` for `months` months at `rate(month)`
// kWh/day, each reading taken `late` days after the 1st it counts for.
Chain monthly(const char* first, int months, double (*rate)(YearMonth), int late = 0) {
  Chain c;
  YearMonth m = ym(first);
  double value = 1000;
  c.points.push_back(ChainPoint{m.first_day(), 1000, true});
  for (int i = 0; i < months; ++i, m = m.next()) {
    // The reading counts at B(m+1) but is taken `late` days after it.
    double through = value + rate(m) * m.days();
    value = through;
    double read = through + rate(m.next()) * late;
    c.points.push_back(ChainPoint{m.next().first_day(), static_cast<std::int64_t>(std::floor(read)),
                                  false, m.next().first_day() + date::days{late}});
  }
  c.normalize();
  return c;
}

double flat(YearMonth) {
  return 10.0;
}
double zero(YearMonth) {
  return 0.0;
}
double seasonal(YearMonth m) {
  return m.month == 12 || m.month == 1 ? 20.0 : 10.0;
}

}  // namespace

TEST(RobustFit, RecoversTheWeightsThroughOutliersThatMoveLeastSquares) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0, 0.05);
  std::uniform_real_distribution<double> u(-2, 2);
  std::vector<double> x, y;
  for (int i = 0; i < 2000; ++i) {
    double a = u(rng), b = u(rng);
    double target = 0.3 + 0.8 * a - 0.5 * b + noise(rng);
    if (i % 10 == 0) target += 25;  // one row in ten wildly off (a broken meter, a typo)
    x.insert(x.end(), {1.0, a, b, 0.0});
    y.push_back(target);
  }
  auto fit = fit_least_absolute(x, y, 4);
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->weights[0], 0.3, 0.03);
  EXPECT_NEAR(fit->weights[1], 0.8, 0.03);
  EXPECT_NEAR(fit->weights[2], -0.5, 0.03);
  EXPECT_EQ(fit->weights[3], 0.0);  // a term nobody has is not learned
  EXPECT_EQ(fit->rows, 2000);
}

TEST(RobustFit, FailsAndSaysWhyOnTooFewRowsASingularSystemOrNaN) {
  FitFailure failure;
  std::vector<double> x = {1, 2, 1, 3}, y = {1, 2};
  EXPECT_FALSE(fit_least_absolute(x, y, 2, &failure));
  EXPECT_NE(failure.why.find("too few rows"), std::string::npos);

  x.clear();
  y.clear();
  for (int i = 0; i < 100; ++i) {
    x.insert(x.end(), {1.0, 2.0});  // the second column is twice the first: no unique answer
    y.push_back(i);
  }
  EXPECT_FALSE(fit_least_absolute(x, y, 2, &failure));
  EXPECT_EQ(failure.why, "singular");

  x.assign(200, 1.0);
  y.assign(100, 1.0);
  y[5] = std::nan("");
  EXPECT_FALSE(fit_least_absolute(x, y, 2, &failure));
  EXPECT_NE(failure.why.find("not a number"), std::string::npos);
}

TEST(Blend, RatesAreTimedByTheDaysReadingsWereTaken) {
  // 10 kWh/day; every reading taken 3 days after the 1st it counts for. By the boundary days the
  // last month looks like 30 days of 10 plus 3 days' drift; by the days taken it is exactly 10.
  Chain c = monthly("2025-01", 11, flat, 3);
  auto in = blend_inputs(c, c.points.size(), d("2025-12-01"), d("2026-01-01"), nullptr);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->recent_from, d("2025-11-04"));
  EXPECT_EQ(in->recent_to, d("2025-12-04"));
  EXPECT_NEAR(in->recent, 10.0, 0.05);
  EXPECT_FALSE(in->after_estimate);
  EXPECT_EQ(in->step, BlendStep::recent);  // no seasonal index: the model without seasons
}

TEST(Blend, AYearOfHistoryAndAnIndexGiveTheFullModelsInputs) {
  Chain c = monthly("2024-06", 18, seasonal);  // June 2024 .. November 2025
  SeasonalIndex index;
  for (YearMonth m = ym("2024-06"); m <= ym("2025-11"); m = m.next()) index.level[m] = seasonal(m);
  auto in = blend_inputs(c, c.points.size(), d("2025-12-01"), d("2026-01-01"), &index);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->step, BlendStep::full);
  EXPECT_NEAR(in->season, 2.0, 0.01);     // December a year ago over November a year ago
  EXPECT_NEAR(in->year_ago, 20.0, 0.01);  // last December
  EXPECT_NEAR(in->recent, 10.0, 0.01);    // November
  EXPECT_NEAR(in->last_year, (62 * 20.0 + 303 * 10.0) / 365, 0.05);  // Dec 2024 – Nov 2025
  EXPECT_NEAR(in->quarter_year_ago, 10.0, 0.01);                     // Sep – Nov 2024
  // Nine months of history: no year ago, the seasonal step.
  Chain short_history = monthly("2025-03", 9, seasonal);
  in = blend_inputs(short_history, short_history.points.size(), d("2025-12-01"), d("2026-01-01"),
                    &index);
  ASSERT_TRUE(in);
  EXPECT_EQ(in->step, BlendStep::season);
}

TEST(Blend, TooFewReadingsGiveNoInputsAndTheEstimateFallsBackSayingWhy) {
  Chain lone;
  lone.default_rate = 6.0;
  lone.points.push_back(ChainPoint{d("2025-11-20"), 500, true});
  lone.points.push_back(ChainPoint{d("2025-11-25"), 540, false});  // five days: too short
  EXPECT_FALSE(blend_inputs(lone, lone.points.size(), d("2025-12-01"), d("2026-01-01"), nullptr));

  Population population;
  population.blend = BlendModel{};
  population.blend->month = ym("2025-12");
  population.blend->class_scale = 1.5;  // this month's senders use 1.5 × the class default
  EstimationRules rules;
  rules.method = EstimationMethod::blend;
  Chain installed;
  installed.default_rate = 6.0;
  installed.points.push_back(ChainPoint{d("2025-11-20"), 500, true});
  RateBasis r = daily_rate(installed, ym("2025-12"), rules, &population);
  EXPECT_EQ(r.kind, RateBasis::Kind::class_default);
  EXPECT_DOUBLE_EQ(r.rate, 9.0);
  EXPECT_EQ(r.fallback, "fewer than two readings two weeks apart");
  Estimate e = estimate_between(installed, d("2025-12-01"), d("2026-01-01"), rules, &population);
  EXPECT_EQ(md::i18n::explain_estimate(md::i18n::Lang::en, e),
            "279 kWh = 9.00 kWh/day (the usual for this meter type × 1.50, as this month's senders "
            "use it) × 31 days");

  // With readings but no fitted model: the seasonal rule, saying so.
  Chain c = monthly("2025-01", 11, flat);
  r = daily_rate(c, ym("2025-12"), rules, &population);
  EXPECT_EQ(r.kind, RateBasis::Kind::last_known_rate);
  EXPECT_EQ(r.fallback, "no model was fitted");
}

TEST(Blend, LearnsFromEarlierMonthsAndThisMonthsSendersMoveTheEstimate) {
  // 200 households, each at its own level, all using 10 % more from month to month... until
  // December, when everyone uses 30 % less (a month of power cuts). The model learns "next month
  // is 1.1 × the last" from earlier months; the senders of December show the cut.
  std::vector<Chain> chains;
  for (int h = 0; h < 200; ++h) {
    Chain c;
    double level = 3.0 + h * 0.05, value = 0;
    YearMonth m = ym("2025-01");
    c.points.push_back(ChainPoint{m.first_day(), 0, true});
    for (int i = 0; i < 12; ++i, m = m.next()) {
      // A little of each household's own noise: with none, the earlier rate would be the recent
      // one over 1.1 exactly, and the terms could not be told apart.
      double jitter = 1 + 0.02 * std::sin(h * 7.0 + i * 3.0);
      double rate = level * std::pow(1.1, i) * jitter * (m == ym("2025-12") ? 0.7 / 1.1 : 1.0);
      value += rate * m.days();
      c.points.push_back(
          ChainPoint{m.next().first_day(), static_cast<std::int64_t>(std::round(value))});
    }
    chains.push_back(std::move(c));
  }
  std::vector<BlendRow> rows, senders;
  const YearMonth dec = ym("2025-12");
  for (size_t h = 0; h < chains.size(); ++h) {
    blend_rows(chains[h], static_cast<std::int64_t>(h), dec.plus(-12), dec.prev(), dec.first_day(),
               nullptr, rows);
    blend_rows(chains[h], static_cast<std::int64_t>(h), dec, dec, dec.next().first_day(), nullptr,
               senders);
  }
  ASSERT_FALSE(rows.empty());
  for (const auto& r : rows) EXPECT_LT(r.inputs.recent_to, dec.first_day() + date::days{1});
  BlendModel model = fit_blend(rows);
  model.month = dec;
  const auto* fit = model.fit(BlendStep::recent, false);
  ASSERT_TRUE(fit) << model.failures[model_index(BlendStep::recent, false)];
  EXPECT_EQ(fit->households, 200);

  // A household that did not send in December, seen from its November reading.
  Chain quiet = chains[100];
  quiet.points.pop_back();
  auto in =
      blend_inputs(quiet, quiet.points.size(), dec.first_day(), dec.next().first_day(), nullptr);
  ASSERT_TRUE(in);
  auto predicted = model.predict(*in);
  ASSERT_TRUE(predicted);
  EXPECT_NEAR(std::exp(*predicted) / in->recent, 1.1, 0.04);  // what earlier months taught

  set_signal(model, senders);
  EXPECT_EQ(model.signal_households[0], 200);
  EXPECT_NEAR(std::exp(model.signal[0]), 0.7 / 1.1, 0.04);  // December's senders used less

  Population population;
  population.blend = model;
  EstimationRules rules;
  rules.method = EstimationMethod::blend;
  rules.k_outage[dec] = 0.5;  // the signal already measured the cuts: not applied twice
  RateBasis r = daily_rate(quiet, dec, rules, &population);
  EXPECT_EQ(r.kind, RateBasis::Kind::blend);
  EXPECT_NEAR(r.rate / in->recent, 0.7, 0.04);
  EXPECT_DOUBLE_EQ(r.k_outage, 1.0);
  // A month with no signal of its own takes K_outage.
  RateBasis jan = daily_rate(quiet, dec.next(), rules, &population);
  EXPECT_DOUBLE_EQ(jan.signal, 1.0);

  Estimate e = estimate_between(quiet, dec.first_day(), dec.next().first_day(), rules, &population);
  std::string en = md::i18n::explain_estimate(md::i18n::Lang::en, e);
  EXPECT_NE(en.find("your average"), std::string::npos) << en;
  EXPECT_NE(en.find("customers who sent readings this month use 3"), std::string::npos) << en;
  EXPECT_NE(en.find(" % less than expected"), std::string::npos) << en;
  std::string uk = md::i18n::explain_estimate(md::i18n::Lang::uk, e);
  EXPECT_NE(uk.find("% менше, ніж очікувалося"), std::string::npos) << uk;
}

TEST(Blend, NothingIsEstimatedBelowZeroAndZeroMonthsStayFinite) {
  // A household away: zero advances. The logs are floored, the estimate stays a small positive.
  std::vector<BlendRow> rows;
  for (int h = 0; h < 100; ++h) {
    Chain c = monthly("2025-01", 11, h % 2 ? flat : zero);
    blend_rows(c, h, ym("2025-01"), ym("2025-11"), d("2025-12-01"), nullptr, rows);
  }
  BlendModel model = fit_blend(rows);
  model.month = ym("2025-12");
  Population population;
  population.blend = model;
  EstimationRules rules;
  rules.method = EstimationMethod::blend;
  Chain away = monthly("2025-01", 11, zero);
  Estimate e = estimate_between(away, d("2025-12-01"), d("2026-01-01"), rules, &population);
  EXPECT_GE(e.kwh, 0);
  EXPECT_LT(e.kwh, 10);
}

// An area's senders give the area its own signal when there are enough of them; an area with
// too few is measured only within the whole DSO's.
TEST(Blend, EachAreaWithEnoughSendersGetsItsOwnSignal) {
  BlendModel model;
  model.month = ym("2025-12");
  // ln ρ = ln recent: the model expects each household's last rate.
  model.fits[model_index(BlendStep::recent, false)] = BlendModel::Fit{{0, 1, 0}, 100, 100};
  std::vector<BlendRow> senders;
  auto add = [&](const char* area, int n, double factor) {
    for (int i = 0; i < n; ++i) {
      BlendRow r;
      r.inputs.recent = r.inputs.earlier = 4.0 + i % 7;
      r.log_rate = std::log(r.inputs.recent * factor * (1 + 0.01 * (i % 3)));
      r.area = area;
      r.class_rate = 6;
      senders.push_back(r);
    }
  };
  add("Izmail", 40, 0.6);
  add("Balta", 40, 1.0);
  add("Reni", 10, 0.8);
  set_signal(model, senders);
  ASSERT_TRUE(model.areas.contains("Izmail"));
  ASSERT_TRUE(model.areas.contains("Balta"));
  EXPECT_FALSE(model.areas.contains("Reni")) << "10 senders measure nothing";
  EXPECT_EQ(model.areas.at("Izmail").households[0], 40);
  EXPECT_NEAR(std::exp(model.areas.at("Izmail").signal[0]), 0.6, 0.02);
  EXPECT_NEAR(std::exp(model.areas.at("Balta").signal[0]), 1.0, 0.02);
  EXPECT_EQ(model.signal_households[0], 90);
  const double all = std::exp(model.signal[0]);
  EXPECT_GT(all, 0.6);
  EXPECT_LT(all, 1.0);
  EXPECT_EQ(model.signal_households[1], 0) << "no after-estimate senders: no signal";
}

// K_outage: the chain's area's own for the month, else the whole DSO's, else 1.
TEST(Estimation, KOutageOfTheChainsAreaComesBeforeTheWholeDsos) {
  EstimationRules rules;
  rules.method = EstimationMethod::recent;
  const YearMonth dec = ym("2025-12");
  rules.k_outage[dec] = 0.9;
  rules.area_k_outage[{"Izmail", dec}] = 0.7;
  rules.area_k_outage[{"Izmail", dec.next()}] = 0.8;
  Chain c = monthly("2025-01", 11, [](YearMonth) { return 5.0; });
  auto k_of = [&](const std::string& area, YearMonth m) {
    c.area = area;
    return daily_rate(c, m, rules).k_outage;
  };
  EXPECT_DOUBLE_EQ(k_of("Izmail", dec), 0.7);
  EXPECT_DOUBLE_EQ(k_of("Balta", dec), 0.9);
  EXPECT_DOUBLE_EQ(k_of("", dec), 0.9);
  EXPECT_DOUBLE_EQ(k_of("Izmail", dec.next()), 0.8);
  EXPECT_DOUBLE_EQ(k_of("Balta", dec.next()), 1.0);
  c.area = "Izmail";
  EXPECT_NEAR(daily_rate(c, dec, rules).rate, 5.0 * 0.7, 0.01);
  rules.method = EstimationMethod::regulatory;  // the published rule takes it the same way
  EXPECT_DOUBLE_EQ(daily_rate(c, dec, rules).k_outage, 0.7);
}
