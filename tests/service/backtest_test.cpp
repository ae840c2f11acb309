#include "service/backtest.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

using namespace md;

namespace {

// Households with a strong winter peak: what `seasonal` exists for.
service::Backtest seasonal_population(int households) {
  service::Backtest b(service::BacktestOptions{});
  std::mt19937_64 rng(5);
  domain::Day start = *domain::parse_date("2022-01-01");
  for (int h = 0; h < households; ++h) {
    double base = std::uniform_real_distribution<>(4, 14)(rng);
    std::string id = "H" + std::to_string(h);
    for (int i = 0; i < 3 * 365; ++i) {
      domain::Day day = start + date::days{i};
      auto month = static_cast<double>(static_cast<unsigned>(date::year_month_day{day}.month()));
      double season = 1 + 0.6 * std::cos(2 * std::numbers::pi * (month - 1) / 12);
      double noise = std::uniform_real_distribution<>(0.8, 1.2)(rng);
      b.add_row(id, day, base * season * noise);
    }
  }
  return b;
}

}  // namespace

TEST(Backtest, SeasonalBeatsRecentWhenConsumptionIsSeasonal) {
  auto b = seasonal_population(200);
  ASSERT_EQ(b.households(), 200u);
  domain::EstimationRules recent, seasonal, regulatory;
  recent.method = domain::EstimationMethod::recent;
  seasonal.method = domain::EstimationMethod::seasonal;
  auto r = b.run(recent), s = b.run(seasonal), g = b.run(regulatory);
  // The same readings are dropped for every estimator.
  EXPECT_EQ(r.estimated_months, s.estimated_months);
  EXPECT_EQ(r.estimated_months, g.estimated_months);
  EXPECT_GT(r.estimated_months, 1000);
  EXPECT_LT(s.median_ape, r.median_ape);
  EXPECT_LT(s.p90_ape, r.p90_ape);
  // Last year's same month also knows the season.
  EXPECT_LT(g.median_ape, r.median_ape);
}

TEST(Backtest, NothingDroppedMeansNothingEstimated) {
  service::BacktestOptions o;
  o.drop_probability = 0;
  o.run_probability = 0;
  service::Backtest b(o);
  domain::Day start = *domain::parse_date("2023-01-01");
  for (int i = 0; i < 400; ++i) b.add_row("H", start + date::days{i}, 5.0);
  auto r = b.run(domain::EstimationRules{});
  EXPECT_EQ(r.households, 1);
  EXPECT_GT(r.closed_months, 10);
  EXPECT_EQ(r.estimated_months, 0);
}
