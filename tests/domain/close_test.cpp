#include <gtest/gtest.h>

#include "domain/close.hpp"

using namespace md::domain;

namespace {

Day d(const char* s) {
  return *parse_date(s);
}
YearMonth ym(const char* s) {
  return *YearMonth::parse(s);
}

Chain chain(const std::vector<std::pair<const char*, std::int64_t>>& points,
            double default_rate = 6.0) {
  Chain c;
  c.default_rate = default_rate;
  bool first = true;
  for (auto [day, value] : points) {
    c.points.push_back(ChainPoint{d(day), value, first});
    first = false;
  }
  c.normalize();
  return c;
}

EstimationRules regulatory() {
  return EstimationRules{};
}

// rules.md §8: last year's September and October used 100 and 120 kWh (30 and 31 days), so the
// regulatory estimates for September and October 2025 are exactly 100 and 120 kWh.
Chain worked_example(std::int64_t november_reading) {
  return chain({{"2024-09-01", 0},
                {"2024-10-01", 100},
                {"2024-11-01", 220},
                {"2025-09-01", 1000},  // in window(August): the value at B(Sep)
                {"2025-12-01", november_reading}});
}

}  // namespace

TEST(Boundary, ActualDerivedAndUnknown) {
  Chain c = chain({{"2025-09-01", 1000}, {"2025-12-01", 1180}});
  auto at = value_from_readings(c, d("2025-12-01"));
  EXPECT_EQ(at->kind, ValueKind::actual);
  EXPECT_EQ(at->value, 1180);
  EXPECT_EQ(value_from_readings(c, d("2025-09-01"))->kind, ValueKind::installation);
  auto between = value_from_readings(c, d("2025-11-01"));
  EXPECT_EQ(between->kind, ValueKind::derived);
  EXPECT_EQ(between->value, 1121);  // 1000 + 180 × 61 / 91 = 1120.66
  EXPECT_FALSE(value_from_readings(c, d("2025-08-01")));
  EXPECT_FALSE(value_from_readings(c, d("2026-01-01")));
}

TEST(Boundary, TheLastKnownRateIsTheAdvanceADayBetweenTwoReadings) {
  EXPECT_DOUBLE_EQ(*rate_between(d("2026-10-01"), 12000, d("2026-11-01"), 12310), 10.0);
  // Across the autumn clock change the days are calendar days still.
  EXPECT_DOUBLE_EQ(*rate_between(d("2026-10-20"), 100, d("2026-10-30"), 150), 5.0);
  EXPECT_DOUBLE_EQ(*rate_between(d("2026-10-01"), 500, d("2026-10-05"), 500), 0.0);
  EXPECT_FALSE(rate_between(d("2026-10-01"), 500, d("2026-10-01"), 510));  // the same day
  EXPECT_FALSE(rate_between(d("2026-10-02"), 500, d("2026-10-01"), 510));
}

TEST(Boundary, RoundsHalfAwayFromZero) {
  EXPECT_EQ(div_round(5, 2), 3);
  EXPECT_EQ(div_round(-5, 2), -3);
  EXPECT_EQ(div_round(4, 3), 1);
  EXPECT_EQ(round_half_away(2.5), 3);
  EXPECT_EQ(round_half_away(-2.5), -3);
  Chain c = chain({{"2025-01-01", 0}, {"2025-01-05", 2}});       // 0.5 kWh/day
  EXPECT_EQ(value_from_readings(c, d("2025-01-02"))->value, 1);  // 0.5 → 1
  EXPECT_EQ(value_from_readings(c, d("2025-01-04"))->value, 2);  // 1.5 → 2
}

TEST(Boundary, LastReadingOfADayCounts) {
  Chain c;
  c.points = {
      {d("2025-01-01"), 10, true}, {d("2025-01-10"), 50, false}, {d("2025-01-10"), 55, false}};
  c.normalize();
  ASSERT_EQ(c.points.size(), 2u);
  EXPECT_EQ(c.points.back().value, 55);
}

