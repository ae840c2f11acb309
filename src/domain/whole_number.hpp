// A whole number from JSON (nlohmann::json, or any type with its interface) that came from
// outside or from storage, or nothing. json's own
// conversion casts a floating-point value to the integer type asked for, which is undefined
// behaviour when it is out of range (fuzz_dialog found `"zone_index":1.3e57` in a stored state),
// and throws on another type; here a fraction, an out-of-range number or another type is nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

namespace md::domain {

template <typename T, typename Json>
std::optional<T> whole_number(const Json& v) {
  if (v.is_number_unsigned()) {
    auto n = v.template get<std::uint64_t>();
    if (std::in_range<T>(n)) return static_cast<T>(n);
  } else if (v.is_number_integer()) {
    auto n = v.template get<std::int64_t>();
    if (std::in_range<T>(n)) return static_cast<T>(n);
  }
  return std::nullopt;
}

}  // namespace md::domain
