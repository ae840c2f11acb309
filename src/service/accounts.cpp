#include "service/accounts.hpp"

#include <sodium.h>

#include <map>
#include <set>

#include "domain/eic.hpp"
#include "domain/reading_value.hpp"
#include "service/csv.hpp"
#include "service/digest.hpp"

namespace md::service {
namespace {

std::string at_line(int line, const std::string& what) {
  return "line " + std::to_string(line) + ": " + what;
}

bool header_matches(const std::vector<std::string>& header, std::string_view expected) {
  std::string joined;
  for (size_t i = 0; i < header.size(); ++i) {
    if (i) joined += ',';
    joined += header[i];
  }
  return joined == expected;
}

std::optional<int> small_int(const std::string& s) {
  if (s.size() != 1 || s[0] < '0' || s[0] > '9') return std::nullopt;
  return s[0] - '0';
}

std::string describe(const SubmitOutcome& o) {
  if (o.rejection) {
    std::string text = i18n::message(i18n::Lang::en, o.rejection->code, [&] {
      auto p = o.rejection->params;
      if (o.rejection->zone) p["zone"] = std::string(domain::zone_name(*o.rejection->zone));
      return p;
    }());
    return o.rejection->code + " (" + text + ")";
  }
  return std::string(status_name(o.status));
}

std::string key_of(std::string_view text) {
  return "import:" + digest_hex(text);
}

std::string serialize_row(const std::vector<std::string>& fields) {
  std::string s;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) s += ',';
    s += fields[i];
  }
  return s;
}

// Parses the file and checks its header: which of the accepted ones it is, or nothing (with the
// reason in the report).
std::optional<std::size_t> open_csv(std::string_view csv,
                                    std::initializer_list<std::string_view> headers,
                                    CsvTable& table, ImportReport& report) {
  table = parse_csv(csv);
  report.errors = table.errors;
  std::string accepted;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const std::string_view header = *(headers.begin() + i);
    if (header_matches(table.header, header)) return i;
    accepted += std::string(i ? ", or: " : "") + std::string(header);
  }
  report.errors.push_back("line 1: the header must be exactly: " + accepted);
  return std::nullopt;
}

}  // namespace

std::vector<std::string> split_values(std::string_view text) {
  std::vector<std::string> out;
  for (;;) {
    auto slash = text.find('/');
    out.emplace_back(text.substr(0, slash));
    if (slash == std::string_view::npos) break;
    text.remove_prefix(slash + 1);
  }
  return out;
}

