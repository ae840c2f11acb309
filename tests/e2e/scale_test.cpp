// Several `meterdesk serve` nodes on one PostgreSQL database, as behind a load balancer: either
// node takes any request, replays and sessions hold across them, and the background roles (the
// outbox sender, the close scheduler) run on exactly one node, moving when it dies.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <thread>

#include "support/browser.hpp"
#include "support/support.hpp"

using namespace md::test;
using json = nlohmann::json;

namespace {

constexpr const char* kNow = "2026-11-30T10:00:00+02:00";

// HAProxy from Debian in front of the nodes, configured as docs/deploy.md says (on loopback,
// checks every 200 ms instead of 2 s).
class Balancer {
 public:
  explicit Balancer(const std::vector<std::uint16_t>& nodes) : port_(free_port(SOCK_STREAM)) {
    std::string cfg =
        "global\n  maxconn 1024\n"
        "defaults\n  mode http\n  timeout connect 1s\n  timeout client 10s\n"
        "  timeout server 10s\n  retries 3\n  option redispatch 1\n  retry-on conn-failure\n"
        "frontend meterdesk\n  bind 127.0.0.1:" +
        std::to_string(port_) +
        "\n  default_backend nodes\n"
        "backend nodes\n  balance roundrobin\n  option httpchk GET /readyz\n"
        "  http-check expect status 200\n";
    for (std::size_t i = 0; i < nodes.size(); ++i)
      cfg += "  server node" + std::to_string(i) + " 127.0.0.1:" + std::to_string(nodes[i]) +
             " check inter 200ms fall 2 rise 2\n";
    write_file(dir_.file("haproxy.cfg"), cfg);
    pid_ = fork();
    if (pid_ == 0) {
      int log = ::open(dir_.file("haproxy.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(log, 1);
      dup2(log, 2);
      execl("/usr/sbin/haproxy", "haproxy", "-db", "-f", dir_.file("haproxy.cfg").c_str(), nullptr);
      _exit(127);
    }
  }
  ~Balancer() {
    ::kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  Balancer(const Balancer&) = delete;
  Balancer& operator=(const Balancer&) = delete;
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string log() const { return read_file(dir_.file("haproxy.log")); }

 private:
  TempDir dir_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

class ScaleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    db_ = postgres_db();
    write_file(dir_->file("accounts.csv"), accounts_csv(120));
    auto r = run_meterdesk({"import-accounts", dir_->file("accounts.csv"), "--db", db_, "--now",
                            "2026-01-10T12:00:00"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto u = run_meterdesk({"user", "add", "--db", db_, "--login", "olena", "--role", "operator"},
                           {}, "correct horse battery\n");
    ASSERT_EQ(u.exit_code, 0) << u.err;
    for (auto*& node : nodes_)
      node = new ServerProcess(db_, {"--now", kNow}, {{"METERDESK_CLOSE_AUTOMATIC", "true"}});
  }
  static void TearDownTestSuite() {
    for (auto*& node : nodes_) delete node;
    delete dir_;
  }
  static std::uint16_t port(int node) { return nodes_[node]->port(); }

  static HttpResponse submit(int node, int account, const std::string& key, int value) {
    return submit_to(port(node), account, key, value);
  }
  static HttpResponse submit_to(std::uint16_t port, int account, const std::string& key,
                                int value) {
    char number[16], serial[16];
    std::snprintf(number, sizeof number, "%010d", account);
    std::snprintf(serial, sizeof serial, "S%07d", account);
    std::string body = std::string(R"({"account":")") + number + R"(","meter_serial":")" + serial +
                       R"(","readings":{"total":)" + std::to_string(value) + "}}";
    return http(port, "POST", "/api/v1/readings", body, {{"Idempotency-Key", key}});
  }
  static std::string receipt(const HttpResponse& r) {
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j.value("receipt", std::string()) : std::string();
  }
  // The value of meterdesk_leader{role="…"} on a node: 1 leads, 0 stands by, -1 not shown yet.
  static int leads(int node, const std::string& role) {
    auto body = http(port(node), "GET", "/metrics").body;
    auto at = body.find("meterdesk_leader{role=\"" + role + "\"} ");
    if (at == std::string::npos) return -1;
    return body[body.find("} ", at) + 2] == '1' ? 1 : 0;
  }

  static TempDir* dir_;
  static std::string db_;
  static ServerProcess* nodes_[2];
};
TempDir* ScaleTest::dir_ = nullptr;
std::string ScaleTest::db_;
ServerProcess* ScaleTest::nodes_[2] = {nullptr, nullptr};

}  // namespace

TEST_F(ScaleTest, EitherNodeTakesAReadingAndTheOtherReplaysIt) {
  for (int i = 1; i <= 40; ++i) {
    std::string key = "scale-" + std::to_string(i);
    auto first = submit(i % 2, i, key, 1100 + i);
    ASSERT_EQ(first.status, 201) << first.body;
    auto again = submit((i + 1) % 2, i, key, 1100 + i);
    EXPECT_EQ(again.status, 201) << again.body;
    EXPECT_EQ(again.headers["idempotent-replayed"], "true");
    EXPECT_EQ(receipt(again), receipt(first)) << "the stored answer, from the other node";
  }
  EXPECT_EQ(sql_value(db_, "SELECT count(*) FROM submissions WHERE idempotency_key LIKE 'scale-%'"),
            "40");
}

TEST_F(ScaleTest, TheSameKeyOnBothNodesAtOnceIsStoredOnce) {
  for (int i = 41; i <= 70; ++i) {
    std::string key = "race-" + std::to_string(i);
    HttpResponse a, b;
    std::thread other([&] { b = submit(1, i, key, 1200); });
    a = submit(0, i, key, 1200);
    other.join();
    // One node stores it; the other, even when it lost the race inside its own transaction,
    // answers with the stored receipt. Never two receipts.
    for (auto* r : {&a, &b}) EXPECT_EQ(r->status, 201) << r->body;
    EXPECT_TRUE(a.headers["idempotent-replayed"] == "true" ||
                b.headers["idempotent-replayed"] == "true");
    EXPECT_EQ(receipt(a), receipt(b));
    EXPECT_EQ(
        sql_value(db_, "SELECT count(*) FROM submissions WHERE idempotency_key = '" + key + "'"),
        "1");
  }
}

TEST_F(ScaleTest, ASessionMadeOnOneNodeWorksOnTheOther) {
  Browser b(port(0), "en");
  b.get("/operator/sign-in");
  ASSERT_EQ(b.post("/operator/sign-in", {{"login", "olena"}, {"password", "correct horse battery"}})
                .status,
            303);
  b.use_port(port(1));
  auto page = b.get("/operator");
  EXPECT_EQ(page.status, 200) << "signed in on node 0, served by node 1";
  EXPECT_EQ(page.body.find("name=\"password\""), std::string::npos) << "not the sign-in form";
  // The form came from node 1 and is posted to node 0: the CSRF token lives with the session.
  b.use_port(port(0));
  EXPECT_EQ(b.post("/operator/sign-out", {}).status, 303);
  b.use_port(port(1));
  EXPECT_EQ(b.get("/operator").status, 303) << "signed out on every node";
}

TEST_F(ScaleTest, GuessesSpreadOverBothNodesGetTheAttemptLimitOnceNotOncePerNode) {
  // Ten tries an hour per account (the default): an attacker guessing a meter serial through the
  // public form gets ten in all, whichever nodes the balancer sends him to.
  Browser b(port(0), "en");
  b.get("/submit");
  std::vector<int> statuses;
  for (int i = 0; i < 14; ++i) {
    b.use_port(port(i % 2));
    statuses.push_back(
        b.post("/submit", {{"account", "0000000077"}, {"serial", "X" + std::to_string(i)}}).status);
  }
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 422), 10);
  EXPECT_EQ(std::vector<int>(statuses.begin() + 10, statuses.end()),
            (std::vector<int>{429, 429, 429, 429}));
}

