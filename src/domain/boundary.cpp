#include "domain/boundary.hpp"

#include <algorithm>
#include <cmath>

namespace md::domain {

std::string_view kind_name(ValueKind k) {
  switch (k) {
    case ValueKind::actual:
      return "actual";
    case ValueKind::derived:
      return "derived";
    case ValueKind::estimated:
      return "estimated";
    case ValueKind::installation:
      return "installation";
  }
  return "actual";
}

void Chain::normalize() {
  if (!std::is_sorted(points.begin(), points.end(),
                      [](const ChainPoint& a, const ChainPoint& b) { return a.day < b.day; }))
    std::stable_sort(points.begin(), points.end(),
                     [](const ChainPoint& a, const ChainPoint& b) { return a.day < b.day; });
  // One point per day, the last given; in place.
  size_t kept = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    if (kept > 0 && points[kept - 1].day == points[i].day)
      points[kept - 1] = points[i];
    else
      points[kept++] = points[i];
  }
  points.resize(kept);
}

const ChainPoint* Chain::first() const {
  return points.empty() ? nullptr : &points.front();
}
const ChainPoint* Chain::last() const {
  return points.empty() ? nullptr : &points.back();
}

std::int64_t div_round(std::int64_t x, std::int64_t d) {
  std::int64_t q = x / d, r = x % d;
  if (2 * (r < 0 ? -r : r) >= d) q += x < 0 ? -1 : 1;
  return q;
}

std::int64_t round_half_away(double x) {
  return static_cast<std::int64_t>(x < 0 ? -std::floor(-x + 0.5) : std::floor(x + 0.5));
}

std::optional<BoundaryValue> value_from_readings(const Chain& chain, Day b) {
  const auto& pts = chain.points;
  auto it = std::lower_bound(pts.begin(), pts.end(), b,
                             [](const ChainPoint& p, Day d) { return p.day < d; });
  if (it != pts.end() && it->day == b)
    return BoundaryValue{it->installation ? ValueKind::installation : ValueKind::actual, it->value};
  if (it == pts.begin() || it == pts.end()) return std::nullopt;
  const ChainPoint& before = *(it - 1);
  const ChainPoint& after = *it;
  std::int64_t span = days_between(before.day, after.day);
  std::int64_t into = days_between(before.day, b);
  return BoundaryValue{ValueKind::derived,
                       before.value + div_round((after.value - before.value) * into, span)};
}

std::optional<double> rate_between(Day from, std::int64_t from_value, Day to,
                                   std::int64_t to_value) {
  const int days = days_between(from, to);
  if (days <= 0) return std::nullopt;
  return static_cast<double>(to_value - from_value) / days;
}

}  // namespace md::domain