TEST(Close, WorkedExampleOfRules8) {
  Chain c = worked_example(1180);
  auto rules = regulatory();
  ChainClose aug = close_chain(c, ym("2025-08"), std::nullopt, rules);
  EXPECT_EQ(aug.end_value, 1000);
  EXPECT_EQ(aug.end_kind, ValueKind::actual);
  EXPECT_EQ(aug.position, 1000);  // P(Aug)
  EXPECT_EQ(aug.correction, 0);

  // The November reading has not arrived when September and October close.
  Chain before =
      chain({{"2024-09-01", 0}, {"2024-10-01", 100}, {"2024-11-01", 220}, {"2025-09-01", 1000}});
  ChainClose sep = close_chain(before, ym("2025-09"), PriorPosition{aug.position, 0}, rules);
  EXPECT_EQ(sep.volume, 100);
  EXPECT_EQ(sep.correction, 0);
  EXPECT_EQ(sep.end_kind, ValueKind::estimated);
  ChainClose oct = close_chain(before, ym("2025-10"), PriorPosition{sep.position, 1}, rules);
  EXPECT_EQ(oct.volume, 120);
  EXPECT_EQ(oct.correction, 0);
  EXPECT_EQ(oct.position, 1220);  // P(Oct)

  ChainClose nov = close_chain(c, ym("2025-11"), PriorPosition{oct.position, 2}, rules);
  EXPECT_EQ(nov.end_value, 1180);
  EXPECT_EQ(nov.end_kind, ValueKind::actual);
  EXPECT_EQ(nov.start_value, 1121);
  EXPECT_EQ(nov.start_kind, ValueKind::derived);
  EXPECT_EQ(nov.volume, 59);
  EXPECT_EQ(nov.correction, -99);
  EXPECT_EQ(nov.volume + nov.correction, -40);  // what the two estimates over-billed
  EXPECT_EQ(nov.position, 1180);
  EXPECT_EQ(nov.estimated_run, 0);
}

TEST(Close, WorkedExampleWithAHigherReading) {
  Chain c = worked_example(1300);
  ChainClose nov = close_chain(c, ym("2025-11"), PriorPosition{1220, 2}, regulatory());
  EXPECT_EQ(nov.start_value, 1201);  // 1000 + 300 × 61 / 91 = 1201.10
  EXPECT_EQ(nov.volume, 99);
  EXPECT_EQ(nov.correction, -19);
  EXPECT_EQ(nov.volume + nov.correction, 80);
  EXPECT_EQ(nov.position, 1300);
}

TEST(Estimation, RegulatoryUsesTheSameMonthLastYearTimesCoefficients) {
  Chain c = worked_example(1180);
  EstimationRules rules;
  rules.k[ym("2025-09")] = 1.1;
  rules.k_outage[ym("2025-09")] = 0.5;
  RateBasis r = daily_rate(c, ym("2025-09"), rules);
  EXPECT_EQ(r.kind, RateBasis::Kind::same_month_last_year);
  EXPECT_EQ(r.basis_month, ym("2024-09"));
  EXPECT_EQ(r.volume, 100);
  EXPECT_EQ(r.days, 30);
  EXPECT_NEAR(r.rate, 100.0 / 30 * 1.1 * 0.5, 1e-12);
}

TEST(Estimation, FallsBackToTheLastKnownRateThenTheClassDefault) {
  EstimationRules rules;
  rules.k_outage[ym("2025-12")] = 0.8;
  Chain c = chain({{"2025-09-01", 1000}, {"2025-11-01", 1305}});  // 305 kWh in 61 days
  RateBasis r = daily_rate(c, ym("2025-12"), rules);
  EXPECT_EQ(r.kind, RateBasis::Kind::last_known_rate);
  EXPECT_NEAR(r.rate, 5.0 * 0.8, 1e-12);
  Chain lone = chain({{"2025-09-01", 1000}}, 4.0);
  EXPECT_EQ(daily_rate(lone, ym("2025-12"), rules).kind, RateBasis::Kind::class_default);
  EXPECT_DOUBLE_EQ(daily_rate(lone, ym("2025-12"), rules).rate, 4.0);
}

TEST(Estimation, RecentIgnoresLastYear) {
  Chain c = worked_example(1180);
  EstimationRules rules;
  rules.method = EstimationMethod::recent;
  EXPECT_EQ(daily_rate(c, ym("2025-09"), rules).kind, RateBasis::Kind::last_known_rate);
}

TEST(Estimation, SeasonalScalesTheRecentRate) {
  Population population;
  SeasonalIndex& index = population.seasonal;
  for (YearMonth m = ym("2024-01"); m <= ym("2024-12"); m = m.next())
    index.level[m] = m.month == 12 ? 12.0 : 6.0;
  Chain c = chain({{"2025-10-01", 1000}, {"2025-11-01", 1186}});  // 6 kWh/day in October
  EstimationRules rules;
  rules.method = EstimationMethod::seasonal;
  RateBasis r = daily_rate(c, ym("2025-12"), rules, &population);
  EXPECT_NEAR(r.seasonal, 2.0, 1e-9);  // December runs twice October's level
  EXPECT_NEAR(r.rate, 12.0, 1e-9);
}

