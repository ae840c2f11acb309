// The supplier hand-over: a closed month's volumes as CSV or JSON, and API tokens.
#pragma once

#include <optional>
#include <string>

#include "domain/bill.hpp"
#include "store/store.hpp"

namespace md::service {

inline constexpr std::string_view kVolumesCsvHeader =
    "period,account,eic,meter_serial,zone,start_value,start_kind,end_value,end_kind,volume_kwh,"
    "method,correction_kwh";

// Values are shown as the meter shows them: modulo 10^digits.
std::string volumes_csv(const std::vector<store::VolumeRow>& rows);
std::string volumes_json(const std::vector<store::VolumeRow>& rows);

// Bills per account from a closed month's volumes; throws domain::BillError without prices.
std::vector<domain::Bill> bills_for(const std::vector<store::VolumeRow>& rows,
                                    const domain::PriceList& prices);
// One closed month of a customer's account, for the customer's pages: the month's volume (its
// corrections are lines of the bill), whether any of it was estimated, and the bill, which is
// absent while a price is missing (`missing_price` says which, for the log, not the customer).
struct AccountMonth {
  domain::YearMonth period{};
  std::int64_t kwh = 0;
  bool estimated = false;
  std::optional<domain::Bill> bill;
  std::string missing_price;
};
// `volumes`: one account's rows in period order (Store::account_volumes).
std::vector<AccountMonth> account_months(const std::vector<store::VolumeRow>& volumes,
                                         const domain::PriceList& prices);
inline constexpr std::string_view kBillsCsvHeader =
    "period,account,eic,zone,line,kwh,heating_kwh,price_uah,coefficient,amount_uah,method";
std::string bills_csv(const std::vector<domain::Bill>& bills);
std::string bills_json(const std::vector<domain::Bill>& bills);

// IEC 61968-9 MeterReadings (namespace http://iec.ch/TC57/2011/MeterReadings#): per metering
// point and meter, the register values at the month's start and end and the month's volume per
// zone, with ReadingQualities on estimated and derived values and the correction.
std::string volumes_cim(const std::vector<store::VolumeRow>& rows);

enum class ExportWhat { volumes, bills };
enum class ExportFormat { csv, json, cim };
struct ExportError : std::runtime_error {
  enum class Kind { not_closed, missing_price, unsupported } kind;
  ExportError(Kind k, const std::string& what) : std::runtime_error(what), kind(k) {}
};
// The hand-over of a closed month in one format, audited: who took which month's data, how and
// through which channel. Throws ExportError.
std::string export_period(store::Store& store, const domain::PriceList& configured_prices,
                          domain::YearMonth month, ExportWhat what, ExportFormat format,
                          const std::string& actor, const std::string& channel,
                          const std::string& request, domain::Instant now);

bool known_role(std::string_view role);
// Creates a token for `role`; returns it (shown once: only its hash is stored).
std::string create_token(store::Store& store, const std::string& role, const std::string& name,
                         domain::Instant now);
std::optional<store::TokenRow> authenticate(store::Store& store, std::string_view token);
// Revokes token `id` at once (audited); false when there is none or it was revoked before.
bool revoke_token(store::Store& store, std::int64_t id, const std::string& actor,
                  domain::Instant now);
std::string token_hash(std::string_view token);

}  // namespace md::service
