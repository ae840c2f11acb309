// Prices and zone coefficients as they stand: the configured ones with the supervisors' changes
// (stored, audited) applied on top (rules.md §10).
#pragma once

#include <string>
#include <string_view>

#include "domain/bill.hpp"
#include "store/store.hpp"

namespace md::service {

domain::PriceList effective_prices(store::PeriodReads& store, const domain::PriceList& configured);

enum class PriceChangeResult { changed, unknown_item, bad_value, bad_date, reason_required };
// `value` as people write it: "4.32" UAH per kWh, or "0.5" for a coefficient. A change may not
// start inside a month already closed: its bills are final.
PriceChangeResult change_price(store::Store& store, const std::string& item, std::string_view from,
                               std::string_view value, const std::string& actor,
                               const std::string& reason, domain::Instant now,
                               std::string_view request_id);

// "4.32" with 2 decimals → 432; "0.5" with 3 → 500; nullopt for anything else.
std::optional<std::int64_t> parse_fixed(std::string_view text, int decimals);

}  // namespace md::service
