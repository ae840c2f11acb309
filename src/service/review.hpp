// The operators' review of flagged readings: accept it as it is, or reject it with a reason (the
// reading then no longer counts, and the customer sees the decision and the reason).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace md::service {

enum class ReviewDecision { accept, reject };
enum class ReviewResult { decided, not_pending, reason_required };

// Tells the customer of a decision, inside the decision's transaction (the messengers' outbox).
using DecisionNotice =
    std::function<void(store::WriteTx& tx, std::int64_t account_id, std::string_view receipt,
                       bool accepted, const std::string& reason)>;

ReviewResult decide_review(store::Store& store, std::int64_t submission_id, ReviewDecision decision,
                           const std::string& actor, const std::string& reason, domain::Instant now,
                           std::string_view request_id, const DecisionNotice& notice = {});

}  // namespace md::service
