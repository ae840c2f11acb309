// What the policy estimators learn from everyone, fed point by point by a scan of the metering
// points (its own, or the close's): the seasonal index and, for `blend`, a reservoir of chains to
// fit on. Shared by the close (service/period_close.cpp) and its evidence (population.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "domain/estimation.hpp"
#include "service/chains.hpp"

namespace md::service {

class PopulationLearner {
 public:
  PopulationLearner(domain::YearMonth month, bool blend)
      : month_(month),
        blend_(blend),
        rng_(static_cast<std::uint64_t>(month.year) * 100 + month.month) {}

  // `seasonal` takes every household into the index; `blend` keeps a sample of households (a
  // copy of their chains) and learns everything from it when the scan is done.
  void add(std::int64_t point, const std::vector<ChainSpec>& chains);
  domain::Population finish();

 private:
  // A household's daily level in each of the 25 months before this one, into the index.
  void add_to_index(const std::vector<const domain::Chain*>& chains);

  // Enough households for a fit of seven terms many times over (a chain gives about 36 rows)
  // and a median per month; a million would take memory and time and teach it nothing more. A
  // reservoir, seeded by the month: the same store and month give the same sample, so a close
  // can be reproduced.
  static constexpr size_t kSample = 5000;
  domain::YearMonth month_;
  bool blend_;
  std::map<domain::YearMonth, std::vector<double>> rates_;
  std::vector<std::pair<std::int64_t, std::vector<domain::Chain>>> sample_;  // by household
  std::mt19937_64 rng_;
  std::uint64_t seen_ = 0;
};

}  // namespace md::service
