#include "domain/reading_value.hpp"

namespace md::domain {
namespace {
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
}  // namespace

ParsedValue parse_reading_value(std::string_view text, int digits) {
  ParsedValue out;
  while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
  if (text.empty()) {
    out.error = ParsedValue::Error::empty;
    return out;
  }
  if (text.front() == '-') {
    std::string_view rest = text.substr(1);
    bool numeric = !rest.empty() && is_digit(rest.front());
    out.error = numeric ? ParsedValue::Error::negative : ParsedValue::Error::not_a_number;
    return out;
  }
  if (text.front() == '+') text.remove_prefix(1);
  size_t i = 0;
  while (i < text.size() && is_digit(text[i])) ++i;
  std::string_view integer = text.substr(0, i);
  std::string_view rest = text.substr(i);
  if (integer.empty()) {
    out.error = ParsedValue::Error::not_a_number;
    return out;
  }
  if (!rest.empty()) {
    if (rest.front() != '.' && rest.front() != ',') {
      out.error = ParsedValue::Error::not_a_number;
      return out;
    }
    for (char c : rest.substr(1)) {
      if (!is_digit(c)) {
        out.error = ParsedValue::Error::not_a_number;
        return out;
      }
    }
    out.decimal_ignored = true;
  }
  out.digits = std::string(integer);
  std::string_view significant = integer;
  while (significant.size() > 1 && significant.front() == '0') significant.remove_prefix(1);
  auto typed = static_cast<int>(integer.size());
  auto needed = static_cast<int>(significant.size());
  if (typed > digits && needed > digits) {
    out.error =
        needed == digits + 1 ? ParsedValue::Error::red_digits : ParsedValue::Error::too_many_digits;
    return out;
  }
  std::int64_t v = 0;
  for (char c : significant) v = v * 10 + (c - '0');  // at most 8 digits here: no overflow
  out.value = v;
  return out;
}

}  // namespace md::domain
