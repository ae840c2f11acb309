// The one SQL layer under the store: a connection of either engine (SQLite, PostgreSQL) with its
// prepared statements, and Query, which the store's code uses for both. Parameters are written
// `?` or `?N` in every statement; PostgreSQL's connection turns them into `$N`.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "store/store.hpp"

namespace md::store {

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

// Which violated unique constraint (what ConflictError carries), from the engine's constraint
// name or message; `other` when it is none that callers answer differently.
inline Conflict conflict_kind(std::string text) {
  std::replace(text.begin(), text.end(), '.', '_');  // SQLite says table.column
  static constexpr std::pair<std::string_view, Conflict> kKinds[] = {
      {"receipt", Conflict::receipt},
      {"idempotency", Conflict::idempotency},
      {"eic", Conflict::eic},
      {"accounts_number", Conflict::account},
      {"users_login", Conflict::login},
      {"users_email", Conflict::email},
      {"users_account_id", Conflict::login}};
  for (auto [needle, kind] : kKinds)
    if (text.find(needle) != std::string::npos) return kind;
  return Conflict::other;
}

// One prepared statement of an engine. Errors throw ConflictError (a constraint) or StoreError.
class Statement {
 public:
  virtual ~Statement() = default;
  virtual void bind_i64(int index, std::int64_t v) = 0;  // index from 1
  // `copy` false: the text outlives the statement's execution.
  virtual void bind_text(int index, std::string_view v, bool copy) = 0;
  virtual void bind_blob(int index, std::string_view v) = 0;
  virtual void bind_null(int index) = 0;
  virtual bool step() = 0;  // true while there is a row; the first call executes
  virtual void reset() = 0;
  virtual std::int64_t i64(int col) = 0;
  virtual bool is_null(int col) = 0;
  virtual std::string_view text(int col) = 0;  // valid until the next step
  virtual std::string blob(int col) = 0;
  virtual std::int64_t changes() = 0;  // rows the last execution inserted, updated or deleted
};

// A connection's prepared statements, known by the address of their text: texts are literals or
// static strings, so the address names the statement without hashing the text on every query.
// A text built on every call would break that: prepared again each time, the cache growing
// without end, and a later text at a freed one's address would find the wrong statement. So a
// text met at more addresses than the same literal written in a few places could have is refused
// when it is prepared, and debug builds check every cached text on use.
class StatementCache {
 public:
  static constexpr int kMaxCopies = 3;
  template <typename Make>
  Statement& get(const char* sql, Make make) {
    auto it = cache_.find(sql);
    if (it != cache_.end()) {
#ifndef NDEBUG
      if (it->second.text != sql)
        throw std::logic_error("statement cache: another text at a cached text's address: " +
                               it->second.text);
#endif
      it->second.statement->reset();
      return *it->second.statement;
    }
    const auto copies = std::count_if(cache_.begin(), cache_.end(),
                                      [&](const auto& kv) { return kv.second.text == sql; });
    if (copies >= kMaxCopies)
      throw std::logic_error(
          "statement cache: a text built on every call (keep it in static storage): " +
          std::string(sql));
    return *cache_.emplace(sql, Entry{make(), sql}).first->second.statement;
  }
  void clear() {
    cache_.clear();
  }

