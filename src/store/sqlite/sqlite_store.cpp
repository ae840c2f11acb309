#include "store/sqlite/sqlite_store.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

namespace md::store {

// A connection with a cache of prepared statements.
class SqliteConn {
 public:
  explicit SqliteConn(const std::string& path) {
    int rc =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw StoreError("cannot open " + path + ": " + msg);
    }
    sqlite3_busy_timeout(db_, 10000);
    exec("PRAGMA foreign_keys = ON");
    exec("PRAGMA synchronous = FULL");     // durable at commit, even across power loss
    exec("PRAGMA mmap_size = 268435456");  // reads from the page cache without copies
  }
  ~SqliteConn() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }
  SqliteConn(const SqliteConn&) = delete;
  SqliteConn& operator=(const SqliteConn&) = delete;

  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      throw StoreError(msg);
    }
  }
  sqlite3_stmt* prepare(const char* sql) {
    auto it = cache_.find(sql);
    if (it != cache_.end()) {
      sqlite3_reset(it->second);
      sqlite3_clear_bindings(it->second);
      return it->second;
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
      throw StoreError(std::string("prepare: ") + sqlite3_errmsg(db_));
    cache_.emplace(sql, stmt);
    return stmt;
  }
  // Runs a parameterless statement through the cache (no parsing after the first time).
  void run(const char* sql) {
    sqlite3_stmt* stmt = prepare(sql);
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) throw StoreError(sqlite3_errmsg(db_));
  }
  sqlite3* db() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;  // keyed by the literal's address
};

