// What a conversation (the messengers' or the phone line's) needs of the rest of the system:
// lookups, the one identification and the one submission path. Implemented inside the step's
// write transaction (dialog/messenger.cpp), so a step's reads and writes commit together.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/calendar.hpp"
#include "service/identify.hpp"
#include "service/submission.hpp"

namespace md::dialog {

struct MeterInfo {
  std::string account, serial;
  int zones = 1;
};

struct Identified {
  enum class Status { found, not_found, refused };
  Status status = Status::not_found;
  MeterInfo meter;             // found
  domain::Instant retry_at{};  // refused: until when
};

// The reading a new one is compared with (rules.md §3), and the one of this window it replaces:
// what is shown as "your last reading" must be what a rejection names.
struct LastReading {
  domain::Day taken_on{};
  std::vector<std::int64_t> values;  // zone order
  std::optional<domain::Day> replaced_on;
  std::vector<std::int64_t> replaced_values;
};

struct HistoryLine {
  std::string receipt, serial, channel, status;
  domain::Day taken_on{};
  int zones = 1;
  std::vector<std::int64_t> values;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::vector<std::string> linked() = 0;  // accounts linked to this conversation
  virtual void link(std::string_view account) = 0;
  virtual void unlink(std::string_view account) = 0;
  virtual std::vector<std::string> accounts_by_phone(std::string_view phone) = 0;
  virtual std::vector<MeterInfo> meters(std::string_view account) = 0;  // installed now
  virtual std::optional<LastReading> last_reading(std::string_view account,
                                                  std::string_view serial) = 0;
  virtual std::vector<HistoryLine> history(std::string_view account, int limit) = 0;
  // dry_run: validate only; nothing is stored.
  virtual service::SubmitOutcome submit(const service::SubmitRequest& req, bool dry_run) = 0;
  // A reading still missing zones: the rejection of a value given so far, or none
  // (service::Submissions::judge_given). Nothing is stored but a rejection's audit record.
  virtual std::optional<domain::Rejection> judge_given(const service::SubmitRequest& req) = 0;
  virtual domain::Instant now() = 0;
  virtual const domain::WindowRules& window_rules() = 0;
  virtual int account_digits() = 0;
  // The meter `serial` names on `account` (on the phone line, the last four digits of it): the one
  // identification every channel asks (service::identify_meter). A wrong pair counts against the
  // account's attempts, shared with every channel; while they are spent the answer is refused,
  // before anything is looked up, so that it tells nothing.
  virtual Identified identify(std::string_view account, std::string_view serial,
                              service::SerialForm form) = 0;
};

}  // namespace md::dialog
