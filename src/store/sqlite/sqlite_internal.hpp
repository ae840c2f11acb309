// Inside the SQLite store: the connection with its statement cache, the statement wrapper, the
// row readers and the reader pool's handle, shared by sqlite_store.cpp and sqlite_web.cpp.
#pragma once

#include <sqlite3.h>

#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/sqlite/sqlite_store.hpp"

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

namespace detail {

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

}  // namespace detail

// The messenger tables' writes (sqlite_bots.cpp), on the writer's connection.
namespace bots {
bool record_update(SqliteConn& c, std::string_view channel, std::string_view key, Instant at);
std::optional<ChatRow> chat(SqliteConn& c, std::string_view channel, std::string_view chat_id);
void save_chat(SqliteConn& c, const ChatRow& r, Instant at);
std::vector<std::string> chat_accounts(SqliteConn& c, std::string_view channel,
                                       std::string_view chat_id);
void link_account(SqliteConn& c, std::string_view channel, std::string_view chat_id,
                  std::int64_t account_id, Instant at);
void unlink_account(SqliteConn& c, std::string_view channel, std::string_view chat_id,
                    std::int64_t account_id);
std::int64_t enqueue(SqliteConn& c, const OutboxMessage& m, Instant at);
bool claim_run(SqliteConn& c, std::string_view kind, std::string_view key, std::int64_t messages,
               Instant at);
void outbox_sent(SqliteConn& c, std::int64_t id, Instant at);
void outbox_retry(SqliteConn& c, std::int64_t id, int attempts, Instant not_before,
                  std::string_view error);
void outbox_failed(SqliteConn& c, std::int64_t id, int attempts, std::string_view error,
                   Instant at);
std::int64_t prune_updates(SqliteConn& c, Instant before);
}  // namespace bots

namespace detail {

inline std::int64_t secs(Instant t) {
  return t.time_since_epoch().count();
}
inline Instant instant(std::int64_t s) {
  return Instant{std::chrono::seconds{s}};
}
inline std::string day_text(Day d) {
  return domain::format_date(d);
}
inline Day day_of(const std::string& s) {
  return domain::parse_date(s).value_or(Day{});
}

inline constexpr const char* kMeterColumns =
    "m.id, p.id, a.id, a.number, a.active, p.eic, m.serial, m.zones, m.digits, m.installed_on,"
    " m.counter_offsets";

inline std::string offsets_text(const std::vector<std::int64_t>& v) {
  std::string out;
  for (auto x : v) out += (out.empty() ? "" : ",") + std::to_string(x);
  return out;
}
inline std::vector<std::int64_t> offsets_of(const std::string& text) {
  std::vector<std::int64_t> out;
  for (const auto& part : split_flags(text)) out.push_back(std::stoll(part));
  return out;
}

inline MeterRow meter_row(Query& q) {
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

inline ReadingRow reading_row(Query& q) {
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

inline AuditRow audit_row(Query& q) {
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

#define VOLUME_COLUMNS                                                                       \
  "v.metering_point_id, v.meter_id, v.zone, v.zone_index, v.start_value, v.start_kind,"      \
  " v.end_value, v.end_kind, v.volume, v.correction, v.position, v.method, v.estimated_run," \
  " v.estimate, a.number, p.eic, m.serial, m.digits, a.electric_heating, m.zones, v.chain,"  \
  " v.start_shown, v.end_shown, v.period"                                                    \
  " FROM period_volumes v JOIN metering_points p ON p.id = v.metering_point_id"              \
  " JOIN accounts a ON a.id = p.account_id JOIN meters m ON m.id = v.meter_id"

inline VolumeRow volume_row(Query& q) {
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

}  // namespace detail

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

}  // namespace md::store
