// channels.md "The submission flow", step 3: every zone in one message, as people type it.
#include <gtest/gtest.h>

#include "domain/reading_text.hpp"

namespace md::domain {
namespace {

using Error = ReadingText::Error;
using Values = std::vector<std::string>;

Values read(std::string_view text, int zones, const Values& so_far = {}) {
  auto r = read_reading_text(text, zones, so_far);
  EXPECT_EQ(r.error, Error::none) << text;
  return r.values;
}

Error error(std::string_view text, int zones, const Values& so_far = {}) {
  return read_reading_text(text, zones, so_far).error;
}

TEST(ReadingText, EveryZoneInOneMessageHoweverItIsSeparated) {
  for (std::string_view text : {"12250 6120", "12250, 6120", "12250/6120", "12250\n6120",
                                "12250;6120", "  12250   6120  ", "12250,6120"})
    EXPECT_EQ(read(text, 2), (Values{"12250", "6120"})) << text;
  EXPECT_EQ(read("14300 6300 2100", 3), (Values{"14300", "6300", "2100"}));
  EXPECT_EQ(read("12250", 1), (Values{"12250"}));
}

TEST(ReadingText, LabelsInEitherOrderAndEitherLanguage) {
  for (std::string_view text :
       {"день 12250 ніч 6120", "ніч 6120 день 12250", "День: 12250, Ніч: 6120", "T1 12250 T2 6120",
        "т2 6120 Т1 12250", "day 12250 night 6120", "Night=6120 Day=12250", "Д 12250 Н 6120"})
    EXPECT_EQ(read(text, 2), (Values{"12250", "6120"})) << text;
  EXPECT_EQ(read("пік 100 ніч 300 напівпік 200", 3), (Values{"100", "200", "300"}));
  EXPECT_EQ(read("T3 300 T1 100 T2 200", 3), (Values{"100", "200", "300"}));
}

TEST(ReadingText, OnlyTheMissingZonesAreFilledByUnlabelledNumbers) {
  EXPECT_EQ(read("12250", 2), (Values{"12250", ""}));
  EXPECT_EQ(read("6120", 2, {"12250", ""}), (Values{"12250", "6120"}));
  EXPECT_EQ(read("ніч 6120", 2), (Values{"", "6120"}));
  EXPECT_EQ(read("12250", 2, {"", "6120"}), (Values{"12250", "6120"}));
  // A labelled value corrects the one given before; a whole reading replaces it.
  EXPECT_EQ(read("день 12300", 2, {"12250", ""}), (Values{"12300", ""}));
  EXPECT_EQ(read("12300 6130", 2, {"12250", "6120"}), (Values{"12300", "6130"}));
}

TEST(ReadingText, ADecimalPartStaysWithItsNumberForValidationToJudge) {
  EXPECT_EQ(read("12250,5 6120.7", 2), (Values{"12250,5", "6120.7"}));
  EXPECT_EQ(read("12250,56", 1), (Values{"12250,56"}));
}

TEST(ReadingText, WordsThatAreNotLabelsArePassedOver) {
  EXPECT_EQ(read("мій показник 12250 кВт·год 👍", 1), (Values{"12250"}));
  EXPECT_EQ(read("денний 12250 і нічний 6120, дякую", 2), (Values{"12250", "6120"}));
}

TEST(ReadingText, WhatCannotBeAReadingIsSaidApart) {
  EXPECT_EQ(error("Привіт", 2), Error::no_number);
  EXPECT_EQ(error("👍🙂", 1), Error::no_number);
  EXPECT_EQ(error("", 1), Error::no_number);
  EXPECT_EQ(error("12250 6120 100", 2), Error::too_many_numbers);
  EXPECT_EQ(error("100 200", 3, {"12250", "", ""}), Error::none);
  EXPECT_EQ(error("100 200 300", 3, {"12250", "", ""}), Error::none) << "the whole reading again";
  EXPECT_EQ(error("ніч 5 100 200", 3, {"12250", "", ""}), Error::too_many_numbers);
  EXPECT_EQ(error("день 1 день 2", 2), Error::zone_twice);
  EXPECT_EQ(error("пік 100 напівпік 200", 2), Error::zone_not_on_meter);
  EXPECT_EQ(error("день 100 ніч 200", 3), Error::zone_not_on_meter);
  EXPECT_TRUE(has_number("ok 12400"));
  EXPECT_FALSE(has_number("hi there"));
}

TEST(ReadingText, CyrillicLettersThatLookLatinAreTakenForThem) {
  EXPECT_EQ(latin_lookalikes("\xD0\x90"
                             "1234567"),
            "A1234567");                                        // Cyrillic А
  EXPECT_EQ(latin_lookalikes("\xD0\x9A\xD0\xA0-77"), "KP-77");  // К, Р
  EXPECT_EQ(latin_lookalikes("A1234567"), "A1234567");
  EXPECT_EQ(latin_lookalikes("Ж1"), "Ж1") << "a letter that looks like no Latin one stays";
}

}  // namespace
}  // namespace md::domain
