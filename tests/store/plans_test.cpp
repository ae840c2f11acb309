// How the engines find the rows of every statement the store and service suites run, on SQLite
// and on PostgreSQL. A table that grows with the region (readings, accounts, chats, the audit,
// the outbox…) read from end to end is a page or a worker that slows down with every month of
// data: each such read must be on the list below with its reason. A dropped index, or a query
// rewritten past its index, fails the test that ran the query, with the statement and its plan,
// long before a region's window finds it.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/postgres/pg_conn.hpp"
#include "store/store.hpp"
#include "support/support.hpp"

using namespace md;

namespace {

// Scans that are right: the table is small by nature, or the statement reads all of it on purpose.
struct AllowedScan {
  std::string_view table;
  std::string_view sql_contains;  // "" for any statement on that table
  std::string_view why;
};
constexpr std::string_view kEveryChat =
    "FROM chat_accounts l JOIN chats c ON c.channel = l.channel AND c.chat_id = l.chat_id"
    " JOIN accounts a ON a.id = l.account_id WHERE c.subscribed = 1";
constexpr AllowedScan kAllowed[] = {
    {"periods", "", "a row per month"},
    {"api_tokens", "", "a row per integration"},
    {"audit_heads", "", "a row per audit chain: one, or one per node"},
    {"audit", "ORDER BY chain, seq, id", "`meterdesk audit verify`: every record, on purpose"},
    {"outage_coefficients", "", "a row per area and month a supervisor entered"},
    {"price_changes", "", "a row per price change a supervisor made: a few a year"},
    {"accounts", "OR a.id IN (SELECT account_id FROM metering_points WHERE address ",
     "the console's search by a part of a number, phone or address, when no whole identifier "
     "matched: a walk in number order that stops at the limit when much matches"},
    {"metering_points", "OR a.id IN (SELECT account_id FROM metering_points WHERE address ",
     "the same search: the points' addresses, read once"},
    {"accounts", "SELECT (SELECT count(*) FROM accounts)", "the command line's totals: every row"},
    {"meters", "SELECT (SELECT count(*) FROM accounts)", "the command line's totals: every row"},
    {"submissions", "SELECT (SELECT count(*) FROM accounts)",
     "the command line's totals: every row"},
    {"audit", "SELECT (SELECT count(*) FROM accounts)", "the command line's totals: every row"},
    {"audit", "FROM audit ORDER BY id DESC LIMIT ", "the newest rows by id: stops at the limit"},
    {"chats", kEveryChat, "a reminder round, the close's notices: a few times a month"},
    {"chat_accounts", kEveryChat, "a reminder round, the close's notices: a few times a month"},
    {"submissions", "FROM meters m JOIN submissions s ON s.meter_id = m.id AND s.status =",
     "the month's close: every accepted reading, once"},
    {"meters", "FROM metering_points p JOIN accounts a ON a.id = p.account_id JOIN meters m",
     "the month's close: every meter, once"},
    {"attempt_counts", "DELETE FROM attempt_counts WHERE window_start < ",
     "written on PostgreSQL only; two windows' keys, pruned by this statement"},
};

bool allowed(std::string_view table, std::string_view sql) {
  return std::any_of(std::begin(kAllowed), std::end(kAllowed), [&](const AllowedScan& a) {
    return a.table == table && sql.find(a.sql_contains) != std::string_view::npos;
  });
}

// SQLite's plans name a table by its alias: "FROM meters m", "JOIN accounts AS a".
std::map<std::string, std::string> aliases(const std::string& sql) {
  static const std::regex from(R"(\b(?:FROM|JOIN)\s+(\w+)\s+(?:AS\s+)?(\w+))", std::regex::icase);
  static const std::set<std::string> keywords = {"WHERE", "JOIN",    "ON",    "LEFT",   "INNER",
                                                 "CROSS", "ORDER",   "GROUP", "LIMIT",  "USING",
                                                 "SET",   "NATURAL", "UNION", "WINDOW", "HAVING"};
  std::map<std::string, std::string> out;
  for (std::sregex_iterator it(sql.begin(), sql.end(), from), end; it != end; ++it) {
    std::string alias = (*it)[2];
    std::string upper;
    for (char c : alias) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!keywords.contains(upper)) out[alias] = (*it)[1];
  }
  return out;
}

