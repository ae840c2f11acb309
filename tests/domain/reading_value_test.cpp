#include "domain/reading_value.hpp"

#include <gtest/gtest.h>

using namespace md::domain;
using E = ParsedValue::Error;

TEST(ReadingValue, Integers) {
  auto v = parse_reading_value("12345", 5);
  EXPECT_EQ(v.error, E::none);
  EXPECT_EQ(v.value, 12345);
  EXPECT_FALSE(v.decimal_ignored);
  EXPECT_EQ(parse_reading_value(" 42 ", 5).value, 42);
  EXPECT_EQ(parse_reading_value("00042", 5).value, 42);
  EXPECT_EQ(parse_reading_value("0012345", 5).value, 12345);  // leading zeros are harmless
  EXPECT_EQ(parse_reading_value("0", 5).value, 0);
}

TEST(ReadingValue, DecimalsAreTruncatedAndReported) {
  for (const char* text : {"12345.6", "12345,6", "12345.", "12345,99"}) {
    auto v = parse_reading_value(text, 5);
    EXPECT_EQ(v.error, E::none) << text;
    EXPECT_EQ(v.value, 12345) << text;
    EXPECT_TRUE(v.decimal_ignored) << text;
  }
}

TEST(ReadingValue, Errors) {
  EXPECT_EQ(parse_reading_value("", 5).error, E::empty);
  EXPECT_EQ(parse_reading_value("   ", 5).error, E::empty);
  EXPECT_EQ(parse_reading_value("-5", 5).error, E::negative);
  EXPECT_EQ(parse_reading_value("abc", 5).error, E::not_a_number);
  EXPECT_EQ(parse_reading_value("12a45", 5).error, E::not_a_number);
  EXPECT_EQ(parse_reading_value("1.2.3", 5).error, E::not_a_number);
  EXPECT_EQ(parse_reading_value("1e5", 5).error, E::not_a_number);
  EXPECT_EQ(parse_reading_value("'; DROP TABLE submissions; --", 5).error, E::not_a_number);
  EXPECT_EQ(parse_reading_value("12 345", 5).error, E::not_a_number);
}

TEST(ReadingValue, RedDigitsHintAtExactlyOneExtraDigit) {
  EXPECT_EQ(parse_reading_value("123456", 5).error, E::red_digits);
  EXPECT_EQ(parse_reading_value("1234567", 6).error, E::red_digits);
  EXPECT_EQ(parse_reading_value("1234567", 5).error, E::too_many_digits);
  EXPECT_EQ(parse_reading_value("99999999999999999999999999", 8).error, E::too_many_digits);
}