 private:
  struct Entry {
    std::unique_ptr<Statement> statement;
    std::string text;
  };
  std::unordered_map<const char*, Entry> cache_;
};

// What differs between the engines beyond placeholders.
struct Dialect {
  const char* begin_write;     // the write transaction
  const char* begin_snapshot;  // a read transaction seeing one snapshot
  // Locks the schema for a migration within its transaction ("" when the BEGIN already does).
  const char* migration_lock;
  const char* has_migrations_table;  // a query with a row when schema_migrations exists
  // SELECT … FOR UPDATE: where several may write (PostgreSQL); SQLite's one writer already
  // excludes every other.
  bool row_locks;
  // A statement is a round trip to a server (PostgreSQL): a batch's reads are worth asking in
  // advance, all at once (WriteTx::prefetch, in PostgreSQL's SQL). In-process SQLite gains nothing.
  bool prefetch = false;
  // Byte-order comparisons for a prefix range that an index serves: `identity >= 'account=1' AND
  // identity < 'account=1!'`. PostgreSQL's text_pattern_ops indexes answer ~>=~ and ~<~ only;
  // its >= and < follow the collation and leave such a query a scan of the whole table.
  const char* bytes_ge = ">=";
  const char* bytes_lt = "<";
};

// A statement text that depends on the dialect (the text stays in static storage, one per
// dialect, as StatementCache wants): `build(dialect)` runs once per dialect and call site.
template <typename Build>
const char* dialect_sql(const Dialect& d, Build build) {
  static std::mutex mutex;
  static std::map<const Dialect*, std::string> texts;
  std::lock_guard lock(mutex);
  auto [it, fresh] = texts.try_emplace(&d);
  if (fresh) it->second = build(d);
  return it->second.c_str();
}

class SqlConn {
 public:
  virtual ~SqlConn() = default;
  virtual void exec(const char* sql) = 0;  // statements without parameters
  // Prepared once per connection, cached by the literal's address.
  virtual Statement& prepare(const char* sql) = 0;
  // For a query whose rows may not fit in memory (the close's scan), stepped inside a
  // transaction: a server-side cursor fetched in parts (PostgreSQL); SQLite steps rows anyway.
  virtual Statement& prepare_scan(const char* sql) { return prepare(sql); }
  // COPY … FROM STDIN with `rows` in PostgreSQL's text format (where many rows cost less this way
  // than as statement parameters; only called where the dialect has `prefetch`).
  virtual void copy_in(const char* sql, std::string_view rows);
  // Lost (the server went away): the store drops it and opens another.
  [[nodiscard]] virtual bool broken() const { return false; }
  [[nodiscard]] virtual const Dialect& dialect() const = 0;
};

// Binds and steps one cached statement; resets it when it goes out of scope.
class Query {
 public:
  Query(SqlConn& c, const char* sql) : stmt_(c.prepare(sql)) {}
  struct Scan {};  // rows read in parts (SqlConn::prepare_scan)
  Query(SqlConn& c, const char* sql, Scan) : stmt_(c.prepare_scan(sql)) {}
  ~Query() {
    try {
      stmt_.reset();
    } catch (...) {  // a lost connection: nothing to reset
    }
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& bind(std::int64_t v) {
    stmt_.bind_i64(++index_, v);
    return *this;
  }
  Query& bind(int v) { return bind(static_cast<std::int64_t>(v)); }
  Query& bind(std::string_view v) {
    stmt_.bind_text(++index_, v, true);
    return *this;
  }
  Query& bind(const std::string& v) { return bind(std::string_view(v)); }
  Query& bind(const char* v) { return bind(std::string_view(v)); }
  // For text that outlives the statement's execution: no copy.
  Query& bind_static(std::string_view v) {
    stmt_.bind_text(++index_, v, false);
    return *this;
  }
  Query& bind_blob(std::string_view v) {
    stmt_.bind_blob(++index_, v);
    return *this;
  }
  Query& bind_null() {
    stmt_.bind_null(++index_);
    return *this;
  }
  template <typename T>
  Query& bind(const std::optional<T>& v) {
    return v ? bind(*v) : bind_null();
  }

  bool step() { return stmt_.step(); }
  void run() {
    while (step()) {
    }
  }
  std::int64_t changes() { return stmt_.changes(); }

  std::int64_t i64(int col) { return stmt_.i64(col); }
  bool is_null(int col) { return stmt_.is_null(col); }
  // True when the text column starts with "exchange_" (without copying it).
  bool is_exchange(int col) { return stmt_.text(col).starts_with("exchange_"); }
  std::string text(int col) { return std::string(stmt_.text(col)); }
  // A YYYY-MM-DD column, without copying it (the close reads one per reading).
  Day day(int col) { return domain::parse_date(stmt_.text(col)).value_or(Day{}); }
  std::string blob(int col) { return stmt_.blob(col); }

 private:
  Statement& stmt_;
  int index_ = 0;
};

}  // namespace md::store
