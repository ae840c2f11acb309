#include "service/outages.hpp"

#include <algorithm>
#include <cstdio>

#include "service/prices.hpp"

namespace md::service {

domain::EstimationRules effective_estimation(store::PeriodReads& store,
                                             const domain::EstimationRules& configured) {
  domain::EstimationRules rules = configured;
  // In the order entered: a later entry for the same area and month replaces an earlier one.
  for (const auto& row : store.outage_coefficients()) {
    const double k = row.k_milli / 1000.0;
    if (row.area.empty())
      rules.k_outage[row.period] = k;
    else
      rules.area_k_outage[std::pair{row.area, row.period}] = k;
  }
  return rules;
}

OutageChangeResult set_outage_coefficient(store::Store& store, const std::string& area,
                                          std::string_view month, std::string_view k,
                                          const std::string& actor, const std::string& reason,
                                          domain::Instant now, std::string_view channel,
                                          std::string_view request_id) {
  if (!area.empty()) {
    const auto areas = store.account_areas();
    if (!std::binary_search(areas.begin(), areas.end(), area))
      return OutageChangeResult::unknown_area;
  }
  auto milli = parse_fixed(k, 3);
  if (!milli || *milli > 1000) return OutageChangeResult::bad_value;
  auto period = domain::YearMonth::parse(month);
  if (!period) return OutageChangeResult::bad_month;
  if (auto closed = store.last_closed_period(); closed && *period <= *closed)
    return OutageChangeResult::bad_month;
  if (reason.find_first_not_of(" \t") == std::string::npos)
    return OutageChangeResult::reason_required;
  auto tx = store.begin_write();
  tx->insert_outage_coefficient(
      store::OutageCoefficientRow{area, *period, static_cast<int>(*milli), actor, reason, now});
  store::AuditEntry e;
  e.at = now;
  e.actor = actor;
  e.channel = std::string(channel);
  e.action = "outage_coefficient";
  e.identity = area.empty() ? "all areas" : area;
  e.raw_input = format_thousandths(static_cast<int>(*milli)) + " for " + period->str();
  e.result = "changed";
  e.reason = reason;
  e.request_id = std::string(request_id);
  tx->append_audit(e);
  tx->commit();
  return OutageChangeResult::changed;
}

std::string format_thousandths(int milli) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%d.%03d", milli / 1000, milli % 1000);
  return buf;
}

}  // namespace md::service