TEST(Estimation, SpansMonthsAndRoundsOnce) {
  // 1/3 kWh/day over Oct (31 d) and Nov (30 d): 61/3 = 20.33 → 20 (not 10 + 10 rounded apart).
  Chain c = chain({{"2025-07-01", 0}, {"2025-10-01", 30}});  // 30 kWh in 92 days
  EstimationRules rules;
  rules.method = EstimationMethod::recent;
  Estimate e = estimate_between(c, d("2025-10-01"), d("2025-12-01"), rules);
  ASSERT_EQ(e.segments.size(), 2u);
  EXPECT_EQ(e.segments[0].days, 31);
  EXPECT_EQ(e.segments[1].days, 30);
  EXPECT_EQ(e.kwh, 20);  // 30/92 × 61 = 19.89
}

TEST(Close, OffCycleReadingsBeforeAndAfterTheWindow) {
  // An off-cycle reading on 20 November (as of 21 Nov) and another on 10 December (as of 11 Dec):
  // B(Dec) lies between them, so November's end is derived.
  Chain c = chain({{"2025-11-01", 500}, {"2025-11-21", 700}, {"2025-12-11", 900}});
  ChainClose nov = close_chain(c, ym("2025-11"), PriorPosition{500, 0}, regulatory());
  EXPECT_EQ(nov.end_kind, ValueKind::derived);
  EXPECT_EQ(nov.end_value, 800);  // 700 + 200 × 10 / 20
  EXPECT_EQ(nov.volume, 300);
  // Without the December one, the end is the last reading plus 10 days at its rate (10/day).
  Chain early = chain({{"2025-11-01", 500}, {"2025-11-21", 700}});
  ChainClose est = close_chain(early, ym("2025-11"), PriorPosition{500, 0}, regulatory());
  EXPECT_EQ(est.end_kind, ValueKind::estimated);
  EXPECT_EQ(est.end_value, 800);
  ASSERT_TRUE(est.estimate);
  EXPECT_EQ(est.estimate->segments[0].days, 10);
}

TEST(Close, MultiMonthGapAndRolloverInside) {
  // A 5-digit register wrapped during a four-month gap: unwrapped values keep counting.
  Chain c = chain({{"2025-06-01", 99500}, {"2025-10-01", 100100}});
  ChainClose jul = close_chain(c, ym("2025-07"), PriorPosition{99600, 0}, regulatory());
  EXPECT_EQ(jul.start_kind, ValueKind::derived);
  EXPECT_EQ(jul.start_value, 99500 + div_round(600L * 30, 122));
  EXPECT_EQ(jul.end_kind, ValueKind::derived);
  EXPECT_EQ(jul.volume, div_round(600L * 61, 122) - div_round(600L * 30, 122));
}

TEST(Close, FebruaryAndDstMonthsCountCalendarDays) {
  Chain c = chain({{"2025-01-01", 0}, {"2025-02-01", 62}}, 6.0);  // 2 kWh/day
  EstimationRules rules;
  rules.method = EstimationMethod::recent;
  EXPECT_EQ(close_chain(c, ym("2025-02"), PriorPosition{62, 0}, rules).volume, 56);  // 28 d
  Chain leap = chain({{"2024-01-01", 0}, {"2024-02-01", 62}});
  EXPECT_EQ(close_chain(leap, ym("2024-02"), PriorPosition{62, 0}, rules).volume, 58);  // 29 d
  Chain spring = chain({{"2025-02-01", 0}, {"2025-03-01", 56}});  // March has the short day
  EXPECT_EQ(close_chain(spring, ym("2025-03"), PriorPosition{56, 0}, rules).volume, 62);  // 31 d
}

TEST(Close, ChainInstalledDuringTheMonth) {
  Chain c = chain({{"2025-11-16", 40}, {"2025-12-01", 100}});
  ChainClose nov = close_chain(c, ym("2025-11"), std::nullopt, regulatory());
  EXPECT_EQ(nov.start_kind, ValueKind::installation);
  EXPECT_EQ(nov.start_value, 40);
  EXPECT_EQ(nov.volume, 60);
  EXPECT_EQ(nov.correction, 0);
  EXPECT_FALSE(close_chain(c, ym("2025-10"), std::nullopt, regulatory()).exists);
}

TEST(Close, FirstCloseOfAnOldChainWithoutRecentReadings) {
  // Readings stop in August; the system's first close is November: its start is estimated and
  // nothing earlier is corrected.
  Chain c = chain({{"2025-07-01", 100}, {"2025-08-01", 162}}, 6.0);  // 2 kWh/day
  EstimationRules rules;
  rules.method = EstimationMethod::recent;
  ChainClose nov = close_chain(c, ym("2025-11"), std::nullopt, rules);
  EXPECT_EQ(nov.start_kind, ValueKind::estimated);
  EXPECT_EQ(nov.start_value, 162 + 2 * 92);
  EXPECT_EQ(nov.correction, 0);
  EXPECT_EQ(nov.volume, 60);
}

