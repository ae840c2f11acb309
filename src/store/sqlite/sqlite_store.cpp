#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/sqlite_internal.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

namespace md::store {

using namespace detail;

namespace {

std::optional<MeterRow> find_meter_on(SqliteConn& c, std::string_view account,
                                      std::string_view serial) {
  static const std::string sql =
      std::string("SELECT ") + kMeterColumns +
      " FROM meters m JOIN metering_points p ON p.id = m.metering_point_id"
      " JOIN accounts a ON a.id = p.account_id"
      " WHERE m.serial = ? AND a.number = ? AND m.removed_on IS NULL";
  Query q(c, sql.c_str());
  q.bind(serial).bind(account);
  if (!q.step()) return std::nullopt;
  return meter_row(q);
}

std::int64_t audit_on(SqliteConn& c, const AuditEntry& e) {
  Query q(c,
          "INSERT INTO audit (at, actor, channel, action, identity, raw_input, result, reason,"
          " submission_id, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  q.bind(secs(e.at))
      .bind(e.actor)
      .bind(e.channel)
      .bind(e.action)
      .bind(e.identity)
      .bind(e.raw_input)
      .bind(e.result)
      .bind(e.reason)
      .bind(e.submission_id)
      .bind(e.request_id);
  q.run();
  return sqlite3_last_insert_rowid(c.db());
}

class SqliteWriteTx final : public WriteTx {
 public:
  SqliteWriteTx(std::unique_lock<std::mutex> lock, SqliteConn& c) : lock_(std::move(lock)), c_(c) {
    c_.exec("BEGIN IMMEDIATE");
  }
  ~SqliteWriteTx() override {
    if (!done_) {
      try {
        c_.exec("ROLLBACK");
      } catch (...) {  // nothing more can be done in a destructor; the lock is released
      }
    }
  }

  std::optional<MeterRow> find_meter(std::string_view account, std::string_view serial) override {
    return find_meter_on(c_, account, serial);
  }

  std::optional<std::string> find_replay(std::string_view channel, std::string_view key) override {
    Query q(c_, "SELECT receipt_json FROM submissions WHERE channel = ? AND idempotency_key = ?");
    q.bind(channel).bind(key);
    if (!q.step()) return std::nullopt;
    return q.text(0);
  }

  std::vector<ReadingRow> latest_accepted(std::int64_t meter_id, int limit,
                                          std::optional<YearMonth> skip) override {
    Query q(c_, "SELECT " READING_COLUMNS
                " FROM submissions s JOIN meters m ON m.id = s.meter_id"
                " WHERE s.meter_id = ? AND s.status = 'accepted'"
                " AND (s.period IS NULL OR s.period IS NOT ?)"
                " ORDER BY s.as_of DESC, s.id DESC LIMIT ?");
    q.bind(meter_id);
    if (skip)
      q.bind(skip->str());
    else
      q.bind_null();
    q.bind(limit);
    std::vector<ReadingRow> out;
    while (q.step()) out.push_back(reading_row(q));
    return out;
  }

  std::vector<std::int64_t> accepted_in_window(std::int64_t meter_id, YearMonth period) override {
    Query q(c_,
            "SELECT id FROM submissions WHERE meter_id = ? AND period = ?"
            " AND status = 'accepted' ORDER BY id");
    q.bind(meter_id).bind(period.str());
    std::vector<std::int64_t> out;
    while (q.step()) out.push_back(q.i64(0));
    return out;
  }

  std::optional<YearMonth> last_closed_period() override {
    Query q(c_, "SELECT max(period) FROM periods");
    if (!q.step() || q.is_null(0)) return std::nullopt;
    return YearMonth::parse(q.text(0));
  }

  std::int64_t insert_submission(const NewSubmission& s) override {
    Query q(c_,
            "INSERT INTO submissions (receipt, meter_id, account_id, channel, idempotency_key,"
            " type, taken_on, as_of, period, received_at, status, flags, v1, v2, v3, u1, u2, u3,"
            " raw_input, actor, receipt_json)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'accepted', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(s.receipt).bind(s.meter_id).bind(s.account_id).bind(s.channel);
    if (s.idempotency_key.empty())
      q.bind_null();
    else
      q.bind(s.idempotency_key);
    q.bind(s.type).bind(day_text(s.taken_on)).bind(secs(s.as_of));
    if (s.period)
      q.bind(s.period->str());
    else
      q.bind_null();
    q.bind(secs(s.received_at)).bind(join_flags(s.flags));
    for (size_t i = 0; i < 3; ++i) {
      if (i < s.values.size())
        q.bind(s.values[i]);
      else
        q.bind_null();
    }
    for (size_t i = 0; i < 3; ++i) {
      if (i < s.unwrapped.size())
        q.bind(s.unwrapped[i]);
      else
        q.bind_null();
    }
    q.bind(s.raw_input).bind(s.actor).bind(s.receipt_json);
    q.run();
    return sqlite3_last_insert_rowid(c_.db());
  }

  void change_status(std::int64_t id, std::string_view to, const AuditEntry& why) override {
    Query q(c_, "UPDATE submissions SET status = ? WHERE id = ?");
    q.bind(to).bind(id);
    q.run();
    if (sqlite3_changes(c_.db()) != 1) throw StoreError("no submission " + std::to_string(id));
    AuditEntry e = why;
    e.submission_id = id;
    audit_on(c_, e);
  }

  std::int64_t append_audit(const AuditEntry& e) override { return audit_on(c_, e); }

  void add_review_item(std::int64_t submission_id, std::string_view reason, Instant at) override {
    Query q(c_, "INSERT INTO review_items (submission_id, reason, created_at) VALUES (?, ?, ?)");
    q.bind(submission_id).bind(reason).bind(secs(at));
    q.run();
  }

  std::optional<std::int64_t> find_account(std::string_view number) override {
    Query q(c_, "SELECT id FROM accounts WHERE number = ?");
    q.bind(number);
    if (!q.step()) return std::nullopt;
    return q.i64(0);
  }

  std::int64_t insert_account(const NewAccount& a, Instant now) override {
    Query q(c_,
            "INSERT INTO accounts (number, holder, phone, email, address, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)");
    q.bind(a.number).bind(a.holder).bind(a.phone).bind(a.email).bind(a.address).bind(secs(now));
    q.run();
    return sqlite3_last_insert_rowid(c_.db());
  }

  std::int64_t insert_metering_point(std::int64_t account_id, std::string_view eic,
                                     std::string_view address) override {
    Query q(c_, "INSERT INTO metering_points (account_id, eic, address) VALUES (?, ?, ?)");
    q.bind(account_id).bind(eic).bind(address);
    q.run();
    return sqlite3_last_insert_rowid(c_.db());
  }

  std::int64_t insert_meter(std::int64_t point_id, const NewMeter& m) override {
    Query q(c_,
            "INSERT INTO meters (metering_point_id, serial, zones, digits, installed_on,"
            " counter_offsets) VALUES (?, ?, ?, ?, ?, ?)");
    q.bind(point_id).bind(m.serial).bind(m.zones).bind(m.digits).bind(day_text(m.installed_on));
    q.bind(offsets_text(m.counter_offsets));
    q.run();
    return sqlite3_last_insert_rowid(c_.db());
  }

  bool eic_exists(std::string_view eic) override {
    Query q(c_, "SELECT 1 FROM metering_points WHERE eic = ?");
    q.bind(eic);
    return q.step();
  }

  void remove_meter(std::int64_t meter_id, Day removed_on) override {
    Query q(c_, "UPDATE meters SET removed_on = ? WHERE id = ? AND removed_on IS NULL");
    q.bind(day_text(removed_on)).bind(meter_id);
    q.run();
    if (sqlite3_changes(c_.db()) != 1) throw StoreError("the meter is not installed");
  }

  void insert_exchange(const NewExchange& e, Instant at) override {
    Query q(c_,
            "INSERT INTO meter_exchanges (metering_point_id, old_meter_id, new_meter_id,"
            " exchanged_on, offsets, created_at, actor) VALUES (?, ?, ?, ?, ?, ?, ?)");
    q.bind(e.point_id).bind(e.old_meter_id).bind(e.new_meter_id).bind(day_text(e.exchanged_on));
    q.bind(offsets_text(e.offsets)).bind(secs(at)).bind(e.actor);
    q.run();
  }

  void insert_volume(const VolumeRow& v) override {
    Query q(c_,
            "INSERT INTO period_volumes (period, metering_point_id, chain, meter_id, zone,"
            " zone_index, start_value, start_shown, start_kind, end_value, end_shown, end_kind,"
            " volume, correction, position, method, estimated_run, estimate)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(v.period.str()).bind(v.point_id).bind(v.chain).bind(v.meter_id).bind(v.zone);
    q.bind(v.zone_index).bind(v.start_value).bind(v.start_shown).bind(v.start_kind);
    q.bind(v.end_value).bind(v.end_shown).bind(v.end_kind).bind(v.volume);
    q.bind(v.correction).bind(v.position).bind(v.method).bind(v.estimated_run).bind(v.estimate);
    q.run();
  }

  // Each statement execution has a fixed cost (program start, cursors for the table and the
  // foreign-key parents) larger than the row itself: 64 rows per statement amortize it.
  void insert_volumes(const std::vector<VolumeRow>& rows) override {
    constexpr size_t kRows = 64;
    static const std::string batch_sql = [] {
      std::string sql =
          "INSERT INTO period_volumes (period, metering_point_id, chain, meter_id, zone,"
          " zone_index, start_value, start_shown, start_kind, end_value, end_shown, end_kind,"
          " volume, correction, position, method, estimated_run, estimate) VALUES ";
      for (size_t i = 0; i < kRows; ++i)
        sql += std::string(i ? "," : "") + "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
      return sql;
    }();
    size_t i = 0;
    for (; i + kRows <= rows.size(); i += kRows) {
      Query q(c_, batch_sql.c_str());
      std::vector<std::string> periods;  // alive until the statement has run
      periods.reserve(kRows);
      for (size_t k = i; k < i + kRows; ++k) {
        const VolumeRow& v = rows[k];
        periods.push_back(v.period.str());
        q.bind_static(periods.back()).bind(v.point_id).bind(v.chain).bind(v.meter_id);
        q.bind_static(v.zone).bind(v.zone_index).bind(v.start_value).bind(v.start_shown);
        q.bind_static(v.start_kind).bind(v.end_value).bind(v.end_shown).bind_static(v.end_kind);
        q.bind(v.volume).bind(v.correction).bind(v.position).bind_static(v.method);
        q.bind(v.estimated_run).bind_static(v.estimate);
      }
      q.run();
    }
    for (; i < rows.size(); ++i) insert_volume(rows[i]);
  }

  void insert_period(YearMonth period, Instant closed_at, std::string_view summary) override {
    Query q(c_, "INSERT INTO periods (period, closed_at, summary) VALUES (?, ?, ?)");
    q.bind(period.str()).bind(secs(closed_at)).bind(summary);
    q.run();
  }

  void insert_inspection_order(std::int64_t point_id, YearMonth period, std::string_view reason,
                               Instant at) override {
    Query q(c_,
            "INSERT INTO inspection_orders (metering_point_id, period, reason, created_at)"
            " VALUES (?, ?, ?, ?)");
    q.bind(point_id).bind(period.str()).bind(reason).bind(secs(at));
    q.run();
  }

  void insert_token(std::string_view token_hash, std::string_view role, std::string_view name,
                    Instant at) override {
    Query q(c_, "INSERT INTO api_tokens (token_hash, role, name, created_at) VALUES (?, ?, ?, ?)");
    q.bind(token_hash).bind(role).bind(name).bind(secs(at));
    q.run();
  }

  void insert_photo(std::int64_t submission_id, const Photo& photo, Instant at) override {
    Query q(c_,
            "INSERT INTO submission_photos (submission_id, content_type, bytes, created_at)"
            " VALUES (?, ?, ?, ?)");
    q.bind(submission_id).bind(photo.content_type).bind_blob(photo.bytes).bind(secs(at));
    q.run();
  }

  std::int64_t insert_user(const NewUser& u, Instant at) override {
    Query q(c_,
            "INSERT INTO users (login, role, account_id, email, phone, password_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)");
    q.bind(u.login).bind(u.role).bind(u.account_id);
    if (u.email.empty())
      q.bind_null();
    else
      q.bind(u.email);
    q.bind(u.phone).bind(u.password_hash).bind(secs(at));
    q.run();
    return sqlite3_last_insert_rowid(c_.db());
  }

  void set_signin_state(std::int64_t user_id, int failed,
                        std::optional<Instant> locked_until) override {
    Query q(c_, "UPDATE users SET failed_signins = ?, locked_until = ? WHERE id = ?");
    q.bind(failed);
    if (locked_until)
      q.bind(secs(*locked_until));
    else
      q.bind_null();
    q.bind(user_id).run();
  }

  void set_password(std::int64_t user_id, std::string_view hash) override {
    Query q(c_, "UPDATE users SET password_hash = ? WHERE id = ?");
    q.bind(hash).bind(user_id).run();
  }

  void set_reminders(std::int64_t user_id, bool on) override {
    Query q(c_, "UPDATE users SET reminders = ? WHERE id = ?");
    q.bind(on ? 1 : 0).bind(user_id).run();
  }

  void set_contact(std::int64_t user_id, std::string_view email, std::string_view phone) override {
    Query q(c_, "UPDATE users SET email = ?, phone = ? WHERE id = ?");
    if (email.empty())
      q.bind_null();
    else
      q.bind(email);
    q.bind(phone).bind(user_id).run();
  }

  void insert_session(std::string_view token_hash, const SessionRow& s, Instant at) override {
    Query q(c_,
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)");
    q.bind(token_hash).bind(s.user_id).bind(s.csrf).bind(secs(at)).bind(secs(s.expires_at)).run();
  }

  void delete_session(std::string_view token_hash) override {
    Query q(c_, "DELETE FROM sessions WHERE token_hash = ?");
    q.bind(token_hash).run();
  }

  void delete_sessions_of(std::int64_t user_id) override {
    Query q(c_, "DELETE FROM sessions WHERE user_id = ?");
    q.bind(user_id).run();
  }

  bool decide_review(std::int64_t submission_id, std::string_view decision, std::string_view actor,
                     std::string_view reason, Instant at) override {
    Query q(c_,
            "UPDATE review_items SET decision = ?, decided_by = ?, decision_reason = ?,"
            " decided_at = ? WHERE submission_id = ? AND decision IS NULL");
    q.bind(decision).bind(actor).bind(reason).bind(secs(at)).bind(submission_id).run();
    return sqlite3_changes(c_.db()) == 1;
  }

  void insert_price_change(const domain::PriceChange& c, std::string_view actor,
                           std::string_view reason, Instant at) override {
    Query q(c_,
            "INSERT INTO price_changes (item, valid_from, value, actor, reason, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)");
    q.bind(c.item).bind(day_text(c.from)).bind(c.value).bind(actor).bind(reason).bind(secs(at));
    q.run();
  }

  bool revoke_token(std::int64_t id, Instant at) override {
    Query q(c_, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
    q.bind(secs(at)).bind(id).run();
    return sqlite3_changes(c_.db()) == 1;
  }

  bool record_update(std::string_view channel, std::string_view key, Instant at) override {
    return bots::record_update(c_, channel, key, at);
  }
  std::optional<ChatRow> chat(std::string_view channel, std::string_view chat_id) override {
    return bots::chat(c_, channel, chat_id);
  }
  void save_chat(const ChatRow& r, Instant at) override { bots::save_chat(c_, r, at); }
  std::vector<std::string> chat_accounts(std::string_view channel,
                                         std::string_view chat_id) override {
    return bots::chat_accounts(c_, channel, chat_id);
  }
  void link_account(std::string_view channel, std::string_view chat_id, std::int64_t account_id,
                    Instant at) override {
    bots::link_account(c_, channel, chat_id, account_id, at);
  }
  void unlink_account(std::string_view channel, std::string_view chat_id,
                      std::int64_t account_id) override {
    bots::unlink_account(c_, channel, chat_id, account_id);
  }
  std::int64_t enqueue(const OutboxMessage& m, Instant at) override {
    return bots::enqueue(c_, m, at);
  }
  bool claim_run(std::string_view kind, std::string_view key, std::int64_t messages,
                 Instant at) override {
    return bots::claim_run(c_, kind, key, messages, at);
  }
  void outbox_sent(std::int64_t id, Instant at) override { bots::outbox_sent(c_, id, at); }
  void outbox_retry(std::int64_t id, int attempts, Instant not_before,
                    std::string_view error) override {
    bots::outbox_retry(c_, id, attempts, not_before, error);
  }
  void outbox_failed(std::int64_t id, int attempts, std::string_view error, Instant at) override {
    bots::outbox_failed(c_, id, attempts, error, at);
  }
  std::int64_t prune_updates(Instant before) override { return bots::prune_updates(c_, before); }

  void savepoint() override { c_.run("SAVEPOINT item"); }
  void release() override { c_.run("RELEASE item"); }
  void rollback_to() override {
    c_.run("ROLLBACK TO item");
    c_.run("RELEASE item");
  }
  void commit() override {
    c_.exec("COMMIT");
    done_ = true;
  }

 private:
  std::unique_lock<std::mutex> lock_;
  SqliteConn& c_;
  bool done_ = false;
};

}  // namespace

SqliteStore::SqliteStore(std::string path) : path_(std::move(path)) {
  // Memory statistics take a global mutex on every allocation; we never read them. Only possible
  // before SQLite initialises, so the first store opened decides (later calls are no-ops).
  static const int configured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)configured;
  writer_ = std::make_unique<SqliteConn>(path_);
  writer_->exec("PRAGMA journal_mode = WAL");
  // A background thread checkpoints; the writer only steps in if the WAL grows far too large
  // (the checkpointer starved), as a bound on its size.
  writer_->exec("PRAGMA wal_autocheckpoint = 50000");
  checkpointer_ = std::thread([this] { checkpoint_loop(); });
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(checkpoint_mutex_);
    stopping_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
}

void SqliteStore::checkpoint_loop() {
  std::unique_ptr<SqliteConn> conn;
  std::unique_lock lock(checkpoint_mutex_);
  while (!checkpoint_cv_.wait_for(lock, std::chrono::milliseconds(250),
                                  [this] { return stopping_; })) {
    lock.unlock();
    try {
      if (!conn) conn = std::make_unique<SqliteConn>(path_);
      // PASSIVE never waits for the writer or readers: it copies what it can and comes back.
      sqlite3_wal_checkpoint_v2(conn->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } catch (const std::exception&) {
      conn.reset();  // retried at the next tick
    }
    lock.lock();
  }
}

SqliteStore::Reader SqliteStore::acquire_reader() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!readers_.empty()) {
      auto c = std::move(readers_.back());
      readers_.pop_back();
      return Reader(*this, std::move(c));
    }
  }
  auto c = std::make_unique<SqliteConn>(path_);
  c->exec("PRAGMA query_only = ON");
  return Reader(*this, std::move(c));
}

void SqliteStore::return_reader(std::unique_ptr<SqliteConn> c) {
  std::lock_guard lock(pool_mutex_);
  if (readers_.size() < 8) readers_.push_back(std::move(c));
}

int SqliteStore::schema_version() {
  std::lock_guard lock(write_mutex_);
  Query exists(*writer_,
               "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  if (!exists.step()) return 0;
  Query q(*writer_, "SELECT coalesce(max(version), 0) FROM schema_migrations");
  q.step();
  return static_cast<int>(q.i64(0));
}

int SqliteStore::migrate() {
  return migrate_to(static_cast<int>(sqlite_migrations().size()));
}

int SqliteStore::migrate_to(int version) {
  int current = schema_version();
  const int known = static_cast<int>(sqlite_migrations().size());
  if (current > known)
    throw StoreError(path_ + " has schema version " + std::to_string(current) +
                     ", newer than this meterdesk knows (" + std::to_string(known) +
                     "): run the newer meterdesk, or restore a backup made by this one");
  std::lock_guard lock(write_mutex_);
  writer_->exec("BEGIN IMMEDIATE");
  try {
    writer_->exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
        " description TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    for (const auto& m : sqlite_migrations()) {
      if (m.version <= current || m.version > version) continue;
      writer_->exec(m.sql);
      Query q(*writer_,
              "INSERT INTO schema_migrations (version, description, applied_at)"
              " VALUES (?, ?, unixepoch())");
      q.bind(m.version).bind(m.description);
      q.run();
      current = m.version;
    }
    writer_->exec("COMMIT");
  } catch (...) {
    writer_->exec("ROLLBACK");
    throw;
  }
  return current;
}

std::unique_ptr<WriteTx> SqliteStore::begin_write() {
  std::unique_lock lock(write_mutex_);
  return std::make_unique<SqliteWriteTx>(std::move(lock), *writer_);
}

std::optional<MeterRow> SqliteStore::find_meter(std::string_view account, std::string_view serial) {
  auto r = acquire_reader();
  return find_meter_on(*r, account, serial);
}

std::vector<ReadingRow> SqliteStore::history(std::int64_t meter_id, int limit) {
  auto r = acquire_reader();
  Query q(*r, "SELECT " READING_COLUMNS
              " FROM submissions s JOIN meters m ON m.id = s.meter_id WHERE s.meter_id = ?"
              " ORDER BY s.taken_on DESC, s.id DESC LIMIT ?");
  q.bind(meter_id).bind(limit);
  std::vector<ReadingRow> out;
  while (q.step()) out.push_back(reading_row(q));
  return out;
}

std::optional<ReadingRow> SqliteStore::find_by_receipt(std::string_view receipt) {
  auto r = acquire_reader();
  Query q(*r, "SELECT " READING_COLUMNS
              " FROM submissions s JOIN meters m ON m.id = s.meter_id WHERE s.receipt = ?");
  q.bind(receipt);
  if (!q.step()) return std::nullopt;
  return reading_row(q);
}

std::vector<AuditRow> SqliteStore::audit_tail(int limit) {
  auto r = acquire_reader();
  Query q(*r,
          "SELECT id, at, actor, channel, action, identity, raw_input, result, reason,"
          " submission_id, request_id FROM audit ORDER BY id DESC LIMIT ?");
  q.bind(limit);
  std::vector<AuditRow> out;
  while (q.step()) out.push_back(audit_row(q));
  return out;
}

Counts SqliteStore::counts() {
  auto r = acquire_reader();
  Query q(*r,
          "SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM meters),"
          " (SELECT count(*) FROM submissions), (SELECT count(*) FROM audit)");
  q.step();
  return Counts{q.i64(0), q.i64(1), q.i64(2), q.i64(3)};
}

std::int64_t SqliteStore::review_backlog() {
  auto r = acquire_reader();
  Query q(*r, "SELECT count(*) FROM review_items WHERE decision IS NULL");
  q.step();
  return q.i64(0);
}

void SqliteStore::scan_points(const std::function<void(PointHistory&&)>& visit) {
  auto r = acquire_reader();
  (*r).exec("BEGIN");  // one snapshot for the whole scan
  try {
    // Two cursors in metering-point order, merged: the meters of each point, and the accepted
    // readings of those meters.
    Query meters(
        *r,
        "SELECT p.id, a.id, a.number, p.eic, a.electric_heating, m.id, m.serial, m.zones,"
        " m.digits, m.installed_on, m.removed_on, m.counter_offsets"
        " FROM metering_points p JOIN accounts a ON a.id = p.account_id"
        " JOIN meters m ON m.metering_point_id = p.id ORDER BY p.id, m.installed_on, m.id");
    Query readings(*r,
                   "SELECT m.metering_point_id, s.meter_id, s.as_of, s.type, s.u1, s.u2, s.u3"
                   " FROM meters m JOIN submissions s ON s.meter_id = m.id"
                   " AND s.status = 'accepted' ORDER BY m.metering_point_id, m.id, s.as_of, s.id");
    bool reading_ready = readings.step();
    PointHistory current;
    bool have = false;
    auto flush = [&] {
      while (reading_ready && readings.i64(0) < current.point_id) reading_ready = readings.step();
      auto zones_of = [&](std::int64_t meter) {
        for (const auto& m : current.meters)
          if (m.id == meter) return m.zones;
        return 0;
      };
      auto order_of = [&](std::int64_t meter) {
        for (size_t i = 0; i < current.meters.size(); ++i)
          if (current.meters[i].id == meter) return i;
        return current.meters.size();
      };
      bool sorted = true;
      while (reading_ready && readings.i64(0) == current.point_id) {
        PointHistory::Reading reading;
        reading.meter_id = readings.i64(1);
        reading.as_of = instant(readings.i64(2));
        reading.installation = readings.is_exchange(3);
        int zones = zones_of(reading.meter_id);
        for (int z = 0; z < zones && z < 3; ++z)
          reading.unwrapped[static_cast<size_t>(z)] = readings.i64(4 + z);
        if (!current.readings.empty() && current.readings.back().as_of > reading.as_of)
          sorted = false;
        current.readings.push_back(reading);
        reading_ready = readings.step();
      }
      // Across meters (after an exchange): by as-of instant, and at one instant the old meter's
      // final reading first.
      if (!sorted || current.meters.size() > 1)
        std::stable_sort(current.readings.begin(), current.readings.end(),
                         [&](const PointHistory::Reading& a, const PointHistory::Reading& b) {
                           if (a.as_of != b.as_of) return a.as_of < b.as_of;
                           return order_of(a.meter_id) < order_of(b.meter_id);
                         });
      visit(std::move(current));
    };
    while (meters.step()) {
      std::int64_t point = meters.i64(0);
      if (!have || point != current.point_id) {
        if (have) flush();
        current = PointHistory{};
        current.point_id = point;
        current.account_id = meters.i64(1);
        current.account_number = meters.text(2);
        current.eic = meters.text(3);
        current.electric_heating = meters.i64(4) != 0;
        have = true;
      }
      PointHistory::Meter m;
      m.id = meters.i64(5);
      m.serial = meters.text(6);
      m.zones = static_cast<int>(meters.i64(7));
      m.digits = static_cast<int>(meters.i64(8));
      m.installed_on = day_of(meters.text(9));
      if (!meters.is_null(10)) m.removed_on = day_of(meters.text(10));
      m.counter_offsets = offsets_of(meters.text(11));
      current.meters.push_back(std::move(m));
    }
    if (have) flush();
  } catch (...) {
    (*r).exec("ROLLBACK");
    throw;
  }
  (*r).exec("COMMIT");
}

std::optional<YearMonth> SqliteStore::last_closed_period() {
  auto r = acquire_reader();
  Query q(*r, "SELECT max(period) FROM periods");
  if (!q.step() || q.is_null(0)) return std::nullopt;
  return YearMonth::parse(q.text(0));
}

std::optional<PeriodRow> SqliteStore::period(YearMonth m) {
  auto r = acquire_reader();
  Query q(*r, "SELECT closed_at, summary FROM periods WHERE period = ?");
  q.bind(m.str());
  if (!q.step()) return std::nullopt;
  return PeriodRow{m, instant(q.i64(0)), q.text(1)};
}

std::vector<VolumeRow> SqliteStore::volumes(YearMonth m) {
  auto r = acquire_reader();
  Query q(*r, "SELECT " VOLUME_COLUMNS
              " WHERE v.period = ? ORDER BY a.number, m.serial, v.chain, v.zone_index");
  q.bind(m.str());
  std::vector<VolumeRow> out;
  while (q.step()) out.push_back(volume_row(q));
  return out;
}

void SqliteStore::positions(YearMonth m, const std::function<void(const Position&)>& visit) {
  auto r = acquire_reader();
  Query q(*r,
          "SELECT metering_point_id, chain, zone_index, position, estimated_run"
          " FROM period_volumes WHERE period = ?");
  q.bind(m.str());
  while (q.step())
    visit(Position{q.i64(0), q.i64(1), static_cast<int>(q.i64(2)), q.i64(3),
                   static_cast<int>(q.i64(4))});
}

std::optional<TokenRow> SqliteStore::find_token(std::string_view token_hash) {
  auto r = acquire_reader();
  Query q(*r, "SELECT id, role, name, revoked_at FROM api_tokens WHERE token_hash = ?");
  q.bind(token_hash);
  if (!q.step()) return std::nullopt;
  return TokenRow{q.i64(0), q.text(1), q.text(2), !q.is_null(3)};
}

std::vector<TokenRow> SqliteStore::tokens() {
  auto r = acquire_reader();
  Query q(*r, "SELECT id, role, name, revoked_at FROM api_tokens ORDER BY id");
  std::vector<TokenRow> out;
  while (q.step()) out.push_back(TokenRow{q.i64(0), q.text(1), q.text(2), !q.is_null(3)});
  return out;
}

std::int64_t SqliteStore::inspection_orders(YearMonth m) {
  auto r = acquire_reader();
  Query q(*r, "SELECT count(*) FROM inspection_orders WHERE period = ?");
  q.bind(m.str());
  q.step();
  return q.i64(0);
}

namespace {
// Copies all pages of `from` into `to` in one step: one read snapshot of the source (in WAL mode
// writers go on meanwhile), so the copy is a consistent database.
void copy_pages(sqlite3* from, sqlite3* to) {
  sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
  if (!b) throw StoreError(std::string("backup: ") + sqlite3_errmsg(to));
  int rc = sqlite3_backup_step(b, -1);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) throw StoreError(std::string("backup: ") + sqlite3_errstr(rc));
}
}  // namespace

void SqliteStore::backup_to(const std::string& path) {
  if (std::filesystem::exists(path)) throw StoreError(path + " exists: choose a new file");
  auto r = acquire_reader();
  SqliteConn target(path);
  copy_pages((*r).db(), target.db());
  target.exec("PRAGMA journal_mode = DELETE");  // a single self-contained file
}

void sqlite_restore(const std::string& backup, const std::string& target) {
  if (!std::filesystem::exists(backup)) throw StoreError("no backup file " + backup);
  if (std::filesystem::exists(target))
    throw StoreError(target + " exists: restore into a new path (move the old database away)");
  sqlite3* source = nullptr;
  if (sqlite3_open_v2(backup.c_str(), &source, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(source);
    throw StoreError("cannot open " + backup);
  }
  auto check = [&](const char* sql) {
    sqlite3_stmt* q = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(source, sql, -1, &q, nullptr) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
      out = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    return out;
  };
  std::string integrity = check("PRAGMA integrity_check");
  std::string version = check("SELECT max(version) FROM schema_migrations");
  if (integrity != "ok" || version.empty()) {
    sqlite3_close(source);
    throw StoreError(backup + " is not a sound meterdesk database (" +
                     (integrity.empty() ? std::string("unreadable") : integrity) + ")");
  }
  if (std::stoi(version) > static_cast<int>(sqlite_migrations().size())) {
    sqlite3_close(source);
    throw StoreError(backup + " has schema " + version + ", newer than this meterdesk knows");
  }
  try {
    SqliteConn to(target);
    copy_pages(source, to.db());
    to.exec("PRAGMA journal_mode = WAL");
  } catch (...) {
    sqlite3_close(source);
    std::filesystem::remove(target);
    throw;
  }
  sqlite3_close(source);
}

bool SqliteStore::healthy() {
  try {
    auto r = acquire_reader();
    Query q(*r, "SELECT 1");
    return q.step();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace md::store
