#include "domain/receipt_id.hpp"

#include <cctype>

namespace md::domain {

std::string format_receipt_id(const std::array<std::uint32_t, 8>& symbols) {
  std::string id = "R-";
  for (size_t i = 0; i < symbols.size(); ++i) {
    if (i == 4) id += '-';
    id += kReceiptAlphabet[symbols[i] % kReceiptAlphabet.size()];
  }
  return id;
}

std::optional<std::string> normalize_receipt_id(std::string_view text) {
  std::string symbols;
  for (char c : text) {
    if (c == '-' || c == ' ') continue;
    symbols += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (symbols.size() != 9 || symbols[0] != 'R') return std::nullopt;
  for (size_t i = 1; i < symbols.size(); ++i)
    if (kReceiptAlphabet.find(symbols[i]) == std::string_view::npos) return std::nullopt;
  return "R-" + symbols.substr(1, 4) + "-" + symbols.substr(5, 4);
}

}  // namespace md::domain
