// Backups under load and restores to an identical database (issue: operations, item 3).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "support/support.hpp"

using namespace md::test;

namespace {

std::string scalar(const std::string& db, const std::string& sql) {
  sqlite3* raw = nullptr;
  sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* q = nullptr;
  std::string out = "?";
  if (sqlite3_prepare_v2(raw, sql.c_str(), -1, &q, nullptr) == SQLITE_OK &&
      sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
    out = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
  sqlite3_finalize(q);
  sqlite3_close(raw);
  return out;
}

// Every row of every table, in a fixed order: equal strings mean equal databases.
std::string contents(const std::string& db) {
  sqlite3* raw = nullptr;
  sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  std::vector<std::string> tables;
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(raw,
                     "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                     "'sqlite_%' ORDER BY name",
                     -1, &q, nullptr);
  while (sqlite3_step(q) == SQLITE_ROW)
    tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)));
  sqlite3_finalize(q);
  std::string out;
  for (const auto& t : tables) {
    sqlite3_prepare_v2(raw, ("SELECT * FROM " + t).c_str(), -1, &q, nullptr);
    int n = sqlite3_column_count(q);
    sqlite3_finalize(q);
    std::string order;
    for (int i = 1; i <= n; ++i) order += (i > 1 ? "," : "") + std::to_string(i);
    sqlite3_prepare_v2(raw, ("SELECT * FROM " + t + " ORDER BY " + order).c_str(), -1, &q, nullptr);
    out += "[" + t + "]\n";
    while (sqlite3_step(q) == SQLITE_ROW) {
      for (int i = 0; i < n; ++i) {
        auto text = sqlite3_column_text(q, i);
        out += text ? reinterpret_cast<const char*>(text) : "NULL";
        out += '|';
      }
      out += '\n';
    }
    sqlite3_finalize(q);
  }
  sqlite3_close(raw);
  return out;
}

}  // namespace

TEST(Backup, ConsistentUnderLoadAndRestoresIdentically) {
  TempDir dir;
  auto live = dir.file("live.db");
  write_file(dir.file("a.csv"), accounts_csv(4));
  ASSERT_EQ(
      run_meterdesk({"import-accounts", dir.file("a.csv"), "--db", live, "--now", "2025-11-30"})
          .exit_code,
      0);
  {
    ServerProcess server(live, {"--now", "2025-11-12T10:00:00"},
                         {{"METERDESK_CLOSE_AUTOMATIC", "false"}});
    EXPECT_EQ(http(server.port(), "GET", "/readyz").status, 200);
    std::atomic<bool> stop{false};
    std::atomic<int> accepted{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&, c] {
        HttpClient conn(server.port());
        char body[160];
        for (int i = 0; !stop; ++i) {
          std::snprintf(body, sizeof body,
                        R"({"account":"%010d","meter_serial":"S%07d","readings":{"total":%d}})",
                        c + 1, c + 1, 2000 + i);
          auto r = conn.request("POST", "/api/v1/readings", body);
          if (r && r->status == 201) ++accepted;
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    auto backup = run_meterdesk({"backup", "--db", live, "--output", dir.file("b.db")});
    EXPECT_EQ(backup.exit_code, 0) << backup.err;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
    for (auto& t : clients) t.join();
    EXPECT_GT(accepted.load(), 100);
  }
  const std::string b = dir.file("b.db");
  EXPECT_EQ(scalar(b, "PRAGMA integrity_check"), "ok");
  // Taken mid-load, the copy is still one consistent moment: every submission has its audit
  // record and every accepted audit record its submission (they commit together).
  EXPECT_EQ(scalar(b,
                   "SELECT count(*) FROM submissions s WHERE NOT EXISTS (SELECT 1 FROM audit a"
                   " WHERE a.submission_id = s.id AND a.result = 'accepted')"),
            "0");
  EXPECT_EQ(
      scalar(b,
             "SELECT count(*) FROM audit a WHERE a.result = 'accepted' AND a.action = 'submit'"
             " AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.id = a.submission_id)"),
      "0");
  auto in_backup = std::stoll(scalar(b, "SELECT count(*) FROM submissions"));
  auto in_live = std::stoll(scalar(live, "SELECT count(*) FROM submissions"));
  EXPECT_GT(in_backup, 5);  // more than the installation readings: it was taken under load
  EXPECT_LT(in_backup, in_live);

  // Restoring gives back exactly what was backed up.
  auto restored = dir.file("restored.db");
  auto r = run_meterdesk({"restore", b, "--db", restored});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(contents(restored), contents(b));
  // And a backup of the quiet database restores to the same contents as the original.
  ASSERT_EQ(run_meterdesk({"backup", "--db", live, "--output", dir.file("final.db")}).exit_code, 0);
  ASSERT_EQ(
      run_meterdesk({"restore", dir.file("final.db"), "--db", dir.file("again.db")}).exit_code, 0);
  EXPECT_EQ(contents(dir.file("again.db")), contents(live));
}

TEST(Backup, RefusesToOverwriteOrRestoreGarbage) {
  TempDir dir;
  auto db = dir.file("x.db");
  ASSERT_EQ(run_meterdesk({"migrate", "--db", db}).exit_code, 0);
  write_file(dir.file("taken"), "x");
  EXPECT_EQ(run_meterdesk({"backup", "--db", db, "--output", dir.file("taken")}).exit_code, 1);
  EXPECT_EQ(read_file(dir.file("taken")), "x");
  ASSERT_EQ(run_meterdesk({"backup", "--db", db, "--output", dir.file("b.db")}).exit_code, 0);
  auto over = run_meterdesk({"restore", dir.file("b.db"), "--db", db});
  EXPECT_EQ(over.exit_code, 1);
  EXPECT_NE(over.err.find("exists"), std::string::npos);
  write_file(dir.file("junk.db"), std::string(4096, 'j'));
  auto junk = run_meterdesk({"restore", dir.file("junk.db"), "--db", dir.file("new.db")});
  EXPECT_EQ(junk.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir.file("new.db")));
}
