// Kill the server with SIGKILL while it accepts submissions: every acknowledged receipt must be in
// the store after a restart, exactly once, and the store must be intact.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "support/support.hpp"

using namespace md::test;

namespace {

struct Sent {
  std::string key, body;
};

std::int64_t count(sqlite3* db, const std::string& sql, const std::string& arg) {
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  sqlite3_bind_text(stmt, 1, arg.c_str(), -1, SQLITE_TRANSIENT);
  std::int64_t n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
  sqlite3_finalize(stmt);
  return n;
}

}  // namespace

TEST(Durability, SigkillLosesNoAcknowledgedReceipt) {
  constexpr int kClients = 6;
  TempDir dir;
  auto db = dir.file("dur.db");
  write_file(dir.file("a.csv"), accounts_csv(kClients));
  ASSERT_EQ(run_meterdesk({"import-accounts", dir.file("a.csv"), "--db", db, "--now", "2025-11-30"})
                .exit_code,
            0);

  // Each client's meter advances by one kWh per attempt, across rounds: always valid, in order.
  std::vector<int> next_value(kClients, 2000);
  for (int round = 0; round < 3; ++round) {
    std::mutex mutex;
    std::vector<std::string> acknowledged;
    std::vector<Sent> unanswered;  // in flight when the server died
    std::atomic<bool> stop{false};
    {
      ServerProcess server(db, {"--now", "2025-11-12T10:00:00"});
      std::vector<std::thread> clients;
      for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&, c] {
          char account[16], serial[16];
          std::snprintf(account, sizeof account, "%010d", c + 1);
          std::snprintf(serial, sizeof serial, "S%07d", c + 1);
          HttpClient conn(server.port());
          for (int i = 0; !stop; ++i) {
            // Built with append: g++ 12 gives a false -Wrestrict on chained operator+ here.
            Sent s;
            s.key.append("r").append(std::to_string(round)).append("-c");
            s.key.append(std::to_string(c)).append("-").append(std::to_string(i));
            s.body.append(R"({"account":")").append(account).append(R"(","meter_serial":")");
            s.body.append(serial).append(R"(","readings":{"total":)");
            s.body.append(std::to_string(next_value[c]++)).append("}}");
            auto r = conn.request("POST", "/api/v1/readings", s.body, {{"Idempotency-Key", s.key}});
            if (!r) {
              std::lock_guard lock(mutex);
              unanswered.push_back(s);
              return;
            }
            if (r->status == 201) {
              std::lock_guard lock(mutex);
              acknowledged.push_back(nlohmann::json::parse(r->body)["receipt"]);
            } else {
              ADD_FAILURE() << r->status << " " << r->body;
              return;
            }
          }
        });
      }
      // Killed once enough is acknowledged (a number, not a time: a slow machine, or a sanitizer
      // build, gets there later), and each round at a different count.
      const std::size_t enough = 60 + static_cast<std::size_t>(round) * 40;
      for (int waited = 0; waited < 60000; waited += 5) {
        {
          std::lock_guard lock(mutex);
          if (acknowledged.size() >= enough) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      server.kill(SIGKILL);
      EXPECT_EQ(server.wait(), 128 + SIGKILL);
      stop = true;
      for (auto& t : clients) t.join();
    }
    ASSERT_GT(acknowledged.size(), 50u) << "round " << round;
    std::printf("round %d: %zu acknowledged, %zu in flight at SIGKILL\n", round,
                acknowledged.size(), unanswered.size());

    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    for (const auto& receipt : acknowledged)
      EXPECT_EQ(count(raw, "SELECT count(*) FROM submissions WHERE receipt = ?", receipt), 1)
          << receipt;
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &stmt, nullptr);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "ok");
    sqlite3_finalize(stmt);

    // A client that never heard back retries with the same key after the restart: the reading is
    // then stored exactly once, whether or not the first attempt had been committed.
    ServerProcess again(db, {"--now", "2025-11-12T10:00:00"});
    for (const auto& s : unanswered) {
      auto r = http(again.port(), "POST", "/api/v1/readings", s.body, {{"Idempotency-Key", s.key}});
      EXPECT_EQ(r.status, 201) << r.body;
      EXPECT_EQ(count(raw, "SELECT count(*) FROM submissions WHERE idempotency_key = ?", s.key), 1);
    }
    sqlite3_close(raw);
  }
}

