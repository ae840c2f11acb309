// rules.md §3, "the latest reading in a window wins".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "domain/calendar.hpp"

namespace md::domain {

// One of a meter's accepted readings, as the rule sees it.
struct AcceptedReading {
  std::int64_t id = 0;  // the order they came in
  Instant as_of{};
  std::optional<YearMonth> period;  // the window it counts for; none off-cycle
};

struct LatestWins {
  std::vector<std::int64_t> superseded;  // ascending ids
  // The latest accepted readings that stay (up to the limit), the latest first: the new reading
  // is validated against the first, and its rate against the second.
  std::vector<std::size_t> compared_with;  // indices into the readings given
};

// A new reading counting for `window` supersedes every accepted reading counting for the same
// window (they no longer count for it: the latest sent in a window is the one that counts), and
// is compared with the latest of the others by as-of instant, then by the order they came in.
// An off-cycle reading (no window) supersedes nothing.
LatestWins latest_in_window_wins(std::optional<YearMonth> window,
                                 const std::vector<AcceptedReading>& accepted, std::size_t limit);

}  // namespace md::domain
