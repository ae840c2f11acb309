#include "store/sqlite/sqlite_conn.hpp"

namespace md::store {

namespace {

class SqliteStatement final : public Statement {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  void bind_i64(int index, std::int64_t v) override { check(sqlite3_bind_int64(stmt_, index, v)); }
  void bind_text(int index, std::string_view v, bool copy) override {
    check(sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()),
                            copy ? SQLITE_TRANSIENT : SQLITE_STATIC));
  }
  void bind_blob(int index, std::string_view v) override {
    check(sqlite3_bind_blob(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  void bind_null(int index) override { check(sqlite3_bind_null(stmt_, index)); }
  bool step() override {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(rc);
  }
  void reset() override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::int64_t i64(int col) override { return sqlite3_column_int64(stmt_, col); }
  bool is_null(int col) override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string_view text(int col) override {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string_view();
  }
  std::string blob(int col) override {
    auto p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  std::int64_t changes() override { return sqlite3_changes64(db_); }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) fail(rc);
  }
  [[noreturn]] void fail(int rc) {
    std::string msg = sqlite3_errmsg(db_);
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
      throw ConflictError(conflict_kind(msg), msg);
    }
    throw StoreError(msg);
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

}  // namespace

SqliteConn::SqliteConn(const std::string& path) {
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
  exec("PRAGMA synchronous = FULL");  // durable at commit, even across power loss
  // Reads from the page cache without copies or a syscall per page: up to SQLite's own limit
  // (2 GiB), the OS's cache, not the process's memory.
  exec("PRAGMA mmap_size = 2147418112");
}

SqliteConn::~SqliteConn() {
  cache_.clear();  // statements are finalized before the connection closes
  sqlite3_close(db_);
}

void SqliteConn::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw StoreError(msg);
  }
}

Statement& SqliteConn::prepare(const char* sql) {
  return cache_.get(sql, [&]() -> std::unique_ptr<Statement> {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
      throw StoreError(std::string("prepare: ") + sqlite3_errmsg(db_));
    return std::make_unique<SqliteStatement>(db_, stmt);
  });
}

const Dialect& SqliteConn::dialect() const {
  // BEGIN IMMEDIATE takes the write lock at once: no upgrade from a read lock that could fail.
  static const Dialect d{"BEGIN IMMEDIATE", "BEGIN", "",
                         "SELECT 1 FROM sqlite_master WHERE type = 'table'"
                         " AND name = 'schema_migrations'",
                         false};
  return d;
}

}  // namespace md::store
