// Submitting a reading: the one path every channel takes (rules.md §3, §5, §11, §12).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/bill.hpp"
#include "domain/estimation.hpp"
#include "domain/validation.hpp"
#include "i18n/messages.hpp"
#include "service/receipt.hpp"
#include "store/store.hpp"

namespace md::service {

struct ServiceConfig {
  domain::ValidationRules rules;
  int account_digits = 10;  // account.digits
  domain::EstimationRules estimation;
  domain::PriceList prices;
};

// Channels that may state an earlier reading date (an inspector's visit, a batch, the API).
bool channel_may_backdate(std::string_view channel);

struct SubmitRequest {
  std::string channel;  // telegram, viber, ivr, web_form, cabinet, api, operator_console, import
  std::string idempotency_key;  // empty: none
  std::string account;
  std::string meter_serial;
  std::vector<std::pair<std::string, std::string>> values;  // zone → text as entered
  std::optional<domain::Day> taken_on;  // honoured only where channel_may_backdate
  std::string type = "customer";
  bool confirmed = false;
  std::string actor = "customer";
  std::string raw_input;              // what arrived, verbatim, for the audit
  std::string request_id;             // the channel's request id, kept with the audit record
  std::optional<store::Photo> photo;  // a picture of the meter, stored with an accepted reading
  i18n::Lang lang = i18n::Lang::uk;
};

struct SubmitOutcome {
  enum class Status { accepted, replayed, needs_confirmation, rejected, not_found, unavailable };
  Status status = Status::unavailable;
  std::string receipt_json;                    // accepted, replayed
  std::string receipt_id;                      // accepted
  std::optional<domain::Rejection> rejection;  // rejected, not_found
  domain::Validation validation;               // needs_confirmation (and rejected): the details
};
std::string_view status_name(SubmitOutcome::Status s);

// Generates receipt ids; replaceable so demos can be reproducible.
using ReceiptIdSource = std::function<std::string()>;
ReceiptIdSource random_receipt_ids();

class Submissions {
 public:
  Submissions(ServiceConfig config, ReceiptIdSource ids = random_receipt_ids());

  // Validates and stores one submission inside `tx` (the caller commits). Every attempt leaves
  // an audit record; only an accepted one leaves a submission.
  SubmitOutcome process(store::WriteTx& tx, const SubmitRequest& req, domain::Instant now);
  // The values of `req` given so far, a reading still missing zones (channels.md, step 4): the
  // rejection of one of them (audited as a rejected attempt), or none. Stores nothing else.
  std::optional<domain::Rejection> judge_given(store::WriteTx& tx, const SubmitRequest& req,
                                               domain::Instant now);
  // What a new reading of `meter` would be compared with, and the reading of its window it would
  // replace (rules.md §3): what the channels show as the last reading.
  struct LastReadings {
    std::optional<store::ReadingRow> compared_with, replaced;
  };
  LastReadings last_readings(store::WriteTx& tx, const store::MeterRow& meter, domain::Instant now);
  // Tells `tx` what process() is about to read for these requests (a group commit's batch).
  void prefetch(store::WriteTx& tx, const std::vector<const SubmitRequest*>& reqs,
                domain::Instant now);

  [[nodiscard]] const ServiceConfig& config() const { return config_; }

 private:
  ServiceConfig config_;
  ReceiptIdSource ids_;
};

domain::PriorReading to_prior(const store::ReadingRow& row);

}  // namespace md::service