TEST(Close, InspectionAfterThreeEstimatedMonths) {
  Chain c = chain({{"2025-01-01", 0}, {"2025-02-01", 62}});
  std::optional<PriorPosition> prior = PriorPosition{62, 0};
  int raised = 0;
  for (YearMonth m = ym("2025-02"); m <= ym("2025-07"); m = m.next()) {
    ChainClose r = close_chain(c, m, prior, regulatory());
    raised += r.inspection_due;
    if (m == ym("2025-04")) {
      EXPECT_TRUE(r.inspection_due);
    }
    prior = PriorPosition{r.position, r.estimated_run};
  }
  EXPECT_EQ(raised, 1);  // once per run; estimation goes on
}

TEST(Close, VolumesAreNeverNegative) {
  // A late reading below what was billed: the whole difference is a correction, Q stays ≥ 0.
  Chain c = chain({{"2025-09-01", 1000}, {"2025-12-01", 1010}});
  ChainClose nov = close_chain(c, ym("2025-11"), PriorPosition{1400, 2}, regulatory());
  EXPECT_GE(nov.volume, 0);
  EXPECT_EQ(nov.position, 1010);
  EXPECT_EQ(nov.correction, nov.start_value - 1400);
}

TEST(Close, AMeterExchangedOnTheMonthsLastDayEndsTheMonthOnItsActualReading) {
  // Same zones, so the chain goes on across the exchange: the new meter's initial reading (an
  // installation point, as of the end of 30 November = B(Dec)) is November's actual end value.
  Chain c = chain({{"2025-10-01", 40}, {"2025-11-01", 100}});
  c.points.push_back(ChainPoint{d("2025-12-01"), 160, true});
  c.normalize();
  ChainClose nov = close_chain(c, ym("2025-11"), PriorPosition{100, 0}, regulatory());
  EXPECT_EQ(nov.end_kind, ValueKind::actual);
  EXPECT_EQ(nov.method(), "actual");
  EXPECT_EQ(nov.end_value, 160);
  EXPECT_EQ(nov.volume, 60);
  EXPECT_EQ(nov.correction, 0);
  EXPECT_FALSE(nov.estimate);
  // December starts on that reading and, with nothing after it, is estimated from it.
  ChainClose dec = close_chain(c, ym("2025-12"), PriorPosition{nov.position, 0}, regulatory());
  EXPECT_EQ(dec.start_value, 160);
  EXPECT_EQ(dec.correction, 0);
  EXPECT_EQ(dec.end_kind, ValueKind::estimated);
  EXPECT_EQ(dec.method(), "estimated");
  EXPECT_TRUE(dec.estimate);
}

// The blend's close sets aside the chains it must estimate before it has a model: it must set
// aside exactly those close_chain estimates, over every kind of chain and month.
TEST(Close, NeedsEstimateIsExactlyWhenTheCloseEstimates) {
  std::vector<Chain> chains = {
      worked_example(1180),
      chain({{"2025-01-10", 100}, {"2025-06-01", 400}}),
      chain({{"2025-01-10", 100}, {"2025-06-15", 400}, {"2025-09-01", 700}}),
      chain({{"2025-11-20", 5}}),  // installed during a month
      chain({{"2025-03-01", 50}, {"2025-12-01", 950}}),
  };
  Chain ended = chain({{"2025-01-10", 100}, {"2025-05-20", 300}});
  ended.ended = d("2025-05-20");
  chains.push_back(ended);
  int estimated = 0, checked = 0;
  for (const auto& c : chains) {
    for (YearMonth m = ym("2024-08"); m <= ym("2026-02"); m = m.next()) {
      for (bool has_prior : {false, true}) {
        std::optional<PriorPosition> prior;
        if (has_prior) prior = PriorPosition{c.points.front().value, 0};
        ChainClose r = close_chain(c, m, prior, regulatory());
        bool estimates = r.exists && (r.end_kind == ValueKind::estimated ||
                                      (r.start_kind == ValueKind::estimated && !has_prior));
        EXPECT_EQ(needs_estimate(c, m, has_prior), estimates)
            << "chain " << &c - chains.data() << " " << m.str() << " prior " << has_prior;
        estimated += estimates;
        ++checked;
      }
    }
  }
  EXPECT_GT(estimated, 20);
  EXPECT_LT(estimated, checked);
}
