#include "domain/meter.hpp"

#include <array>

namespace md::domain {
namespace {
constexpr std::array<Zone, 1> kOne{Zone::total};
constexpr std::array<Zone, 2> kTwo{Zone::day, Zone::night};
constexpr std::array<Zone, 3> kThree{Zone::peak, Zone::half_peak, Zone::night};
}  // namespace

std::string_view zone_name(Zone z) {
  switch (z) {
    case Zone::total:
      return "total";
    case Zone::day:
      return "day";
    case Zone::night:
      return "night";
    case Zone::peak:
      return "peak";
    case Zone::half_peak:
      return "half_peak";
  }
  return "total";
}

std::optional<Zone> parse_zone(std::string_view name) {
  for (Zone z : {Zone::total, Zone::day, Zone::night, Zone::peak, Zone::half_peak})
    if (zone_name(z) == name) return z;
  return std::nullopt;
}

std::span<const Zone> zones_of(int zone_count) {
  switch (zone_count) {
    case 2:
      return kTwo;
    case 3:
      return kThree;
    default:
      return kOne;
  }
}

bool valid_zone_count(int zone_count) {
  return zone_count >= 1 && zone_count <= 3;
}
bool valid_digits(int digits) {
  return digits >= 4 && digits <= 8;
}

std::int64_t register_modulus(int digits) {
  std::int64_t m = 1;
  for (int i = 0; i < digits; ++i) m *= 10;
  return m;
}

}  // namespace md::domain
