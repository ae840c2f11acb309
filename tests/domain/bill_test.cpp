#include "domain/bill.hpp"

#include <gtest/gtest.h>

using namespace md::domain;

namespace {
YearMonth ym(const char* s) {
  return *YearMonth::parse(s);
}
BillInput chain(Zone z, int zones, std::int64_t q, std::int64_t delta = 0,
                std::string method = "actual") {
  return BillInput{"62Z000000000001B", z, zones, q, delta, std::move(method)};
}
const PriceList kPrices{};
}  // namespace

TEST(Bill, OneZoneAtTheHouseholdPrice) {
  Bill b = make_bill(ym("2025-11"), "0123456789", false, {chain(Zone::total, 1, 100)}, kPrices);
  ASSERT_EQ(b.lines.size(), 1u);
  EXPECT_EQ(b.lines[0].amount_kop, 43200);
  EXPECT_EQ(b.total_kop, 43200);
  EXPECT_EQ(format_uah(b.total_kop), "432.00");
}

TEST(Bill, ZoneCoefficients) {
  Bill two = make_bill(ym("2025-11"), "a", false,
                       {chain(Zone::day, 2, 120), chain(Zone::night, 2, 60)}, kPrices);
  EXPECT_EQ(two.lines[0].amount_kop, 51840);  // 120 × 4.32
  EXPECT_EQ(two.lines[1].amount_kop, 12960);  // 60 × 2.16
  EXPECT_EQ(two.total_kop, 64800);
  Bill three = make_bill(
      ym("2025-11"), "a", false,
      {chain(Zone::peak, 3, 10), chain(Zone::half_peak, 3, 20), chain(Zone::night, 3, 7)}, kPrices);
  EXPECT_EQ(three.lines[0].amount_kop, 6480);  // 10 × 6.48
  EXPECT_EQ(three.lines[1].amount_kop, 8640);  // 20 × 4.32
  EXPECT_EQ(three.lines[2].amount_kop, 1210);  // 7 × 1.728 = 12.096 → 12.10 per line
  EXPECT_EQ(three.total_kop, 16330);
}

TEST(Bill, ElectricHeatingBlockInWinter) {
  Bill b = make_bill(ym("2025-11"), "a", true, {chain(Zone::total, 1, 2500)}, kPrices);
  EXPECT_EQ(b.total_kop, 2000 * 264 + 500 * 432);  // 5280.00 + 2160.00
  EXPECT_EQ(b.lines[0].heating_kwh, 2000);
  Bill small = make_bill(ym("2026-01"), "a", true, {chain(Zone::total, 1, 800)}, kPrices);
  EXPECT_EQ(small.total_kop, 800 * 264);
}

TEST(Bill, HeatingBlockIsSharedAcrossZonesByVolume) {
  // 2,500 kWh: day 1,500 gets 1,200 kWh of the block, night 1,000 gets 800.
  Bill b = make_bill(ym("2025-12"), "a", true,
                     {chain(Zone::day, 2, 1500), chain(Zone::night, 2, 1000)}, kPrices);
  EXPECT_EQ(b.lines[0].amount_kop, 1200 * 264 + 300 * 432);       // 4464.00
  EXPECT_EQ(b.lines[1].amount_kop, (800 * 264 + 200 * 432) / 2);  // 1488.00
  EXPECT_EQ(b.lines[0].heating_kwh, 1200);
}

TEST(Bill, NoHeatingPriceOutsideTheSeason) {
  Bill b = make_bill(ym("2025-06"), "a", true, {chain(Zone::total, 1, 2500)}, kPrices);
  EXPECT_EQ(b.total_kop, 2500 * 432);
  Bill may = make_bill(ym("2025-05"), "a", true, {chain(Zone::total, 1, 100)}, kPrices);
  EXPECT_EQ(may.total_kop, 100 * 432);
  Bill april = make_bill(ym("2025-04"), "a", true, {chain(Zone::total, 1, 100)}, kPrices);
  EXPECT_EQ(april.total_kop, 100 * 264);
}

