// The fuzz targets' dialog backend: two accounts in memory (one with a day/night and a
// three-zone meter, one with a single-zone meter), a phone number that finds both, one that finds
// the single-meter account only, and the real validation rules against a fixed previous reading.
#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dialog/conversation.hpp"
#include "domain/validation.hpp"

namespace md::fuzz {

class MemoryBackend final : public dialog::Backend {
 public:
  // What a phone call's fuzz input chooses; the defaults are the conversation target's.
  bool unavailable = false;             // the store is away: every submission answers so
  std::string receipt = "R-TEST-0001";  // the receipt an accepted reading gets
  int stored = 0;                       // readings stored (not dry runs)
  int identification_limit = 2;         // tries at one account (low: one conversation reaches it)

  std::vector<std::string> accounts;
  std::vector<std::string> linked() override { return accounts; }
  void link(std::string_view a) override {
    if (accounts.size() < 5) accounts.emplace_back(a);
  }
  void unlink(std::string_view a) override { std::erase(accounts, std::string(a)); }
  std::vector<std::string> accounts_by_phone(std::string_view phone) override {
    if (phone.ends_with("671234567")) return {"0123456789", "0000000001"};
    if (phone.ends_with("501112233")) return {"0000000001"};  // one account, one meter
    return {};
  }
  std::optional<dialog::MeterInfo> meter(std::string_view account, std::string_view serial) {
    if (account == "0123456789" && serial == "A1234567")
      return dialog::MeterInfo{"0123456789", "A1234567", 2};
    if (account == "0000000001" && serial == "S0000001")
      return dialog::MeterInfo{"0000000001", "S0000001", 1};
    return std::nullopt;
  }
  std::vector<dialog::MeterInfo> meters(std::string_view account) override {
    if (account == "0123456789")
      return {{"0123456789", "A1234567", 2}, {"0123456789", "B7654321", 3}};
    if (account == "0000000001") return {{"0000000001", "S0000001", 1}};
    return {};
  }
  std::optional<dialog::LastReading> last_reading(std::string_view,
                                                  std::string_view serial) override {
    if (serial == "S0000001") return std::nullopt;
    return dialog::LastReading{*domain::parse_date("2026-10-31"), {12000, 6000, 3000}};
  }
  std::vector<dialog::HistoryLine> history(std::string_view, int) override {
    return {{"R-AAAA-BBBB",
             "A1234567",
             "telegram",
             "accepted",
             *domain::parse_date("2026-10-31"),
             2,
             {12000, 6000}}};
  }
  service::SubmitOutcome submit(const service::SubmitRequest& req, bool dry_run) override {
    const domain::ValidationInput in = input(req);
    service::SubmitOutcome out;
    if (unavailable) {
      out.status = service::SubmitOutcome::Status::unavailable;
      return out;
    }
    out.validation = domain::validate(in, rules);
    if (out.validation.rejection) {
      out.status = service::SubmitOutcome::Status::rejected;
      out.rejection = out.validation.rejection;
    } else if (out.validation.needs_confirmation) {
      out.status = service::SubmitOutcome::Status::needs_confirmation;
    } else {
      out.status = service::SubmitOutcome::Status::accepted;
      out.receipt_id = receipt;
      out.receipt_json = R"({"receipt":")" + receipt +
                         R"(","readings":{"day":1},"counts_as":{"period":"2026-11"}})";
      if (!dry_run) ++stored;
    }
    return out;
  }
  std::optional<domain::Rejection> judge_given(const service::SubmitRequest& req) override {
    return domain::reject_given(input(req), rules);
  }
  // What the service would validate: the request against a fixed previous reading.
  domain::ValidationInput input(const service::SubmitRequest& req) {
    domain::ValidationInput in;
    auto m = meter(req.account, req.meter_serial);
    if (!m) m = dialog::MeterInfo{req.account, req.meter_serial, 3};
    in.meter = domain::MeterSpec{m->zones, 5, *domain::parse_date("2025-01-10")};
    in.entries = req.values;
    in.taken_on = in.today = *domain::parse_date("2026-11-30");
    domain::PriorReading prior;
    prior.taken_on = *domain::parse_date("2026-10-31");
    prior.as_of = domain::as_of(prior.taken_on, true, rules.window);
    prior.values = prior.unwrapped = {12000, 6000, 3000};
    prior.values.resize(static_cast<std::size_t>(m->zones));
    prior.unwrapped.resize(static_cast<std::size_t>(m->zones));
    in.previous = prior;
    in.confirmed = req.confirmed;
    return in;
  }
  domain::Instant now() override { return *domain::parse_instant("2026-11-30T10:00:00"); }
  const domain::WindowRules& window_rules() override { return rules.window; }
  int account_digits() override { return 10; }
  // `identification_limit` wrong tries per account, then refused (until the fixed clock's next
  // hour), as service::identify_meter counts them.
  dialog::Identified identify(std::string_view account, std::string_view serial,
                              service::SerialForm form) override {
    dialog::Identified out;
    int& n = identifications[std::string(account)];
    if (n >= identification_limit) {
      out.status = dialog::Identified::Status::refused;
      out.retry_at = now() + std::chrono::hours(1);
      return out;
    }
    std::optional<dialog::MeterInfo> found;
    if (form == service::SerialForm::whole) {
      found = meter(account, serial);
    } else if (serial.size() == 4) {
      int matches = 0;
      for (const auto& m : meters(account))
        if (m.serial.ends_with(serial)) {
          found = m;
          ++matches;
        }
      if (matches != 1) found.reset();
    }
    if (!found) {
      ++n;
      return out;
    }
    out.status = dialog::Identified::Status::found;
    out.meter = *found;
    return out;
  }
  std::map<std::string, int> identifications;
  domain::ValidationRules rules;
};

}  // namespace md::fuzz
