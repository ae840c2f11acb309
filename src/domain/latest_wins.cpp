#include "domain/latest_wins.hpp"

#include <algorithm>

namespace md::domain {

LatestWins latest_in_window_wins(std::optional<YearMonth> window,
                                 const std::vector<AcceptedReading>& accepted, std::size_t limit) {
  LatestWins out;
  std::vector<std::size_t> stay;
  for (std::size_t i = 0; i < accepted.size(); ++i) {
    if (window && accepted[i].period == window)
      out.superseded.push_back(accepted[i].id);
    else
      stay.push_back(i);
  }
  std::sort(out.superseded.begin(), out.superseded.end());
  std::sort(stay.begin(), stay.end(), [&](std::size_t a, std::size_t b) {
    if (accepted[a].as_of != accepted[b].as_of) return accepted[a].as_of > accepted[b].as_of;
    return accepted[a].id > accepted[b].id;
  });
  if (stay.size() > limit) stay.resize(limit);
  out.compared_with = std::move(stay);
  return out;
}

}  // namespace md::domain
