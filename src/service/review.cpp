#include "service/review.hpp"

#include "service/submission.hpp"

namespace md::service {

ReviewFigures review_figures(const store::ReviewRow& row, const domain::ValidationRules& rules) {
  domain::ValidationInput in;
  in.meter.zones = row.reading.zones;
  if (!row.earlier.empty()) in.previous = to_prior(row.earlier[0]);
  if (row.earlier.size() > 1) in.before_previous = to_prior(row.earlier[1]);
  ReviewFigures f;
  if (in.previous) {
    f.previous_on = in.previous->taken_on;
    f.days = domain::days_between(in.previous->taken_on, row.reading.taken_on);
  }
  const std::size_t zones = domain::zones_of(row.reading.zones).size();
  for (std::size_t i = 0; i < zones; ++i) {
    std::optional<std::int64_t> kwh;
    // On the continuous counter, so a rollover past 99999 still reads right.
    if (in.previous && i < in.previous->unwrapped.size() && i < row.reading.unwrapped.size())
      kwh = row.reading.unwrapped[i] - in.previous->unwrapped[i];
    f.kwh.push_back(kwh);
    f.usual_per_day.push_back(domain::usual_daily_rate(in, i, rules));
  }
  return f;
}

ReviewResult decide_review(store::Store& store, std::int64_t submission_id, ReviewDecision decision,
                           const std::string& actor, const std::string& reason, domain::Instant now,
                           std::string_view request_id, const DecisionNotice& notice) {
  if (decision == ReviewDecision::reject &&
      reason.find_first_not_of(" \t\r\n") == std::string::npos)
    return ReviewResult::reason_required;
  const bool accept = decision == ReviewDecision::accept;
  auto tx = store.begin_write();
  if (!tx->decide_review(submission_id, accept ? "accepted" : "rejected", actor, reason, now))
    return ReviewResult::not_pending;
  store::AuditEntry e;
  e.at = now;
  e.actor = actor;
  e.channel = "operator_console";
  e.action = "review";
  e.result = accept ? "accepted" : "rejected";
  e.reason = reason;
  e.request_id = std::string(request_id);
  e.submission_id = submission_id;
  if (accept) {
    tx->append_audit(e);
  } else {
    // A superseded reading may have been replaced meanwhile; the decision stands either way.
    try {
      tx->change_status(submission_id, "rejected_by_operator", e);
    } catch (const store::StoreError&) {
      tx->append_audit(e);
    }
  }
  if (notice)
    if (auto owner = store.submission_owner(submission_id))
      notice(*tx, owner->first, owner->second, accept, reason);
  tx->commit();
  return ReviewResult::decided;
}

}  // namespace md::service
