// The store written once in SQL for both engines: one write connection (a WriteTx holds it
// exclusively; group commit batches many submissions into one transaction) and a pool of read
// connections. SqliteStore and PgStore say how to connect and what their schema is.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/sql/conn.hpp"
#include "store/store.hpp"

namespace md::store {

class SqlStore : public Store {
 public:
  ~SqlStore() override = default;

  int migrate() override;
  // Up to `version` only: for tests of upgrades from every earlier schema.
  int migrate_to(int version);
  int schema_version() override;
  std::unique_ptr<WriteTx> begin_write() override;
  [[nodiscard]] int writers() const override { return static_cast<int>(slots_.size()); }

  std::optional<MeterRow> find_meter(std::string_view account, std::string_view serial) override;
  std::vector<ReadingRow> history(std::int64_t meter_id, int limit) override;
  std::optional<ReadingRow> latest_accepted(std::int64_t meter_id) override;
  std::vector<AuditRow> audit_tail(int limit) override;
  std::optional<ReadingRow> find_by_receipt(std::string_view receipt) override;
  Counts counts() override;
  std::int64_t review_backlog() override;
  void scan_points(const std::function<void(PointHistory&&)>& visit) override;
  std::optional<YearMonth> last_closed_period() override;
  std::optional<PeriodRow> period(YearMonth m) override;
  std::vector<VolumeRow> volumes(YearMonth m) override;
  void positions(YearMonth m, const std::function<void(const Position&)>& visit) override;
  std::optional<TokenRow> find_token(std::string_view token_hash) override;
  std::vector<TokenRow> tokens() override;
  std::int64_t inspection_orders(YearMonth m) override;
  bool healthy() override;
  AttemptCounts attempts(std::string_view name, std::int64_t start, std::int64_t length) override;
  std::optional<std::string> secret(std::string_view name) override;

  std::optional<AccountRow> account(std::string_view number) override;
  std::optional<AccountRow> account_by_id(std::int64_t id) override;
  std::vector<AccountRow> search_accounts(std::string_view query, int limit) override;
  std::vector<MeterRow> account_meters(std::int64_t account_id) override;
  std::vector<ReadingRow> account_readings(std::int64_t account_id, int limit) override;
  std::vector<VolumeRow> account_volumes(std::int64_t account_id) override;
  std::vector<AuditRow> account_audit(std::int64_t account_id, int limit) override;
  AuditPage search_audit(const AuditQuery& query) override;
  std::vector<AuditHead> audit_heads() override;
  AuditChains scan_audit_chains(const std::function<void(const ChainedAuditRow&)>& visit) override;
  std::optional<UserRow> find_user(std::string_view login_or_email) override;
  std::optional<UserRow> user_by_id(std::int64_t id) override;
  std::vector<UserRow> staff_users() override;
  std::optional<SessionRow> find_session(std::string_view token_hash) override;
  std::optional<Photo> photo(std::int64_t submission_id) override;
  std::optional<std::string> receipt_json(std::string_view receipt) override;
  std::vector<ReviewRow> review_queue(int limit) override;
  std::vector<ChannelHour> channel_hours(Instant from, Instant to) override;
  std::vector<InspectionOrderRow> inspection_order_list(YearMonth m, int limit) override;
  std::vector<PriceChangeRow> price_changes() override;
  std::vector<OutageCoefficientRow> outage_coefficients() override;
  std::vector<std::string> account_areas() override;
  std::vector<AccountRow> accounts_by_phone(std::string_view phone) override;
  std::vector<OutboxRow> outbox_due(Instant now, int limit) override;
  std::int64_t outbox_pending() override;
  std::vector<ChatLink> chats_of_account(std::int64_t account_id) override;
  std::vector<ChatLink> reminder_targets(YearMonth period) override;
  std::vector<ChatLink> mail_reminder_targets(YearMonth period) override;
  std::vector<ChatLink> estimated_targets(YearMonth period) override;
  bool run_claimed(std::string_view kind, std::string_view key) override;
  std::optional<std::pair<std::int64_t, std::string>> submission_owner(
      std::int64_t submission_id) override;

 protected:
  // `name` is what error messages call the database (a path, a URL without its password).
  SqlStore(std::string name, int writers);
  // A new connection: the writer's, or one for the reader pool.
  virtual std::unique_ptr<SqlConn> connect(bool reader) = 0;
  virtual const std::vector<Migration>& migrations() const = 0;

  // A pooled read connection, given back when it goes out of scope (dropped if it broke).
  class Reader {
   public:
    Reader(SqlStore& s, std::unique_ptr<SqlConn> c) : store_(s), conn_(std::move(c)) {}
    ~Reader() {
      if (conn_) store_.return_reader(std::move(conn_));
    }
    Reader(Reader&& o) noexcept : store_(o.store_), conn_(std::move(o.conn_)) {}
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;
    Reader& operator=(Reader&&) = delete;
    SqlConn& operator*() { return *conn_; }

   private:
    SqlStore& store_;
    std::unique_ptr<SqlConn> conn_;
  };
  Reader acquire_reader();
  // A write connection and its lock; one write transaction at a time on each.
  struct WriterSlot {
    std::mutex mutex;
    std::unique_ptr<SqlConn> conn;
    // The thread holding `mutex` for a write transaction. A thread asking for another while it
    // holds one must be given a different slot: waiting for this one it would wait for itself.
    std::atomic<std::thread::id> owner{};
    int index = 0;
    // Where this slot's transactions append their audit records (store/audit_chain.hpp): where
    // several write, a chain per writer connection ("node:NAME/INDEX"), so that writers never
    // wait for each other's commits to append; made on first use, with the slot's mutex held.
    std::string audit_chain;
  };
  const std::string& audit_chain(WriterSlot& slot, SqlConn& c);
  // The slot's connection, (re)opened when needed; only with its mutex held.
  SqlConn& writer(WriterSlot& slot);
  WriterSlot& first_writer() { return *slots_.front(); }

  std::string name_;

 private:
  void return_reader(std::unique_ptr<SqlConn> c);

  std::vector<std::unique_ptr<WriterSlot>> slots_;
  std::atomic<unsigned> next_slot_{0};
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<SqlConn>> readers_;
};

// A writer slot held for a write transaction, its owner known while it is held.
class WriterLock {
 public:
  WriterLock(std::unique_lock<std::mutex> lock, std::atomic<std::thread::id>& owner)
      : lock_(std::move(lock)), owner_(&owner) {
    owner_->store(std::this_thread::get_id());
  }
  WriterLock(WriterLock&& other) noexcept = default;
  WriterLock& operator=(WriterLock&&) = delete;
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;
  ~WriterLock() {
    if (lock_.owns_lock()) owner_->store(std::thread::id{});  // then the mutex is released
  }

 private:
  std::unique_lock<std::mutex> lock_;
  std::atomic<std::thread::id>* owner_;
};

// The write transaction of either engine, on the writer connection held by `lock`.
std::unique_ptr<WriteTx> make_write_tx(WriterLock lock, SqlConn& c, std::string audit_chain);

}  // namespace md::store
