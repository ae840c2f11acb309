// A meter exchange (rules.md §4): the old meter's final reading and the new meter's initial
// reading, per register, and the date. With the same zones the metering point's counter continues
// (the new meter is offset); with other zones the old chains end and new ones begin.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "service/submission.hpp"
#include "store/store.hpp"

namespace md::service {

struct ExchangeRefused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ExchangeRequest {
  std::string account, old_serial, new_serial;
  std::vector<std::string> old_final;    // in the old meter's zone order
  std::vector<std::string> new_initial;  // in the new meter's zone order
  int zones = 1, digits = 5;
  domain::Day date{};
  std::string actor = "operator";
  std::string channel = "operator_console";
  std::string reason;
};

struct ExchangeResult {
  std::string final_receipt, initial_receipt;
  bool counter_continues = false;
  std::vector<std::int64_t> offsets;
};

// All or nothing, in one transaction; throws ExchangeRefused saying why.
ExchangeResult exchange_meter(store::Store& store, Submissions& submissions,
                              const ExchangeRequest& req, domain::Instant now);

}  // namespace md::service
