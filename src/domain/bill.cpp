#include "domain/bill.hpp"

#include <cstdio>

#include "domain/boundary.hpp"

namespace md::domain {
namespace {
std::optional<std::int64_t> price_on(const std::vector<DatedPrice>& list, Day d) {
  std::optional<std::int64_t> found;
  for (const auto& p : list)
    if (p.from <= d && (!p.until || d <= *p.until)) found = p.kop_per_kwh;  // the last one wins
  return found;
}
}  // namespace

std::optional<std::int64_t> PriceList::household_on(Day d) const {
  return price_on(household, d);
}
std::optional<std::int64_t> PriceList::heating_on(Day d) const {
  return price_on(heating, d);
}

namespace {
constexpr std::pair<std::string_view, int PerZone<int>::*> kCoefficientItems[] = {
    {"coefficient.total", &PerZone<int>::total},
    {"coefficient.day", &PerZone<int>::day},
    {"coefficient.night", &PerZone<int>::night},
    {"coefficient.peak", &PerZone<int>::peak},
    {"coefficient.half_peak", &PerZone<int>::half_peak},
    {"coefficient.night3", &PerZone<int>::night3}};
}  // namespace

bool is_coefficient(std::string_view item) {
  for (const auto& [name, member] : kCoefficientItems)
    if (name == item) return true;
  return false;
}

bool known_price_item(std::string_view item) {
  return item == "household" || item == "heating" || is_coefficient(item);
}

PerZone<int> PriceList::coefficients_on(Day d) const {
  PerZone<int> out = coefficients;
  for (const auto& c : coefficient_changes) {
    if (c.from > d) continue;
    for (const auto& [name, member] : kCoefficientItems)
      if (name == c.item) out.*member = static_cast<int>(c.value);
  }
  return out;
}

PriceList with_changes(PriceList base, const std::vector<PriceChange>& changes) {
  for (const auto& c : changes) {
    if (is_coefficient(c.item)) {
      base.coefficient_changes.push_back(c);
      continue;
    }
    auto* list = c.item == "household" ? &base.household
                 : c.item == "heating" ? &base.heating
                                       : nullptr;
    if (!list) continue;
    std::erase_if(*list, [&](const DatedPrice& p) { return p.from >= c.from; });
    for (auto& p : *list)
      if (!p.until || *p.until >= c.from) p.until = c.from - date::days(1);
    list->push_back(DatedPrice{c.from, std::nullopt, c.value});
  }
  return base;
}

bool PriceList::heating_season(YearMonth m) const {
  return heating_from_month <= heating_to_month
             ? m.month >= heating_from_month && m.month <= heating_to_month
             : m.month >= heating_from_month || m.month <= heating_to_month;
}

Bill make_bill(YearMonth period, const std::string& account, bool electric_heating,
               const std::vector<BillInput>& chains, const PriceList& prices) {
  Day first = period.first_day();
  auto base = prices.household_on(first);
  if (!base)
    throw BillError("no household price is in force on " + format_date(first) +
                    ": add one to prices.household");
  std::optional<std::int64_t> heat;
  std::int64_t total_volume = 0;
  for (const auto& c : chains) total_volume += c.volume;
  std::int64_t block = 0;
  if (electric_heating && prices.heating_season(period) && total_volume > 0) {
    heat = prices.heating_on(first);
    if (!heat)
      throw BillError("no electric-heating price is in force on " + format_date(first) +
                      ": add one to prices.heating");
    block = std::min(total_volume, prices.heating_block_kwh);
  }

  const PerZone<int> coefficients = prices.coefficients_on(first);
  Bill bill;
  bill.period = period;
  bill.account = account;
  bill.electric_heating = electric_heating;
  for (const auto& c : chains) {
    int coefficient = coefficients.of(c.zone, c.zone_count);
    BillLine v{c.eic, c.zone, "volume", c.volume, 0, *base, coefficient, 0, c.method};
    if (block > 0) {
      // The block is shared across zones in proportion to their volumes (policy): zone z gets
      // block × Q_z / ΣQ kWh at the heating price. Exact: everything over 1000 × ΣQ.
      std::int64_t scaled =
          coefficient * (c.volume * *base * total_volume - block * c.volume * (*base - *heat));
      v.amount_kop = div_round(scaled, 1000 * total_volume);
      v.heating_kwh = div_round(block * c.volume, total_volume);
    } else {
      v.amount_kop = div_round(c.volume * *base * coefficient, 1000);
    }
    bill.lines.push_back(v);
  }
  for (const auto& c : chains) {
    if (c.correction == 0) continue;
    // Corrections are priced at this month's base price (policy), without the heating block.
    int coefficient = coefficients.of(c.zone, c.zone_count);
    bill.lines.push_back(BillLine{c.eic, c.zone, "correction", c.correction, 0, *base, coefficient,
                                  div_round(c.correction * *base * coefficient, 1000), c.method});
  }
  for (const auto& l : bill.lines) bill.total_kop += l.amount_kop;
  return bill;
}

std::string format_uah(std::int64_t kop) {
  std::int64_t a = kop < 0 ? -kop : kop;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%lld.%02lld", kop < 0 ? "-" : "",
                static_cast<long long>(a / 100), static_cast<long long>(a % 100));
  return buf;
}

}  // namespace md::domain
