// Prices and bills, the supplier's side (rules.md §10). Money is whole kopiyky, computed exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/calendar.hpp"
#include "domain/meter.hpp"

namespace md::domain {

// A price valid from a day, until a day (inclusive) or open-ended.
struct DatedPrice {
  Day from{};
  std::optional<Day> until;
  std::int64_t kop_per_kwh = 0;  // incl. VAT
};

// A supervisor's change, stored and audited: from day `from`, `item` costs `value`.
struct PriceChange {
  Day from{};
  std::string item;  // household, heating, coefficient.<total|day|night|peak|half_peak|night3>
  std::int64_t value = 0;  // kopiyky per kWh incl. VAT; thousandths for coefficients
};
bool known_price_item(std::string_view item);
bool is_coefficient(std::string_view item);

struct PriceList {
  std::vector<DatedPrice> household{{*parse_date("2024-06-01"), parse_date("2026-04-30"), 432}};
  std::vector<DatedPrice> heating{{*parse_date("2024-06-01"), parse_date("2026-04-30"), 264}};
  std::int64_t heating_block_kwh = 2000;
  unsigned heating_from_month = 10, heating_to_month = 4;  // 1 October – 30 April
  // Zone coefficients in thousandths: 2 zones day 1.0 / night 0.5; 3 zones 1.5 / 1.0 / 0.4.
  PerZone<int> coefficients{1000, 1000, 500, 1500, 1000, 400};
  std::vector<PriceChange> coefficient_changes;  // on top of `coefficients`, in order

  [[nodiscard]] PerZone<int> coefficients_on(Day d) const;

  [[nodiscard]] std::optional<std::int64_t> household_on(Day d) const;
  [[nodiscard]] std::optional<std::int64_t> heating_on(Day d) const;
  [[nodiscard]] bool heating_season(YearMonth m) const;
};

// The list with the changes applied in order. A price change from D replaces every price of its
// kind from D on; a coefficient change holds from D until a later one.
PriceList with_changes(PriceList base, const std::vector<PriceChange>& changes);

struct BillInput {  // one register chain of the account in the month
  std::string eic;
  Zone zone = Zone::total;
  int zone_count = 1;
  std::int64_t volume = 0;      // Q
  std::int64_t correction = 0;  // Δ
  std::string method;           // actual / derived / estimated
};

struct BillLine {
  std::string eic;
  Zone zone = Zone::total;
  std::string kind;  // "volume" or "correction"
  std::int64_t kwh = 0;
  std::int64_t heating_kwh = 0;  // of kwh, at the electric-heating price (rounded, for display)
  std::int64_t price_kop = 0;    // base price
  int coefficient = 1000;        // thousandths
  std::int64_t amount_kop = 0;
  std::string method;
};

struct Bill {
  YearMonth period{};
  std::string account;
  bool electric_heating = false;
  std::vector<BillLine> lines;
  std::int64_t total_kop = 0;
};

struct BillError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws BillError when no price is in force on the 1st of the month.
Bill make_bill(YearMonth period, const std::string& account, bool electric_heating,
               const std::vector<BillInput>& chains, const PriceList& prices);

std::string format_uah(std::int64_t kop);  // 1234567 → "12345.67", -5 → "-0.05"

}  // namespace md::domain
