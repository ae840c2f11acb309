// The one storage interface: the write transaction, the read ports by use case, and Store, which
// is all of them (the rows are in records.hpp). Nothing above src/store writes SQL.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "store/records.hpp"

namespace md::store {

// A write transaction. One at a time per store; destroyed without commit() it rolls back.
class WriteTx {
 public:
  virtual ~WriteTx() = default;

  virtual std::optional<MeterRow> find_meter(std::string_view account, std::string_view serial) = 0;
  // The stored answer for an idempotency key already used on this channel.
  virtual std::optional<std::string> find_replay(std::string_view channel,
                                                 std::string_view key) = 0;
  // A meter's accepted readings as a new one for `window` sees them (one query: it is asked for
  // every submission): the latest `limit` by as-of instant that do not count for that window, and
  // the ids of those that do, which the new one supersedes.
  struct Accepted {
    std::vector<ReadingRow> latest;
    std::vector<std::int64_t> in_window;  // ascending
  };
  virtual Accepted accepted_readings(std::int64_t meter_id, int limit,
                                     std::optional<YearMonth> window) = 0;
  // What a batch of submissions is about to read, asked in advance: where a statement is a round
  // trip (PostgreSQL) the meters (locked, in id order) and their accepted readings come in two
  // queries, and find_meter/accepted_readings for them are then answered from memory, kept true
  // by this transaction's own writes. Does nothing where statements are cheap (SQLite).
  struct MeterKey {
    std::string account, serial;
    std::optional<YearMonth> window;
    std::string channel, idempotency_key;  // whether the key was used is read too
  };
  virtual void prefetch(const std::vector<MeterKey>& keys, int limit) = 0;
  virtual std::optional<YearMonth> last_closed_period() = 0;

  virtual std::int64_t insert_submission(const NewSubmission& s) = 0;
  // The only in-place update: a status transition, recorded in the audit in the same transaction.
  virtual void change_status(std::int64_t submission_id, std::string_view to,
                             const AuditEntry& why) = 0;
  // Written by the commit at the latest (with the others of the transaction, in one statement).
  virtual void append_audit(const AuditEntry& e) = 0;
  // A flagged reading enters the operators' review queue.
  virtual void add_review_item(std::int64_t submission_id, std::string_view reason, Instant at) = 0;

  virtual std::optional<std::int64_t> find_account(std::string_view number) = 0;
  virtual std::int64_t insert_account(const NewAccount& a, Instant now) = 0;
  virtual std::int64_t insert_metering_point(std::int64_t account_id, std::string_view eic,
                                             std::string_view address) = 0;
  virtual std::int64_t insert_meter(std::int64_t point_id, const NewMeter& m) = 0;
  virtual bool eic_exists(std::string_view eic) = 0;
  // The exchange act: the old meter is removed, the new one installed, both recorded.
  virtual void remove_meter(std::int64_t meter_id, Day removed_on) = 0;
  virtual void insert_exchange(const NewExchange& e, Instant at) = 0;

  virtual void insert_volume(const VolumeRow& v) = 0;
  // Many at once (the close writes a million); same effect as insert_volume for each.
  virtual void insert_volumes(const std::vector<VolumeRow>& rows) = 0;
  virtual void insert_period(YearMonth period, Instant closed_at, std::string_view summary) = 0;
  virtual void insert_inspection_order(std::int64_t point_id, YearMonth period,
                                       std::string_view reason, Instant at) = 0;
  // False when there is no such token or it was revoked before.
  virtual bool revoke_token(std::int64_t id, Instant at) = 0;
  virtual void insert_token(std::string_view token_hash, std::string_view role,
                            std::string_view name, Instant at) = 0;