bool reads_rows(std::string_view sql) {
  auto start = sql.find_first_not_of(" \t\r\n(");
  if (start == std::string_view::npos) return false;
  std::string word;
  for (char c : sql.substr(start, 6))
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return word.starts_with("SELECT") || word.starts_with("WITH") || word.starts_with("UPDATE") ||
         word.starts_with("DELETE") || word.starts_with("INSERT");
}

}  // namespace

namespace md::test {

// The full scans of tables in `texts` that the list does not allow, each as "table: statement
// / plan", against a freshly migrated database (no statistics: the plan the schema gives).
std::vector<std::string> unexpected_scans(const std::set<std::string>& texts) {
  TempDir dir;
  const std::string path = dir.file("plans.db");
  store::open_store(path)->migrate();
  sqlite3* db = nullptr;
  std::vector<std::string> found;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return {"cannot open " + path};
  }
  std::set<std::string> tables, partial_indexes;
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "SELECT type, name, sql LIKE '% WHERE %' FROM sqlite_schema", -1, &q,
                     nullptr);
  while (sqlite3_step(q) == SQLITE_ROW) {
    const std::string type = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
    const std::string name = reinterpret_cast<const char*>(sqlite3_column_text(q, 1));
    if (type == "table") tables.insert(name);
    if (type == "index" && sqlite3_column_int(q, 2) == 1) partial_indexes.insert(name);
  }
  sqlite3_finalize(q);
  for (const auto& sql : texts) {
    if (!reads_rows(sql)) continue;
    const std::string explain = "EXPLAIN QUERY PLAN " + sql;
    // A statement the fresh schema cannot prepare (a test's own scratch table) has no plan here.
    if (sqlite3_prepare_v2(db, explain.c_str(), -1, &q, nullptr) != SQLITE_OK) {
      sqlite3_finalize(q);
      continue;
    }
    std::string plan;
    std::vector<std::string> scanned;
    const auto named = aliases(sql);
    while (sqlite3_step(q) == SQLITE_ROW) {
      std::string detail = reinterpret_cast<const char*>(sqlite3_column_text(q, 3));
      plan += "\n    " + detail;
      if (!detail.starts_with("SCAN ")) continue;
      std::string table = detail.substr(5, detail.find(' ', 5) - 5);
      if (auto a = named.find(table); !tables.contains(table) && a != named.end())
        table = a->second;
      // A partial index holds only the rows its condition picks (the pending messages, the
      // undecided reviews): walking it is reading just those.
      auto by = detail.find(" INDEX ");
      if (by != std::string::npos &&
          partial_indexes.contains(detail.substr(by + 7, detail.find(' ', by + 7) - by - 7)))
        continue;
      if (tables.contains(table) && !allowed(table, sql)) scanned.push_back(table);
    }
    sqlite3_finalize(q);
    for (const auto& t : scanned) found.push_back(t + ": " + sql + plan);
  }
  sqlite3_close(db);
  return found;
}

