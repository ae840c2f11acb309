// Crash consistency: SIGKILL at random moments while the server takes readings, while a month is
// being closed and while accounts are imported. After each kill: every acknowledged receipt is in
// the store exactly once, nothing is duplicated, the close and the import happened entirely or
// not at all, and SQLite's integrity check passes.
// Rounds: METERDESK_CRASH_ROUNDS (default 30; the long mode in docs/reliability.md uses 100).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <mutex>
#include <random>
#include <thread>

#include "support/support.hpp"

using namespace md::test;

namespace {

int rounds() {
  const char* env = std::getenv("METERDESK_CRASH_ROUNDS");
  return env ? std::max(1, std::atoi(env)) : 30;
}

class Db {
 public:
  explicit Db(const std::string& path) {
    sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr);
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  std::string text(const std::string& sql, const std::string& arg = {}) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
    if (!arg.empty()) sqlite3_bind_text(stmt, 1, arg.c_str(), -1, SQLITE_TRANSIENT);
    std::string out;
    if (stmt && sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return out;
  }
  std::int64_t number(const std::string& sql, const std::string& arg = {}) {
    auto t = text(sql, arg);
    return t.empty() ? -1 : std::stoll(t);
  }

 private:
  sqlite3* db_ = nullptr;
};

int kill_or_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

}  // namespace

TEST(Crash, SigkillAtRandomMomentsLosesAndDuplicatesNothing) {
  constexpr int kClients = 8;
  TempDir dir;
  auto db = dir.file("crash.db");
  write_file(dir.file("a.csv"), accounts_csv(kClients));
  ASSERT_EQ(run_meterdesk({"import-accounts", dir.file("a.csv"), "--db", db, "--now", "2025-11-30"})
                .exit_code,
            0);
  std::mt19937 random(20261130);
  std::vector<int> next_value(kClients, 2000);
  std::size_t total_acknowledged = 0, total_in_flight = 0;
  const int n = rounds();
  for (int round = 0; round < n; ++round) {
    std::mutex mutex;
    std::vector<std::string> acknowledged;
    std::atomic<bool> stop{false};
    std::atomic<int> in_flight{0};
    {
      ServerProcess server(db, {"--now", "2025-11-12T10:00:00"});
      std::vector<std::thread> clients;
      for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&, c] {
          char account[16], serial[16];
          std::snprintf(account, sizeof account, "%010d", c + 1);
          std::snprintf(serial, sizeof serial, "S%07d", c + 1);
          HttpClient conn(server.port());
          while (!stop) {
            std::string body;
            body.append(R"({"account":")").append(account).append(R"(","meter_serial":")");
            body.append(serial).append(R"(","readings":{"total":)");
            body.append(std::to_string(next_value[c]++)).append("}}");
            auto r = conn.request("POST", "/api/v1/readings", body);
            if (!r) {
              ++in_flight;
              return;
            }
            if (r->status != 201) {
              ADD_FAILURE() << r->status << " " << r->body;
              return;
            }
            std::lock_guard lock(mutex);
            acknowledged.push_back(nlohmann::json::parse(r->body)["receipt"]);
          }
        });
      }
      std::this_thread::sleep_for(
          std::chrono::milliseconds(std::uniform_int_distribution<int>(30, 600)(random)));
      // A round proves something only if readings were acknowledged before the kill: at least
      // one a client (waited for, up to 5 s, when the random moment came too early).
      for (int i = 0; i < 500; ++i) {
        {
          std::lock_guard lock(mutex);
          if (acknowledged.size() >= kClients) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      server.kill(SIGKILL);
      EXPECT_EQ(server.wait(), 128 + SIGKILL);
      stop = true;
      for (auto& t : clients) t.join();
    }
    ASSERT_GE(acknowledged.size(), std::size_t{kClients})
        << "round " << round << ": too few readings acknowledged before the kill to prove anything";
    total_acknowledged += acknowledged.size();
    total_in_flight += static_cast<std::size_t>(in_flight.load());
    Db check(db);
    for (const auto& receipt : acknowledged)
      ASSERT_EQ(check.number("SELECT count(*) FROM submissions WHERE receipt = ?", receipt), 1)
          << "round " << round << ": " << receipt;
    // Every attempt carried a new value: the same value twice would be a duplicate.
    ASSERT_EQ(check.number("SELECT count(*) FROM (SELECT meter_id, v1 FROM submissions"
                           " WHERE type = 'customer' GROUP BY 1, 2 HAVING count(*) > 1)"),
              0)
        << "round " << round;
    ASSERT_EQ(check.text("PRAGMA integrity_check"), "ok") << "round " << round;
  }
  std::printf("%d rounds: %zu acknowledged, all found once; %zu requests in flight at the kills\n",
              n, total_acknowledged, total_in_flight);
}

