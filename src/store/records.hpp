// The rows the store reads and writes: plain structs, no behaviour. What the store's ports
// (store.hpp) take and give, and what the service's read models hand to the pages.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "domain/bill.hpp"
#include "domain/calendar.hpp"

namespace md::store {

using domain::Day;
using domain::Instant;
using domain::YearMonth;

struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Which unique constraint was hit: the ones callers answer differently; `other` for the rest.
enum class Conflict { other, receipt, idempotency, eic, account, login, email };

// A unique constraint was hit: `what` is the engine's message, `kind` says which one.
struct ConflictError : StoreError {
  ConflictError(Conflict k, const std::string& message) : StoreError(message), kind(k) {}
  Conflict kind;
};

struct NewAccount {
  std::string number, holder, phone, email, address;
  std::string area;  // the DSO's district; empty when none
};

struct NewMeter {
  std::string serial;
  int zones = 1;
  int digits = 5;
  Day installed_on{};
  std::vector<std::int64_t> counter_offsets;  // empty: none
};

struct NewExchange {
  std::int64_t point_id = 0, old_meter_id = 0, new_meter_id = 0;
  Day exchanged_on{};
  std::vector<std::int64_t> offsets;
  std::string actor;
};

// A meter together with where it is installed and whose it is.
struct MeterRow {
  std::int64_t meter_id = 0;
  std::int64_t point_id = 0;
  std::int64_t account_id = 0;
  std::string account_number;
  bool account_active = true;
  std::string eic;
  std::string serial;
  int zones = 1;
  int digits = 5;
  Day installed_on{};
  std::vector<std::int64_t> counter_offsets;  // empty: none
};

struct AccountRow {
  std::int64_t id = 0;
  std::string number, holder, phone, email, address;
  bool active = true;
  bool electric_heating = false;
};

struct ReadingRow {
  std::int64_t id = 0;
  std::string receipt;
  std::int64_t meter_id = 0;
  std::string meter_serial;
  int zones = 1;
  std::string channel;
  std::string type;  // customer, inspector, operator, exchange_final, exchange_initial
  Day taken_on{};
  Instant as_of{};
  std::optional<YearMonth> period;  // set for in-window readings
  Instant received_at{};
  std::string status;  // accepted, superseded, rejected_by_operator
  std::vector<std::string> flags;
  std::vector<std::int64_t> values;     // as shown, zone order
  std::vector<std::int64_t> unwrapped;  // continuous counter, zone order
  // Filled by account_readings(): the operators' review of a flagged reading.
  std::string review;  // "", "pending", "accepted", "rejected"
  std::string review_reason;
  bool has_photo = false;
};

// A person who signs in: a customer (login = account number) or staff (operator, supervisor,
// admin). Only an argon2id hash of the password is kept.
struct UserRow {
  std::int64_t id = 0;
  std::string login, role;
  std::optional<std::int64_t> account_id;
  std::string email, phone, password_hash;
  bool reminders = true;
  std::optional<Instant> disabled_at;  // staff who have left: no sign-in, no session, no reset
};

struct NewUser {
  std::string login, role;
  std::optional<std::int64_t> account_id;
  std::string email, phone, password_hash;
};

struct SessionRow {
  std::int64_t user_id = 0;
  std::string csrf;
  Instant expires_at{};
};

struct Photo {
  std::string content_type;
  std::string bytes;
};

// A flagged reading in the operators' queue, with what they need to decide it.
struct ReviewRow {
  ReadingRow reading;
  std::string account_number, reason;
  Instant created_at{};
  // The accepted readings before it, the latest first (up to two: the second gives the rate the
  // flag was judged against).
  std::vector<ReadingRow> earlier;
};

// K_outage(M) a supervisor entered for an area ('' = every area), in thousandths.
struct OutageCoefficientRow {
  std::string area;
  YearMonth period{};
  int k_milli = 1000;
  std::string actor, reason;
  Instant created_at{};
};

struct PriceChangeRow {
  domain::PriceChange change;
  std::string actor, reason;
  Instant created_at{};
};

struct InspectionOrderRow {
  YearMonth period{};
  std::string account_number, eic, address, reason;
  Instant created_at{};
  std::optional<Instant> inspected_at;  // the first inspector reading since the order, if any
};

// Submissions received per hour and channel: the console's charts.
struct ChannelHour {
  Instant hour{};
  std::string channel;
  std::int64_t count = 0;
};

struct NewSubmission {
  std::string receipt;
  std::int64_t meter_id = 0;
  std::int64_t account_id = 0;
  std::string channel;
  std::string idempotency_key;  // empty: none
  std::string type;
  Day taken_on{};
  Instant as_of{};
  std::optional<YearMonth> period;
  Instant received_at{};
  std::vector<std::string> flags;
  std::vector<std::int64_t> values;
  std::vector<std::int64_t> unwrapped;
  std::string raw_input;
  std::string actor;
  std::string receipt_json;  // the answer given, returned verbatim on a replay
};

struct AuditEntry {
  Instant at{};
  std::string actor;  // "customer", "operator:ivanenko", "system", "import"
  std::string channel;
  std::string action;    // "submit", "status_change", "import_accounts"...
  std::string identity;  // what the caller identified with (account + serial, chat id...)
  std::string raw_input;
  std::string result;  // "accepted", "rejected:lower_than_previous", "replayed"...
  std::string reason;  // why (operators' decisions)
  std::optional<std::int64_t> submission_id;
  std::string request_id;  // the channel's request, for following it through logs
};

struct AuditRow : AuditEntry {
  std::int64_t id = 0;
};

// The audit is a hash chain (store/audit_chain.hpp): per chain ("main" on SQLite, one per writer of
// each node on PostgreSQL) each record has the next sequence number and the SHA-256 of the previous
// record's hash and its own content.
struct AuditHead {
  std::string chain;
  std::int64_t seq = 0;  // 0: nothing written yet
  std::string hash;      // hex
};
struct ChainedAuditRow : AuditRow {
  std::string chain;
  std::int64_t seq = 0;
  std::string hash;
};
// One snapshot of the chains: the heads as last written, and the records written before the
// chains began (schema 13), which come before every chained one.
struct AuditChains {
  std::vector<AuditHead> heads;
  std::int64_t unchained = 0;
  std::int64_t last_unchained_id = 0;  // 0 when none
  std::int64_t first_chained_id = 0;   // 0 when none
};

// A search of the audit, newest first, in pages. Each page looks at no more than `window` records
// (older than `before_id`), so a search that matches little stays quick on years of records; the
// next page goes on from where this one stopped.
struct AuditQuery {
  std::string who;              // a login: its actions under any role ("admin:x", "customer:x")
  std::string action;           // exact, e.g. "user_role"
  std::string identity_prefix;  // "account=0123456789", "staff=olena"
  std::int64_t before_id = 0;   // 0: from the newest
  int limit = 50;
  int window = 200'000;
};
struct AuditPage {
  std::vector<AuditRow> rows;
  std::int64_t next_before = 0;  // where the next page starts; 0 when nothing older is left
};

// One metering point, its installed meter and its accepted actual readings (oldest first): what
// the period close needs of it.
struct PointHistory {
  std::int64_t point_id = 0;
  std::int64_t account_id = 0;
  std::string account_number, eic;
  bool electric_heating = false;
  std::string area;
  struct Meter {
    std::int64_t id = 0;
    std::string serial;
    int zones = 1;
    int digits = 5;
    Day installed_on{};
    std::optional<Day> removed_on;
    std::vector<std::int64_t> counter_offsets;
  };
  std::vector<Meter> meters;  // in installation order; the last is the one installed now
  struct Reading {  // no heap: a million points with two years of history each pass through
    std::int64_t meter_id = 0;
    Instant as_of{};
    Day taken_on{};                           // the Kyiv date it was taken
    bool installation = false;                // an installation or exchange reading
    std::array<std::int64_t, 3> unwrapped{};  // zone order; as many as the meter has zones
  };
  std::vector<Reading> readings;  // by as-of instant
};

// A closed month of one register chain.
struct VolumeRow {
  YearMonth period{};
  std::int64_t point_id = 0;
  std::int64_t chain = 0;
  std::int64_t meter_id = 0;
  std::string zone;
  int zone_index = 0;
  std::int64_t start_value = 0, start_shown = 0;
  std::string start_kind;
  std::int64_t end_value = 0, end_shown = 0;
  std::string end_kind;
  std::int64_t volume = 0;
  std::int64_t correction = 0;
  std::int64_t position = 0;
  std::string method;
  int estimated_run = 0;
  std::string estimate;  // JSON: method, basis and coefficients; "" when not estimated
  // Joined in when read back:
  std::string account_number, eic, serial;
  int digits = 5;
  int zones = 1;
  bool electric_heating = false;
};

struct PeriodRow {
  YearMonth period{};
  Instant closed_at{};
  std::string summary;  // JSON
};

struct TokenRow {
  std::int64_t id = 0;
  std::string role, name;
  bool revoked = false;
};

// A messenger conversation (a Telegram chat, a Viber user) and the accounts linked to it.
struct ChatRow {
  std::string channel, chat_id;
  std::string lang = "uk";
  std::string state = "{}";  // the dialog's state, JSON
  bool reminders = true;
  bool subscribed = true;
  std::string phone;  // the verified phone the person shared, normalised
};

// One message to a platform: an API method and its JSON body. `not_before` is wall-clock time
// (the outbox runs on real time even when the business clock is fixed); the epoch: at once.
struct OutboxMessage {
  std::string channel, chat_id, method, body;
  Instant not_before{};
  // A notice to many chats at once (a reminder round): sent after every waiting answer.
  bool bulk = false;
};
struct OutboxRow : OutboxMessage {
  std::int64_t id = 0;
  int attempts = 0;
};

// A chat linked to an account, for reminders and notices.
struct ChatLink {
  std::string channel, chat_id, lang;
  std::string account_number;
  std::int64_t account_id = 0;
  bool reminders = true;
  bool has_reading = false;  // reminder_targets: the account sent a reading in the window
};

struct AttemptCounts {
  int current = 0, previous = 0;
};

}  // namespace md::store
