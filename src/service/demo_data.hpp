// Realistic synthetic accounts with two years of seasonal history, for demos and benchmarks.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "service/submission.hpp"
#include "store/store.hpp"

namespace md::service {

struct DemoAccount {
  std::string account, meter_serial;
  int zones = 1;
  std::string next_reading;  // a plausible next reading as JSON, e.g. {"day":55345,"night":78604}
};

struct DemoSummary {
  int accounts = 0;
  int readings = 0;
  std::vector<DemoAccount> examples;  // a few of each zone count, to try by hand
};

// Deterministic for a given seed and `now`. Refuses to run on a store that has accounts.
// `examples`: how many accounts to suggest readings for (alternating zone counts).
DemoSummary generate_demo_data(store::Store& store, Submissions& submissions, int accounts,
                               domain::Instant now, std::uint64_t seed = 2026, int examples = 6);

}  // namespace md::service
