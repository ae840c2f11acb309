#include "domain/validation.hpp"

#include <gtest/gtest.h>

using namespace md::domain;

namespace {

Day d(const char* s) {
  return *parse_date(s);
}
const ValidationRules kRules{};

PriorReading prior(const char* taken_on, const std::vector<std::int64_t>& values,
                   bool in_window = true, const std::vector<std::int64_t>& unwrapped = {}) {
  PriorReading p;
  p.taken_on = d(taken_on);
  p.as_of = as_of(p.taken_on, in_window, kRules.window);
  p.values = values;
  p.unwrapped = unwrapped.empty() ? values : unwrapped;
  return p;
}

// A one-zone, 5-digit meter installed 2024-01-10 with a reading of 12345 on 2025-10-31 (in
// window(2025-10), so as of 1 Nov), submitting on 2025-12-01 (in window(2025-11), as of 1 Dec):
// 30 days, expected 6 kWh/day × 30 = 180 kWh by the class default.
ValidationInput base(std::vector<std::pair<std::string, std::string>> entries) {
  ValidationInput in;
  in.meter = MeterSpec{1, 5, d("2024-01-10")};
  in.entries = std::move(entries);
  in.taken_on = d("2025-12-01");
  in.today = d("2025-12-01");
  in.previous = prior("2025-10-31", {12345});
  return in;
}

ValidationInput two_zone(std::string day, std::string night) {
  ValidationInput in;
  in.meter = MeterSpec{2, 6, d("2024-01-10")};
  in.entries = {{"day", std::move(day)}, {"night", std::move(night)}};
  in.taken_on = d("2025-12-01");
  in.today = d("2025-12-01");
  in.previous = prior("2025-10-31", {1000, 500});
  return in;
}

}  // namespace

TEST(Validation, AcceptsAPlainReading) {
  Validation v = validate(base({{"total", "12500"}}), kRules);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v.registers.size(), 1u);
  EXPECT_EQ(v.registers[0].advance, 155);
  EXPECT_EQ(v.registers[0].unwrapped, 12500);
  EXPECT_DOUBLE_EQ(*v.registers[0].expected, 180.0);
  EXPECT_TRUE(v.flags.empty());
  EXPECT_EQ(v.as_of.period, YearMonth::parse("2025-11"));
}

TEST(Validation, DecimalIsTruncatedWithANote) {
  Validation v = validate(base({{"total", "12500,7"}}), kRules);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.registers[0].value, 12500);
  EXPECT_EQ(v.notes, std::vector<std::string>{"decimal_ignored"});
}

TEST(Validation, RedDigitsHint) {
  Validation v = validate(base({{"total", "125003"}}), kRules);
  ASSERT_TRUE(v.rejection);
  EXPECT_EQ(v.rejection->code, "red_digits");
  EXPECT_EQ(v.rejection->suggestion, 12500);
  EXPECT_EQ(v.rejection->params.at("digits"), "5");
}

TEST(Validation, FormatErrors) {
  EXPECT_EQ(validate(base({{"total", "-3"}}), kRules).rejection->code, "negative");
  EXPECT_EQ(validate(base({{"total", "12x"}}), kRules).rejection->code, "not_a_number");
  EXPECT_EQ(validate(base({{"total", ""}}), kRules).rejection->code, "empty_value");
  EXPECT_EQ(validate(base({{"total", "1234567"}}), kRules).rejection->code, "too_many_digits");
}

TEST(Validation, CompletenessEveryRegisterAndNoOther) {
  auto missing = two_zone("1100", "550");
  missing.entries.pop_back();
  Validation v = validate(missing, kRules);
  ASSERT_TRUE(v.rejection);
  EXPECT_EQ(v.rejection->code, "missing_zone");
  EXPECT_EQ(v.rejection->zone, Zone::night);

  auto extra = two_zone("1100", "550");
  extra.entries.emplace_back("peak", "5");
  EXPECT_EQ(validate(extra, kRules).rejection->code, "unknown_zone");

  auto total = two_zone("1100", "550");
  total.entries = {{"total", "1650"}};
  EXPECT_EQ(validate(total, kRules).rejection->code, "unknown_zone");

  auto twice = two_zone("1100", "550");
  twice.entries.emplace_back("day", "1101");
  EXPECT_EQ(validate(twice, kRules).rejection->code, "duplicate_zone");
}

TEST(Validation, FormatIsCheckedBeforeCompleteness) {
  auto in = two_zone("abc", "550");
  in.entries.pop_back();  // also incomplete; the first failure in order is reported
  EXPECT_EQ(validate(in, kRules).rejection->code, "not_a_number");
}

