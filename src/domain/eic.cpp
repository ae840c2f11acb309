#include "domain/eic.hpp"

namespace md::domain {
namespace {
int value_of(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  if (c == '-') return 36;
  return -1;
}
char char_of(int v) {
  if (v < 10) return static_cast<char>('0' + v);
  if (v < 36) return static_cast<char>('A' + v - 10);
  return '-';
}
}  // namespace

std::optional<char> eic_check_char(std::string_view first15) {
  if (first15.size() != 15) return std::nullopt;
  int sum = 0;
  for (size_t i = 0; i < 15; ++i) {
    int v = value_of(first15[i]);
    if (v < 0) return std::nullopt;
    sum += v * static_cast<int>(16 - i);  // weights 16 down to 2
  }
  char check = char_of(36 - ((sum - 1) % 37));
  if (check == '-') return std::nullopt;
  return check;
}

bool valid_eic(std::string_view code) {
  if (code.size() != 16) return false;
  auto check = eic_check_char(code.substr(0, 15));
  return check && *check == code[15];
}
}  // namespace md::domain
