#include "service/review.hpp"

namespace md::service {

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
