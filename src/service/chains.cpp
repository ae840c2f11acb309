#include "service/chains.hpp"

#include <unordered_map>

#include "domain/meter.hpp"

namespace md::service {

namespace {

// As-of instants repeat: most are month boundaries. Looking them up in the time-zone database
// 22 million times took seconds of a million-point close; a small per-thread memo does not.
domain::Day kyiv_day(domain::Instant t) {
  thread_local std::unordered_map<std::int64_t, domain::Day> memo;
  auto key = t.time_since_epoch().count();
  if (auto it = memo.find(key); it != memo.end()) return it->second;
  if (memo.size() > 100000) memo.clear();
  return memo.emplace(key, domain::kyiv_date(t)).first->second;
}

}  // namespace

std::vector<ChainSpec> chains_of(const store::PointHistory& p,
                                 const domain::ValidationRules& rules) {
  std::vector<ChainSpec> out;
  size_t era_begin = 0;
  for (size_t i = 0; i <= p.meters.size(); ++i) {
    bool boundary = i == p.meters.size() || p.meters[i].zones != p.meters[era_begin].zones;
    if (!boundary) continue;
    const auto& first = p.meters[era_begin];
    auto zones = domain::zones_of(first.zones);
    std::vector<ChainSpec> era(zones.size());
    auto in_era = [&](std::int64_t meter) {
      for (size_t k = era_begin; k < i; ++k)
        if (p.meters[k].id == meter) return true;
      return false;
    };
    for (size_t z = 0; z < zones.size(); ++z) {
      era[z].id = first.id;
      era[z].zone_index = static_cast<int>(z);
      era[z].zones = first.zones;
      era[z].chain.default_rate = rules.default_rates.of(zones[z], first.zones);
      era[z].chain.area = p.area;
      for (size_t k = era_begin; k < i; ++k) era[z].meters.push_back(&p.meters[k]);
      const auto& last_meter = p.meters[i - 1];
      if (i < p.meters.size() && last_meter.removed_on)
        era[z].chain.ended = *last_meter.removed_on + date::days{1};
    }
    for (auto& c : era) c.chain.points.reserve(p.readings.size());
    for (const auto& r : p.readings) {
      if (!in_era(r.meter_id)) continue;
      domain::Day day = kyiv_day(r.as_of);
      // The value was read at the end of the day it was taken (the as-of rule of off-cycle ones).
      domain::Day read = r.taken_on == domain::Day{} ? day : r.taken_on + date::days{1};
      for (size_t z = 0; z < zones.size(); ++z)
        era[z].chain.points.push_back(
            domain::ChainPoint{day, r.unwrapped[z], r.installation, read});
    }
    for (auto& c : era) {
      c.chain.normalize();
      out.push_back(std::move(c));
    }
    era_begin = i;
  }
  return out;
}

}  // namespace md::service
