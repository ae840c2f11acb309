// Failover: a PostgreSQL primary with a synchronous streaming standby, both on loopback, and a
// meterdesk node whose connection string lists both (target_session_attrs=read-write). Clients
// submit without pause, retrying each request with its Idempotency-Key until it is acknowledged;
// the primary dies at once (pg_ctl -m immediate, as at a power cut), the standby is promoted, the
// node finds it by itself. Every acknowledged receipt must be on the new primary, and no request
// stored twice.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "support/browser.hpp"
#include "support/support.hpp"

using namespace md::test;

namespace {

int cluster(const std::string& args) {
  return std::system((source_dir() + "/scripts/pg-test.sh " + args).c_str());
}

struct Cluster {
  std::string dir;
  ~Cluster() { cluster("stop " + dir); }
};

}  // namespace

TEST(Failover, EveryAcknowledgedReceiptIsOnThePromotedStandbyOnce) {
  const std::string base = "/tmp/meterdesk-failover-" + std::to_string(getpid());
  Cluster primary{base + "-primary"}, standby{base + "-standby"};
  const auto p1 = free_port(SOCK_STREAM), p2 = free_port(SOCK_STREAM);
  ASSERT_EQ(cluster("start " + primary.dir + " " + std::to_string(p1) + " sync >/dev/null"), 0);
  ASSERT_EQ(cluster("standby " + standby.dir + " " + std::to_string(p2) + " " + std::to_string(p1)),
            0);
  const std::string admin = "postgresql://postgres@127.0.0.1:" + std::to_string(p1) + "/postgres";
  std::string state;
  for (int i = 0; i < 100 && state != "sync"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    state = sql_value(admin, "SELECT sync_state FROM pg_stat_replication");
  }
  ASSERT_EQ(state, "sync") << "the standby confirms every commit";
  ASSERT_EQ(sql_exec(admin, "CREATE DATABASE md"), "");

  const std::string url = "postgresql://postgres@127.0.0.1:" + std::to_string(p1) +
                          ",127.0.0.1:" + std::to_string(p2) +
                          "/md?target_session_attrs=read-write";
  TempDir dir;
  write_file(dir.file("accounts.csv"), accounts_csv(200));
  auto r = run_meterdesk(
      {"import-accounts", dir.file("accounts.csv"), "--db", url, "--now", "2026-01-10T12:00:00"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  {
    // A node given only the read-only standby: readings get 503 with Retry-After (SQLSTATE
    // 25006), and nothing is stored.
    ServerProcess on_standby("postgresql://postgres@127.0.0.1:" + std::to_string(p2) + "/md",
                             {"--now", "2026-11-30T10:00:00+02:00"});
    auto refused =
        http(on_standby.port(), "POST", "/api/v1/readings",
             R"({"account":"0000000001","meter_serial":"S0000001","readings":{"total":1100}})",
             {{"Idempotency-Key", "standby-1"}});
    EXPECT_EQ(refused.status, 503) << refused.body;
    EXPECT_FALSE(refused.headers["retry-after"].empty());
    // The public form too, as a page, when its values are looked at (the first write it tries).
    Browser b(on_standby.port(), "en");
    ASSERT_EQ(b.get("/submit").status, 200);
    auto form = b.post("/submit",
                       {{"account", "0000000001"}, {"serial", "S0000001"}, {"zone.total", "1100"}});
    EXPECT_EQ(form.status, 503) << form.body;
    EXPECT_FALSE(form.headers["retry-after"].empty());
    // Nor does it lead a background role (it would send the outbox beside the real leader):
    // its tries come every second or so; after three seconds it still stands by.
    std::this_thread::sleep_for(std::chrono::seconds(3));
    auto metrics = http(on_standby.port(), "GET", "/metrics").body;
    EXPECT_NE(metrics.find("meterdesk_leader{role=\"outbox\"} 0"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("meterdesk_leader{role=\"close\"} 0"), std::string::npos);
  }
  EXPECT_EQ(sql_value(admin.substr(0, admin.rfind('/') + 1) + "md",
                      "SELECT count(*) FROM submissions WHERE idempotency_key = 'standby-1'"),
            "0");
  ServerProcess node(url, {"--now", "2026-11-30T10:00:00+02:00"});

  // Each client sends its requests in turn; each request is retried (same key) until a 201.
  std::atomic<bool> promoted{false}, stop{false};
  std::atomic<int> after_promotion{0}, unavailable{0}, other{0};
  std::mutex m;
  std::map<std::string, std::string> acked;  // key → receipt
  std::vector<std::string> others;           // answers neither 201 nor 503 (0: no answer)
  auto client = [&](int c) {
    for (int i = 0; !stop; ++i) {
      const int account = c * 50 + i % 50 + 1;
      char number[16], serial[16];
      std::snprintf(number, sizeof number, "%010d", account);
      std::snprintf(serial, sizeof serial, "S%07d", account);
      const std::string key = "fo-" + std::to_string(c) + "-" + std::to_string(i);
      const std::string body = std::string(R"({"account":")") + number + R"(","meter_serial":")" +
                               serial + R"(","readings":{"total":)" +
                               std::to_string(1001 + i / 50) + "}}";
      for (;;) {
        HttpResponse res;
        try {
          res = http(node.port(), "POST", "/api/v1/readings", body, {{"Idempotency-Key", key}});
        } catch (const std::exception&) {
          res.status = 0;
        }
        if (res.status == 201) {
          auto j = nlohmann::json::parse(res.body);
          std::lock_guard lock(m);
          acked[key] = j.at("receipt").get<std::string>();
          if (promoted) ++after_promotion;
          break;
        }
        if (res.status != 503) {
          std::lock_guard lock(m);
          others.push_back(std::to_string(res.status) + " " + res.body.substr(0, 200));
        }
        (res.status == 503 ? unavailable : other)++;
        if (stop) return;  // the last request was never acknowledged: nothing is promised
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  };
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) clients.emplace_back(client, c);

  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const std::size_t before = [&] {
    std::lock_guard lock(m);
    return acked.size();
  }();
  ASSERT_EQ(cluster("crash " + primary.dir), 0);
  // With its database away the node says so on every answer that needs it (each a documented
  // 503 the API step holds to docs/openapi.json): liveness, the history, the check.
  const std::map<std::string, std::function<int()>> away{
      {"healthz", [&] { return http(node.port(), "GET", "/healthz").status; }},
      {"history",
       [&] {
         return http(node.port(), "GET",
                     "/api/v1/accounts/0000000001/readings?meter_serial=S0000001")
             .status;
       }},
      {"check", [&] {
         return http(
                    node.port(), "POST", "/api/v1/readings/check",
                    R"({"account":"0000000001","meter_serial":"S0000001","readings":{"total":1100}})")
             .status;
       }}};
  for (const auto& [what, ask] : away) {
    int status = 0;
    for (int i = 0; i < 50 && status != 503; ++i) {
      status = ask();
      if (status != 503) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(status, 503) << what << " with the primary down";
  }
  // Its metrics are what an operator reads during the outage: they still answer.
  const auto metrics = http(node.port(), "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200) << metrics.body;
  EXPECT_NE(metrics.body.find("meterdesk_ingest"), std::string::npos) << metrics.body;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(cluster("promote " + standby.dir), 0);
  promoted = true;
  for (int i = 0; i < 300 && after_promotion < 100; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop = true;
  for (auto& t : clients) t.join();

  EXPECT_GT(before, 50u) << "load before the failure";
  EXPECT_GE(after_promotion.load(), 100) << "the node found the new primary without help";
  EXPECT_GT(unavailable.load(), 0) << "during the failover clients were told to retry";
  EXPECT_EQ(other.load(), 0) << "every refusal was a 503, never another error";
  if (after_promotion < 100 || other > 0) {
    // What the clients got and what the node said, for the failure's reader.
    for (const auto& o : others) ADD_FAILURE() << "answer: " << o;
    const std::string log = node.log();
    ADD_FAILURE() << "node log (last 6,000 characters):\n"
                  << log.substr(log.size() > 6000 ? log.size() - 6000 : 0);
  }

  const std::string survivor = "postgresql://postgres@127.0.0.1:" + std::to_string(p2) + "/md";
  ASSERT_EQ(sql_value(survivor, "SELECT pg_is_in_recovery()"), "f");
  std::map<std::string, std::string> stored;  // key → receipt, on the new primary
  auto rows = sql_value(survivor,
                        "SELECT string_agg(idempotency_key || '=' || receipt, ',') FROM submissions"
                        " WHERE idempotency_key LIKE 'fo-%'");
  for (std::size_t at = 0; at < rows.size();) {
    auto end = rows.find(',', at);
    if (end == std::string::npos) end = rows.size();
    auto pair = rows.substr(at, end - at);
    auto eq = pair.find('=');
    EXPECT_TRUE(stored.emplace(pair.substr(0, eq), pair.substr(eq + 1)).second)
        << "stored twice: " << pair;
    at = end + 1;
  }
  std::size_t missing = 0;
  for (const auto& [key, receipt] : acked) {
    auto it = stored.find(key);
    if (it == stored.end() || it->second != receipt) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << acked.size() << " acknowledged receipts";
  std::printf(
      "failover: %zu acknowledged (%zu before the primary died, %d after the promotion),"
      " %d answers 503 in between, %zu missing\n",
      acked.size(), before, after_promotion.load(), unavailable.load(), missing);
  // Stored but never acknowledged: at most the requests in flight when the clients stopped.
  EXPECT_LE(stored.size(), acked.size() + 4);
}
