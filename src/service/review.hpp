// The operators' review of flagged readings: accept it as it is, or reject it with a reason (the
// reading then no longer counts, and the customer sees the decision and the reason).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "domain/validation.hpp"
#include "store/store.hpp"

namespace md::service {

enum class ReviewDecision { accept, reject };
enum class ReviewResult { decided, not_pending, reason_required };

// Tells the customer of a decision, inside the decision's transaction (the messengers' outbox).
using DecisionNotice =
    std::function<void(store::WriteTx& tx, std::int64_t account_id, std::string_view receipt,
                       bool accepted, const std::string& reason)>;

// What the operator weighs a flagged reading against, per zone: its consumption since the
// previous reading and the usual rate a day it was judged by (rules.md §5: the last known rate,
// else the class default).
struct ReviewFigures {
  std::optional<domain::Day> previous_on;
  int days = 0;                                  // since the previous reading
  std::vector<std::optional<std::int64_t>> kwh;  // per zone; none without a previous reading
  std::vector<double> usual_per_day;             // per zone
};
ReviewFigures review_figures(const store::ReviewRow& row, const domain::ValidationRules& rules);

ReviewResult decide_review(store::Store& store, std::int64_t submission_id, ReviewDecision decision,
                           const std::string& actor, const std::string& reason, domain::Instant now,
                           std::string_view request_id, const DecisionNotice& notice = {});

}  // namespace md::service