TEST(Lifecycle, SigtermFinishesCleanly) {
  TempDir dir;
  auto db = dir.file("term.db");
  write_file(dir.file("a.csv"), accounts_csv(1));
  ASSERT_EQ(run_meterdesk({"import-accounts", dir.file("a.csv"), "--db", db, "--now", "2025-11-30"})
                .exit_code,
            0);
  ServerProcess server(db, {"--now", "2025-11-12T10:00:00"});
  auto r = http(server.port(), "POST", "/api/v1/readings",
                R"({"account":"0000000001","meter_serial":"S0000001","readings":{"total":1100}})");
  ASSERT_EQ(r.status, 201);
  HttpClient idle(server.port());  // an idle keep-alive connection must not hold up the exit
  server.kill(SIGTERM);
  EXPECT_EQ(server.wait(), 0);
  EXPECT_NE(server.log().find("stopped"), std::string::npos) << server.log();
}

namespace {

// A 4 MiB tmpfs (mounting needs root: CI runs as root, elsewhere these tests are skipped),
// unmounted at the end. `options` are added to the size.
struct SmallDisk {
  std::string path;
  bool mounted = false;
  SmallDisk(std::string p, const std::string& options) : path(std::move(p)) {
    std::filesystem::create_directory(path);
    mounted = std::system(("mount -t tmpfs -o size=4m" + options + " tmpfs " + path).c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted) [[maybe_unused]]
      int rc = std::system(("umount -l " + path).c_str());
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
  void fill() const {
    [[maybe_unused]] int rc =
        std::system(("dd if=/dev/zero of=" + path + "/filler bs=64k 2>/dev/null; sync").c_str());
  }
  void free() const { std::filesystem::remove(path + "/filler"); }
};

HttpResponse submit_reading(std::uint16_t port, int account, int value) {
  char number[16], serial[16];
  std::snprintf(number, sizeof number, "%010d", account);
  std::snprintf(serial, sizeof serial, "S%07d", account);
  return http(port, "POST", "/api/v1/readings",
              std::string(R"({"account":")") + number + R"(","meter_serial":")" + serial +
                  R"(","readings":{"total":)" + std::to_string(value) + "}}",
              {{"Content-Type", "application/json"}});
}

// Readings of accounts first..last on a full disk: each is stored (its receipt kept) or refused
// with 503 and Retry-After, nothing else. Returns how many were refused.
int submit_while_full(std::uint16_t port, int first, int last, std::vector<std::string>& receipts) {
  int refused = 0;
  for (int i = first; i <= last; ++i) {
    auto r = submit_reading(port, i, 1100 + i);
    if (r.status == 503) {
      ++refused;
      EXPECT_FALSE(r.headers["retry-after"].empty());
    } else if (r.status == 201) {
      receipts.push_back(nlohmann::json::parse(r.body)["receipt"]);
    } else {
      ADD_FAILURE() << r.status << " " << r.body;
    }
  }
  return refused;
}

// While the store refuses writes the node says so: /readyz is 503 and names the reason (a load
// balancer sends traffic elsewhere), the failures are counted, and the log has a line about them
// now and then, not one per refused reading.
void expect_failing_writes_reported(const ServerProcess& server, int refused) {
  auto ready = http(server.port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_NE(ready.body.find("\"store_writes\":\"failing: "), std::string::npos) << ready.body;
  auto metrics = http(server.port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("meterdesk_store_write_failures_total "), std::string::npos);
  EXPECT_EQ(metrics.find("meterdesk_store_write_failures_total 0"), std::string::npos);
  const std::string log = server.log();
  int errors = 0;
  for (auto at = log.find("[error]"); at != std::string::npos; at = log.find("[error]", at + 1))
    ++errors;
  EXPECT_GE(errors, 1);
  EXPECT_LE(errors, 3) << refused << " refused\n" << log;
}

// Room again: the next reading went through, so the node is ready at once and the log says so.
void expect_writes_recovered(const ServerProcess& server) {
  EXPECT_EQ(http(server.port(), "GET", "/readyz").status, 200);
  EXPECT_NE(server.log().find("store writes go through again"), std::string::npos);
}

}  // namespace

