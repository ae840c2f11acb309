// An estimate is stored as its method, basis and coefficients; its words are rendered when read
// (rules.md §7). What is read back explains exactly what was estimated, for every kind of basis,
// and rows stored with their words keep them.
#include <gtest/gtest.h>

#include "i18n/explain.hpp"
#include "service/stored_estimate.hpp"

using namespace md;
using domain::RateBasis;

namespace {

domain::Day d(const char* s) {
  return *domain::parse_date(s);
}

domain::Estimate two_months() {
  domain::Estimate e;
  e.method = domain::EstimationMethod::blend;
  e.kwh = 412;
  domain::EstimateSegment a{{2026, 10}, 31, {}};
  a.basis.kind = RateBasis::Kind::blend;
  a.basis.rate = 6.123456789;
  a.basis.step = domain::BlendStep::full;
  a.basis.signal = 0.8123;
  a.basis.signal_area = "Izmail";
  a.basis.k_outage = 0.85;
  a.basis.inputs.step = domain::BlendStep::full;
  a.basis.inputs.recent = 5.8912;
  a.basis.inputs.recent_from = d("2026-08-02");
  a.basis.inputs.recent_to = d("2026-09-03");
  a.basis.inputs.earlier = 5.5;
  a.basis.inputs.season = 1.1;
  a.basis.inputs.year_ago = 7.2;
  a.basis.inputs.last_year = 6.0;
  a.basis.inputs.quarter_year_ago = 6.1;
  domain::EstimateSegment b{{2026, 11}, 30, {}};
  b.basis.kind = RateBasis::Kind::last_known_rate;
  b.basis.rate = 6.5;
  b.basis.volume = 195;
  b.basis.days = 30;
  b.basis.from = d("2026-09-01");
  b.basis.to = d("2026-10-01");
  b.basis.seasonal = 1.25;
  b.basis.fallback = "no model was fitted";
  e.segments = {a, b};
  return e;
}

}  // namespace

TEST(StoredEstimate, WhatIsReadBackIsExplainedAsWhatWasEstimated) {
  std::vector<domain::Estimate> cases = {two_months()};
  domain::Estimate same;
  same.method = domain::EstimationMethod::regulatory;
  same.kwh = 219;
  domain::EstimateSegment s{{2026, 11}, 30, {}};
  s.basis.kind = RateBasis::Kind::same_month_last_year;
  s.basis.basis_month = {2025, 11};
  s.basis.volume = 212;
  s.basis.days = 30;
  s.basis.k = 1.03;
  s.basis.rate = 7.28;
  same.segments = {s};
  cases.push_back(same);
  domain::Estimate fresh = same;
  fresh.segments[0].basis = RateBasis{};
  fresh.segments[0].basis.rate = 5.1;
  fresh.segments[0].basis.class_scale = 0.85;
  cases.push_back(fresh);
  for (const auto& e : cases) {
    const std::string stored = service::stored_estimate(e);
    EXPECT_EQ(stored.find("explanation"), std::string::npos) << "words are rendered, not stored";
    auto back = service::estimate_of(stored);
    ASSERT_TRUE(back) << stored;
    EXPECT_EQ(back->kwh, e.kwh);
    ASSERT_EQ(back->segments.size(), e.segments.size());
    for (auto lang : {i18n::Lang::uk, i18n::Lang::en}) {
      EXPECT_EQ(service::estimate_explanation(stored, lang), i18n::explain_estimate(lang, e))
          << stored;
      EXPECT_EQ(service::estimate_for_reading(stored)["explanation"][i18n::lang_code(lang)],
                i18n::explain_estimate(lang, e));
    }
  }
  const std::string en =
      service::estimate_explanation(service::stored_estimate(cases[0]), i18n::Lang::en);
  EXPECT_NE(en.find("customers in Izmail who sent readings this month use 19 % less"),
            std::string::npos)
      << en;
  EXPECT_NE(en.find("outages × 0.85"), std::string::npos) << en;
  EXPECT_NE(en.find("(your average 01.09.2026–01.10.2026, season × 1.25)"), std::string::npos)
      << en;
}

TEST(StoredEstimate, WordsStoredWithAnOlderRowAreKeptAndNothingIsNoWords) {
  const std::string old =
      R"({"method":"recent","kwh":98,"segments":[],"explanation":{"uk":"98 кВт·год","en":"98 kWh"}})";
  EXPECT_EQ(service::estimate_explanation(old, i18n::Lang::en), "98 kWh");
  EXPECT_EQ(service::estimate_for_reading(old)["explanation"]["uk"], "98 кВт·год");
  EXPECT_EQ(service::estimate_explanation("", i18n::Lang::en), "");
  EXPECT_TRUE(service::estimate_for_reading("").is_null());
  EXPECT_EQ(service::estimate_explanation("{not json", i18n::Lang::uk), "");
  EXPECT_FALSE(service::estimate_of(R"({"method":"guess","segments":[]})"));
}
