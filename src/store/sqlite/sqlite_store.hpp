// The embedded default store: SQLite in WAL mode with synchronous=FULL, foreign keys on.
// One write connection (a WriteTx holds it exclusively) and a small pool of read connections.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "store/store.hpp"

namespace md::store {

class SqliteConn;

struct Migration {
  int version;
  const char* description;
  const char* sql;
};
const std::vector<Migration>& sqlite_migrations();

// Copies a SQLite database file (a backup) into `target`, which must not exist: checked first
// (integrity, a schema this binary knows), then copied page by page and made durable.
void sqlite_restore(const std::string& backup, const std::string& target);

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::string path);
  ~SqliteStore() override;

  int migrate() override;
  // Up to `version` only: for tests of upgrades from every earlier schema.
  int migrate_to(int version);
  int schema_version() override;
  std::unique_ptr<WriteTx> begin_write() override;

  std::optional<MeterRow> find_meter(std::string_view account, std::string_view serial) override;
  std::vector<ReadingRow> history(std::int64_t meter_id, int limit) override;
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

  std::optional<AccountRow> account(std::string_view number) override;
  std::optional<AccountRow> account_by_id(std::int64_t id) override;
  std::vector<AccountRow> search_accounts(std::string_view query, int limit) override;
  std::vector<MeterRow> account_meters(std::int64_t account_id) override;
  std::vector<ReadingRow> account_readings(std::int64_t account_id, int limit) override;
  std::vector<VolumeRow> account_volumes(std::int64_t account_id) override;
  std::vector<AuditRow> account_audit(std::int64_t account_id, int limit) override;
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
  std::vector<AccountRow> accounts_by_phone(std::string_view phone) override;
  std::vector<OutboxRow> outbox_due(Instant now, int limit) override;
  std::int64_t outbox_pending() override;
  std::vector<ChatLink> chats_of_account(std::int64_t account_id) override;
  std::vector<ChatLink> reminder_targets(YearMonth period) override;
  std::vector<ChatLink> estimated_targets(YearMonth period) override;
  bool run_claimed(std::string_view kind, std::string_view key) override;
  std::optional<std::pair<std::int64_t, std::string>> submission_owner(
      std::int64_t submission_id) override;
  void backup_to(const std::string& path) override;

 private:
  class Reader;
  Reader acquire_reader();
  void return_reader(std::unique_ptr<SqliteConn> c);

  std::string path_;
  std::mutex write_mutex_;
  std::unique_ptr<SqliteConn> writer_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<SqliteConn>> readers_;

  // WAL checkpoints run here, not inside the writer's commits, so group commits stay short.
  void checkpoint_loop();
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_cv_;
  bool stopping_ = false;
  std::thread checkpointer_;
};

}  // namespace md::store
