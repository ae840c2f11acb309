// One-sentence explanations of estimates for customers (rules.md §7), in uk and en:
// "212 kWh = 7.07 kWh/day (November 2025) × 30 days".
#pragma once
#include <string>

#include "domain/estimation.hpp"
#include "i18n/messages.hpp"

namespace md::i18n {

std::string month_name(Lang lang, domain::YearMonth m);  // "November 2025", "листопад 2025"
std::string month_short(Lang lang, domain::YearMonth m);  // "Nov", "лис": a chart's axis
std::string explain_estimate(Lang lang, const domain::Estimate& e);
// "Readings for November 2026 are being taken now: 28.11–03.12.2026. Last day: 03.12.2026." or
// when the next window is: every channel states it the same way.
std::string window_text(Lang lang, domain::Day today, const domain::WindowRules& rules);

}  // namespace md::i18n