  // The meter photo sent with a submission (web form, cabinet, messengers).
  virtual void insert_photo(std::int64_t submission_id, const Photo& photo, Instant at) = 0;
  // Throws ConflictError (Conflict::login or Conflict::email).
  virtual std::int64_t insert_user(const NewUser& u, Instant at) = 0;
  virtual void set_password(std::int64_t user_id, std::string_view password_hash) = 0;
  // Disables a person from `at` (nullopt enables them again).
  virtual void set_disabled(std::int64_t user_id, std::optional<Instant> at) = 0;
  virtual void set_role(std::int64_t user_id, std::string_view role) = 0;
  // How many admins can sign in, their rows locked until the transaction ends where several may
  // write (PostgreSQL): two admins cannot each take the other's role away at the same moment.
  virtual int lock_active_admins() = 0;
  virtual void set_reminders(std::int64_t user_id, bool on) = 0;
  // Throws ConflictError (Conflict::email) when another person has the e-mail.
  virtual void set_contact(std::int64_t user_id, std::string_view email,
                           std::string_view phone) = 0;
  virtual void insert_session(std::string_view token_hash, const SessionRow& s, Instant at) = 0;
  virtual void delete_session(std::string_view token_hash) = 0;
  // The installation's secret called `name`: `candidate` is kept if it has none yet; the one
  // kept is returned (every node of one database gets the same).
  virtual std::string keep_secret(std::string_view name, std::string_view candidate,
                                  Instant at) = 0;
  virtual void delete_sessions_of(std::int64_t user_id) = 0;
  // A one-time password reset code for a person (only its hash is kept); the person's codes
  // issued before and not yet used stop working.
  virtual void insert_password_reset(std::string_view code_hash, std::int64_t user_id,
                                     std::string_view issued_by, Instant at,
                                     Instant expires_at) = 0;
  // Ends the person's codes not yet used (they have left, or a new code replaces them).
  virtual void expire_password_resets(std::int64_t user_id, Instant at) = 0;
  // Spends the code; false when it is not this person's, was used, was replaced or has expired.
  virtual bool use_password_reset(std::string_view code_hash, std::int64_t user_id, Instant at) = 0;
  // Records an operator's decision; false when the item is not waiting (decided or unknown).
  virtual bool decide_review(std::int64_t submission_id, std::string_view decision,
                             std::string_view actor, std::string_view reason, Instant at) = 0;

  virtual void insert_price_change(const domain::PriceChange& c, std::string_view actor,
                                   std::string_view reason, Instant at) = 0;
  virtual void insert_outage_coefficient(const OutageCoefficientRow& row) = 0;

  // Messengers. False when the platform's update was already processed.
  virtual bool record_update(std::string_view channel, std::string_view key, Instant at) = 0;
  virtual std::optional<ChatRow> chat(std::string_view channel, std::string_view chat_id) = 0;
  virtual void save_chat(const ChatRow& c, Instant at) = 0;  // insert or update
  virtual std::vector<std::string> chat_accounts(std::string_view channel,
                                                 std::string_view chat_id) = 0;
  virtual void link_account(std::string_view channel, std::string_view chat_id,
                            std::int64_t account_id, Instant at) = 0;
  virtual void unlink_account(std::string_view channel, std::string_view chat_id,
                              std::int64_t account_id) = 0;
  virtual std::int64_t enqueue(const OutboxMessage& m, Instant at) = 0;
  // False when the run was claimed before: reminders and notices go out once.
  virtual bool claim_run(std::string_view kind, std::string_view key, std::int64_t messages,
                         Instant at) = 0;
  virtual void outbox_sent(std::int64_t id, Instant at) = 0;
  virtual void outbox_retry(std::int64_t id, int attempts, Instant not_before,
                            std::string_view error) = 0;
  virtual void outbox_failed(std::int64_t id, int attempts, std::string_view error, Instant at) = 0;
  // A message that carried a secret (a one-time code) keeps only its envelope once it went or
  // was given up: its body is emptied.
  virtual void outbox_forget_body(std::int64_t id) = 0;
  // Forgets processed update ids received before `before`; returns how many.
  virtual std::int64_t prune_updates(Instant before) = 0;
  // Forgets messages sent or given up before `done_before` (real time), envelope and body;
  // pending ones stay whatever their age. Returns how many.
  virtual std::int64_t prune_outbox(Instant done_before) = 0;

  // Attempt counters that every node sees (service::SharedRateLimiter), by window start (unix
  // seconds). attempts(): the counts in the windows starting at `start` and `start - length`.
  virtual AttemptCounts attempts(std::string_view name, std::int64_t start,
                                 std::int64_t length) = 0;
  // Counts one attempt in the window at `start` unless `below` are counted there already.
  virtual bool count_attempt(std::string_view name, std::int64_t start, int below) = 0;
  // Forgets windows that started before `before`; returns how many.
  virtual std::int64_t prune_attempts(std::int64_t before) = 0;