TEST(Bill, CorrectionsArePricedAtThisMonthsPrice) {
  Bill b = make_bill(ym("2025-11"), "a", false, {chain(Zone::total, 1, 59, -99)}, kPrices);
  ASSERT_EQ(b.lines.size(), 2u);
  EXPECT_EQ(b.lines[1].kind, "correction");
  EXPECT_EQ(b.lines[1].amount_kop, -42768);
  EXPECT_EQ(b.total_kop, 59 * 432 - 99 * 432);  // −40 kWh: what two estimates over-billed
  EXPECT_EQ(format_uah(b.total_kop), "-172.80");
  // Half a kopiyka rounds away from zero, both ways.
  Bill night = make_bill(ym("2025-11"), "a", false, {chain(Zone::night, 3, 0, -5)}, kPrices);
  EXPECT_EQ(night.lines[1].amount_kop, -864);  // −5 × 172.8 = −864.0
  Bill odd = make_bill(ym("2025-11"), "a", false, {chain(Zone::night, 3, 0, -3)}, kPrices);
  EXPECT_EQ(odd.lines[1].amount_kop, -518);  // −518.4
}

TEST(Bill, MissingPricesAreAnError) {
  EXPECT_THROW(make_bill(ym("2026-05"), "a", false, {chain(Zone::total, 1, 1)}, kPrices),
               BillError);
  EXPECT_THROW(make_bill(ym("2024-05"), "a", false, {chain(Zone::total, 1, 1)}, kPrices),
               BillError);
  PriceList later = kPrices;
  later.household.push_back(DatedPrice{*parse_date("2026-05-01"), std::nullopt, 480});
  EXPECT_EQ(make_bill(ym("2026-05"), "a", false, {chain(Zone::total, 1, 10)}, later).total_kop,
            4800);
  // Electric heating in winter needs its own price.
  EXPECT_THROW(make_bill(ym("2026-11"), "a", true, {chain(Zone::total, 1, 10)}, later), BillError);
}

TEST(Bill, FormatUah) {
  EXPECT_EQ(format_uah(0), "0.00");
  EXPECT_EQ(format_uah(5), "0.05");
  EXPECT_EQ(format_uah(-5), "-0.05");
  EXPECT_EQ(format_uah(1234567), "12345.67");
}

TEST(PriceChanges, APriceChangeReplacesEveryPriceOfItsKindFromItsDayOn) {
  PriceList base;
  base.household = {{*parse_date("2024-06-01"), std::nullopt, 432},
                    {*parse_date("2027-06-01"), std::nullopt, 500}};  // a planned one, replaced
  PriceList p = with_changes(base, {{*parse_date("2027-01-01"), "household", 480}});
  EXPECT_EQ(p.household_on(*parse_date("2026-12-31")), 432);
  EXPECT_EQ(p.household_on(*parse_date("2027-01-01")), 480);
  EXPECT_EQ(p.household_on(*parse_date("2027-07-01")), 480);
  EXPECT_EQ(p.heating_on(*parse_date("2025-01-01")), base.heating_on(*parse_date("2025-01-01")));
  Bill before = make_bill(ym("2026-12"), "a", false, {chain(Zone::total, 1, 100)}, p);
  Bill after = make_bill(ym("2027-01"), "a", false, {chain(Zone::total, 1, 100)}, p);
  EXPECT_EQ(before.total_kop, 43200);
  EXPECT_EQ(after.total_kop, 48000);
}

TEST(PriceChanges, ACoefficientChangeHoldsFromItsDayForBillsOfLaterMonths) {
  PriceList p = with_changes(PriceList{}, {{*parse_date("2025-12-01"), "coefficient.night", 400}});
  EXPECT_EQ(p.coefficients_on(*parse_date("2025-11-30")).night, 500);
  EXPECT_EQ(p.coefficients_on(*parse_date("2025-12-01")).night, 400);
  EXPECT_EQ(p.coefficients_on(*parse_date("2025-12-01")).night3, 400) << "the default, unchanged";
  Bill nov = make_bill(ym("2025-11"), "a", false, {chain(Zone::night, 2, 100)}, p);
  Bill dec = make_bill(ym("2025-12"), "a", false, {chain(Zone::night, 2, 100)}, p);
  EXPECT_EQ(nov.lines[0].amount_kop, 21600);  // 100 × 4.32 × 0.5
  EXPECT_EQ(dec.lines[0].amount_kop, 17280);  // 100 × 4.32 × 0.4
  EXPECT_TRUE(known_price_item("coefficient.half_peak"));
  EXPECT_FALSE(known_price_item("coefficient.evening"));
}