TEST(Validation, DateChecks) {
  auto future = base({{"total", "12500"}});
  future.taken_on = d("2025-12-02");
  EXPECT_EQ(validate(future, kRules).rejection->code, "future_date");

  auto early = base({{"total", "12500"}});
  early.previous.reset();
  early.taken_on = d("2024-01-09");
  EXPECT_EQ(validate(early, kRules).rejection->code, "before_installation");

  auto before_last = base({{"total", "12500"}});
  before_last.taken_on = d("2025-10-30");
  auto v = validate(before_last, kRules);
  EXPECT_EQ(v.rejection->code, "before_last_reading");
  EXPECT_EQ(v.rejection->params.at("date"), "31.10.2025");

  auto closed = base({{"total", "12500"}});
  closed.last_closed = YearMonth::parse("2025-11");
  EXPECT_EQ(validate(closed, kRules).rejection->code, "period_closed");
  closed.last_closed = YearMonth::parse("2025-10");
  EXPECT_TRUE(validate(closed, kRules).ok());
}

TEST(Validation, NegativeAdvanceIsRejectedWithThePreviousReading) {
  Validation v = validate(base({{"total", "12300"}}), kRules);
  ASSERT_TRUE(v.rejection);
  EXPECT_EQ(v.rejection->code, "lower_than_previous");
  EXPECT_EQ(v.rejection->params.at("previous"), "12345");
  EXPECT_EQ(v.rejection->params.at("date"), "31.10.2025");
  // The boundary: one kWh below the previous reading is as wrong as 45 (found by
  // scripts/sabotage.sh, which made `a < 0` into `a < -1` and nothing failed).
  Validation one_below = validate(base({{"total", "12344"}}), kRules);
  ASSERT_TRUE(one_below.rejection);
  EXPECT_EQ(one_below.rejection->code, "lower_than_previous");
}

TEST(Validation, RolloverWithinTwiceExpected) {
  auto in = base({{"total", "00030"}});
  in.previous = prior("2025-10-31", {99950}, true, {199950});
  Validation v = validate(in, kRules);
  ASSERT_TRUE(v.ok()) << v.rejection->code;
  EXPECT_TRUE(v.has(Flag::rollover));
  EXPECT_EQ(v.registers[0].advance, 80);
  EXPECT_EQ(v.registers[0].unwrapped, 200030);  // the counter continues past the wrap

  // 10^5 − 99950 + 400 = 450 > 2 × 180: not a plausible wrap.
  auto far = base({{"total", "00400"}});
  far.previous = prior("2025-10-31", {99950});
  EXPECT_EQ(validate(far, kRules).rejection->code, "lower_than_previous");
}

TEST(Validation, ZeroAdvanceIsAcceptedAndFlagged) {
  Validation v = validate(base({{"total", "12345"}}), kRules);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v.has(Flag::zero));
  EXPECT_EQ(v.registers[0].advance, 0);
}

TEST(Validation, PhysicalMaximum) {
  // 15 kW × 24 h × 30 days = 10,800 kWh.
  auto at_max = base({{"total", "23145"}});
  at_max.confirmed = true;
  EXPECT_TRUE(validate(at_max, kRules).ok());
  Validation v = validate(base({{"total", "23146"}}), kRules);
  ASSERT_TRUE(v.rejection);
  EXPECT_EQ(v.rejection->code, "impossible");
  EXPECT_EQ(v.rejection->params.at("days"), "30");
}

TEST(Validation, HighNeedsConfirmation) {
  // Expected 180: an advance of 360 is exactly 2 × expected (no flag); 361 is above it and
  // 181 kWh over expected (> high.min_kwh).
  Validation ok = validate(base({{"total", "12705"}}), kRules);  // advance 360 = 2 × expected
  EXPECT_TRUE(ok.ok());
  EXPECT_FALSE(ok.has(Flag::high));

  Validation v = validate(base({{"total", "12706"}}), kRules);  // 361
  EXPECT_TRUE(v.has(Flag::high));
  EXPECT_TRUE(v.needs_confirmation);
  EXPECT_FALSE(v.ok());

  auto confirmed = base({{"total", "12706"}});
  confirmed.confirmed = true;
  Validation c = validate(confirmed, kRules);
  EXPECT_TRUE(c.ok());
  EXPECT_TRUE(c.has(Flag::high));
}

TEST(Validation, HighNeedsAnAbsoluteExcessToo) {
  // The last known rate: 30 kWh over 30 days = 1 kWh/day, so expected is 30 kWh; an advance of
  // 120 is four times that, but only 90 kWh over it (< high.min_kwh 100): no flag.
  auto in = base({{"total", "12465"}});
  in.previous = prior("2025-10-31", {12345});
  in.before_previous = prior("2025-10-01", {12315}, false);  // as of 2 Oct: 30 days
  Validation v = validate(in, kRules);
  EXPECT_DOUBLE_EQ(*v.registers[0].expected, 30.0);
  EXPECT_FALSE(v.has(Flag::high));
  in.entries = {{"total", "12476"}};  // 131: 101 over
  EXPECT_TRUE(validate(in, kRules).has(Flag::high));
}

