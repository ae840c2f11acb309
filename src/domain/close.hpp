// Closing a period for one register chain: volume, correction, billed position (rules.md §8).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/estimation.hpp"

namespace md::domain {

// What the previous close left for this chain.
struct PriorPosition {
  std::int64_t position = 0;  // P(M−1): the register value billed so far
  int estimated_run = 0;      // consecutive estimated months up to M−1
};

struct ChainClose {
  bool exists = true;  // false: the chain starts after this month (nothing to close)
  std::int64_t start_value = 0;
  ValueKind start_kind = ValueKind::actual;
  std::int64_t end_value = 0;
  ValueKind end_kind = ValueKind::actual;  // actual, derived or estimated
  std::int64_t volume = 0;                 // Q(M) ≥ 0
  std::int64_t correction = 0;             // Δ(M)
  std::int64_t position = 0;               // P(M)
  std::int64_t previous_position = 0;      // P(M−1) as used
  std::optional<Estimate> estimate;        // when end_kind is estimated (or the start was)
  int estimated_run = 0;
  bool inspection_due = false;  // the run just reached estimation.max_consecutive

  [[nodiscard]] std::string_view method() const;  // actual / derived / estimated
};

// Whether close_chain would estimate a value of `chain` for month m (its end, or the start of a
// first close): a caller that learns its estimator from everyone can set those chains aside.
bool needs_estimate(const Chain& chain, YearMonth m, bool has_prior);

ChainClose close_chain(const Chain& chain, YearMonth m, const std::optional<PriorPosition>& prior,
                       const EstimationRules& rules, const Population* population = nullptr);

}  // namespace md::domain