// A full disk: readings are refused with 503 and retry advice, nothing is acknowledged that is not
// stored, the server stays up, and it takes readings again by itself once there is room. The disk
// fills at a chosen byte without root (tests/support/disk_full.cpp): the first write that crosses
// it is cut short there and every later one gets ENOSPC, as on a real full file system.
TEST(Durability, AFullDiskRefusesReadingsThenRecoversWithoutHelp) {
  TempDir dir;
  const std::string marker = dir.file("disk/FULL");
  std::filesystem::create_directory(dir.file("disk"));
  const std::string db = db_with_accounts(dir, "disk/full.db", 50);
  auto env = full_disk_env(marker);
  env["METERDESK_CLOSE_AUTOMATIC"] = "false";
  ServerProcess server(db, {"--now", "2026-11-30T10:00:00+02:00"}, env);
  auto first = submit_reading(server.port(), 1, 1100);
  ASSERT_EQ(first.status, 201) << first.body;
  std::vector<std::string> receipts{nlohmann::json::parse(first.body)["receipt"]};
  write_file(marker, "20000");  // a few readings' worth of room left, then none
  const int refused = submit_while_full(server.port(), 2, 40, receipts);
  EXPECT_GT(refused, 20) << "the disk was full";
  EXPECT_EQ(http(server.port(), "GET", "/healthz").status, 200) << "the server stays up";
  expect_failing_writes_reported(server, refused);
  std::filesystem::remove(marker);
  auto after = submit_reading(server.port(), 45, 1200);
  EXPECT_EQ(after.status, 201) << after.body;
  if (after.status == 201) receipts.push_back(nlohmann::json::parse(after.body)["receipt"]);
  expect_writes_recovered(server);
  server.kill(SIGTERM);
  server.wait();
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  for (const auto& receipt : receipts)
    EXPECT_EQ(count(raw, "SELECT count(*) FROM submissions WHERE receipt = ?", receipt), 1)
        << "acknowledged, so stored: " << receipt;
  EXPECT_EQ(count(raw, "SELECT count(*) FROM submissions WHERE channel = ?", "api"),
            static_cast<std::int64_t>(receipts.size()))
      << "and nothing stored that was refused";
  EXPECT_EQ(
      count(raw, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = ?", "ok"), 1);
  sqlite3_close(raw);
}

// "Stored" means on the platter, not in the page cache: before each 201 the WAL was synced
// (fdatasync, seen by tests/support/disk_full.cpp), so a power cut right after the answer loses
// nothing that was acknowledged. A kill -9 cannot show this: the kernel keeps unsynced writes.
TEST(Durability, EachAcknowledgedReadingWasSyncedToDiskBeforeTheAnswer) {
  TempDir dir;
  const std::string syncs = dir.file("syncs.txt");
  std::filesystem::create_directory(dir.file("disk"));
  const std::string db = db_with_accounts(dir, "disk/synced.db", 10);
  auto env = full_disk_env(dir.file("disk/FULL"));  // never created: the disk has room
  env["METERDESK_TEST_DISK_SYNCS"] = syncs;
  env["METERDESK_CLOSE_AUTOMATIC"] = "false";
  ServerProcess server(db, {"--now", "2026-11-30T10:00:00+02:00"}, env);
  auto wal_syncs = [&] {
    std::string text = std::filesystem::exists(syncs) ? read_file(syncs) : "";
    int n = 0;
    for (auto at = text.find("-wal\n"); at != std::string::npos; at = text.find("-wal\n", at + 1))
      ++n;
    return n;
  };
  for (int account = 1; account <= 5; ++account) {
    const int before = wal_syncs();
    auto r = submit_reading(server.port(), account, 1100 + account);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_GT(wal_syncs(), before) << "reading " << account << " was acknowledged unsynced";
  }
}

// The same on PostgreSQL: the submissions' tablespace on a small tmpfs that fills up. The server
// answers 503 with Retry-After (SQLSTATE 53100), acknowledges nothing it did not store, and
// takes readings again as soon as there is room, without a restart.
TEST(Durability, AFullDatabaseDiskOnPostgreSQLRefusesThenRecoversWithoutHelp) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  TempDir dir;
  std::filesystem::permissions(dir.file(""), std::filesystem::perms::owner_all |
                                                 std::filesystem::perms::group_exec |
                                                 std::filesystem::perms::others_exec);
  // The cluster runs as `postgres` (scripts/pg-test.sh): the tablespace directory is its.
  SmallDisk disk(dir.file("small"), ",mode=0700,uid=$(id -u postgres),gid=$(id -g postgres)");
  ASSERT_TRUE(disk.mounted);
  const std::string db = postgres_db();
  const std::string space = "md_small_" + std::to_string(::getpid());
  ASSERT_EQ(sql_exec(db, "CREATE TABLESPACE " + space + " LOCATION '" + disk.path + "'"), "");
  write_file(dir.file("accounts.csv"), accounts_csv(50));
  ASSERT_EQ(run_meterdesk({"import-accounts", dir.file("accounts.csv"), "--db", db, "--now",
                           "2026-01-10T12:00:00"})
                .exit_code,
            0);
  ASSERT_EQ(sql_exec(db, "ALTER TABLE submissions SET TABLESPACE " + space), "");
  std::vector<std::string> receipts;
  {
    ServerProcess server(db, {"--now", "2026-11-30T10:00:00+02:00"},
                         {{"METERDESK_CLOSE_AUTOMATIC", "false"}});
    auto first = submit_reading(server.port(), 1, 1100);
    ASSERT_EQ(first.status, 201) << first.body;
    receipts.push_back(nlohmann::json::parse(first.body)["receipt"]);
    disk.fill();
    const int refused = submit_while_full(server.port(), 2, 50, receipts);
    EXPECT_GT(refused, 20) << "the tablespace was full";
    EXPECT_EQ(http(server.port(), "GET", "/healthz").status, 200) << "the server stays up";
    expect_failing_writes_reported(server, refused);
    disk.free();
    auto after = submit_reading(server.port(), 45, 1200);
    EXPECT_EQ(after.status, 201) << after.body;
    if (after.status == 201) receipts.push_back(nlohmann::json::parse(after.body)["receipt"]);
    expect_writes_recovered(server);
    server.kill(SIGTERM);
    server.wait();
  }
  std::string list;
  for (const auto& r : receipts) list += (list.empty() ? "'" : ", '") + r + "'";
  EXPECT_EQ(sql_value(db, "SELECT count(*) FROM submissions WHERE receipt IN (" + list + ")"),
            std::to_string(receipts.size()))
      << "acknowledged, so stored";
  EXPECT_EQ(sql_value(db, "SELECT count(*) FROM submissions WHERE channel = 'api'"),
            std::to_string(receipts.size()))
      << "and nothing stored that was refused";
  // The tablespace goes with the table. Dropping it waits for a checkpoint, which on a busy
  // cluster can take minutes (it syncs the files of every test database made since the last):
  // it gets 30 s, and a tablespace left behind in the throw-away cluster is harmless.
  EXPECT_EQ(sql_exec(db, "ALTER TABLE submissions SET TABLESPACE pg_default"), "");
  const auto dropped = sql_exec(
      db + (db.find('?') == std::string::npos ? "?" : "&") + "options=-c%20statement_timeout%3D30s",
      "DROP TABLESPACE " + space);
  if (!dropped.empty())
    std::printf("tablespace %s left behind: %s\n", space.c_str(), dropped.c_str());
}
