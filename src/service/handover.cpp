#include "service/handover.hpp"

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
    row["estimate"] = v.estimate.empty() ? json(nullptr) : json::parse(v.estimate);
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

bool known_role(std::string_view role) {
  return role == "supplier" || role == "operator" || role == "supervisor" || role == "admin";
}

std::string token_hash(std::string_view token) {
  unsigned char hash[32];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return hex;
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
  tx->append_audit(store::AuditEntry{now, "admin", "operator_console", "token_create", name, "",
                                     "created " + role + " token", "", std::nullopt});
  tx->commit();
  return token;
}

std::optional<store::TokenRow> authenticate(store::Store& store, std::string_view token) {
  if (!token.starts_with("mdk_") || token.size() != 68) return std::nullopt;
  auto row = store.find_token(token_hash(token));
  if (!row || row->revoked) return std::nullopt;
  return row;
}

}  // namespace md::service
