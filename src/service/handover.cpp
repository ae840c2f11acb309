#include "service/handover.hpp"

#include "service/prices.hpp"
#include "service/stored_estimate.hpp"

#include "service/digest.hpp"

#include <sodium.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "domain/meter.hpp"

namespace md::service {

using json = nlohmann::ordered_json;

std::string volumes_csv(const std::vector<store::VolumeRow>& rows) {
  std::string out(kVolumesCsvHeader);
  out += '\n';
  for (const auto& v : rows) {
    // No field can hold a comma or quote: account digits, EIC [0-9A-Z-], serial [A-Za-z0-9-/.].
    out += v.period.str() + ',' + v.account_number + ',' + v.eic + ',' + v.serial + ',' + v.zone +
           ',' + std::to_string(v.start_shown) + ',' + v.start_kind + ',' +
           std::to_string(v.end_shown) + ',' + v.end_kind + ',' + std::to_string(v.volume) + ',' +
           v.method + ',' + std::to_string(v.correction) + '\n';
  }
  return out;
}

std::string volumes_json(const std::vector<store::VolumeRow>& rows) {
  json out = json::array();
  for (const auto& v : rows) {
    json row{{"period", v.period.str()},
             {"account", v.account_number},
             {"eic", v.eic},
             {"meter_serial", v.serial},
             {"zone", v.zone},
             {"start",
              {{"date", domain::format_date(v.period.first_day())},
               {"value", v.start_shown},
               {"kind", v.start_kind}}},
             {"end",
              {{"date", domain::format_date(v.period.next().first_day())},
               {"value", v.end_shown},
               {"kind", v.end_kind}}},
             {"volume_kwh", v.volume},
             {"method", v.method},
             {"correction_kwh", v.correction}};
    row["estimate"] = estimate_for_reading(v.estimate);
    out.push_back(std::move(row));
  }
  return out.dump();
}

std::vector<domain::Bill> bills_for(const std::vector<store::VolumeRow>& rows,
                                    const domain::PriceList& prices) {
  std::vector<domain::Bill> bills;
  for (size_t i = 0; i < rows.size();) {
    size_t j = i;
    std::vector<domain::BillInput> chains;
    for (; j < rows.size() && rows[j].account_number == rows[i].account_number; ++j) {
      const auto& v = rows[j];
      chains.push_back(domain::BillInput{v.eic,
                                         domain::parse_zone(v.zone).value_or(domain::Zone::total),
                                         v.zones, v.volume, v.correction, v.method});
    }
    bills.push_back(domain::make_bill(rows[i].period, rows[i].account_number,
                                      rows[i].electric_heating, chains, prices));
    i = j;
  }
  return bills;
}

std::vector<AccountMonth> account_months(const std::vector<store::VolumeRow>& volumes,
                                         const domain::PriceList& prices) {
  std::vector<AccountMonth> months;
  for (std::size_t i = 0; i < volumes.size();) {
    std::size_t j = i;
    while (j < volumes.size() && volumes[j].period == volumes[i].period) ++j;
    std::vector<store::VolumeRow> rows(volumes.begin() + static_cast<std::ptrdiff_t>(i),
                                       volumes.begin() + static_cast<std::ptrdiff_t>(j));
    i = j;
    AccountMonth m;
    m.period = rows.front().period;
    for (const auto& v : rows) {
      m.kwh += v.volume;
      m.estimated = m.estimated || v.method == "estimated";
    }
    try {
      auto bills = bills_for(rows, prices);
      if (!bills.empty()) m.bill = std::move(bills.front());
    } catch (const domain::BillError& e) {
      m.missing_price = e.what();
    }
    months.push_back(std::move(m));
  }
  return months;
}

namespace {
std::string coefficient_text(int thousandths) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%d.%03d", thousandths / 1000, thousandths % 1000);
  std::string s = buf;
  while (s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}
}  // namespace

std::string bills_csv(const std::vector<domain::Bill>& bills) {
  std::string out(kBillsCsvHeader);
  out += '\n';
  for (const auto& b : bills) {
    for (const auto& l : b.lines) {
      out += b.period.str() + ',' + b.account + ',' + l.eic + ',' +
             std::string(domain::zone_name(l.zone)) + ',' + l.kind + ',' + std::to_string(l.kwh) +
             ',' + std::to_string(l.heating_kwh) + ',' + domain::format_uah(l.price_kop) + ',' +
             coefficient_text(l.coefficient) + ',' + domain::format_uah(l.amount_kop) + ',' +
             l.method + '\n';
    }
    out += b.period.str() + ',' + b.account + ",,,total,,,,," + domain::format_uah(b.total_kop) +
           ",\n";
  }
  return out;
}

std::string bills_json(const std::vector<domain::Bill>& bills) {
  json out = json::array();
  for (const auto& b : bills) {
    json lines = json::array();
    for (const auto& l : b.lines) {
      lines.push_back(json{{"eic", l.eic},
                           {"zone", domain::zone_name(l.zone)},
                           {"line", l.kind},
                           {"kwh", l.kwh},
                           {"heating_kwh", l.heating_kwh},
                           {"price_uah", domain::format_uah(l.price_kop)},
                           {"coefficient", coefficient_text(l.coefficient)},
                           {"amount_uah", domain::format_uah(l.amount_kop)},
                           {"method", l.method}});
    }
    out.push_back(json{{"period", b.period.str()},
                       {"account", b.account},
                       {"electric_heating", b.electric_heating},
                       {"lines", lines},
                       {"total_uah", domain::format_uah(b.total_kop)}});
  }
  return out.dump();
}

namespace {

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// ReadingType codes (61968-9 Annex C): macroPeriod.aggregate.measuringPeriod.accumulation.
// flowDirection.commodity.measurementKind.[4 × 0].tou.cpp.consumptionTier.phases.multiplier.unit.
// currency. Forward active energy (1.1.12) in kWh (3.72); tou 0 for a single register, 1–3 by
// zone order; bulkQuantity (1) for register values, monthly (13) deltaData (4) for volumes.
std::string reading_type(bool volume, int tou) {
  return std::string(volume ? "13.0.0.4" : "0.0.0.1") + ".1.1.12.0.0.0.0." + std::to_string(tou) +
         ".0.0.0.3.72.0";
}

// ReadingQualityType 2.8.0: estimated by the metering data management system (Annex D).
void quality(std::string& out, std::string_view kind, const std::string& comment) {
  if (kind != "estimated" && kind != "derived") return;
  out += "        <ReadingQualities><comment>" + xml_escape(comment) +
         "</comment><ReadingQualityType ref=\"2.8.0\"/></ReadingQualities>\n";
}

void reading(std::string& out, const std::string& stamp, std::int64_t value, std::string_view kind,
             const std::string& comment, const std::string& type, const std::string& period = {},
             const char* source = nullptr) {
  out += "      <Readings>\n";
  if (source) out += std::string("        <source>") + source + "</source>\n";
  out += "        <timeStamp>" + stamp + "</timeStamp>\n";
  out += "        <value>" + std::to_string(value) + "</value>\n";
  quality(out, kind, comment);
  out += "        <ReadingType ref=\"" + type + "\"/>\n";
  out += period;
  out += "      </Readings>\n";
}

}  // namespace

std::string volumes_cim(const std::vector<store::VolumeRow>& rows) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<MeterReadings xmlns=\"http://iec.ch/TC57/2011/MeterReadings#\">\n";
  for (size_t i = 0; i < rows.size();) {
    size_t j = i;
    while (j < rows.size() && rows[j].point_id == rows[i].point_id &&
           rows[j].meter_id == rows[i].meter_id && rows[j].chain == rows[i].chain)
      ++j;
    const auto& first = rows[i];
    std::string start = domain::format_utc(domain::boundary(first.period));
    std::string end = domain::format_utc(domain::boundary(first.period.next()));
    std::string period = "        <timePeriod><end>";
    period.append(end).append("</end><start>").append(start).append("</start></timePeriod>\n");
    out.append("  <MeterReading>\n    <Meter><mRID>")
        .append(xml_escape(first.serial))
        .append("</mRID></Meter>\n");
    for (size_t k = i; k < j; ++k) {
      const auto& v = rows[k];
      int tou = v.zones == 1 ? 0 : v.zone_index + 1;
      const std::string explanation = estimate_explanation(v.estimate, i18n::Lang::en);
      reading(out, start, v.start_shown, v.start_kind,
              v.start_kind == "derived" ? "derived: linear between actual readings" : "estimated",
              reading_type(false, tou));
      reading(out, end, v.end_shown, v.end_kind,
              v.end_kind == "derived" ? "derived: linear between actual readings" : explanation,
              reading_type(false, tou));
      reading(out, end, v.volume, v.method, explanation, reading_type(true, tou), period);
      if (v.correction != 0)
        reading(out, end, v.correction, "", "", reading_type(true, tou), period,
                "correction of earlier estimates (rules 8)");
    }
    out += "    <UsagePoint><mRID>" + xml_escape(first.eic) + "</mRID></UsagePoint>\n";
    out += "  </MeterReading>\n";
    i = j;
  }
  out += "</MeterReadings>\n";
  return out;
}

