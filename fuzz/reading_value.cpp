// libFuzzer: the reading-value parser (what customers type: digits, commas, spaces, red digits).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "domain/reading_value.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (int digits : {4, 5, 6, 8}) {
    auto parsed = md::domain::parse_reading_value(text, digits);
    (void)parsed;
  }
  return 0;
}
