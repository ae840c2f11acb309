// Several `meterdesk serve` nodes on one PostgreSQL database, as behind a load balancer: either
// node takes any request, replays and sessions hold across them, and the background roles (the
// outbox sender, the close scheduler) run on exactly one node, moving when it dies.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <thread>

#include "support/browser.hpp"
#include "support/support.hpp"

using namespace md::test;
using json = nlohmann::json;

namespace {

constexpr const char* kNow = "2026-11-30T10:00:00+02:00";

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
    char number[16], serial[16];
    std::snprintf(number, sizeof number, "%010d", account);
    std::snprintf(serial, sizeof serial, "S%07d", account);
    std::string body = std::string(R"({"account":")") + number + R"(","meter_serial":")" + serial +
                       R"(","readings":{"total":)" + std::to_string(value) + "}}";
    return http(port(node), "POST", "/api/v1/readings", body, {{"Idempotency-Key", key}});
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
