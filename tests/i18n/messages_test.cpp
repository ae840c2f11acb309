#include "i18n/messages.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "domain/validation.hpp"

using namespace md::i18n;

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
  EXPECT_EQ(text,
            "The day reading is lower than your last reading 12345 of 31.10.2026. Check the digits "
            "and send it again.");
  auto uk = message(Lang::uk, "lower_than_previous",
                    {{"zone", "half_peak"}, {"previous", "12345"}, {"date", "31.10.2026"}});
  EXPECT_NE(uk.find("напівпік"), std::string::npos);
  EXPECT_NE(uk.find("12345"), std::string::npos);
}

// Pages and bots show stored codes to customers: each in words, never "web_form" or "off_cycle".
TEST(Messages, EveryStoredCodeHasWordsInBothLanguages) {
  using md::domain::Flag;
  std::vector<std::pair<const char*, std::string>> codes;
  for (Flag f : {Flag::zero, Flag::high, Flag::rollover, Flag::off_cycle, Flag::photo})
    codes.emplace_back("flag", md::domain::flag_name(f));
  for (const char* c : {"telegram", "viber", "ivr", "web_form", "cabinet", "api",
                        "operator_console", "import", "web", "cli", "outbox"})
    codes.emplace_back("channel", c);
  // The CHECK constraints of the submissions table (store/*/migrations.cpp).
  for (const char* c : {"accepted", "superseded", "rejected_by_operator"})
    codes.emplace_back("status", c);
  for (const char* c : {"customer", "inspector", "operator", "exchange_final", "exchange_initial"})
    codes.emplace_back("type", c);
  for (const char* c : {"pending", "accepted", "rejected"}) codes.emplace_back("review", c);
  for (const char* c : {"actual", "estimated", "derived", "installation"})
    codes.emplace_back("kind", c);
  for (const auto& [family, code] : codes) {
    EXPECT_NE(label(Lang::uk, family, code), code) << family << "." << code;
    EXPECT_FALSE(label(Lang::en, family, code).empty()) << family << "." << code;
  }
  EXPECT_EQ(label(Lang::uk, "channel", "web_form"), "форма на сайті");
  EXPECT_EQ(label(Lang::en, "flag", "off_cycle"), "off-cycle");
  EXPECT_EQ(label(Lang::uk, "channel", "pigeon"), "pigeon") << "an unknown code as it is";
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

#include "i18n/explain.hpp"

TEST(Explain, TheSentenceOfRules7) {
  md::domain::Estimate e;
  e.kwh = 212;
  md::domain::RateBasis b;
  b.kind = md::domain::RateBasis::Kind::same_month_last_year;
  b.basis_month = *md::domain::YearMonth::parse("2025-11");
  b.rate = 7.0667;
  e.segments.push_back({*md::domain::YearMonth::parse("2026-11"), 30, b});
  EXPECT_EQ(explain_estimate(Lang::en, e), "212 kWh = 7.07 kWh/day (November 2025) × 30 days");
  EXPECT_EQ(explain_estimate(Lang::uk, e),
            "212 кВт·год = 7,07 кВт·год/добу (листопад 2025) × 30 днів");
}

TEST(Explain, SeveralMonthsAndCoefficients) {
  md::domain::Estimate e;
  e.kwh = 65;
  md::domain::RateBasis a;
  a.kind = md::domain::RateBasis::Kind::last_known_rate;
  a.from = *md::domain::parse_date("2025-09-01");
  a.to = *md::domain::parse_date("2025-10-01");
  a.rate = 1.0;
  a.k_outage = 0.8;
  md::domain::RateBasis c;
  c.kind = md::domain::RateBasis::Kind::class_default;
  c.rate = 2.0;
  e.segments.push_back({*md::domain::YearMonth::parse("2025-10"), 21, a});
  e.segments.push_back({*md::domain::YearMonth::parse("2025-11"), 22, c});
  EXPECT_EQ(explain_estimate(Lang::en, e),
            "65 kWh = 1.00 kWh/day (your average 01.09.2025–01.10.2025, outages × 0.80) × 21 "
            "days + 2.00 kWh/day (the usual for this meter type) × 22 days");
  EXPECT_NE(explain_estimate(Lang::uk, e).find("× 21 день"), std::string::npos);
  EXPECT_NE(explain_estimate(Lang::uk, e).find("× 22 дні"), std::string::npos);
}
