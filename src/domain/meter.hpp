// Meters, zones and registers (rules.md §4).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "domain/calendar.hpp"

namespace md::domain {

enum class Zone { total, day, night, peak, half_peak };

std::string_view zone_name(Zone z);
std::optional<Zone> parse_zone(std::string_view name);
// The registers of a meter with 1, 2 or 3 zones, in the order prompts ask for them.
std::span<const Zone> zones_of(int zone_count);
bool valid_zone_count(int zone_count);
bool valid_digits(int digits);

// One value per register kind, e.g. class default rates or price coefficients. The night of a
// three-zone meter is its own kind: it is a shorter night than a two-zone meter's.
template <typename T>
struct PerZone {
  T total{}, day{}, night{}, peak{}, half_peak{}, night3{};
  [[nodiscard]] T of(Zone z, int zone_count) const {
    switch (z) {
      case Zone::total:
        return total;
      case Zone::day:
        return day;
      case Zone::night:
        return zone_count == 3 ? night3 : night;
      case Zone::peak:
        return peak;
      case Zone::half_peak:
        return half_peak;
    }
    return total;
  }
};

struct MeterSpec {
  int zones = 1;
  int digits = 5;  // integer digits; red digits after the point are never entered
  Day installed_on{};
};

// 10^digits: the value at which a register wraps to 0.
std::int64_t register_modulus(int digits);

}  // namespace md::domain
