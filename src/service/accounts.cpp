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

// Reads the header row: which of the accepted ones it is, or nothing (with the reason in the
// report).
std::optional<std::size_t> read_header(CsvReader& reader,
                                       std::initializer_list<std::string_view> headers,
                                       ImportReport& report) {
  CsvRow header;
  reader.next(header);
  std::string accepted;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const std::string_view expected = *(headers.begin() + i);
    if (header_matches(header.fields, expected)) return i;
    accepted += std::string(i ? ", or: " : "") + std::string(expected);
  }
  report.problem("line 1: the header must be exactly: " + accepted);
  return std::nullopt;
}

// Every so many rows of one import: what the transaction holds back is written (its memory stays
// bounded however long the file) and the progress told.
class Pacer {
 public:
  Pacer(store::WriteTx& tx, const CsvReader& reader, const ImportProgress& progress)
      : tx_(tx), reader_(reader), progress_(progress) {}
  void row() {
    if (++rows_ % kEvery != 0) return;
    tx_.flush();
    if (progress_) progress_(reader_.offset(), reader_.size(), rows_);
  }
  // The end, unless row() has just told it.
  void done() const {
    if (progress_ && rows_ % kEvery != 0) progress_(reader_.offset(), reader_.size(), rows_);
  }

 private:
  static constexpr std::size_t kEvery = 10000;
  store::WriteTx& tx_;
  const CsvReader& reader_;
  const ImportProgress& progress_;
  std::size_t rows_ = 0;
};

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

namespace {

// One row of the accounts file, read and checked: `problems` is empty when it can be imported.
struct AccountLine {
  std::string account, holder, phone, email, address, eic, serial, area;
  std::optional<int> zones, digits;
  std::optional<domain::Day> installed;
  std::vector<std::string> initial;
  std::vector<std::string> problems;
};

// Reads the rows of one accounts file, with what the earlier rows said (a repeated EIC or meter,
// an account with another holder or area) and what is on file already.
class AccountsFile {
 public:
  AccountsFile(store::WriteTx& tx, int account_digits, domain::Day today, bool with_area)
      : tx_(tx), account_digits_(account_digits), today_(today), with_area_(with_area) {}

  AccountLine read(const std::vector<std::string>& f) {
    AccountLine l{f[0], f[1], f[2], f[3], f[4], f[5], f[6], with_area_ ? f[11] : std::string()};
    auto& problems = l.problems;
    if (!valid_account_number(l.account, account_digits_))
      problems.push_back("account must be " + std::to_string(account_digits_) + " digits");
    if (l.holder.empty()) problems.push_back("holder is empty");
    if (!l.phone.empty()) {
      l.phone = normalize_phone(l.phone);
      if (l.phone.empty()) problems.push_back("phone is not a phone number");
    }
    if (!l.email.empty() && (l.email.find('@') == std::string::npos || l.email.size() > 254))
      problems.push_back("email is not an e-mail address");
    check_meter(l);
    l.zones = small_int(f[7]);
    if (!l.zones || !domain::valid_zone_count(*l.zones))
      problems.push_back("zones must be 1, 2 or 3");
    l.digits = small_int(f[8]);
    if (!l.digits || !domain::valid_digits(*l.digits)) problems.push_back("digits must be 4 to 8");
    l.installed = domain::parse_date(f[9]);
    if (!l.installed)
      problems.push_back("installed_on must be a date YYYY-MM-DD");
    else if (*l.installed > today_)
      problems.push_back("installed_on is in the future");
    l.initial = split_values(f[10]);
    check_initial(l);
    const std::string& area = l.area;
    if (area.size() > 64 || area.find_first_of("\r\n\t") != std::string::npos ||
        (!area.empty() && (area.front() == ' ' || area.back() == ' ')))
      problems.push_back("area must be at most 64 characters on one line, without blanks around");
    if (auto it = holders_.find(l.account); it != holders_.end() && it->second != l.holder)
      problems.push_back("account " + l.account + " appears with another holder");
    holders_.emplace(l.account, l.holder);
    if (auto it = areas_.find(l.account); it != areas_.end() && it->second != area)
      problems.push_back("account " + l.account + " appears with another area");
    areas_.emplace(l.account, area);
    return l;
  }