bool valid_serial(std::string_view serial) {
  if (serial.empty() || serial.size() > 32) return false;
  for (char c : serial) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              c == '-' || c == '/' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool valid_account_number(std::string_view number, int digits) {
  if (static_cast<int>(number.size()) != digits) return false;
  for (char c : number)
    if (c < '0' || c > '9') return false;
  return true;
}

std::string normalize_phone(std::string_view phone) {
  std::string out;
  for (size_t i = 0; i < phone.size(); ++i) {
    char c = phone[i];
    if (c >= '0' && c <= '9')
      out += c;
    else if (c == '+' && out.empty())
      out += c;
    else if (c == ' ' || c == '-' || c == '(' || c == ')')
      continue;
    else
      return {};
  }
  size_t n = out.size() - (out.starts_with('+') ? 1 : 0);
  if (n < 10 || n > 15) return {};
  return out;
}

ImportReport import_accounts(store::Store& store, Submissions& submissions, std::string_view csv,
                             domain::Instant now) {
  ImportReport report;
  CsvTable table;
  auto header = open_csv(csv, {kAccountsHeader, kAccountsHeaderWithArea}, table, report);
  if (!header) return report;
  const bool with_area = *header == 1;
  const std::size_t columns = with_area ? 12 : 11;
  const int account_digits = submissions.config().account_digits;
  const domain::Day today = domain::kyiv_date(now);
  auto tx = store.begin_write();
  std::map<std::string, std::string> holders;  // account → holder within the file
  std::map<std::string, std::string> areas;    // account → area within the file
  std::set<std::string> eics, serials;
  for (const CsvRow& row : table.rows) {
    std::vector<std::string> problems;
    if (row.fields.size() != columns) {
      report.errors.push_back(at_line(row.line, "expected " + std::to_string(columns) +
                                                    " fields, found " +
                                                    std::to_string(row.fields.size())));
      continue;
    }
    const auto& f = row.fields;
    const std::string &account = f[0], &holder = f[1], &phone = f[2], &email = f[3],
                      &address = f[4], &eic = f[5], &serial = f[6];
    if (!valid_account_number(account, account_digits))
      problems.push_back("account must be " + std::to_string(account_digits) + " digits");
    if (holder.empty()) problems.push_back("holder is empty");
    std::string normalized_phone = phone.empty() ? std::string() : normalize_phone(phone);
    if (!phone.empty() && normalized_phone.empty())
      problems.push_back("phone is not a phone number");
    if (!email.empty() && (email.find('@') == std::string::npos || email.size() > 254))
      problems.push_back("email is not an e-mail address");
    if (!domain::valid_eic(eic))
      problems.push_back("eic " + eic + " is not a valid EIC");
    else if (!eics.insert(eic).second)
      problems.push_back("eic " + eic + " repeats an earlier row");
    else if (tx->eic_exists(eic))
      problems.push_back("eic " + eic + " is already on file");
    if (!valid_serial(serial))
      problems.push_back("meter_serial is not a serial number");
    else if (!serials.insert(std::string(account).append("/").append(serial)).second)
      problems.push_back("meter_serial " + serial + " repeats an earlier row of this account");
    else if (tx->find_meter(account, serial))
      problems.push_back("meter_serial " + serial + " is already installed for this account");
    auto zones = small_int(f[7]);
    if (!zones || !domain::valid_zone_count(*zones)) problems.push_back("zones must be 1, 2 or 3");
    auto digits = small_int(f[8]);
    if (!digits || !domain::valid_digits(*digits)) problems.push_back("digits must be 4 to 8");
    auto installed = domain::parse_date(f[9]);
    if (!installed)
      problems.push_back("installed_on must be a date YYYY-MM-DD");
    else if (*installed > today)
      problems.push_back("installed_on is in the future");
    auto initial = split_values(f[10]);
    if (zones && digits && domain::valid_digits(*digits)) {
      if (static_cast<int>(initial.size()) != *zones) {
        problems.push_back("initial needs " + std::to_string(*zones) + " values separated by /");
      } else {
        for (const auto& v : initial) {
          auto parsed = domain::parse_reading_value(v, *digits);
          if (parsed.error != domain::ParsedValue::Error::none || parsed.decimal_ignored)
            problems.push_back("initial value '" + v + "' is not a whole number of at most " +
                               std::to_string(*digits) + " digits");
        }
      }
    }
    const std::string area = with_area ? f[11] : std::string();
    if (area.size() > 64 || area.find_first_of("\r\n\t") != std::string::npos ||
        (!area.empty() && (area.front() == ' ' || area.back() == ' ')))
      problems.push_back("area must be at most 64 characters on one line, without blanks around");
    if (auto it = holders.find(account); it != holders.end() && it->second != holder)
      problems.push_back("account " + account + " appears with another holder");
    holders.emplace(account, holder);
    if (auto it = areas.find(account); it != areas.end() && it->second != area)
      problems.push_back("account " + account + " appears with another area");
    areas.emplace(account, area);
    for (const auto& p : problems) report.errors.push_back(at_line(row.line, p));
    if (!problems.empty() || !report.errors.empty()) continue;

    tx->savepoint();
    try {
      auto account_id = tx->find_account(account);
      if (!account_id)
        account_id = tx->insert_account(
            store::NewAccount{account, holder, normalized_phone, email, address, area}, now);
      auto point = tx->insert_metering_point(*account_id, eic, address);
      tx->insert_meter(point, store::NewMeter{serial, *zones, *digits, *installed});
      SubmitRequest initial_reading;
      initial_reading.channel = "import";
      initial_reading.account = account;
      initial_reading.meter_serial = serial;
      initial_reading.taken_on = installed;
      initial_reading.type = "exchange_initial";
      initial_reading.actor = "import";
      initial_reading.raw_input = serialize_row(f);
      auto zone_list = domain::zones_of(*zones);
      for (size_t i = 0; i < zone_list.size(); ++i)
        initial_reading.values.emplace_back(std::string(domain::zone_name(zone_list[i])),
                                            initial[i]);
      SubmitOutcome o = submissions.process(*tx, initial_reading, now);
      if (o.status != SubmitOutcome::Status::accepted) {
        report.errors.push_back(at_line(row.line, "initial reading: " + describe(o)));
        tx->rollback_to();
        continue;
      }
      tx->release();
      ++report.imported;
    } catch (const store::StoreError& e) {
      tx->rollback_to();
      report.errors.push_back(at_line(row.line, e.what()));
    }
  }
  if (!report.ok()) {
    report.imported = 0;
    return report;  // tx rolls back
  }
  tx->append_audit(store::AuditEntry{now, "import", "import", "import_accounts", "", "",
                                     "imported " + std::to_string(report.imported), "",
                                     std::nullopt});
  tx->commit();
  return report;
}

ImportReport import_readings(store::Store& store, Submissions& submissions, std::string_view csv,
                             domain::Instant now) {
  ImportReport report;
  CsvTable table;
  if (!open_csv(csv, {kReadingsHeader}, table, report)) return report;
  {
    auto tx = store.begin_write();
    for (const CsvRow& row : table.rows) {
      if (row.fields.size() != 5) {
        report.errors.push_back(
            at_line(row.line, "expected 5 fields, found " + std::to_string(row.fields.size())));
        continue;
      }
      const auto& f = row.fields;
      auto taken_on = domain::parse_date(f[2]);
      std::vector<std::string> problems;
      if (!taken_on) problems.push_back("taken_on must be a date YYYY-MM-DD");
      if (f[3] != "customer" && f[3] != "inspector" && f[3] != "operator")
        problems.push_back("type must be customer, inspector or operator");
      if (!problems.empty()) {
        for (const auto& p : problems) report.errors.push_back(at_line(row.line, p));
        continue;
      }
      auto meter = tx->find_meter(f[0], f[1]);
      SubmitRequest req;
      req.channel = "import";
      req.idempotency_key = key_of(serialize_row(f));
      req.account = f[0];
      req.meter_serial = f[1];
      req.taken_on = taken_on;
      req.type = f[3];
      req.confirmed = true;  // batches are checked by the people who enter them
      req.actor = "import";
      req.raw_input = serialize_row(f);
      auto values = split_values(f[4]);
      if (meter) {
        auto zone_list = domain::zones_of(meter->zones);
        if (values.size() != zone_list.size()) {
          report.errors.push_back(at_line(
              row.line,
              "values needs " + std::to_string(zone_list.size()) + " values separated by /"));
          continue;
        }
        for (size_t i = 0; i < zone_list.size(); ++i)
          req.values.emplace_back(std::string(domain::zone_name(zone_list[i])), values[i]);
      }
      tx->savepoint();
      SubmitOutcome o = submissions.process(*tx, req, now);
      tx->release();
      if (o.status == SubmitOutcome::Status::accepted)
        ++report.imported;
      else if (o.status == SubmitOutcome::Status::replayed)
        ++report.replayed;
      else
        report.errors.push_back(at_line(row.line, describe(o)));
    }
    if (report.ok()) {
      tx->append_audit(store::AuditEntry{now, "import", "import", "import_readings", "", "",
                                         "imported " + std::to_string(report.imported), "",
                                         std::nullopt});
      tx->commit();
      return report;
    }
  }
  // Nothing of the file is kept, but the failed attempt is.
  auto tx = store.begin_write();
  tx->append_audit(
      store::AuditEntry{now, "import", "import", "import_readings", "", "",
                        "rejected: " + std::to_string(report.errors.size()) + " bad rows",
                        report.errors.front(), std::nullopt});
  tx->commit();
  report.imported = 0;
  return report;
}

}  // namespace md::service
