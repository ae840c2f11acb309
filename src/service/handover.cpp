#include "service/handover.hpp"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "domain/meter.hpp"

namespace md::service {

using json = nlohmann::ordered_json;

namespace {
std::int64_t shown(std::int64_t unwrapped, int digits) {
  std::int64_t m = domain::register_modulus(digits);
  return ((unwrapped % m) + m) % m;
}
}  // namespace

std::string volumes_csv(const std::vector<store::VolumeRow>& rows) {
  std::string out(kVolumesCsvHeader);
  out += '\n';
  for (const auto& v : rows) {
    // No field can hold a comma or quote: account digits, EIC [0-9A-Z-], serial [A-Za-z0-9-/.].
    out += v.period.str() + ',' + v.account_number + ',' + v.eic + ',' + v.serial + ',' + v.zone +
           ',' + std::to_string(shown(v.start_value, v.digits)) + ',' + v.start_kind + ',' +
           std::to_string(shown(v.end_value, v.digits)) + ',' + v.end_kind + ',' +
           std::to_string(v.volume) + ',' + v.method + ',' + std::to_string(v.correction) + '\n';
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
               {"value", shown(v.start_value, v.digits)},
               {"kind", v.start_kind}}},
             {"end",
              {{"date", domain::format_date(v.period.next().first_day())},
               {"value", shown(v.end_value, v.digits)},
               {"kind", v.end_kind}}},
             {"volume_kwh", v.volume},
             {"method", v.method},
             {"correction_kwh", v.correction}};
    row["estimate"] = v.estimate.empty() ? json(nullptr) : json::parse(v.estimate);
    out.push_back(std::move(row));
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
