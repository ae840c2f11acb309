// How SQLite finds the rows of every statement the store and service suites run. A table that
// grows with the region (readings, accounts, chats, the audit, the outbox…) read from end to end
// is a window that slows down with every month of data: each such scan must be on the list below
// with its reason. A dropped index, or a query rewritten past its index, fails the test that ran
// the query, with the statement and its plan, long before a region's window finds it.
#include <sqlite3.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

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
constexpr AllowedScan kAllowed[] = {
    {"periods", "", "a row per month"},
    {"accounts", "SELECT (SELECT count(*) FROM accounts)", "the command line's totals: every row"},
    {"meters", "SELECT (SELECT count(*) FROM accounts)", "the command line's totals: every row"},
    {"submissions", "SELECT (SELECT count(*) FROM accounts)",
     "the command line's totals: every row"},
    {"audit", "SELECT (SELECT count(*) FROM accounts)", "the command line's totals: every row"},
    {"audit", "FROM audit ORDER BY id DESC LIMIT ?", "the newest rows by id: stops at the limit"},
    {"attempt_counts", "DELETE FROM attempt_counts WHERE window_start < ?",
     "written on PostgreSQL only; two windows' keys, pruned by this statement"},
};

bool allowed(std::string_view table, std::string_view sql) {
  return std::any_of(std::begin(kAllowed), std::end(kAllowed), [&](const AllowedScan& a) {
    return a.table == table && sql.find(a.sql_contains) != std::string_view::npos;
  });
}

bool reads_rows(std::string_view sql) {
  auto start = sql.find_first_not_of(" \t\r\n(");
  if (start == std::string_view::npos) return false;
  std::string word;
  for (char c : sql.substr(start, 6)) word += static_cast<char>(std::toupper(c));
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
    while (sqlite3_step(q) == SQLITE_ROW) {
      std::string detail = reinterpret_cast<const char*>(sqlite3_column_text(q, 3));
      plan += "\n    " + detail;
      if (!detail.starts_with("SCAN ")) continue;
      std::string table = detail.substr(5, detail.find(' ', 5) - 5);
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

int trace_connection(sqlite3* db, const char** /*error*/, const sqlite3_api_routines* /*api*/) {
  sqlite3_trace_v2(db, SQLITE_TRACE_STMT, on_statement, nullptr);
  return SQLITE_OK;
}

// Every SQLite connection the process opens while the tests run (the store's, the tests' own)
// reports each statement it runs; at the end their plans are checked.
class PlanCheck : public ::testing::Environment {
 public:
  void SetUp() override {
    if (test::on_postgres()) return;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): SQLite's entry-point type.
    sqlite3_auto_extension(reinterpret_cast<void (*)()>(trace_connection));
    on_ = true;
  }
  void TearDown() override {
    if (!on_) return;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): SQLite's entry-point type.
    sqlite3_cancel_auto_extension(reinterpret_cast<void (*)()>(trace_connection));
    std::set<std::string> texts;
    {
      std::lock_guard lock(seen_mutex);
      texts.swap(seen());
    }
    for (const auto& scan : test::unexpected_scans(texts))
      ADD_FAILURE() << "a full scan of a growing table (tests/store/plans_test.cpp lists the "
                       "allowed ones):\n  "
                    << scan;
  }

 private:
  bool on_ = false;
};

[[maybe_unused]] auto* const plan_check = ::testing::AddGlobalTestEnvironment(new PlanCheck);

TEST(QueryPlans, AFullScanOfAGrowingTableIsFoundAndAnIndexedReadIsNot) {
  auto found = test::unexpected_scans({
      "SELECT id FROM submissions WHERE actor = ?",                  // no index: every reading
      "SELECT id FROM submissions WHERE receipt = ?",                // its unique index
      "SELECT period FROM periods WHERE status = ?",                 // small by nature: allowed
      "SELECT id FROM outbox WHERE status = 'pending' ORDER BY id",  // the partial index
      "SELECT id FROM outbox WHERE channel = ? ORDER BY id",         // every message ever sent
  });
  ASSERT_EQ(found.size(), 2U) << ::testing::PrintToString(found);
  EXPECT_TRUE(found[0].starts_with("outbox: SELECT id FROM outbox WHERE channel")) << found[0];
  EXPECT_TRUE(found[1].starts_with("submissions: SELECT id FROM submissions WHERE actor"))
      << found[1];
}

// Reads the suites above do not make; the environment checks their plans at the end.
TEST(QueryPlans, TheStaffListAndTheOutboxQueueReadByIndex) {
  test::TempDir dir;
  auto store = store::open_store(test::test_db(dir, "t.db"));
  store->migrate();
  EXPECT_TRUE(store->staff_users().empty());
  EXPECT_TRUE(store->outbox_due(domain::Instant{}, 200).empty());
  EXPECT_EQ(store->outbox_pending(), 0);
}

}  // namespace