bool known_role(std::string_view role) {
  return role == "supplier" || role == "operator" || role == "supervisor" || role == "admin";
}

std::string token_hash(std::string_view token) {
  return digest_hex(token);
}

std::string create_token(store::Store& store, const std::string& role, const std::string& name,
                         domain::Instant now) {
  if (!known_role(role)) throw std::invalid_argument("unknown role " + role);
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  unsigned char secret[32];
  randombytes_buf(secret, sizeof secret);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, secret, sizeof secret);
  std::string token = "mdk_" + std::string(hex);
  auto tx = store.begin_write();
  tx->insert_token(token_hash(token), role, name, now);
  tx->append_audit(store::AuditEntry{now, "admin:cli", "cli", "token_create", name, "",
                                     "created " + role + " token", "", std::nullopt});
  tx->commit();
  return token;
}

bool revoke_token(store::Store& store, std::int64_t id, const std::string& actor,
                  domain::Instant now) {
  auto tx = store.begin_write();
  if (!tx->revoke_token(id, now)) return false;
  tx->append_audit(store::AuditEntry{now, actor, "cli", "token_revoke",
                                     "token=" + std::to_string(id), "", "revoked", "",
                                     std::nullopt});
  tx->commit();
  return true;
}

std::optional<store::TokenRow> authenticate(store::Store& store, std::string_view token) {
  if (!token.starts_with("mdk_") || token.size() != 68) return std::nullopt;
  auto row = store.find_token(token_hash(token));
  if (!row || row->revoked) return std::nullopt;
  return row;
}

