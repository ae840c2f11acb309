#include "domain/close.hpp"

#include <algorithm>

namespace md::domain {

std::string_view ChainClose::method() const {
  switch (end_kind) {
    case ValueKind::derived:
      return "derived";
    case ValueKind::estimated:
      return "estimated";
    default:
      return "actual";
  }
}

bool needs_estimate(const Chain& chain, YearMonth m, bool has_prior) {
  const Day start = m.first_day(), end = m.next().first_day();
  const ChainPoint* first = chain.first();
  if (!first || first->day >= end || (chain.ended && *chain.ended <= start)) return false;
  const bool start_estimated =
      !has_prior && first->day <= start && !value_from_readings(chain, start);
  const bool end_estimated =
      !(chain.ended && *chain.ended <= end) && !value_from_readings(chain, end);
  return start_estimated || end_estimated;
}

ChainClose close_chain(const Chain& chain, YearMonth m, const std::optional<PriorPosition>& prior,
                       const EstimationRules& rules, const Population* population) {
  ChainClose c;
  const Day start = m.first_day();
  const Day end = m.next().first_day();
  const ChainPoint* first = chain.first();
  const ChainPoint* last = chain.last();
  if (!first || first->day >= end || (chain.ended && *chain.ended <= start)) {
    c.exists = false;  // installed after this month, ended before it, or never read
    return c;
  }

  // R̂_start: from readings at B(M); else P(M−1); for a chain installed during M, its installation
  // reading; for the first close of an older chain whose readings stop before B(M), an estimate.
  std::int64_t previous = 0;
  if (auto v = value_from_readings(chain, start)) {
    c.start_value = v->value;
    c.start_kind = v->kind;
    previous = prior ? prior->position : v->value;
  } else if (first->day > start) {
    c.start_value = first->value;
    c.start_kind = ValueKind::installation;
    previous = prior ? prior->position : first->value;
  } else if (prior) {
    // Readings end before B(M): what was billed stands; the start carries no new information.
    c.start_value = prior->position;
    c.start_kind = ValueKind::estimated;
    previous = prior->position;
  } else {
    Estimate e = estimate_between(chain, last->day, start, rules, population);
    c.start_value = last->value + e.kwh;
    c.start_kind = ValueKind::estimated;
    previous = c.start_value;
  }
  c.previous_position = previous;

  // R_end at B(M+1); a chain that ended during M ends at its final reading.
  if (chain.ended && *chain.ended <= end) {
    c.end_value = last->value;
    c.end_kind = ValueKind::actual;
  } else if (auto v = value_from_readings(chain, end); v && v->kind != ValueKind::installation) {
    c.end_value = v->value;
    c.end_kind = v->kind;
  } else if (v) {
    c.end_value = v->value;  // an exchange reading exactly at B(M+1) is an actual value
    c.end_kind = ValueKind::actual;
  } else if (last->day >= start) {
    Estimate e = estimate_between(chain, last->day, end, rules, population);
    c.end_value = last->value + e.kwh;
    c.end_kind = ValueKind::estimated;
    c.estimate = std::move(e);
  } else {
    Estimate e = estimate_between(chain, start, end, rules, population);
    c.end_value = previous + e.kwh;
    c.end_kind = ValueKind::estimated;
    c.estimate = std::move(e);
  }

  c.volume = std::max<std::int64_t>(0, c.end_value - c.start_value);
  c.correction = c.start_value - previous;
  c.position = previous + c.volume + c.correction;
  c.estimated_run = c.end_kind == ValueKind::estimated ? (prior ? prior->estimated_run : 0) + 1 : 0;
  c.inspection_due = c.estimated_run == rules.max_consecutive;
  return c;
}

}  // namespace md::domain
