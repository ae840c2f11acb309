// Receipt ids: R-XXXX-XXXX over an alphabet a customer can read out on the phone (rules.md §9).
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace md::domain {
// No 0/O, 1/I/L: 31 symbols, so 8 of them carry 39.6 bits.
inline constexpr std::string_view kReceiptAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
// Builds an id from 8 symbol indices (each reduced modulo the alphabet size).
std::string format_receipt_id(const std::array<std::uint32_t, 8>& symbols);
// Canonical form of what a customer typed or said ("r 7k3q 9xpm" → "R-7K3Q-9XPM"), if valid.
std::optional<std::string> normalize_receipt_id(std::string_view text);
}  // namespace md::domain
