// The confirmation every accepted submission answers with (rules.md §11).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/calendar.hpp"

namespace md::service {

struct Receipt {
  std::string id;  // R-7K3Q-9XPM
  domain::Instant received_at{};
  std::string account_masked;  // ******6789
  std::string meter_serial;
  std::string type;
  std::string channel;
  domain::Day taken_on{};
  std::vector<std::pair<std::string, std::int64_t>> readings;     // zone → value, zone order
  std::vector<std::pair<std::string, std::int64_t>> consumption;  // empty for a first reading
  std::optional<domain::YearMonth> period;  // counts as the reading on the 1st after `period`
  domain::Day correction_deadline{};
  std::vector<std::string> flags;
  std::vector<std::string> notes;  // human sentences in the customer's language
};

std::string mask_account(std::string_view account);

// What a reading counts as (rules §3), as shown to customers: {"kind":"period_end",
// "period":"2026-11"}, {"kind":"off_cycle","date":...} or {"kind":"installation","date":...}.
struct CountsAs {
  std::string kind, key, value;
};
CountsAs counts_as(const std::optional<domain::YearMonth>& period, std::string_view type,
                   domain::Day taken_on);
// The receipt as the JSON the API answers with (and stores, so a replay answers the same).
std::string receipt_to_json(const Receipt& r);

}  // namespace md::service
