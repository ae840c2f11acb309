#include "service/prices.hpp"

namespace md::service {

std::optional<std::int64_t> parse_fixed(std::string_view text, int decimals) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  std::int64_t whole = 0, frac = 0;
  int frac_digits = -1;
  for (char c : text) {
    if (c == '.' || c == ',') {
      if (frac_digits >= 0) return std::nullopt;
      frac_digits = 0;
    } else if (c >= '0' && c <= '9') {
      if (frac_digits < 0) {
        whole = whole * 10 + (c - '0');
      } else {
        if (++frac_digits > decimals) return std::nullopt;
        frac = frac * 10 + (c - '0');
      }
    } else {
      return std::nullopt;
    }
  }
  for (int i = std::max(frac_digits, 0); i < decimals; ++i) frac *= 10;
  std::int64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  return whole * scale + frac;
}

domain::PriceList effective_prices(store::PeriodReads& store, const domain::PriceList& configured) {
  std::vector<domain::PriceChange> changes;
  for (auto& row : store.price_changes()) changes.push_back(std::move(row.change));
  return domain::with_changes(configured, changes);
}

PriceChangeResult change_price(store::Store& store, const std::string& item, std::string_view from,
                               std::string_view value, const std::string& actor,
                               const std::string& reason, domain::Instant now,
                               std::string_view request_id) {
  if (!domain::known_price_item(item)) return PriceChangeResult::unknown_item;
  auto amount = parse_fixed(value, domain::is_coefficient(item) ? 3 : 2);
  if (!amount || (domain::is_coefficient(item) && *amount > 10000) || *amount > 100000)
    return PriceChangeResult::bad_value;
  auto day = domain::parse_date(from);
  if (!day) return PriceChangeResult::bad_date;
  if (auto closed = store.last_closed_period(); closed && *day <= closed->last_day())
    return PriceChangeResult::bad_date;
  if (reason.find_first_not_of(" \t") == std::string::npos)
    return PriceChangeResult::reason_required;
  auto tx = store.begin_write();
  tx->insert_price_change(domain::PriceChange{*day, item, *amount}, actor, reason, now);
  store::AuditEntry e;
  e.at = now;
  e.actor = actor;
  e.channel = "operator_console";
  e.action = "price_change";
  e.identity = item;
  e.raw_input = std::string(value) + " from " + std::string(from);
  e.result = "changed";
  e.reason = reason;
  e.request_id = std::string(request_id);
  tx->append_audit(e);
  tx->commit();
  return PriceChangeResult::changed;
}

}  // namespace md::service
