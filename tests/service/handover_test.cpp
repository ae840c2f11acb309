#include "service/handover.hpp"

#include <gtest/gtest.h>

using namespace md;

namespace {
store::VolumeRow row(const char* period, const char* zone, int zones, std::int64_t volume,
                     const char* method = "actual", std::int64_t correction = 0) {
  store::VolumeRow v;
  v.period = *domain::YearMonth::parse(period);
  v.zone = zone;
  v.zones = zones;
  v.volume = volume;
  v.correction = correction;
  v.method = method;
  v.account_number = "0123456789";
  v.eic = "62Z000000000001B";
  return v;
}
}  // namespace

// The customer's overview and bills page read the account's months from here: one entry a month,
// its volume summed over the zones, estimated if any zone was, and the bill unless a price is
// missing (the default list's prices end on 2026-04-30).
TEST(AccountMonths, AMonthEachWithItsVolumeItsEstimateAndItsBill) {
  std::vector<store::VolumeRow> volumes{row("2026-03", "day", 2, 120),
                                        row("2026-03", "night", 2, 60),
                                        row("2026-04", "day", 2, 100, "estimated"),
                                        row("2026-04", "night", 2, 50, "actual", -10),
                                        row("2026-05", "day", 2, 90),
                                        row("2026-05", "night", 2, 40)};
  auto months = service::account_months(volumes, domain::PriceList{});
  ASSERT_EQ(months.size(), 3u);

  EXPECT_EQ(months[0].period, *domain::YearMonth::parse("2026-03"));
  EXPECT_EQ(months[0].kwh, 180);
  EXPECT_FALSE(months[0].estimated);
  ASSERT_TRUE(months[0].bill);
  EXPECT_EQ(months[0].bill->total_kop, 120 * 432 + 60 * 216);

  EXPECT_EQ(months[1].kwh, 150);  // the correction is a line of the bill, not the month's volume
  EXPECT_TRUE(months[1].estimated);
  ASSERT_TRUE(months[1].bill);
  EXPECT_EQ(months[1].bill->lines.size(), 3u);
  EXPECT_EQ(months[1].bill->total_kop, 100 * 432 + 50 * 216 - 10 * 216);

  EXPECT_EQ(months[2].kwh, 130);
  EXPECT_FALSE(months[2].bill);
  EXPECT_NE(months[2].missing_price, "");
}

TEST(AccountMonths, NoVolumesNoMonths) {
  EXPECT_TRUE(service::account_months({}, domain::PriceList{}).empty());
}