std::string export_period(store::Store& store, const domain::PriceList& configured_prices,
                          domain::YearMonth month, ExportWhat what, ExportFormat format,
                          const std::string& actor, const std::string& channel,
                          const std::string& request, domain::Instant now) {
  if (!store.period(month))
    throw ExportError(ExportError::Kind::not_closed, month.str() + " is not closed");
  const bool bills = what == ExportWhat::bills;
  if (bills && format == ExportFormat::cim)
    throw ExportError(ExportError::Kind::unsupported, "bills are exported as csv or json");
  auto rows = store.volumes(month);
  std::string text;
  if (bills) {
    try {
      auto list = bills_for(rows, effective_prices(store, configured_prices));
      text = format == ExportFormat::json ? bills_json(list) : bills_csv(list);
    } catch (const domain::BillError& e) {
      throw ExportError(ExportError::Kind::missing_price, e.what());
    }
  } else {
    text = format == ExportFormat::json  ? volumes_json(rows)
           : format == ExportFormat::cim ? volumes_cim(rows)
                                         : volumes_csv(rows);
  }
  const char* format_name = format == ExportFormat::json  ? "json"
                            : format == ExportFormat::cim ? "cim"
                                                          : "csv";
  auto tx = store.begin_write();
  tx->append_audit(store::AuditEntry{now, actor, channel, bills ? "export_bills" : "export_volumes",
                                     actor, request, "downloaded " + month.str(), format_name,
                                     std::nullopt});
  tx->commit();
  return text;
}

}  // namespace md::service
