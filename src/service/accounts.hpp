// Bulk use cases: importing accounts and readings from CSV files. All or nothing: a file with a
// bad row imports nothing and reports every bad row with its line number (the first
// kListedProblems of them; the rest are counted).
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "service/clock.hpp"
#include "service/submission.hpp"
#include "store/store.hpp"

namespace md::service {

inline constexpr std::size_t kListedProblems = 1000;

struct ImportReport {
  int imported = 0;
  int replayed = 0;  // rows already imported earlier (same idempotency key)
  std::vector<std::string> errors;
  std::size_t unlisted = 0;  // problems beyond the first kListedProblems: a file of millions of
                             // bad rows must not take gigabytes to say so
  [[nodiscard]] bool ok() const { return errors.empty(); }
  [[nodiscard]] std::size_t problem_count() const { return errors.size() + unlisted; }
  void problem(std::string what) {
    if (errors.size() < kListedProblems)
      errors.push_back(std::move(what));
    else
      ++unlisted;
  }
};

// Called every few thousand rows and at the end: how far into the file (bytes) and rows read.
using ImportProgress = std::function<void(std::size_t at, std::size_t size, std::size_t rows)>;

inline constexpr std::string_view kAccountsHeader =
    "account,holder,phone,email,address,eic,meter_serial,zones,digits,installed_on,initial";
// The same with the DSO's area (district) of each account, for K_outage per area.
inline constexpr std::string_view kAccountsHeaderWithArea =
    "account,holder,phone,email,address,eic,meter_serial,zones,digits,installed_on,initial,area";
inline constexpr std::string_view kReadingsHeader = "account,meter_serial,taken_on,type,values";

ImportReport import_accounts(store::Store& store, Submissions& submissions, std::string_view csv,
                             domain::Instant now, const ImportProgress& progress = {});
ImportReport import_readings(store::Store& store, Submissions& submissions, std::string_view csv,
                             domain::Instant now, const ImportProgress& progress = {});

// "12000/6000" → {"12000", "6000"}: register values in zone order.
std::vector<std::string> split_values(std::string_view text);
bool valid_serial(std::string_view serial);
bool valid_account_number(std::string_view number, int digits);
// Digits with an optional leading '+', 10 to 15 of them; blanks, dashes and brackets dropped.
std::string normalize_phone(std::string_view phone);

}  // namespace md::service
