#include "domain/calendar.hpp"

#include <gtest/gtest.h>

using namespace md::domain;

namespace {
Day d(const char* s) {
  return *parse_date(s);
}
Instant utc(const char* s) {
  return *parse_instant(s);
}
YearMonth ym(const char* s) {
  return *YearMonth::parse(s);
}
const WindowRules kRules{};
}  // namespace

TEST(Window, RulesTestVectors) {
  struct V {
    const char *month, *first, *last;
  } vectors[] = {{"2025-01", "2025-01-30", "2025-02-03"},
                 {"2025-02", "2025-02-27", "2025-03-03"},
                 {"2024-02", "2024-02-28", "2024-03-03"},
                 {"2025-11", "2025-11-29", "2025-12-03"},
                 {"2025-12", "2025-12-30", "2026-01-03"}};
  for (const auto& v : vectors) {
    Window w = window(ym(v.month), kRules);
    EXPECT_EQ(format_date(w.first), v.first) << v.month;
    EXPECT_EQ(format_date(w.last), v.last) << v.month;
  }
}

TEST(Window, ConfigurableLength) {
  Window w = window(ym("2025-11"), WindowRules{1, 5});
  EXPECT_EQ(format_date(w.first), "2025-11-30");
  EXPECT_EQ(format_date(w.last), "2025-12-05");
}

TEST(Window, ContainingDay) {
  EXPECT_FALSE(window_containing(d("2025-01-29"), kRules));
  EXPECT_EQ(window_containing(d("2025-01-30"), kRules), ym("2025-01"));
  EXPECT_EQ(window_containing(d("2025-02-03"), kRules), ym("2025-01"));
  EXPECT_FALSE(window_containing(d("2025-02-04"), kRules));
  EXPECT_EQ(window_containing(d("2025-12-31"), kRules), ym("2025-12"));
  EXPECT_EQ(window_containing(d("2026-01-01"), kRules), ym("2025-12"));
  EXPECT_EQ(window_containing(d("2024-02-28"), kRules), ym("2024-02"));
  EXPECT_FALSE(window_containing(d("2024-02-27"), kRules));
}

TEST(Window, ClosesAtMidnightAfterLastDay) {
  // 00:00 Kyiv on 4 December 2025 is 22:00 UTC on the 3rd (EET, +02:00).
  EXPECT_EQ(window_closes(ym("2025-11"), kRules), utc("2025-12-03T22:00:00Z"));
  // window(2024-03) closes 00:00 on 4 April 2024, in summer time (+03:00).
  EXPECT_EQ(window_closes(ym("2024-03"), kRules), utc("2024-04-03T21:00:00Z"));
}

TEST(Boundary, MidnightKyivInUtcAcrossDst) {
  EXPECT_EQ(boundary(ym("2024-03")), utc("2024-02-29T22:00:00Z"));
  EXPECT_EQ(boundary(ym("2024-04")), utc("2024-03-31T21:00:00Z"));
  EXPECT_EQ(boundary(ym("2024-11")), utc("2024-10-31T22:00:00Z"));
  EXPECT_EQ(boundary(ym("2026-01")), utc("2025-12-31T22:00:00Z"));
}

TEST(Dst, DaysOf23And25Hours) {
  using std::chrono::hours;
  EXPECT_EQ(end_of_day(d("2024-03-31")) - start_of_day(d("2024-03-31")), hours(23));
  EXPECT_EQ(end_of_day(d("2024-10-27")) - start_of_day(d("2024-10-27")), hours(25));
  EXPECT_EQ(end_of_day(d("2026-03-29")) - start_of_day(d("2026-03-29")), hours(23));
  EXPECT_EQ(end_of_day(d("2026-10-25")) - start_of_day(d("2026-10-25")), hours(25));
  EXPECT_EQ(end_of_day(d("2024-06-15")) - start_of_day(d("2024-06-15")), hours(24));
}

