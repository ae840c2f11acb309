// A metering point as the close sees it: its register chains, one per zone of each zone
// configuration (rules.md §4), with the meters that showed them.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "domain/close.hpp"
#include "domain/validation.hpp"
#include "store/records.hpp"

namespace md::service {

// One register chain of a metering point: a zone of one zone configuration. Meters exchanged
// for meters with the same zones continue the chain; a change of zones ends it (rules.md §4).
struct ChainSpec {
  std::int64_t id = 0;  // the first meter of the configuration
  int zone_index = 0;
  int zones = 1;
  domain::Chain chain;
  std::vector<const store::PointHistory::Meter*> meters;

  // The meter installed at day d (its installation reading counts as of the next day).
  [[nodiscard]] const store::PointHistory::Meter& meter_at(domain::Day d) const {
    const store::PointHistory::Meter* m = meters.front();
    for (const auto* candidate : meters)
      if (candidate->installed_on + date::days{1} <= d) m = candidate;
    return *m;
  }
  // What the meter installed at day d shows for a counter value: offset and wrapped.
  struct Display {
    std::int64_t offset = 0, modulus = 1;
    [[nodiscard]] std::int64_t of(std::int64_t value) const {
      return (((value - offset) % modulus) + modulus) % modulus;
    }
  };
  [[nodiscard]] Display display_at(domain::Day d) const {
    const auto& m = meter_at(d);
    auto zi = static_cast<size_t>(zone_index);
    return Display{zi < m.counter_offsets.size() ? m.counter_offsets[zi] : 0,
                   domain::register_modulus(m.digits)};
  }
};

// A register chain of a metering point, as positions and volumes name it.
struct ChainKey {
  std::int64_t point, chain;
  int zone;
  // clang-tidy 14 takes the 0 of a defaulted <=> for a null pointer.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  auto operator<=>(const ChainKey&) const = default;
  struct Hash {
    size_t operator()(const ChainKey& k) const {
      return std::hash<std::int64_t>{}(k.point * 1000003 + k.chain * 7 + k.zone);
    }
  };
};

// A point's chains, each with its readings in as-of order.
std::vector<ChainSpec> chains_of(const store::PointHistory& p,
                                 const domain::ValidationRules& rules);

}  // namespace md::service