namespace {

// One libpq result, cleared when it goes.
struct PgResult {
  PGresult* r;
  explicit PgResult(PGresult* r) : r(r) {}
  ~PgResult() { PQclear(r); }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  [[nodiscard]] bool ok() const {
    auto s = PQresultStatus(r);
    return s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK;
  }
  [[nodiscard]] int rows() const { return PQntuples(r); }
  [[nodiscard]] std::string at(int row, int col = 0) const { return PQgetvalue(r, row, col); }
};

PgResult pg_exec(PGconn* c, const std::string& sql) {
  return PgResult(PQexec(c, sql.c_str()));
}

// The tables a PostgreSQL plan (EXPLAIN's JSON) reads from end to end: a sequential scan, or an
// index walked without a condition (for its order) unless the index is partial.
void whole_reads(const nlohmann::json& node, const std::set<std::string>& tables,
                 const std::set<std::string>& partial_indexes, std::vector<std::string>& out) {
  if (node.is_array()) {
    for (const auto& n : node) whole_reads(n, tables, partial_indexes, out);
    return;
  }
  if (!node.is_object()) return;
  if (node.contains("Plan")) return whole_reads(node["Plan"], tables, partial_indexes, out);
  const std::string type = node.value("Node Type", "");
  const std::string table = node.value("Relation Name", "");
  const bool by_index = type == "Index Scan" || type == "Index Only Scan";
  if (tables.contains(table) &&
      (type == "Seq Scan" || (by_index && !node.contains("Index Cond") &&
                              !partial_indexes.contains(node.value("Index Name", "")))))
    out.push_back(table);
  if (node.contains("Plans")) whole_reads(node["Plans"], tables, partial_indexes, out);
}

// The plans of `texts` on database `url` as PostgreSQL would run them with any index it may use
// (sequential scans, hash and merge joins off: the tables are empty, and a scan left in the plan
// is one no index could serve), as one generic plan for every parameter value.
void pg_scans(const std::string& url, const std::set<std::string>& texts,
              std::vector<std::string>& found) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    found.push_back("cannot connect to " + url + ": " + PQerrorMessage(c));
    PQfinish(c);
    return;
  }
  pg_exec(c,
          "SET enable_seqscan = off; SET enable_hashjoin = off; SET enable_mergejoin = off;"
          " SET plan_cache_mode = force_generic_plan; SET jit = off");
  std::set<std::string> tables, partial_indexes;
  {
    PgResult t(PQexec(c, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"));
    for (int i = 0; i < t.rows(); ++i) tables.insert(t.at(i));
    PgResult x(
        PQexec(c, "SELECT indexrelid::regclass::text FROM pg_index WHERE indpred IS NOT NULL"));
    for (int i = 0; i < x.rows(); ++i) partial_indexes.insert(x.at(i));
  }
  for (const auto& sql : texts) {
    if (!reads_rows(sql)) continue;
    if (!pg_exec(c, "PREPARE md_plan AS " + sql).ok()) continue;  // a type no context gives
    PgResult n(PQexec(c,
                      "SELECT cardinality(parameter_types) FROM pg_prepared_statements"
                      " WHERE name = 'md_plan'"));
    std::string args;
    for (int i = 0, count = n.rows() ? std::atoi(n.at(0).c_str()) : 0; i < count; ++i)
      args += i ? ", NULL" : "(NULL";
    if (!args.empty()) args += ")";
    PgResult json_plan(PQexec(c, ("EXPLAIN (FORMAT JSON) EXECUTE md_plan" + args).c_str()));
    std::vector<std::string> scanned;
    if (json_plan.ok() && json_plan.rows() == 1)
      whole_reads(nlohmann::json::parse(json_plan.at(0), nullptr, false), tables, partial_indexes,
                  scanned);
    std::erase_if(scanned, [&](const std::string& t) { return allowed(t, sql); });
    std::string lines;
    if (!scanned.empty()) {
      PgResult plan(PQexec(c, ("EXPLAIN EXECUTE md_plan" + args).c_str()));
      for (int i = 0; i < plan.rows(); ++i) lines += "\n    " + plan.at(i);
    }
    pg_exec(c, "DEALLOCATE md_plan");
    for (const auto& t : scanned) found.push_back(t + ": " + sql + lines);
  }
  PQfinish(c);
}

}  // namespace

// The same on PostgreSQL: each text planned on a freshly migrated database of the test cluster.
std::vector<std::string> unexpected_pg_scans(const std::set<std::string>& texts) {
  const std::string url = postgres_db();
  store::open_store(url)->migrate();
  std::vector<std::string> found;
  pg_scans(url, texts, found);
  return found;
}

}  // namespace md::test

namespace {

std::mutex seen_mutex;
std::set<std::string>& seen() {
  static auto* texts = new std::set<std::string>;  // outlives every connection's last trace
  return *texts;
}

int on_statement(unsigned /*type*/, void* /*ctx*/, void* stmt, void* /*sql*/) {
  if (const char* sql = sqlite3_sql(static_cast<sqlite3_stmt*>(stmt))) {
    std::lock_guard lock(seen_mutex);
    seen().insert(sql);
  }
  return 0;
}

void on_pg_statement(const std::string& sql) {
  std::lock_guard lock(seen_mutex);
  seen().insert(sql);
}

int trace_connection(sqlite3* db, const char** /*error*/, const sqlite3_api_routines* /*api*/) {
  sqlite3_trace_v2(db, SQLITE_TRACE_STMT, on_statement, nullptr);
  return SQLITE_OK;
}

// Every SQLite connection the process opens while the tests run (the store's, the tests' own)
// reports each statement it runs; at the end their plans are checked.
class PlanCheck : public ::testing::Environment {
 public:
  void SetUp() override {
    if (test::on_postgres()) {
      store::pg_observe_statements(on_pg_statement);
      postgres_ = true;
      return;
    }
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): SQLite's entry-point type.
    sqlite3_auto_extension(reinterpret_cast<void (*)()>(trace_connection));
    on_ = true;
  }
  void TearDown() override {
    if (postgres_) {
      store::pg_observe_statements(nullptr);
      std::set<std::string> texts;
      {
        std::lock_guard lock(seen_mutex);
        texts.swap(seen());
      }
      if (texts.empty()) return;
      for (const auto& scan : test::unexpected_pg_scans(texts))
        ADD_FAILURE() << "a whole read of a growing table (tests/store/plans_test.cpp lists "
                         "the allowed ones):\n  "
                      << scan;
      return;
    }
    if (!on_) return;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): SQLite's entry-point type.
    sqlite3_cancel_auto_extension(reinterpret_cast<void (*)()>(trace_connection));
    std::set<std::string> texts;
    {
      std::lock_guard lock(seen_mutex);
      texts.swap(seen());
    }
    for (const auto& scan : test::unexpected_scans(texts))
      ADD_FAILURE() << "a whole read of a growing table (tests/store/plans_test.cpp lists the "
                       "allowed ones):\n  "
                    << scan;
  }

 private:
  bool on_ = false;
  bool postgres_ = false;
};

