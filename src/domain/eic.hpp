// EIC codes of metering points (rules.md §9).
#pragma once
#include <optional>
#include <string_view>

namespace md::domain {
// The check character for the first 15 characters, or nullopt if they are not [0-9A-Z-] or the
// check would be '-' (such codes cannot be valid).
std::optional<char> eic_check_char(std::string_view first15);
bool valid_eic(std::string_view code);
}  // namespace md::domain
