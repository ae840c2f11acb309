// A SQLite connection for the SQL layer: durable settings, a cache of prepared statements.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "store/sql/conn.hpp"

namespace md::store {

class SqliteConn final : public SqlConn {
 public:
  explicit SqliteConn(const std::string& path);
  ~SqliteConn() override;
  SqliteConn(const SqliteConn&) = delete;
  SqliteConn& operator=(const SqliteConn&) = delete;

  void exec(const char* sql) override;
  Statement& prepare(const char* sql) override;
  [[nodiscard]] const Dialect& dialect() const override;
  sqlite3* db() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  StatementCache cache_;
};

}  // namespace md::store