 private:
  void check_meter(AccountLine& l) {
    if (!domain::valid_eic(l.eic))
      l.problems.push_back("eic " + l.eic + " is not a valid EIC");
    else if (!eics_.insert(l.eic).second)
      l.problems.push_back("eic " + l.eic + " repeats an earlier row");
    else if (tx_.eic_exists(l.eic))
      l.problems.push_back("eic " + l.eic + " is already on file");
    if (!valid_serial(l.serial))
      l.problems.push_back("meter_serial is not a serial number");
    else if (!serials_.insert(l.account + "/" + l.serial).second)
      l.problems.push_back("meter_serial " + l.serial + " repeats an earlier row of this account");
    else if (tx_.find_meter(l.account, l.serial))
      l.problems.push_back("meter_serial " + l.serial + " is already installed for this account");
  }
  static void check_initial(AccountLine& l) {
    if (!l.zones || !l.digits || !domain::valid_digits(*l.digits)) return;
    if (static_cast<int>(l.initial.size()) != *l.zones) {
      l.problems.push_back("initial needs " + std::to_string(*l.zones) + " values separated by /");
      return;
    }
    for (const auto& v : l.initial) {
      auto parsed = domain::parse_reading_value(v, *l.digits);
      if (parsed.error != domain::ParsedValue::Error::none || parsed.decimal_ignored)
        l.problems.push_back("initial value '" + v + "' is not a whole number of at most " +
                             std::to_string(*l.digits) + " digits");
    }
  }

  store::WriteTx& tx_;
  int account_digits_;
  domain::Day today_;
  bool with_area_;
  std::map<std::string, std::string> holders_;  // account → holder within the file
  std::map<std::string, std::string> areas_;    // account → area within the file
  std::set<std::string> eics_, serials_;
};

// Stores a checked row: its account (once), metering point, meter and installation reading.
// Why it could not, if it could not (the row's writes are undone).
std::optional<std::string> store_line(store::WriteTx& tx, Submissions& submissions,
                                      const AccountLine& l, std::string raw, domain::Instant now) {
  tx.savepoint();
  try {
    auto account_id = tx.find_account(l.account);
    if (!account_id)
      account_id = tx.insert_account(
          store::NewAccount{l.account, l.holder, l.phone, l.email, l.address, l.area}, now);
    auto point = tx.insert_metering_point(*account_id, l.eic, l.address);
    tx.insert_meter(point, store::NewMeter{l.serial, *l.zones, *l.digits, *l.installed});
    SubmitRequest initial_reading;
    initial_reading.channel = "import";
    initial_reading.account = l.account;
    initial_reading.meter_serial = l.serial;
    initial_reading.taken_on = l.installed;
    initial_reading.type = "exchange_initial";
    initial_reading.actor = "import";
    initial_reading.raw_input = std::move(raw);
    auto zone_list = domain::zones_of(*l.zones);
    for (size_t i = 0; i < zone_list.size(); ++i)
      initial_reading.values.emplace_back(std::string(domain::zone_name(zone_list[i])),
                                          l.initial[i]);
    SubmitOutcome o = submissions.process(tx, initial_reading, now);
    if (o.status != SubmitOutcome::Status::accepted) {
      tx.rollback_to();
      return "initial reading: " + describe(o);
    }
    tx.release();
    return std::nullopt;
  } catch (const store::StoreError& e) {
    tx.rollback_to();
    return e.what();
  }
}

}  // namespace

