#include "store/postgres/pg_conn.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace md::store {

std::string pg_redacted(const std::string& url) {
  std::string out = url;
  // postgresql://user:secret@host → postgresql://user:***@host
  if (auto scheme = out.find("://"); scheme != std::string::npos) {
    auto at = out.find('@', scheme + 3);
    auto colon = out.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at)
      out.replace(colon + 1, at - colon - 1, "***");
  }
  // password=secret in a key-value string or a URL's query
  for (auto p = out.find("password="); p != std::string::npos; p = out.find("password=", p + 1)) {
    auto end = out.find_first_of(" &", p);
    out.replace(p + 9, (end == std::string::npos ? out.size() : end) - p - 9, "***");
  }
  return out;
}

std::string pg_sql(std::string_view in) {
  // The few places where the engines' SQL differs, rewritten here so the store's queries are
  // written once: LIKE is case-insensitive in SQLite (ILIKE also folds Cyrillic), SQLite's
  // negative substr start is PostgreSQL's right(), and e-mail is compared case-insensitively
  // (SQLite's column is COLLATE NOCASE; PostgreSQL has an index on lower(email)).
  static const std::pair<std::string_view, std::string_view> kRewrites[] = {
      {" LIKE ", " ILIKE "},
      {"substr(phone, -9)", "right(phone, 9)"},
      {"OR email = ?1", "OR lower(email) = lower(?1)"},
  };
  std::string sql(in);
  for (const auto& [from, to] : kRewrites)
    for (auto p = sql.find(from); p != std::string::npos; p = sql.find(from, p + to.size()))
      sql.replace(p, from.size(), to);
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 0;
  bool quoted = false;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'') quoted = !quoted;
    if (c != '?' || quoted) {
      out += c;
      continue;
    }
    size_t j = i + 1;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') ++j;
    out += '$';
    if (j > i + 1) {
      out.append(sql, i + 1, j - i - 1);
      i = j - 1;
    } else {
      out += std::to_string(++next);
    }
  }
  return out;
}

namespace {

// Text PostgreSQL can hold. Ill-formed UTF-8 and NUL (which SQLite keeps, and which would fail
// the statement or cut the C string libpq sends) become U+FFFD: a lookup with such text finds
// nothing, as on SQLite, and a record of it is kept instead of failing.
void assign_text(std::string& out, std::string_view in) {
  if (std::all_of(in.begin(), in.end(), [](char c) { return c > 0; })) {
    out.assign(in);
    return;
  }
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  out.clear();
  for (std::size_t i = 0; i < in.size();) {
    const auto c = static_cast<unsigned char>(in[i]);
    std::size_t len = c >= 0x01 && c < 0x80 ? 1 : 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range (Unicode table 3-7)
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    if (c >= 0xE0 && c <= 0xEF) len = 3;
    if (c >= 0xF0 && c <= 0xF4) len = 4;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
    // How much of a sequence is well-formed: one U+FFFD stands for that part (Unicode's "maximal
    // subpart", as the JSON writer does it), a lone bad byte gets its own.
    std::size_t good = len > 0 ? 1 : 0;
    while (good > 0 && good < len && i + good < in.size()) {
      const auto d = static_cast<unsigned char>(in[i + good]);
      if (good == 1 ? d < lo || d > hi : d < 0x80 || d > 0xBF) break;
      ++good;
    }
    if (len > 0 && good == len) {
      out.append(in.substr(i, len));
    } else {
      out.append(kReplacement);
    }
    i += std::max<std::size_t>(good, 1);
  }
}

// A prepared statement, or (with `cursor_sql`) a cursor declared at the first step inside the
// caller's transaction and fetched kFetch rows at a time.
class PgStatement final : public Statement {
 public:
  static constexpr int kFetch = 10000;

  PgStatement(PgConn& conn, std::string name, std::string cursor_sql = {})
      : conn_(conn), name_(std::move(name)), cursor_sql_(std::move(cursor_sql)) {}
  ~PgStatement() override { PQclear(result_); }
  PgStatement(const PgStatement&) = delete;
  PgStatement& operator=(const PgStatement&) = delete;