namespace {

// Binds and steps one cached statement; resets it when it goes out of scope.
class Query {
 public:
  Query(SqliteConn& c, const char* sql) : conn_(c), stmt_(c.prepare(sql)) {}
  ~Query() { sqlite3_reset(stmt_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(std::int64_t v) {
    check(sqlite3_bind_int64(stmt_, ++index_, v));
    return *this;
  }
  Query& bind(int v) { return bind(static_cast<std::int64_t>(v)); }
  Query& bind(std::string_view v) {
    check(
        sqlite3_bind_text(stmt_, ++index_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Query& bind(const std::string& v) { return bind(std::string_view(v)); }
  Query& bind(const char* v) { return bind(std::string_view(v)); }
  // For text that outlives the statement's execution: no copy.
  Query& bind_static(std::string_view v) {
    check(sqlite3_bind_text(stmt_, ++index_, v.data(), static_cast<int>(v.size()), SQLITE_STATIC));
    return *this;
  }
  Query& bind_blob(std::string_view v) {
    check(
        sqlite3_bind_blob(stmt_, ++index_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Query& bind_null() {
    check(sqlite3_bind_null(stmt_, ++index_));
    return *this;
  }
  template <typename T>
  Query& bind(const std::optional<T>& v) {
    return v ? bind(*v) : bind_null();
  }

  // True while there is a row.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(rc);
    return false;
  }
  void run() {
    while (step()) {
    }
  }

  std::int64_t i64(int col) { return sqlite3_column_int64(stmt_, col); }
  bool is_null(int col) { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  // True when the text column starts with "exchange_" (without copying it).
  bool is_exchange(int col) {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p && std::strncmp(p, "exchange_", 9) == 0;
  }
  std::string text(int col) {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail(rc);
  }
  [[noreturn]] void fail(int rc) {
    std::string msg = sqlite3_errmsg(conn_.db());
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
      if (msg.find("receipt") != std::string::npos) throw ConflictError("receipt");
      if (msg.find("idempotency_key") != std::string::npos) throw ConflictError("idempotency");
      if (msg.find("eic") != std::string::npos) throw ConflictError("eic");
      if (msg.find("accounts.number") != std::string::npos) throw ConflictError("account");
      if (msg.find("users.login") != std::string::npos) throw ConflictError("login");
      if (msg.find("users.email") != std::string::npos) throw ConflictError("email");
      if (msg.find("users.account_id") != std::string::npos) throw ConflictError("login");
      throw ConflictError(msg);
    }
    throw StoreError(msg);
  }

  SqliteConn& conn_;
  sqlite3_stmt* stmt_;
  int index_ = 0;
};

std::int64_t secs(Instant t) {
  return t.time_since_epoch().count();
}
Instant instant(std::int64_t s) {
  return Instant{std::chrono::seconds{s}};
}
std::string day_text(Day d) {
  return domain::format_date(d);
}
Day day_of(const std::string& s) {
  return domain::parse_date(s).value_or(Day{});
}

constexpr const char* kMeterColumns =
    "m.id, p.id, a.id, a.number, a.active, p.eic, m.serial, m.zones, m.digits, m.installed_on,"
    " m.counter_offsets";

std::string offsets_text(const std::vector<std::int64_t>& v) {
  std::string out;
  for (auto x : v) out += (out.empty() ? "" : ",") + std::to_string(x);
  return out;
}
std::vector<std::int64_t> offsets_of(const std::string& text) {
  std::vector<std::int64_t> out;
  for (const auto& part : split_flags(text)) out.push_back(std::stoll(part));
  return out;
}

MeterRow meter_row(Query& q) {
  MeterRow r;
  r.meter_id = q.i64(0);
  r.point_id = q.i64(1);
  r.account_id = q.i64(2);
  r.account_number = q.text(3);
  r.account_active = q.i64(4) != 0;
  r.eic = q.text(5);
  r.serial = q.text(6);
  r.zones = static_cast<int>(q.i64(7));
  r.digits = static_cast<int>(q.i64(8));
  r.installed_on = day_of(q.text(9));
  r.counter_offsets = offsets_of(q.text(10));
  return r;
}

#define READING_COLUMNS                                                                      \
  "s.id, s.receipt, s.meter_id, m.serial, m.zones, s.channel, s.type, s.taken_on, s.as_of, " \
  "s.period, s.received_at, s.status, s.flags, s.v1, s.v2, s.v3, s.u1, s.u2, s.u3"

ReadingRow reading_row(Query& q) {
  ReadingRow r;
  r.id = q.i64(0);
  r.receipt = q.text(1);
  r.meter_id = q.i64(2);
  r.meter_serial = q.text(3);
  r.zones = static_cast<int>(q.i64(4));
  r.channel = q.text(5);
  r.type = q.text(6);
  r.taken_on = day_of(q.text(7));
  r.as_of = instant(q.i64(8));
  if (!q.is_null(9)) r.period = YearMonth::parse(q.text(9));
  r.received_at = instant(q.i64(10));
  r.status = q.text(11);
  r.flags = split_flags(q.text(12));
  for (int i = 0; i < r.zones; ++i) {
    r.values.push_back(q.i64(13 + i));
    r.unwrapped.push_back(q.i64(16 + i));
  }
  return r;
}

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

class SqliteStore::Reader {
 public:
  Reader(SqliteStore& s, std::unique_ptr<SqliteConn> c) : store_(s), conn_(std::move(c)) {}
  ~Reader() {
    if (conn_) store_.return_reader(std::move(conn_));
  }
  Reader(Reader&& o) noexcept : store_(o.store_), conn_(std::move(o.conn_)) {}
  SqliteConn& operator*() { return *conn_; }

 private:
  SqliteStore& store_;
  std::unique_ptr<SqliteConn> conn_;
};

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

namespace {

AuditRow audit_row(Query& q) {
  AuditRow a;
  a.id = q.i64(0);
  a.at = instant(q.i64(1));
  a.actor = q.text(2);
  a.channel = q.text(3);
  a.action = q.text(4);
  a.identity = q.text(5);
  a.raw_input = q.text(6);
  a.result = q.text(7);
  a.reason = q.text(8);
  if (!q.is_null(9)) a.submission_id = q.i64(9);
  a.request_id = q.text(10);
  return a;
}

}  // namespace

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

namespace {

#define VOLUME_COLUMNS                                                                       \
  "v.metering_point_id, v.meter_id, v.zone, v.zone_index, v.start_value, v.start_kind,"      \
  " v.end_value, v.end_kind, v.volume, v.correction, v.position, v.method, v.estimated_run," \
  " v.estimate, a.number, p.eic, m.serial, m.digits, a.electric_heating, m.zones, v.chain,"  \
  " v.start_shown, v.end_shown, v.period"                                                    \
  " FROM period_volumes v JOIN metering_points p ON p.id = v.metering_point_id"              \
  " JOIN accounts a ON a.id = p.account_id JOIN meters m ON m.id = v.meter_id"

VolumeRow volume_row(Query& q) {
  VolumeRow v;
  v.point_id = q.i64(0);
  v.meter_id = q.i64(1);
  v.zone = q.text(2);
  v.zone_index = static_cast<int>(q.i64(3));
  v.start_value = q.i64(4);
  v.start_kind = q.text(5);
  v.end_value = q.i64(6);
  v.end_kind = q.text(7);
  v.volume = q.i64(8);
  v.correction = q.i64(9);
  v.position = q.i64(10);
  v.method = q.text(11);
  v.estimated_run = static_cast<int>(q.i64(12));
  v.estimate = q.text(13);
  v.account_number = q.text(14);
  v.eic = q.text(15);
  v.serial = q.text(16);
  v.digits = static_cast<int>(q.i64(17));
  v.electric_heating = q.i64(18) != 0;
  v.zones = static_cast<int>(q.i64(19));
  v.chain = q.i64(20);
  v.start_shown = q.i64(21);
  v.end_shown = q.i64(22);
  v.period = YearMonth::parse(q.text(23)).value_or(YearMonth{});
  return v;
}

}  // namespace

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

namespace {

constexpr const char* kAccountColumns =
    "a.id, a.number, a.holder, a.phone, a.email, a.address, a.active, a.electric_heating";

AccountRow account_row(Query& q) {
  return AccountRow{q.i64(0),  q.text(1), q.text(2),     q.text(3),
                    q.text(4), q.text(5), q.i64(6) != 0, q.i64(7) != 0};
}

constexpr const char* kUserColumns =
    "id, login, role, account_id, email, phone, password_hash, reminders, failed_signins,"
    " locked_until";

UserRow user_row(Query& q) {
  UserRow u;
  u.id = q.i64(0);
  u.login = q.text(1);
  u.role = q.text(2);
  if (!q.is_null(3)) u.account_id = q.i64(3);
  u.email = q.text(4);
  u.phone = q.text(5);
  u.password_hash = q.text(6);
  u.reminders = q.i64(7) != 0;
  u.failed_signins = static_cast<int>(q.i64(8));
  if (!q.is_null(9)) u.locked_until = instant(q.i64(9));
  return u;
}

// LIKE with the user's text taken literally.
std::string like_escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::optional<AccountRow> SqliteStore::account(std::string_view number) {
  auto r = acquire_reader();
  static const std::string sql =
      std::string("SELECT ") + kAccountColumns + " FROM accounts a WHERE a.number = ?";
  Query q(*r, sql.c_str());
  q.bind(number);
  if (!q.step()) return std::nullopt;
  return account_row(q);
}

std::optional<AccountRow> SqliteStore::account_by_id(std::int64_t id) {
  auto r = acquire_reader();
  static const std::string sql =
      std::string("SELECT ") + kAccountColumns + " FROM accounts a WHERE a.id = ?";
  Query q(*r, sql.c_str());
  q.bind(id);
  if (!q.step()) return std::nullopt;
  return account_row(q);
}

std::vector<AccountRow> SqliteStore::search_accounts(std::string_view query, int limit) {
  auto r = acquire_reader();
  // Exact and prefix matches use the indexes; the address fragment is a scan, bounded by LIMIT.
  static const std::string sql =
      std::string("SELECT DISTINCT ") + kAccountColumns +
      " FROM accounts a LEFT JOIN metering_points p ON p.account_id = a.id"
      " LEFT JOIN meters m ON m.metering_point_id = p.id"
      " WHERE a.number = ?1 OR p.eic = upper(?1) OR m.serial = ?1 OR (?1 <> '' AND a.phone = ?1)"
      " OR (length(?1) >= 3 AND (a.number LIKE ?2 ESCAPE '\\' OR a.phone LIKE ?2 ESCAPE '\\'))"
      " OR (length(?1) >= 3 AND (p.address LIKE ?3 ESCAPE '\\' OR a.address LIKE ?3 ESCAPE '\\'))"
      " ORDER BY a.number LIMIT ?4";
  Query q(*r, sql.c_str());
  std::string escaped = like_escaped(query);
  q.bind(query).bind(escaped + "%").bind("%" + escaped + "%").bind(limit);
  std::vector<AccountRow> out;
  while (q.step()) out.push_back(account_row(q));
  return out;
}

std::vector<MeterRow> SqliteStore::account_meters(std::int64_t account_id) {
  auto r = acquire_reader();
  static const std::string sql =
      std::string("SELECT ") + kMeterColumns +
      " FROM meters m JOIN metering_points p ON p.id = m.metering_point_id"
      " JOIN accounts a ON a.id = p.account_id"
      " WHERE a.id = ? AND m.removed_on IS NULL ORDER BY p.id, m.id";
  Query q(*r, sql.c_str());
  q.bind(account_id);
  std::vector<MeterRow> out;
  while (q.step()) out.push_back(meter_row(q));
  return out;
}

std::vector<ReadingRow> SqliteStore::account_readings(std::int64_t account_id, int limit) {
  auto r = acquire_reader();
  Query q(*r, "SELECT " READING_COLUMNS
              ", CASE WHEN ri.submission_id IS NULL THEN ''"
              " WHEN ri.decision IS NULL THEN 'pending' ELSE ri.decision END,"
              " coalesce(ri.decision_reason, ''), ph.submission_id IS NOT NULL"
              " FROM submissions s JOIN meters m ON m.id = s.meter_id"
              " LEFT JOIN review_items ri ON ri.submission_id = s.id"
              " LEFT JOIN submission_photos ph ON ph.submission_id = s.id"
              " WHERE s.account_id = ? ORDER BY s.id DESC LIMIT ?");
  q.bind(account_id).bind(limit);
  std::vector<ReadingRow> out;
  while (q.step()) {
    auto row = reading_row(q);
    row.review = q.text(19);
    row.review_reason = q.text(20);
    row.has_photo = q.i64(21) != 0;
    out.push_back(std::move(row));
  }
  return out;
}

std::vector<VolumeRow> SqliteStore::account_volumes(std::int64_t account_id) {
  auto r = acquire_reader();
  Query q(*r, "SELECT " VOLUME_COLUMNS
              " WHERE p.account_id = ? ORDER BY v.period, p.id, v.chain, v.zone_index");
  q.bind(account_id);
  std::vector<VolumeRow> out;
  while (q.step()) out.push_back(volume_row(q));
  return out;
}

std::vector<AuditRow> SqliteStore::account_audit(std::int64_t account_id, int limit) {
  auto r = acquire_reader();
  // Attempts name the account in `identity` ("account=N" or "account=N serial=S": the range below
  // takes both, through the index); stored ones link the submission.
  Query q(
      *r,
      "SELECT id, at, actor, channel, action, identity, raw_input, result, reason,"
      " submission_id, request_id FROM audit WHERE id IN ("
      "  SELECT au.id FROM audit au JOIN submissions s ON s.id = au.submission_id"
      "  WHERE s.account_id = ?1"
      "  UNION SELECT au.id FROM audit au, accounts a"
      "  WHERE a.id = ?1 AND au.submission_id IS NULL"
      "  AND au.identity >= 'account=' || a.number AND au.identity < 'account=' || a.number || '!')"
      " ORDER BY id DESC LIMIT ?2");
  q.bind(account_id).bind(limit);
  std::vector<AuditRow> out;
  while (q.step()) out.push_back(audit_row(q));
  return out;
}

std::optional<UserRow> SqliteStore::find_user(std::string_view login_or_email) {
  auto r = acquire_reader();
  static const std::string sql = std::string("SELECT ") + kUserColumns +
                                 " FROM users WHERE login = ?1 OR email = ?1 ORDER BY id LIMIT 1";
  Query q(*r, sql.c_str());
  q.bind(login_or_email);
  if (!q.step()) return std::nullopt;
  return user_row(q);
}

std::optional<UserRow> SqliteStore::user_by_id(std::int64_t id) {
  auto r = acquire_reader();
  static const std::string sql = std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?";
  Query q(*r, sql.c_str());
  q.bind(id);
  if (!q.step()) return std::nullopt;
  return user_row(q);
}

std::vector<UserRow> SqliteStore::staff_users() {
  auto r = acquire_reader();
  static const std::string sql =
      std::string("SELECT ") + kUserColumns + " FROM users WHERE role <> 'customer' ORDER BY login";
  Query q(*r, sql.c_str());
  std::vector<UserRow> out;
  while (q.step()) out.push_back(user_row(q));
  return out;
}

std::optional<SessionRow> SqliteStore::find_session(std::string_view token_hash) {
  auto r = acquire_reader();
  Query q(*r, "SELECT user_id, csrf, expires_at FROM sessions WHERE token_hash = ?");
  q.bind(token_hash);
  if (!q.step()) return std::nullopt;
  return SessionRow{q.i64(0), q.text(1), instant(q.i64(2))};
}

std::optional<Photo> SqliteStore::photo(std::int64_t submission_id) {
  auto r = acquire_reader();
  Query q(*r, "SELECT content_type, bytes FROM submission_photos WHERE submission_id = ?");
  q.bind(submission_id);
  if (!q.step()) return std::nullopt;
  return Photo{q.text(0), q.text(1)};
}

std::optional<std::string> SqliteStore::receipt_json(std::string_view receipt) {
  auto r = acquire_reader();
  Query q(*r, "SELECT receipt_json FROM submissions WHERE receipt = ?");
  q.bind(receipt);
  if (!q.step()) return std::nullopt;
  return q.text(0);
}

std::vector<ReviewRow> SqliteStore::review_queue(int limit) {
  auto r = acquire_reader();
  Query q(*r, "SELECT " READING_COLUMNS
              ", a.number, ri.reason, ri.created_at, ph.submission_id IS NOT NULL"
              " FROM review_items ri JOIN submissions s ON s.id = ri.submission_id"
              " JOIN meters m ON m.id = s.meter_id JOIN accounts a ON a.id = s.account_id"
              " LEFT JOIN submission_photos ph ON ph.submission_id = s.id"
              " WHERE ri.decision IS NULL ORDER BY ri.created_at, ri.id LIMIT ?");
  q.bind(limit);
  std::vector<ReviewRow> out;
  while (q.step()) {
    ReviewRow row;
    row.reading = reading_row(q);
    row.account_number = q.text(19);
    row.reason = q.text(20);
    row.created_at = instant(q.i64(21));
    row.reading.has_photo = q.i64(22) != 0;
    row.reading.review = "pending";
    out.push_back(std::move(row));
  }
  for (auto& row : out) {
    Query prev(*r, "SELECT " READING_COLUMNS
                   " FROM submissions s JOIN meters m ON m.id = s.meter_id"
                   " WHERE s.meter_id = ? AND s.status = 'accepted' AND s.as_of < ?"
                   " ORDER BY s.as_of DESC, s.id DESC LIMIT 1");
    prev.bind(row.reading.meter_id).bind(secs(row.reading.as_of));
    if (prev.step()) {
      auto before = reading_row(prev);
      row.previous = std::move(before.values);
      row.previous_unwrapped = std::move(before.unwrapped);
    }
  }
  return out;
}

std::vector<ChannelHour> SqliteStore::channel_hours(Instant from, Instant to) {
  auto r = acquire_reader();
  Query q(*r,
          "SELECT received_at / 3600 * 3600, channel, count(*) FROM submissions"
          " WHERE received_at >= ? AND received_at < ? GROUP BY 1, 2 ORDER BY 1, 2");
  q.bind(secs(from)).bind(secs(to));
  std::vector<ChannelHour> out;
  while (q.step()) out.push_back(ChannelHour{instant(q.i64(0)), q.text(1), q.i64(2)});
  return out;
}

std::vector<InspectionOrderRow> SqliteStore::inspection_order_list(YearMonth m, int limit) {
  auto r = acquire_reader();
  Query q(*r,
          "SELECT o.period, a.number, p.eic, p.address, o.reason, o.created_at,"
          " (SELECT min(s.received_at) FROM submissions s JOIN meters m ON m.id = s.meter_id"
          "  WHERE m.metering_point_id = p.id AND s.type = 'inspector'"
          "  AND s.received_at >= o.created_at)"
          " FROM inspection_orders o JOIN metering_points p ON p.id = o.metering_point_id"
          " JOIN accounts a ON a.id = p.account_id WHERE o.period = ? ORDER BY a.number LIMIT ?");
  q.bind(m.str()).bind(limit);
  std::vector<InspectionOrderRow> out;
  while (q.step()) {
    InspectionOrderRow row{YearMonth::parse(q.text(0)).value_or(YearMonth{}),
                           q.text(1),
                           q.text(2),
                           q.text(3),
                           q.text(4),
                           instant(q.i64(5)),
                           std::nullopt};
    if (!q.is_null(6)) row.inspected_at = instant(q.i64(6));
    out.push_back(std::move(row));
  }
  return out;
}

std::vector<PriceChangeRow> SqliteStore::price_changes() {
  auto r = acquire_reader();
  Query q(*r,
          "SELECT item, valid_from, value, actor, reason, created_at FROM price_changes"
          " ORDER BY id");
  std::vector<PriceChangeRow> out;
  while (q.step())
    out.push_back(PriceChangeRow{domain::PriceChange{day_of(q.text(1)), q.text(0), q.i64(2)},
                                 q.text(3), q.text(4), instant(q.i64(5))});
  return out;
}

}  // namespace md::store