[[maybe_unused]] auto* const plan_check = ::testing::AddGlobalTestEnvironment(new PlanCheck);

TEST(QueryPlans, AFullScanOfAGrowingTableIsFoundAndAnIndexedReadIsNot) {
  auto found = test::unexpected_scans({
      "SELECT id FROM submissions WHERE actor = ?",    // no index: every reading
      "SELECT id FROM submissions WHERE receipt = ?",  // its unique index
      "SELECT period FROM periods WHERE status = ?",   // small by nature: allowed
      "SELECT id FROM outbox WHERE status = 'pending' ORDER BY bulk, id",  // the partial index
      "SELECT id FROM outbox WHERE channel = ? ORDER BY id",  // every message ever sent
  });
  ASSERT_EQ(found.size(), 2U) << ::testing::PrintToString(found);
  EXPECT_TRUE(found[0].starts_with("outbox: SELECT id FROM outbox WHERE channel")) << found[0];
  EXPECT_TRUE(found[1].starts_with("submissions: SELECT id FROM submissions WHERE actor"))
      << found[1];
}

TEST(QueryPlans, OnPostgreSQLASequentialScanOrAWholeIndexIsFound) {
  if (!test::on_postgres()) GTEST_SKIP() << "the PostgreSQL suites run it";
  auto found = test::unexpected_pg_scans({
      "SELECT id FROM submissions WHERE actor = $1",    // no index: every reading
      "SELECT id FROM submissions WHERE receipt = $1",  // its unique index
      "SELECT period FROM periods WHERE status = $1",   // small by nature: allowed
      "SELECT id FROM outbox WHERE status = 'pending' ORDER BY bulk, id",  // the partial index
      "SELECT id FROM outbox WHERE channel = $1 ORDER BY id",              // the primary key, whole
  });
  ASSERT_EQ(found.size(), 2U) << ::testing::PrintToString(found);
  EXPECT_TRUE(found[0].starts_with("outbox: SELECT id FROM outbox WHERE channel")) << found[0];
  EXPECT_TRUE(found[1].starts_with("submissions: SELECT id FROM submissions WHERE actor"))
      << found[1];
}

// Reads only the web pages and the command line make (the suites above do not): the
// environment checks their plans at the end.
TEST(QueryPlans, TheReadsOfThePagesAndTheCommandLine) {
  test::TempDir dir;
  auto store = store::open_store(test::test_db(dir, "t.db"));
  store->migrate();
  const auto month = *domain::YearMonth::parse("2025-11");
  const domain::Instant now{std::chrono::seconds{1'764'000'000}};
  EXPECT_TRUE(store->staff_users().empty());
  EXPECT_TRUE(store->outbox_due(now, 200).empty());
  EXPECT_EQ(store->outbox_pending(), 0);
  EXPECT_FALSE(store->account_by_id(1));
  EXPECT_TRUE(store->account_volumes(1).empty());
  EXPECT_TRUE(store->search_accounts("Fontanska", 20).empty());
  EXPECT_TRUE(store->channel_hours(now - std::chrono::hours{120}, now).empty());
  EXPECT_TRUE(store->inspection_order_list(month, 50).empty());
  EXPECT_EQ(store->inspection_orders(month), 0);
  EXPECT_FALSE(store->photo(1));
  EXPECT_FALSE(store->receipt_json("R-0000"));
  EXPECT_FALSE(store->latest_accepted(1));
  EXPECT_TRUE(store->review_queue(50).empty());
  EXPECT_TRUE(store->tokens().empty());
  auto tx = store->begin_write();
  EXPECT_EQ(tx->prune_updates(now), 0);
  tx->commit();
}

}  // namespace