TEST_F(ScaleTest, ApiGuessesOnBothNodesUseTheAccountsTenTriesOnce) {
  // The public API's wrong serials are counted in the database: ten in all over both nodes. The
  // check before each reading asks no database (it would halve ingest): a node knows the account
  // is used up once it counted the last try or was refused one, so the right serial is refused
  // on the node that counted the tenth, and on the other after its first refused guess.
  auto post = [&](int node, const std::string& serial) {
    return http(
        port(node), "POST", "/api/v1/readings",
        R"({"account":"0000000076","meter_serial":")" + serial + R"(","readings":{"total":1500}})");
  };
  for (int i = 0; i < 10; ++i) EXPECT_EQ(post(i % 2, "X" + std::to_string(i)).status, 404) << i;
  EXPECT_EQ(post(1, "S0000076").status, 429) << "node 1 counted the tenth";
  EXPECT_EQ(post(0, "X10").status, 429) << "the eleventh wrong guess, wherever it comes";
  EXPECT_EQ(post(0, "S0000076").status, 429);
  EXPECT_EQ(sql_value(db_,
                      "SELECT count(*) FROM submissions s JOIN meters m ON m.id = "
                      "s.meter_id WHERE m.serial = 'S0000076' AND s.channel = 'api'"),
            "0");
}