  // Nested scopes inside the transaction: one per submission in a group commit.
  virtual void savepoint() = 0;
  virtual void release() = 0;
  virtual void rollback_to() = 0;
  // Writes what the transaction holds back (audit rows; on PostgreSQL a batch's readings, which
  // then fail here if one conflicts); commit() does it too.
  virtual void flush() = 0;
  virtual void commit() = 0;
};

struct Counts {
  std::int64_t accounts = 0, meters = 0, submissions = 0, audit = 0;
};

// The lead in a background role (the outbox sender, the close scheduler) among the nodes that
// share one database: held while the lease lives, until held() says it was lost.
class Lease {
 public:
  virtual ~Lease() = default;
  virtual bool held() = 0;
};

// The store's reads, split by the use cases that read them (ports): a service takes the port it
// reads through, and a query's signature shows what it may read. Reads are safe from any thread,
// concurrent with the writer. Store is every port, the writes (begin_write) and the running of
// the database.
// A meter's readings and what follows from them: the submission path's lookups, receipts,
// photos, the review queue.
class ReadingReads {
 public:
  virtual ~ReadingReads() = default;
  virtual std::optional<MeterRow> find_meter(std::string_view account, std::string_view serial) = 0;
  virtual std::vector<ReadingRow> history(std::int64_t meter_id, int limit) = 0;
  // A meter's latest accepted reading by as-of instant (rules.md §3), the one a new reading is
  // validated against: what every channel shows as "your last reading".
  virtual std::optional<ReadingRow> latest_accepted(std::int64_t meter_id) = 0;
  virtual std::optional<ReadingRow> find_by_receipt(std::string_view receipt) = 0;
  // The receipt as it was given (rules.md §11), for the printable receipt page.
  virtual std::optional<std::string> receipt_json(std::string_view receipt) = 0;
  virtual std::optional<Photo> photo(std::int64_t submission_id) = 0;
  virtual std::vector<ReviewRow> review_queue(int limit) = 0;
  virtual std::int64_t review_backlog() = 0;
  // The account and receipt of a submission.
  virtual std::optional<std::pair<std::int64_t, std::string>> submission_owner(
      std::int64_t submission_id) = 0;
};

// Accounts as customers and staff see them: their meters, readings, months and audit, the
// console's search and its per-hour counts, the phone numbers the bots and the IVR know.
class AccountReads {
 public:
  virtual ~AccountReads() = default;
  virtual std::optional<AccountRow> account(std::string_view number) = 0;
  virtual std::optional<AccountRow> account_by_id(std::int64_t id) = 0;
  // By account number, EIC, meter serial, phone (exact or prefix) or an address fragment.
  virtual std::vector<AccountRow> search_accounts(std::string_view query, int limit) = 0;
  virtual std::vector<MeterRow> account_meters(std::int64_t account_id) = 0;  // installed now
  // Every reading of the account's meters from every channel, newest first.
  virtual std::vector<ReadingRow> account_readings(std::int64_t account_id, int limit) = 0;
  // Closed months of the account, oldest first.
  virtual std::vector<VolumeRow> account_volumes(std::int64_t account_id) = 0;
  // Audit records about the account (its submissions and attempts naming it), newest first.
  virtual std::vector<AuditRow> account_audit(std::int64_t account_id, int limit) = 0;
  virtual std::vector<AccountRow> accounts_by_phone(std::string_view phone) = 0;
  virtual std::vector<ChannelHour> channel_hours(Instant from, Instant to) = 0;
};

// The monthly close and what it leaves: every point's history, closed months, their volumes and
// positions, inspection orders, prices and K_outage entered, the areas accounts have.
class PeriodReads {
 public:
  virtual ~PeriodReads() = default;
  // Every metering point with its readings, from one consistent snapshot, in point order.
  virtual void scan_points(const std::function<void(PointHistory&&)>& visit) = 0;
  virtual std::optional<YearMonth> last_closed_period() = 0;
  virtual std::optional<PeriodRow> period(YearMonth m) = 0;
  // The closed month's rows sorted by account, meter serial and zone order.
  virtual std::vector<VolumeRow> volumes(YearMonth m) = 0;
  // Where a closed month left each chain: what the next close starts from. No joins, no order.
  struct Position {
    std::int64_t point_id = 0, chain = 0;
    int zone_index = 0;
    std::int64_t position = 0;
    int estimated_run = 0;
  };
  virtual void positions(YearMonth m, const std::function<void(const Position&)>& visit) = 0;
  virtual std::int64_t inspection_orders(YearMonth m) = 0;
  virtual std::vector<InspectionOrderRow> inspection_order_list(YearMonth m, int limit) = 0;
  virtual std::vector<PriceChangeRow> price_changes() = 0;  // in the order they were made
  virtual std::vector<OutageCoefficientRow> outage_coefficients() = 0;  // in the order entered
  virtual std::vector<std::string> account_areas() = 0;  // the areas accounts have, sorted
};

// People who sign in and what they did: users, sessions, API tokens, attempt limits, the audit.
class PeopleReads {
 public:
  virtual ~PeopleReads() = default;
  // By login or e-mail (case-insensitive for e-mail).
  virtual std::optional<UserRow> find_user(std::string_view login_or_email) = 0;
  virtual std::optional<UserRow> user_by_id(std::int64_t id) = 0;
  virtual std::vector<UserRow> staff_users() = 0;
  virtual std::optional<SessionRow> find_session(std::string_view token_hash) = 0;
  virtual std::optional<TokenRow> find_token(std::string_view token_hash) = 0;
  virtual std::vector<TokenRow> tokens() = 0;
  // An attempt limit's counts as WriteTx::attempts() reads them, on a reader (a check that does
  // not count need not take a writer).
  virtual AttemptCounts attempts(std::string_view name, std::int64_t start,
                                 std::int64_t length) = 0;
  // The installation's secret called `name` (WriteTx::keep_secret), if one was made.
  virtual std::optional<std::string> secret(std::string_view name) = 0;
  virtual std::vector<AuditRow> audit_tail(int limit) = 0;
  virtual AuditPage search_audit(const AuditQuery& query) = 0;
  // The audit's hash chains (service/audit.hpp verifies them): each chain's head as last written;
  // and in one snapshot, every chained record in (chain, seq, id) order and what came before.
  virtual std::vector<AuditHead> audit_heads() = 0;
  virtual AuditChains scan_audit_chains(
      const std::function<void(const ChainedAuditRow&)>& visit) = 0;
};

// The messengers' outbox and whom the reminder and notice rounds reach.
class MessengerReads {
 public:
  virtual ~MessengerReads() = default;
  virtual std::vector<OutboxRow> outbox_due(Instant now, int limit) = 0;  // oldest first
  virtual std::int64_t outbox_pending() = 0;
  virtual std::vector<ChatLink> chats_of_account(std::int64_t account_id) = 0;
  // Every subscribed chat with reminders on, per linked account, with whether the account has an
  // accepted reading counting for `period`.
  virtual std::vector<ChatLink> reminder_targets(YearMonth period) = 0;
  // Customers whose personal account has reminders on and an e-mail (channel "email", the
  // address as chat_id), with whether their account sent a reading for `period`.
  virtual std::vector<ChatLink> mail_reminder_targets(YearMonth period) = 0;
  // Chats of accounts that had a volume of `period` estimated.
  virtual std::vector<ChatLink> estimated_targets(YearMonth period) = 0;
  virtual bool run_claimed(std::string_view kind, std::string_view key) = 0;
};

class Store : public ReadingReads,
              public AccountReads,
              public PeriodReads,
              public PeopleReads,
              public MessengerReads {
 public:
  ~Store() override = default;
  virtual int migrate() = 0;  // applies pending migrations; returns the schema version
  virtual int schema_version() = 0;
  virtual std::unique_ptr<WriteTx> begin_write() = 0;
  // How many write transactions may be open at once (SQLite: one; PostgreSQL: a few, each on a
  // connection of its own). The ingest runs one group-commit writer per.
  [[nodiscard]] virtual int writers() const { return 1; }
  // Several nodes may serve from this database (PostgreSQL): what must hold across them (attempt
  // limits) is kept in it, not in a process.
  [[nodiscard]] virtual bool shared_by_nodes() const { return false; }

  virtual Counts counts() = 0;
  virtual bool healthy() = 0;

  // The lead in `role` if no other process holds it (nullptr otherwise): the work of that role
  // then runs on one node only.
  virtual std::unique_ptr<Lease> try_lead(std::string_view role) = 0;

  // A consistent copy of the whole database, taken while others go on writing.
  virtual void backup_to(const std::string& path) = 0;
};

// "path/to/file.db" or "sqlite:path"; "postgresql://…" (or "postgres:" + a libpq key-value string).
// `writers`: write connections where several can write at once (PostgreSQL; 0 for its default
// of 4); SQLite has one writer whatever is asked. `bulk`: for an import (SqliteStore's).
std::unique_ptr<Store> open_store(const std::string& url, int writers = 0, bool bulk = false);

std::string join_flags(const std::vector<std::string>& flags);
std::vector<std::string> split_flags(std::string_view text);

}  // namespace md::store