TEST(Crash, SigkillDuringAPeriodCloseLeavesItWholeOrNotAtAll) {
  TempDir dir;
  auto db = dir.file("close.db");
  ASSERT_EQ(run_meterdesk({"demo-data", "--db", db, "--accounts", "3000", "--now",
                           "2026-11-25T10:00:00+02:00", "--examples", "0"})
                .exit_code,
            0);
  std::mt19937 random(7);
  int whole = 0, none = 0;
  const int n = std::max(5, rounds() / 3);
  for (int round = 0; round < n; ++round) {
    {
      Db check(db);
      if (check.number("SELECT count(*) FROM periods WHERE period = '2026-10'") == 1) break;
    }
    pid_t pid = start_meterdesk(
        {"close-period", "2026-10", "--db", db, "--now", "2026-11-25T10:00:00+02:00"});
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 400)(random)));
    kill_or_reap(pid);
    Db check(db);
    const auto closed = check.number("SELECT count(*) FROM periods WHERE period = '2026-10'");
    const auto rows = check.number("SELECT count(*) FROM period_volumes WHERE period = '2026-10'");
    const auto audited = check.number("SELECT count(*) FROM audit WHERE action = 'close_period'");
    ASSERT_EQ(check.text("PRAGMA integrity_check"), "ok");
    if (closed == 1) {
      ++whole;
      EXPECT_GT(rows, 3000);
      EXPECT_EQ(audited, 1);
    } else {
      ++none;
      EXPECT_EQ(rows, 0) << "a close cut short leaves no volumes";
      EXPECT_EQ(audited, 0);
    }
  }
  // Then it completes, once.
  ASSERT_EQ(
      run_meterdesk({"close-period", "2026-10", "--db", db, "--now", "2026-11-25T10:00:00+02:00"})
          .exit_code,
      0);
  Db check(db);
  EXPECT_EQ(check.number("SELECT count(*) FROM audit WHERE action = 'close_period'"), 1);
  std::printf("close killed %d times cut short, %d times after it committed\n", none, whole);
  EXPECT_GT(none, 0) << "some kills landed inside the close";
}

TEST(Crash, SigkillDuringAnImportImportsAllOrNothing) {
  TempDir dir;
  auto db = dir.file("import.db");
  ASSERT_EQ(run_meterdesk({"migrate", "--db", db}).exit_code, 0);
  constexpr int kRows = 20000;
  write_file(dir.file("big.csv"), accounts_csv(kRows));
  std::mt19937 random(11);
  int cut = 0;
  for (int round = 0; round < std::max(5, rounds() / 3); ++round) {
    pid_t pid = start_meterdesk(
        {"import-accounts", dir.file("big.csv"), "--db", db, "--now", "2026-01-10T12:00:00"});
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 300)(random)));
    int status = kill_or_reap(pid);
    Db check(db);
    const auto accounts = check.number("SELECT count(*) FROM accounts");
    ASSERT_TRUE(accounts == 0 || accounts == kRows + 1) << accounts << " accounts after a kill";
    ASSERT_EQ(check.text("PRAGMA integrity_check"), "ok");
    if (accounts == 0) ++cut;
    if (accounts == kRows + 1 || status != 128 + SIGKILL) break;
  }
  std::printf("import killed %d times before it committed\n", cut);
  EXPECT_GT(cut, 0);
}