  void bind_i64(int index, std::int64_t v) override {
    auto& p = param(index);
    p.value = std::to_string(v);
  }
  void bind_text(int index, std::string_view v, bool) override {
    assign_text(param(index).value, v);
  }
  void bind_blob(int index, std::string_view v) override {
    auto& p = param(index);
    p.value.assign(v);
    p.binary = true;
  }
  void bind_null(int index) override { param(index).null = true; }

  bool step() override {
    if (!result_) execute();
    if (++row_ < PQntuples(result_)) return true;
    if (!declared_ || PQntuples(result_) < kFetch) return false;
    fetch();
    return ++row_ < PQntuples(result_);
  }
  void reset() override {
    PQclear(result_);
    result_ = nullptr;
    row_ = -1;
    params_.clear();
    if (declared_) {
      declared_ = false;
      // Fails only in a transaction already failed, which ends the cursor anyway.
      PQclear(PQexec(conn_.raw(), ("CLOSE " + name_).c_str()));
    }
  }
  std::int64_t i64(int col) override {
    const char* v = PQgetvalue(result_, row_, col);
    if (*v == 't') return 1;  // a boolean (EXISTS, IS NOT NULL)
    if (*v == 'f') return 0;
    std::int64_t out = 0;
    std::from_chars(v, v + PQgetlength(result_, row_, col), out);
    return out;
  }
  bool is_null(int col) override { return PQgetisnull(result_, row_, col) != 0; }
  std::string_view text(int col) override {
    return {PQgetvalue(result_, row_, col), static_cast<size_t>(PQgetlength(result_, row_, col))};
  }
  std::string blob(int col) override {
    size_t n = 0;
    unsigned char* bytes =
        PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row_, col)), &n);
    if (!bytes) throw StoreError("cannot decode a bytea value");
    std::string out(reinterpret_cast<const char*>(bytes), n);
    PQfreemem(bytes);
    return out;
  }
  std::int64_t changes() override {
    return result_ ? std::strtoll(PQcmdTuples(result_), nullptr, 10) : 0;
  }

 private:
  struct Param {
    std::string value;
    bool null = false, binary = false;
  };
  Param& param(int index) {
    if (params_.size() < static_cast<size_t>(index)) params_.resize(static_cast<size_t>(index));
    return params_[static_cast<size_t>(index) - 1];
  }
  void execute() {
    std::vector<const char*> values(params_.size());
    std::vector<int> lengths(params_.size()), formats(params_.size());
    for (size_t i = 0; i < params_.size(); ++i) {
      values[i] = params_[i].null ? nullptr : params_[i].value.c_str();
      lengths[i] = static_cast<int>(params_[i].value.size());
      formats[i] = params_[i].binary ? 1 : 0;
    }
    if (cursor_sql_.empty()) {
      result_ = PQexecPrepared(conn_.raw(), name_.c_str(), static_cast<int>(params_.size()),
                               values.data(), lengths.data(), formats.data(), 0);
      check();
      return;
    }
    std::string declare = "DECLARE " + name_ + " NO SCROLL CURSOR FOR " + cursor_sql_;
    result_ = PQexecParams(conn_.raw(), declare.c_str(), static_cast<int>(params_.size()), nullptr,
                           values.data(), lengths.data(), formats.data(), 0);
    check();
    declared_ = true;
    fetch();
  }
  void fetch() {
    PQclear(result_);
    result_ =
        PQexec(conn_.raw(), ("FETCH FORWARD " + std::to_string(kFetch) + " FROM " + name_).c_str());
    check();
  }
  void check() {
    auto status = PQresultStatus(result_);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      PGresult* failed = result_;
      result_ = nullptr;
      conn_.fail(failed);
    }
    row_ = -1;
  }

  PgConn& conn_;
  std::string name_;
  std::string cursor_sql_;
  bool declared_ = false;
  std::vector<Param> params_;
  PGresult* result_ = nullptr;
  int row_ = -1;
};

std::string field(const PGresult* r, int code) {
  const char* v = r ? PQresultErrorField(r, code) : nullptr;
  return v ? v : "";
}

}  // namespace