TEST(Validation, ExpectedUsesTheLastKnownRatePerZone) {
  auto in = two_zone("1100", "530");
  in.before_previous = prior("2025-09-30", {900, 470});  // 100 and 30 over 31 days
  Validation v = validate(in, kRules);
  ASSERT_TRUE(v.ok());
  EXPECT_NEAR(*v.registers[0].expected, 100.0 / 31 * 30, 1e-9);
  EXPECT_NEAR(*v.registers[1].expected, 30.0 / 31 * 30, 1e-9);
}

TEST(Validation, ClassDefaultsPerZone) {
  ValidationInput in;
  in.meter = MeterSpec{3, 6, d("2024-01-10")};
  EXPECT_DOUBLE_EQ(usual_daily_rate(in, 0, kRules), 1.5);  // peak
  EXPECT_DOUBLE_EQ(usual_daily_rate(in, 1, kRules), 3.0);  // half-peak
  EXPECT_DOUBLE_EQ(usual_daily_rate(in, 2, kRules), 1.5);  // night of a 3-zone meter
  in.meter.zones = 2;
  EXPECT_DOUBLE_EQ(usual_daily_rate(in, 0, kRules), 4.0);
  EXPECT_DOUBLE_EQ(usual_daily_rate(in, 1, kRules), 2.0);
}

TEST(Validation, FirstReadingHasNothingToCompare) {
  auto in = base({{"total", "99999"}});
  in.previous.reset();
  Validation v = validate(in, kRules);
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v.registers[0].advance);
  EXPECT_TRUE(v.flags.empty());
}

TEST(Validation, OffCycleFlag) {
  auto in = base({{"total", "12400"}});
  in.taken_on = d("2025-11-15");
  in.today = d("2025-11-15");
  Validation v = validate(in, kRules);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v.has(Flag::off_cycle));
  EXPECT_FALSE(v.as_of.period);
  in.counts_in_window = false;  // exchange readings are not "off-cycle" customer readings
  EXPECT_FALSE(validate(in, kRules).has(Flag::off_cycle));
}

TEST(Validation, SameDayReadingsUseAtLeastOneDay) {
  auto in = base({{"total", "12400"}});
  in.previous = prior("2025-11-15", {12345}, true);
  in.taken_on = d("2025-11-15");
  in.today = d("2025-11-15");
  Validation v = validate(in, kRules);
  ASSERT_TRUE(v.rejection || v.ok());
  EXPECT_DOUBLE_EQ(*v.registers[0].expected, 6.0);
}

TEST(TypoHint, SwappedDigitsOnAHighReading) {
  // Meant 12500 (advance 155), typed 15200: flagged high, with the swap offered.
  Validation v = validate(base({{"total", "15200"}}), kRules);
  EXPECT_TRUE(v.needs_confirmation);
  EXPECT_EQ(v.registers[0].suggestion, 12500);
}

TEST(TypoHint, SwappedDigitsOnARejectedReading) {
  // Meant 12524, typed 12254: lower than 12345, "did you mean 12524?"
  Validation v = validate(base({{"total", "12254"}}), kRules);
  ASSERT_TRUE(v.rejection);
  EXPECT_EQ(v.rejection->code, "lower_than_previous");
  EXPECT_EQ(v.rejection->suggestion, 12524);
}

TEST(TypoHint, DroppedDigit) {
  // A six-digit meter at 1000: meant 1055, typed 10555 (a 9,555 kWh advance: possible but
  // high). Dropping one 5 gives 1055.
  auto in = two_zone("10555", "520");
  Validation v = validate(in, kRules);
  EXPECT_TRUE(v.needs_confirmation);
  EXPECT_EQ(v.registers[0].suggestion, 1055);
}

TEST(TypoHint, NoneWhenNothingFits) {
  EXPECT_FALSE(typo_hint("99999", 12345, 180, 5));
  EXPECT_EQ(typo_hint("21345", 12345, 180, 5), 12345);  // a zero advance is plausible
}

// channels.md, step 4: a value is judged as soon as it arrives, before the other zones come.
TEST(Validation, AGivenValueIsJudgedBeforeTheOtherZonesCome) {
  auto day_only = [](std::string day) {
    ValidationInput in = two_zone("", "");
    in.entries = {{"day", std::move(day)}};
    return in;
  };
  auto r = reject_given(day_only("900"), kRules);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, "lower_than_previous");
  EXPECT_EQ(r->zone, Zone::day);
  r = reject_given(day_only("12a"), kRules);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, "not_a_number");
  EXPECT_EQ(r->zone, Zone::day);
  EXPECT_FALSE(reject_given(day_only("1100"), kRules)) << "a good day value waits for the night";
  // A value that is only unusual is asked about when the reading is whole.
  EXPECT_FALSE(reject_given(day_only("9000"), kRules));
  ValidationInput night_only = two_zone("", "");
  night_only.entries = {{"night", "400"}};
  r = reject_given(night_only, kRules);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->zone, Zone::night);
  // The whole reading's own checks (its date) wait for the whole reading.
  ValidationInput future = day_only("1100");
  future.taken_on = d("2025-12-05");
  EXPECT_FALSE(reject_given(future, kRules));
}
