// rules.md §3: the latest reading in a window wins.
#include <gtest/gtest.h>

#include "domain/latest_wins.hpp"

using namespace md::domain;

namespace {

Instant at(const char* s) {
  return *parse_instant(s);
}
const YearMonth kNovember{2026, 11};
const YearMonth kOctober{2026, 10};

}  // namespace

TEST(LatestWins, ANewReadingSupersedesTheOnesOfItsWindowAndIsComparedWithTheOnesBefore) {
  const std::vector<AcceptedReading> accepted = {
      {10, at("2026-10-01T00:00:00"), kOctober.prev()},
      {20, at("2026-11-01T00:00:00"), kOctober},
      {30, at("2026-12-01T00:00:00"), kNovember},  // sent on 29 November
      {31, at("2026-12-01T00:00:00"), kNovember},  // and again on 2 December
  };
  auto wins = latest_in_window_wins(kNovember, accepted, 2);
  EXPECT_EQ(wins.superseded, (std::vector<std::int64_t>{30, 31}));
  // Compared with October's reading, and its rate with September's.
  EXPECT_EQ(wins.compared_with, (std::vector<std::size_t>{1, 0}));
}

TEST(LatestWins, AnOffCycleReadingSupersedesNothingAndIsComparedWithTheLatestByAsOf) {
  const std::vector<AcceptedReading> accepted = {
      {10, at("2026-11-01T00:00:00"), kOctober},
      {11, at("2026-11-14T22:00:00"), std::nullopt},  // an inspector on 15 November
      {12, at("2026-11-10T22:00:00"), std::nullopt},  // came later, taken earlier
  };
  auto wins = latest_in_window_wins(std::nullopt, accepted, 3);
  EXPECT_TRUE(wins.superseded.empty());
  EXPECT_EQ(wins.compared_with, (std::vector<std::size_t>{1, 2, 0}));
}

TEST(LatestWins, ReadingsAtTheSameInstantGoInTheOrderTheyCameAndTheLimitHolds) {
  const std::vector<AcceptedReading> accepted = {
      {5, at("2026-11-01T00:00:00"), std::nullopt},
      {7, at("2026-11-01T00:00:00"), std::nullopt},
      {6, at("2026-11-01T00:00:00"), std::nullopt},
  };
  auto wins = latest_in_window_wins(kNovember, accepted, 2);
  EXPECT_TRUE(wins.superseded.empty());
  EXPECT_EQ(wins.compared_with, (std::vector<std::size_t>{1, 2}));
  EXPECT_TRUE(latest_in_window_wins(kNovember, {}, 2).compared_with.empty());
}