TEST(Dst, DayCountsIgnoreClockChanges) {
  EXPECT_EQ(days_between(d("2024-03-01"), d("2024-04-01")), 31);
  EXPECT_EQ(days_between(d("2024-10-01"), d("2024-11-01")), 31);
  EXPECT_EQ(days_between(d("2025-09-01"), d("2025-12-01")), 91);  // rules §8 worked example
  EXPECT_EQ(ym("2024-02").days(), 29);
  EXPECT_EQ(ym("2025-02").days(), 28);
}

TEST(Dst, KyivDatesAndOffsets) {
  EXPECT_EQ(format_kyiv(utc("2024-03-31T00:59:59Z")), "2024-03-31T02:59:59+02:00");
  EXPECT_EQ(format_kyiv(utc("2024-03-31T01:00:00Z")), "2024-03-31T04:00:00+03:00");
  EXPECT_EQ(format_kyiv(utc("2024-10-27T00:59:59Z")), "2024-10-27T03:59:59+03:00");
  EXPECT_EQ(format_kyiv(utc("2024-10-27T01:00:00Z")), "2024-10-27T03:00:00+02:00");
  EXPECT_EQ(format_date(kyiv_date(utc("2024-10-26T21:30:00Z"))), "2024-10-27");
  EXPECT_EQ(format_date(kyiv_date(utc("2025-12-31T22:00:00Z"))), "2026-01-01");
  EXPECT_EQ(format_date(kyiv_date(utc("2025-12-31T21:59:59Z"))), "2025-12-31");
}

TEST(Instant, Parsing) {
  EXPECT_EQ(format_utc(utc("2026-11-30T10:00:00+02:00")), "2026-11-30T08:00:00Z");
  EXPECT_EQ(format_utc(utc("2026-11-30T10:00:00")), "2026-11-30T08:00:00Z");  // Kyiv local
  EXPECT_EQ(format_utc(utc("2026-07-01T10:00:00")), "2026-07-01T07:00:00Z");
  EXPECT_EQ(format_utc(utc("2026-11-30")), "2026-11-29T22:00:00Z");
  EXPECT_EQ(format_utc(utc("2026-11-30T10:00:00.250Z")), "2026-11-30T10:00:00Z");
  EXPECT_FALSE(parse_instant("2026-03-29T03:30:00"));  // skipped by the spring transition
  EXPECT_FALSE(parse_instant("2026-02-30T10:00:00Z"));
  EXPECT_FALSE(parse_instant("yesterday"));
  EXPECT_FALSE(parse_instant("2026-11-30T25:00:00Z"));
  EXPECT_FALSE(parse_date("2026-1-30"));
  EXPECT_FALSE(parse_date("2026-13-01"));
}

TEST(AsOf, InWindowCountsOnTheFirst) {
  AsOf a = as_of(d("2025-11-29"), true, kRules);
  EXPECT_EQ(a.instant, boundary(ym("2025-12")));
  EXPECT_EQ(a.period, ym("2025-11"));
  EXPECT_EQ(format_date(a.day), "2025-12-01");
  AsOf b = as_of(d("2025-12-03"), true, kRules);
  EXPECT_EQ(b.instant, boundary(ym("2025-12")));
}

TEST(AsOf, OffCycleAndExchangeAtEndOfDay) {
  AsOf a = as_of(d("2025-11-12"), true, kRules);
  EXPECT_FALSE(a.period);
  EXPECT_EQ(a.instant, start_of_day(d("2025-11-13")));
  AsOf install = as_of(d("2025-11-30"), false, kRules);  // exchange inside a window
  EXPECT_FALSE(install.period);
  EXPECT_EQ(install.instant, start_of_day(d("2025-12-01")));
}

TEST(YearMonthTest, Arithmetic) {
  EXPECT_EQ(ym("2025-12").next(), ym("2026-01"));
  EXPECT_EQ(ym("2026-01").prev(), ym("2025-12"));
  EXPECT_EQ(ym("2026-01").plus(-25), ym("2023-12"));
  EXPECT_EQ(ym("2026-11").str(), "2026-11");
  EXPECT_FALSE(YearMonth::parse("2026-13"));
  EXPECT_FALSE(YearMonth::parse("202611"));
}