PgConn::PgConn(const std::string& url) {
  // Earlier keywords are defaults the URL may override; a dead server is noticed in seconds.
  const char* keys[] = {"connect_timeout",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "fallback_application_name",
                        "dbname",
                        nullptr};
  const char* values[] = {"5", "10", "5", "3", "meterdesk", url.c_str(), nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string msg = conn_ ? PQerrorMessage(conn_) : "out of memory";
    PQfinish(conn_);
    conn_ = nullptr;
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    throw StoreError("database unavailable: cannot connect to " + pg_redacted(url) + ": " + msg);
  }
  exec("SET client_min_messages = warning");
}

PgConn::~PgConn() {
  cache_.clear();
  PQfinish(conn_);
}

bool PgConn::broken() const {
  return lost_ || PQstatus(conn_) != CONNECTION_OK;
}

void PgConn::fail(PGresult* r) {
  std::string sqlstate = field(r, PG_DIAG_SQLSTATE);
  std::string constraint = field(r, PG_DIAG_CONSTRAINT_NAME);
  std::string msg = r ? PQresultErrorMessage(r) : "";
  if (msg.empty()) msg = PQerrorMessage(conn_);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  PQclear(r);
  if (sqlstate.starts_with("23")) {  // integrity constraint violation (and our triggers)
    throw ConflictError(conflict_kind(constraint), msg);
  }
  // Connection lost (08), server shutting down (57P), a standby that takes no writes (25006),
  // no disk or memory (53): the operation failed as a whole and may be retried; the connection
  // is replaced before the next use.
  if (sqlstate.empty() || sqlstate.starts_with("08") || sqlstate.starts_with("57P") ||
      sqlstate == "25006" || sqlstate.starts_with("53")) {
    lost_ = lost_ || sqlstate != "53100";
    throw StoreError("database unavailable: " + msg);
  }
  throw StoreError(msg);
}

namespace {
std::atomic<void (*)(const std::string&)> statement_observer{nullptr};

void observed(const std::string& sql) {
  if (auto* f = statement_observer.load(std::memory_order_relaxed)) f(sql);
}
}  // namespace

void pg_observe_statements(void (*observer)(const std::string& sql)) {
  statement_observer.store(observer);
}

void PgConn::exec(const char* sql) {
  observed(sql);
  PGresult* r = PQexec(conn_, sql);
  auto status = PQresultStatus(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail(r);
  PQclear(r);
}

Statement& PgConn::prepare(const char* sql) {
  return cache_.get(sql, [&]() -> std::unique_ptr<Statement> {
    std::string name = "md" + std::to_string(++next_name_);
    std::string text = pg_sql(sql);
    observed(text);
    PGresult* r = PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) fail(r);
    PQclear(r);
    return std::make_unique<PgStatement>(*this, name);
  });
}

void PgConn::copy_in(const char* sql, std::string_view rows) {
  PGresult* r = PQexec(conn_, sql);
  if (PQresultStatus(r) != PGRES_COPY_IN) fail(r);
  PQclear(r);
  std::string text;
  assign_text(text, rows);  // field separators are ASCII: the same as field by field
  constexpr std::size_t kPart = 1 << 20;
  for (std::size_t at = 0; at < text.size(); at += kPart) {
    const std::size_t n = std::min(kPart, text.size() - at);
    if (PQputCopyData(conn_, text.data() + at, static_cast<int>(n)) != 1) fail(nullptr);
  }
  if (PQputCopyEnd(conn_, nullptr) != 1) fail(nullptr);
  PGresult* result = PQgetResult(conn_);
  while (PGresult* more = PQgetResult(conn_)) PQclear(more);
  if (PQresultStatus(result) != PGRES_COMMAND_OK) fail(result);
  PQclear(result);
}

Statement& PgConn::prepare_scan(const char* sql) {
  return scans_.get(sql, [&]() -> std::unique_ptr<Statement> {
    std::string text = pg_sql(sql);
    observed(text);
    return std::make_unique<PgStatement>(*this, "md_scan" + std::to_string(++next_name_),
                                         std::move(text));
  });
}

const Dialect& PgConn::dialect() const {
  static const Dialect d{"BEGIN", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                         // Any fixed key: several nodes starting at once migrate one after another.
                         "SELECT pg_advisory_xact_lock(7233010)",
                         "SELECT 1 FROM pg_tables WHERE schemaname = current_schema()"
                         " AND tablename = 'schema_migrations'",
                         true, true, "~>=~", "~<~"};
  return d;
}

}  // namespace md::store
