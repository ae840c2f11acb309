// K_outage(M) per area (rules.md §7, NEURC resolution 1603/2022): supervisors enter it after an
// area's outages, with who and why (audited); the close uses the latest entry for the chain's
// area and month, else the latest for every area, else the configured one.
#pragma once

#include <string>
#include <string_view>

#include "domain/estimation.hpp"
#include "store/store.hpp"

namespace md::service {

// The configured rules with the entered coefficients on top.
domain::EstimationRules effective_estimation(store::PeriodReads& store,
                                             const domain::EstimationRules& configured);

enum class OutageChangeResult { changed, unknown_area, bad_value, bad_month, reason_required };

// `area` empty: every area. `k` as people write it ("0.8", "0,85"), at most 1 (the coefficient
// reduces estimates for the hours without power). A month already closed is final: its bills
// are out.
OutageChangeResult set_outage_coefficient(store::Store& store, const std::string& area,
                                          std::string_view month, std::string_view k,
                                          const std::string& actor, const std::string& reason,
                                          domain::Instant now, std::string_view channel,
                                          std::string_view request_id);

// "0.850" from 850.
std::string format_thousandths(int milli);

}  // namespace md::service
