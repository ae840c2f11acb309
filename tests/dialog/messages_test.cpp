#include "dialog/messages.hpp"

#include <gtest/gtest.h>

using namespace md::dialog;

TEST(Messages, EveryValidationCodeHasBothLanguages) {
  for (const char* code :
       {"not_found", "account_inactive", "unknown_zone", "duplicate_zone", "missing_zone",
        "empty_value", "not_a_number", "negative", "red_digits", "too_many_digits", "future_date",
        "before_installation", "before_last_reading", "period_closed", "lower_than_previous",
        "impossible", "high", "suggestion", "decimal_ignored"}) {
    EXPECT_TRUE(has_message(code)) << code;
    EXPECT_NE(message(Lang::uk, code), message(Lang::en, code)) << code;
  }
}

TEST(Messages, PlaceholdersAndZoneNames) {
  auto text = message(Lang::en, "lower_than_previous",
                      {{"zone", "day"}, {"previous", "12345"}, {"date", "31.10.2026"}});
  EXPECT_EQ(text, "The day reading is lower than your last reading 12345 of 31.10.2026.");
  auto uk = message(Lang::uk, "lower_than_previous",
                    {{"zone", "half_peak"}, {"previous", "12345"}, {"date", "31.10.2026"}});
  EXPECT_NE(uk.find("напівпік"), std::string::npos);
  EXPECT_NE(uk.find("12345"), std::string::npos);
}

TEST(Messages, AcceptLanguage) {
  EXPECT_EQ(lang_from_accept_language(""), Lang::uk);
  EXPECT_EQ(lang_from_accept_language("en"), Lang::en);
  EXPECT_EQ(lang_from_accept_language("en-GB,en;q=0.9"), Lang::en);
  EXPECT_EQ(lang_from_accept_language("uk-UA,uk;q=0.9,en;q=0.8"), Lang::uk);
  EXPECT_EQ(lang_from_accept_language("de-DE,en;q=0.5"), Lang::en);
  EXPECT_EQ(lang_from_accept_language("fr"), Lang::uk);
  EXPECT_EQ(lang_from_accept_language("en;q=0.3,uk;q=0.7"), Lang::uk);
}
