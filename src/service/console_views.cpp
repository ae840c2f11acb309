#include "service/console_views.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "domain/whole_number.hpp"

namespace md::service {

WindowStats window_stats(store::Store& store, domain::Instant now,
                         const domain::WindowRules& rules) {
  const domain::Day today = domain::kyiv_date(now);
  const auto month =
      domain::window_containing(today, rules).value_or(domain::YearMonth::of(today).prev());
  const auto w = domain::window(month, rules);
  WindowStats s;
  s.first = w.first;
  s.last = w.last;
  const auto hours = store.channel_hours(domain::start_of_day(w.first), domain::end_of_day(w.last));
  for (const auto& h : hours)
    if (std::find(s.channels.begin(), s.channels.end(), h.channel) == s.channels.end())
      s.channels.push_back(h.channel);
  std::sort(s.channels.begin(), s.channels.end());
  for (domain::Day day = w.first; day <= w.last; day += date::days(1)) {
    WindowStats::DayCounts row{day, std::vector<std::int64_t>(s.channels.size(), 0)};
    for (const auto& h : hours) {
      if (domain::kyiv_date(h.hour) != day) continue;
      const auto at = std::find(s.channels.begin(), s.channels.end(), h.channel);
      row.counts[static_cast<std::size_t>(at - s.channels.begin())] += h.count;
    }
    s.days.push_back(std::move(row));
  }
  s.review_backlog = store.review_backlog();
  if (auto last = store.last_closed_period()) {
    if (auto period = store.period(*last)) {
      const auto summary = nlohmann::json::parse(period->summary, nullptr, false);
      auto count = [&](const char* key) -> std::int64_t {
        if (!summary.is_object() || !summary.contains(key)) return 0;
        return domain::whole_number<std::int64_t>(summary[key]).value_or(0);
      };
      if (const auto chains = count("chains"); chains > 0)
        s.estimated_per_mille = count("estimated") * 1000 / chains;
    }
  }
  return s;
}

std::vector<store::AccountRow> search_accounts(store::AccountReads& store, std::string_view query,
                                               int limit) {
  return store.search_accounts(query, limit);
}

std::optional<store::AccountRow> find_account(store::AccountReads& store, std::string_view number) {
  return store.account(number);
}

AccountOverview account_overview(store::Store& store, const store::AccountRow& account,
                                 int readings, int audit) {
  AccountOverview o;
  auto person = store.find_user(account.number);
  o.has_cabinet = person && person->account_id;
  o.meters = store.account_meters(account.id);
  // One more than shown tells whether there are more.
  o.readings = store.account_readings(account.id, readings + 1);
  o.more_readings = static_cast<int>(o.readings.size()) > readings;
  if (o.more_readings) o.readings.pop_back();
  o.volumes = store.account_volumes(account.id);
  o.audit = store.account_audit(account.id, audit + 1);
  o.more_audit = static_cast<int>(o.audit.size()) > audit;
  if (o.more_audit) o.audit.pop_back();
  return o;
}

std::vector<ReviewItem> review_queue(store::ReadingReads& store,
                                     const domain::ValidationRules& rules, int limit) {
  std::vector<ReviewItem> items;
  for (auto& row : store.review_queue(limit)) {
    auto figures = review_figures(row, rules);
    items.push_back({std::move(row), std::move(figures)});
  }
  return items;
}

std::optional<store::Photo> reading_photo(store::ReadingReads& store, std::int64_t submission_id) {
  return store.photo(submission_id);
}

InspectionList inspection_orders(store::PeriodReads& store, std::optional<domain::YearMonth> period,
                                 int limit) {
  InspectionList list;
  list.period = period ? period : store.last_closed_period();
  if (list.period) list.orders = store.inspection_order_list(*list.period, limit);
  return list;
}

std::vector<ClosedPeriod> closed_periods(store::PeriodReads& store, int months) {
  std::vector<ClosedPeriod> out;
  auto last = store.last_closed_period();
  if (!last) return out;
  domain::YearMonth m = *last;
  for (int i = 0; i < months; ++i, m = m.prev()) {
    auto row = store.period(m);
    if (!row) break;
    out.push_back({m, row->closed_at, period_summary_text(row->summary)});
  }
  return out;
}

bool is_closed(store::PeriodReads& store, domain::YearMonth month) {
  return store.period(month).has_value();
}

std::vector<store::PriceChangeRow> price_changes(store::PeriodReads& store) {
  return store.price_changes();
}

OutageCoefficients outage_coefficients(store::PeriodReads& store) {
  return {store.outage_coefficients(), store.account_areas()};
}

std::vector<store::UserRow> staff_users(store::PeopleReads& store) {
  return store.staff_users();
}

}  // namespace md::service