ImportReport import_accounts(store::Store& store, Submissions& submissions, std::string_view csv,
                             domain::Instant now, const ImportProgress& progress) {
  ImportReport report;
  CsvReader reader(csv);
  auto header = read_header(reader, {kAccountsHeader, kAccountsHeaderWithArea}, report);
  if (!header) return report;
  const bool with_area = *header == 1;
  const std::size_t columns = with_area ? 12 : 11;
  auto tx = store.begin_write();
  AccountsFile file(*tx, submissions.config().account_digits, domain::kyiv_date(now), with_area);
  Pacer pacer(*tx, reader, progress);
  for (CsvRow row; reader.next(row); pacer.row()) {
    if (row.fields.size() != columns) {
      report.problem(at_line(row.line, "expected " + std::to_string(columns) + " fields, found " +
                                           std::to_string(row.fields.size())));
      continue;
    }
    AccountLine line = file.read(row.fields);
    for (const auto& p : line.problems) report.problem(at_line(row.line, p));
    if (!line.problems.empty() || !report.ok()) continue;
    if (auto failed = store_line(*tx, submissions, line, serialize_row(row.fields), now))
      report.problem(at_line(row.line, *failed));
    else
      ++report.imported;
  }
  pacer.done();
  for (const auto& e : reader.errors()) report.problem(e);
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

namespace {
// One row of a readings file as a submission, or why it cannot be one.
std::optional<SubmitRequest> reading_of(store::WriteTx& tx, const CsvRow& row,
                                        ImportReport& report) {
  if (row.fields.size() != 5) {
    report.problem(
        at_line(row.line, "expected 5 fields, found " + std::to_string(row.fields.size())));
    return std::nullopt;
  }
  const auto& f = row.fields;
  auto taken_on = domain::parse_date(f[2]);
  bool bad = false;
  if (!taken_on) {
    report.problem(at_line(row.line, "taken_on must be a date YYYY-MM-DD"));
    bad = true;
  }
  if (f[3] != "customer" && f[3] != "inspector" && f[3] != "operator") {
    report.problem(at_line(row.line, "type must be customer, inspector or operator"));
    bad = true;
  }
  if (bad) return std::nullopt;
  SubmitRequest req;
  req.channel = "import";
  req.raw_input = serialize_row(f);
  req.idempotency_key = key_of(req.raw_input);
  req.account = f[0];
  req.meter_serial = f[1];
  req.taken_on = taken_on;
  req.type = f[3];
  req.confirmed = true;  // batches are checked by the people who enter them
  req.actor = "import";
  auto values = split_values(f[4]);
  if (auto meter = tx.find_meter(f[0], f[1])) {
    auto zone_list = domain::zones_of(meter->zones);
    if (values.size() != zone_list.size()) {
      report.problem(at_line(
          row.line, "values needs " + std::to_string(zone_list.size()) + " values separated by /"));
      return std::nullopt;
    }
    for (size_t i = 0; i < zone_list.size(); ++i)
      req.values.emplace_back(std::string(domain::zone_name(zone_list[i])), values[i]);
  }
  return req;
}
}  // namespace

ImportReport import_readings(store::Store& store, Submissions& submissions, std::string_view csv,
                             domain::Instant now, const ImportProgress& progress) {
  ImportReport report;
  CsvReader reader(csv);
  if (!read_header(reader, {kReadingsHeader}, report)) return report;
  {
    auto tx = store.begin_write();
    Pacer pacer(*tx, reader, progress);
    for (CsvRow row; reader.next(row); pacer.row()) {
      auto req = reading_of(*tx, row, report);
      if (!req) continue;
      tx->savepoint();
      SubmitOutcome o = submissions.process(*tx, *req, now);
      tx->release();
      if (o.status == SubmitOutcome::Status::accepted)
        ++report.imported;
      else if (o.status == SubmitOutcome::Status::replayed)
        ++report.replayed;
      else
        report.problem(at_line(row.line, describe(o)));
    }
    pacer.done();
    for (const auto& e : reader.errors()) report.problem(e);
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
                        "rejected: " + std::to_string(report.problem_count()) + " bad rows",
                        report.errors.front(), std::nullopt});
  tx->commit();
  report.imported = 0;
  return report;
}

}  // namespace md::service
