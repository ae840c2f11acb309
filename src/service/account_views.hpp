// What the customer-facing pages and the API read (issue 31): one account's meters, readings,
// months and bills, a meter named by account and serial with its latest accepted reading, a
// stored receipt. Pages render the plain rows they get here and never ask the store themselves.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/bill.hpp"
#include "service/handover.hpp"
#include "store/store.hpp"

namespace md::service {

// The meter installed now with that serial on that account (closed accounts too: the caller
// checks `account_active`).
std::optional<store::MeterRow> find_meter(store::ReadingReads& store, std::string_view account,
                                          std::string_view serial);
// The reading a new one sent `now` is compared with (rules.md §3: not one of the window it counts
// for, which it replaces): what a form shows as the last reading and counts the consumption from.
std::optional<store::ReadingRow> compared_reading(store::ReadingReads& store, std::int64_t meter_id,
                                                  domain::Instant now,
                                                  const domain::WindowRules& window);
std::vector<store::MeterRow> account_meters(store::AccountReads& store, std::int64_t account_id);
// A meter's readings, the latest first.
std::vector<store::ReadingRow> meter_history(store::ReadingReads& store, std::int64_t meter_id,
                                             int limit);
// The receipt as it was given (JSON), if there is one with that id.
std::optional<std::string> stored_receipt(store::ReadingReads& store, std::string_view receipt);

// The personal account's first page: each meter with its latest accepted reading, and every
// closed month with its bill.
struct CustomerOverview {
  store::AccountRow account;
  struct Meter {
    store::MeterRow meter;
    std::optional<store::ReadingRow> last;
  };
  std::vector<Meter> meters;
  std::vector<AccountMonth> months;
};
CustomerOverview customer_overview(store::Store& store, std::int64_t account_id,
                                   const domain::PriceList& configured_prices);

// The account's readings, the latest first, and its closed months' volumes in period order.
std::vector<store::ReadingRow> account_history(store::AccountReads& store, std::int64_t account_id,
                                               int limit);
std::vector<store::VolumeRow> account_volumes(store::AccountReads& store, std::int64_t account_id);
struct AccountBills {
  std::vector<store::VolumeRow> volumes;  // in period order
  std::vector<AccountMonth> months;
};
AccountBills account_bills(store::Store& store, std::int64_t account_id,
                           const domain::PriceList& configured_prices);

// Everything kept about a customer's account, for them to download (their right to their data):
// the account, their cabinet's contact details, every reading and every closed month.
struct AccountExport {
  std::string filename;  // meterdesk-<account>.json or .csv
  std::string body;
};
AccountExport account_data_json(store::Store& store, const store::UserRow& user);
AccountExport account_data_csv(store::Store& store, const store::UserRow& user);

// The store answers (the health checks), and the review backlog (the metrics).
bool store_healthy(store::Store& store);
std::int64_t review_backlog(store::ReadingReads& store);

}  // namespace md::service
