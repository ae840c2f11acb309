// An estimate as it is stored with its volume (rules.md §7): the method, the basis of every
// month it spans and the coefficients, as JSON; its explanation in words is rendered from them
// when read, in the reader's language.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "domain/estimation.hpp"
#include "i18n/messages.hpp"

namespace md::service {

std::string stored_estimate(const domain::Estimate& e);

// The stored form back as the estimate it was; nothing when the text is not one.
std::optional<domain::Estimate> estimate_of(std::string_view stored);

// The stored form with its explanation, {"uk": …, "en": …}, added (null for an empty text):
// what the exports and the API show. Rows closed before the words were rendered on reading
// keep the words they were stored with.
nlohmann::json estimate_for_reading(std::string_view stored);

// "212 kWh = 7.07 kWh/day (November 2025) × 30 days"; empty when there is no estimate.
std::string estimate_explanation(std::string_view stored, i18n::Lang lang);

}  // namespace md::service
