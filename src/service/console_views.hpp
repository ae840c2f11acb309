// What the operators' console shows, read for its pages (issue 31): each page asks one query here
// and renders the plain rows it gets; none of them knows the store. The rows are the store's own
// plain structs where a page shows a row as it is stored.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/calendar.hpp"
#include "domain/validation.hpp"
#include "service/period_close.hpp"
#include "service/review.hpp"
#include "store/store.hpp"

namespace md::service {

// The current window (or the last one, between windows): submissions a day per channel, the
// review backlog and the share of chains the last close estimated.
struct WindowStats {
  domain::Day first{}, last{};
  std::vector<std::string> channels;  // sorted by name
  struct DayCounts {
    domain::Day day{};
    std::vector<std::int64_t> counts;  // one per channel, in `channels` order
  };
  std::vector<DayCounts> days;  // every day of the window, first to last
  std::int64_t review_backlog = 0;
  std::optional<std::int64_t> estimated_per_mille;  // of the last closed month's chains
};
WindowStats window_stats(store::Store& store, domain::Instant now,
                         const domain::WindowRules& rules);

std::vector<store::AccountRow> search_accounts(store::AccountReads& store, std::string_view query,
                                               int limit);
std::optional<store::AccountRow> find_account(store::AccountReads& store, std::string_view number);

// One account as an operator sees it: the latest readings and audit entries (up to a limit each,
// and whether there are more), its meters and every closed month.
struct AccountOverview {
  bool has_cabinet = false;  // the customer has signed up for a personal account
  std::vector<store::MeterRow> meters;
  std::vector<store::ReadingRow> readings;  // the latest first
  bool more_readings = false;
  std::vector<store::VolumeRow> volumes;
  std::vector<store::AuditRow> audit;  // the latest first
  bool more_audit = false;
};
AccountOverview account_overview(store::Store& store, const store::AccountRow& account,
                                 int readings, int audit);

// The flagged readings waiting for a decision, the oldest first, each with its figures.
struct ReviewItem {
  store::ReviewRow row;
  ReviewFigures figures;
};
std::vector<ReviewItem> review_queue(store::ReadingReads& store,
                                     const domain::ValidationRules& rules, int limit);
std::optional<store::Photo> reading_photo(store::ReadingReads& store, std::int64_t submission_id);

// The inspection orders of a closed month (`period`, else the last closed one).
struct InspectionList {
  std::optional<domain::YearMonth> period;
  std::vector<store::InspectionOrderRow> orders;
};
InspectionList inspection_orders(store::PeriodReads& store, std::optional<domain::YearMonth> period,
                                 int limit);

// The last closed months, the latest first.
struct ClosedPeriod {
  domain::YearMonth period{};
  domain::Instant closed_at{};
  PeriodSummaryText summary;
};
std::vector<ClosedPeriod> closed_periods(store::PeriodReads& store, int months);
bool is_closed(store::PeriodReads& store, domain::YearMonth month);

std::vector<store::PriceChangeRow> price_changes(store::PeriodReads& store);  // in the order made

struct OutageCoefficients {
  std::vector<store::OutageCoefficientRow> entries;  // in the order entered
  std::vector<std::string> areas;                    // the areas accounts have, sorted
};
OutageCoefficients outage_coefficients(store::PeriodReads& store);

std::vector<store::UserRow> staff_users(store::PeopleReads& store);

}  // namespace md::service
