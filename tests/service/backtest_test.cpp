#include "service/backtest.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numbers>
#include <random>
#include <sstream>

#include "service/accounts.hpp"
#include "service/period_close.hpp"
#include "support/support.hpp"

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

// The backtest closes months with the same domain function as the service; this proves the
// whole way is the same: its readings imported into a real store (SQLite, or PostgreSQL in the
// postgres run), each month closed by service::close_period as the DSO would, and every
// household's volume and correction equal to the backtest's, for `regulatory` and `recent`.
TEST(Backtest, TheRegulatoryAndRecentRowsAreWhatTheCloseComputesFromTheSameReadings) {
  service::BacktestOptions options;
  options.keep_closes = true;
  service::Backtest b(options);
  std::mt19937_64 rng(11);
  domain::Day start = *domain::parse_date("2023-01-01");
  for (int h = 0; h < 12; ++h) {
    double base = std::uniform_real_distribution<>(4, 14)(rng);
    for (int i = 0; i < 2 * 365; ++i) {
      domain::Day day = start + date::days{i};
      auto month = static_cast<double>(static_cast<unsigned>(date::year_month_day{day}.month()));
      double season = 1 + 0.5 * std::cos(2 * std::numbers::pi * (month - 1) / 12);
      b.add_row("H" + std::to_string(h), day,
                base * season * std::uniform_real_distribution<>(0.7, 1.3)(rng));
    }
  }
  const auto plans = b.plans();
  ASSERT_EQ(plans.size(), 12u);

  // The accounts: test::accounts_csv's rows (valid EICs) with each plan's installation.
  std::istringstream fixture(test::accounts_csv(12));
  std::string line, accounts = std::string(service::kAccountsHeader) + "\n";
  std::getline(fixture, line);  // the header
  std::getline(fixture, line);  // the two-zone account of the fixture
  for (const auto& p : plans) {
    std::getline(fixture, line);
    line = line.substr(0, line.find(",1,5,2025-01-10,1000"));
    accounts += line + ",1,6," + domain::format_date(p.installed_on) + "," +
                std::to_string(p.installation.value) + "\n";
  }

  for (auto method : {domain::EstimationMethod::regulatory, domain::EstimationMethod::recent}) {
    SCOPED_TRACE(std::string(domain::method_name(method)));
    domain::EstimationRules rules;
    rules.method = method;
    auto expected = b.run(rules);
    ASSERT_GT(expected.estimated_months, 20);

    test::TempDir dir;
    auto store = store::open_store(test::test_db(dir, "backtest.db"));
    store->migrate();
    service::ServiceConfig config;
    config.estimation = rules;
    service::Submissions submissions{config};
    auto imported = service::import_accounts(*store, submissions, accounts,
                                             domain::start_of_day(start + date::days{2}));
    ASSERT_TRUE(imported.ok()) << imported.errors.front();

    std::map<std::pair<std::string, domain::YearMonth>, std::pair<std::int64_t, std::int64_t>>
        closed;  // (account, month) -> (volume, correction)
    for (auto m = plans.front().first_month; m <= plans.front().last_month; m = m.next()) {
      std::string readings = std::string(service::kReadingsHeader) + "\n";
      for (size_t i = 0; i < plans.size(); ++i) {
        auto it = plans[i].readings.find(m);
        if (it == plans[i].readings.end()) continue;
        char account[32], serial[32];
        std::snprintf(account, sizeof account, "%010zu", i + 1);
        std::snprintf(serial, sizeof serial, "S%07zu", i + 1);
        readings += std::string(account) + "," + serial + "," +
                    domain::format_date(it->second.read - date::days{1}) + ",customer," +
                    std::to_string(it->second.value) + "\n";
      }
      auto after = domain::window_closes(m, config.rules.window) + std::chrono::hours{1};
      auto r = service::import_readings(*store, submissions, readings, after);
      ASSERT_TRUE(r.ok()) << m.str() << ": " << r.errors.front();
      service::close_period(*store, m, after, config, "test");
      for (const auto& v : store->volumes(m))
        closed[{v.account_number, m}] = {v.volume, v.correction};
    }
    ASSERT_EQ(expected.closes.size(), closed.size());
    for (const auto& c : expected.closes) {
      char account[32];
      std::snprintf(account, sizeof account, "%010zu", c.plan + 1);
      auto found = closed.find({account, c.month});
      ASSERT_NE(found, closed.end()) << account << " " << c.month.str();
      EXPECT_EQ(found->second.first, c.volume) << account << " " << c.month.str();
      EXPECT_EQ(found->second.second, c.correction) << account << " " << c.month.str();
    }
  }
}
