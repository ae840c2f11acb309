// A PostgreSQL connection for the SQL layer (libpq): statements prepared once per connection,
// `?`/`?N` placeholders turned into `$N`, errors mapped to the store's (a constraint →
// ConflictError; a lost or read-only server → StoreError, and the connection is dropped).
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "store/sql/conn.hpp"

namespace md::store {

// The URL with any password blanked out: what logs and error messages may show.
std::string pg_redacted(const std::string& url);
// The SQL text as PostgreSQL takes it: `$N` placeholders and the few dialect rewrites.
std::string pg_sql(std::string_view sqlite_flavoured);

// Test instrumentation (tests/store/plans_test.cpp checks every statement's plan): `observer`,
// when set, is called with the text of each statement a connection prepares or runs.
void pg_observe_statements(void (*observer)(const std::string& sql));

class PgConn final : public SqlConn {
 public:
  explicit PgConn(const std::string& url);
  ~PgConn() override;
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  void exec(const char* sql) override;
  Statement& prepare(const char* sql) override;
  Statement& prepare_scan(const char* sql) override;
  void copy_in(const char* sql, std::string_view rows) override;
  [[nodiscard]] bool broken() const override;
  [[nodiscard]] const Dialect& dialect() const override;

  PGconn* raw() { return conn_; }
  // Throws the store's error for a failed result (cleared here); marks the connection lost when
  // the server went away or cannot take writes.
  [[noreturn]] void fail(PGresult* r);

 private:
  PGconn* conn_ = nullptr;
  bool lost_ = false;
  int next_name_ = 0;
  StatementCache cache_;
  StatementCache scans_;  // cursors
};

}  // namespace md::store