// The nodes behind HAProxy: requests spread over both; when one dies the balancer leaves it out,
// and clients that retry with their key (as the API asks) get every reading stored exactly once.
TEST_F(ScaleTest, BehindHAProxyBothNodesServeAndADeadNodeIsLeftOut) {
  Balancer lb({port(0), port(1)});
  int ready = 0;
  for (int tries = 0; tries < 100 && ready != 200; ++tries) {
    if (tries) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    try {
      ready = http(lb.port(), "GET", "/readyz").status;
    } catch (const std::exception&) {  // not listening yet
    }
  }
  ASSERT_EQ(ready, 200) << lb.log();
  auto accepted_on = [&](int node) {
    auto body = http(port(node), "GET", "/metrics").body;
    auto at = body.find("meterdesk_submissions_total{channel=\"api\",result=\"accepted\"} ");
    return at == std::string::npos ? 0.0 : std::stod(body.substr(body.find("} ", at) + 2));
  };
  const double before[2] = {accepted_on(0), accepted_on(1)};
  std::map<std::string, std::string> acked;  // key → receipt
  int refused = 0;
  auto send = [&](int i) {
    const std::string key = "lb-" + std::to_string(i);
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto r = submit_to(lb.port(), 91 + i % 30, key, 1400 + i);
      if (r.status == 201) {
        acked[key] = receipt(r);
        return;
      }
      ++refused;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << key << " never stored";
  };
  for (int i = 0; i < 40; ++i) send(i);
  EXPECT_EQ(refused, 0);
  EXPECT_GT(accepted_on(0), before[0]) << "node 0 took some";
  EXPECT_GT(accepted_on(1), before[1]) << "node 1 took some";

  nodes_[1]->kill(SIGKILL);
  nodes_[1]->wait();
  for (int i = 40; i < 80; ++i) send(i);
  // Connections to the dead node are retried on the live one by the balancer itself.
  EXPECT_LE(refused, 5) << lb.log();
  ASSERT_EQ(acked.size(), 80u);
  std::vector<std::string> receipts;
  for (const auto& [key, r] : acked) receipts.push_back(r);
  std::sort(receipts.begin(), receipts.end());
  std::string expected;
  for (const auto& r : receipts) expected += (expected.empty() ? "" : ",") + r;
  EXPECT_EQ(sql_value(db_,
                      "SELECT string_agg(receipt, ',' ORDER BY receipt) FROM submissions"
                      " WHERE idempotency_key LIKE 'lb-%'"),
            expected)
      << "every acknowledged receipt stored, and nothing else";
  delete nodes_[1];
  nodes_[1] = new ServerProcess(db_, {"--now", kNow}, {{"METERDESK_CLOSE_AUTOMATIC", "true"}});
}

TEST_F(ScaleTest, EachBackgroundRoleHasOneLeaderAndItMovesWhenTheLeaderDies) {
  for (const std::string role : {"outbox", "close"}) {
    int total = -1;
    for (int tries = 0; tries < 100 && total != 1; ++tries) {
      if (tries) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      int a = leads(0, role), b = leads(1, role);
      total = a < 0 || b < 0 ? -1 : a + b;
    }
    EXPECT_EQ(total, 1) << role << ": exactly one node leads";
  }
  int leader = leads(0, "outbox") == 1 ? 0 : 1;
  nodes_[leader]->kill(SIGKILL);  // its session ends; the server frees its locks
  nodes_[leader]->wait();
  int other = 1 - leader;
  bool took_over = false;
  for (int tries = 0; tries < 150 && !took_over; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    took_over = leads(other, "outbox") == 1;
  }
  EXPECT_TRUE(took_over) << "the surviving node leads the outbox";
  delete nodes_[leader];
  nodes_[leader] = new ServerProcess(db_, {"--now", kNow}, {{"METERDESK_CLOSE_AUTOMATIC", "true"}});
}

// Two readings of one meter on two nodes at the same moment: one supersedes the other in the
// window, as if they had come one after the other to one node.
TEST_F(ScaleTest, ANodeThatDoesNotLeadAsksAgainOnTheSameConnection) {
  // Asking again every two seconds on a new connection would start and end a server process per
  // try, per role, per node. The askers: backends whose last statement was the try and that hold
  // no lock (the leaders' do).
  for (int tries = 0; tries < 100 && leads(0, "outbox") + leads(1, "outbox") != 1; ++tries)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto askers = [] {
    return sql_value(db_,
                     "SELECT string_agg(pid::text, ',' ORDER BY pid) FROM pg_stat_activity"
                     " WHERE datname = current_database() AND state = 'idle'"
                     " AND query LIKE '%pg_try_advisory_lock%' AND pid NOT IN"
                     " (SELECT pid FROM pg_locks WHERE locktype = 'advisory')");
  };
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the outbox role: a try or two
  const std::string before = askers();
  EXPECT_FALSE(before.empty()) << "the node that does not lead keeps its connection";
  std::this_thread::sleep_for(std::chrono::seconds(5));
  EXPECT_EQ(askers(), before) << "and asks on it again";
}

TEST_F(ScaleTest, OneMeterReadOnBothNodesAtOnceKeepsOneAcceptedReadingInTheWindow) {
  for (int round = 0; round < 10; ++round) {
    const int account = 80 + round;
    HttpResponse a, b;
    std::thread other([&] { b = submit(1, account, "m-b-" + std::to_string(round), 1301); });
    a = submit(0, account, "m-a-" + std::to_string(round), 1300);
    other.join();
    EXPECT_EQ(a.status, 201) << a.body;
    EXPECT_EQ(b.status, 201) << b.body;
    char serial[16];
    std::snprintf(serial, sizeof serial, "S%07d", account);
    EXPECT_EQ(
        sql_value(db_, std::string("SELECT count(*) FROM submissions s JOIN meters m ON m.id ="
                                   " s.meter_id WHERE m.serial = '") +
                           serial + "' AND s.period = '2026-11' AND s.status = 'accepted'"),
        "1")
        << serial;
  }
}
