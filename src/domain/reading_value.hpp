// Step 2 of validation (rules.md §5): what a customer typed for one register.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace md::domain {

struct ParsedValue {
  enum class Error { none, empty, not_a_number, negative, red_digits, too_many_digits };
  Error error = Error::none;
  std::int64_t value = 0;
  bool decimal_ignored = false;  // "12345,6" was truncated to 12345
  std::string digits;            // the integer part as typed (for typo hints)
};

// Accepts surrounding blanks, an integer part and an optional decimal part after '.' or ','.
// `digits` is the register's number of integer digits: leading zeros beyond it are fine, exactly
// one digit more is reported as red digits, more than that as too many digits.
ParsedValue parse_reading_value(std::string_view text, int digits);

}  // namespace md::domain
