// Attempt limits counted in the database: what several nodes on one PostgreSQL share (run on
// both engines; two store objects on one database stand for two nodes).
#include <gtest/gtest.h>

#include <thread>

#include "service/rate_limit.hpp"
#include "store/store.hpp"
#include "support/support.hpp"

using namespace md;
using namespace std::chrono_literals;

namespace {

const domain::Instant t0{std::chrono::seconds(1'800'000'000)};  // on an hour boundary

struct SharedLimitTest : ::testing::Test {
  test::TempDir dir;
  std::string db = test::test_db(dir, "limits.db");
  std::unique_ptr<store::Store> node_a = store::open_store(db);
  std::unique_ptr<store::Store> node_b = store::open_store(db);
  void SetUp() override { node_a->migrate(); }
};

}  // namespace

TEST_F(SharedLimitTest, TwoNodesShareOneLimitAndTheWindowSlidesOnForBoth) {
  service::SharedRateLimiter a(*node_a, "form-account", 10, 1h);
  service::SharedRateLimiter b(*node_b, "form-account", 10, 1h);
  int allowed = 0;
  for (int i = 0; i < 10; ++i) allowed += (i % 2 ? a : b).allow("acct:0123456789", t0) ? 1 : 0;
  EXPECT_EQ(allowed, 10);
  EXPECT_FALSE(a.allow("acct:0123456789", t0)) << "node A sees node B's attempts";
  EXPECT_FALSE(b.allow("acct:0123456789", t0 + 1min));
  EXPECT_TRUE(b.allow("acct:0000000001", t0)) << "keys are independent";
  EXPECT_EQ(a.retry_at("acct:0123456789", t0), b.retry_at("acct:0123456789", t0));
  EXPECT_GT(a.retry_at("acct:0123456789", t0), t0);
  EXPECT_FALSE(a.allow("acct:0123456789", t0 + 30min)) << "the last hour still holds ten";
  EXPECT_TRUE(b.allow("acct:0123456789", t0 + 70min)) << "the old ones fade out";
  EXPECT_TRUE(a.allow("acct:0123456789", t0 + 3h));
}

TEST_F(SharedLimitTest, TheSameAnswersAsTheLimiterInMemory) {
  // The two implementations share the arithmetic; they must agree attempt by attempt.
  service::RateLimiter memory(7, 10min);
  service::SharedRateLimiter shared(*node_a, "same", 7, 10min);
  for (int minute = 0; minute < 45; ++minute)
    for (int i = 0; i < 1 + minute % 3; ++i) {
      auto t = t0 + std::chrono::minutes(minute) + std::chrono::seconds(i * 7);
      ASSERT_EQ(memory.allow("k", t), shared.allow("k", t)) << minute << " " << i;
      ASSERT_EQ(memory.retry_at("k", t), shared.retry_at("k", t)) << minute << " " << i;
      // One node: what it knows without asking the database is the whole truth.
      ASSERT_EQ(memory.known_refused("k", t), shared.known_refused("k", t)) << minute << " " << i;
    }
}

TEST_F(SharedLimitTest, ANodeKnowsAKeyIsUsedUpWhenItCountedTheLastTryOrWasRefused) {
  // The check the public API makes before every reading, without a database round trip.
  service::SharedRateLimiter a(*node_a, "form-account", 3, 1h);
  service::SharedRateLimiter b(*node_b, "form-account", 3, 1h);
  EXPECT_TRUE(a.allow("acct:1", t0));
  EXPECT_TRUE(b.allow("acct:1", t0));
  EXPECT_FALSE(a.known_refused("acct:1", t0));
  EXPECT_TRUE(a.allow("acct:1", t0)) << "the third and last";
  ASSERT_TRUE(a.known_refused("acct:1", t0));
  EXPECT_EQ(*a.known_refused("acct:1", t0), a.retry_at("acct:1", t0));
  EXPECT_FALSE(b.known_refused("acct:1", t0)) << "B has not seen it yet";
  EXPECT_FALSE(b.allow("acct:1", t0 + 1min));
  EXPECT_TRUE(b.known_refused("acct:1", t0 + 1min)) << "now it has";
  EXPECT_FALSE(a.known_refused("acct:1", t0 + 3h)) << "forgotten when the tries are back";
  EXPECT_TRUE(a.allow("acct:1", t0 + 3h));
}

TEST_F(SharedLimitTest, WrongSerialsAtAnAccountAreRefusedOverTheLimitByEveryNodeThatAsksTheCount) {
  service::SharedRateLimiter a(*node_a, "form-account", 3, 1h);
  service::SharedRateLimiter b(*node_b, "form-account", 3, 1h);
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(service::count_wrong_serial(i % 2 ? a : b, "0000000001", t0)) << i;
  // The form and sign-up ask the count (exact on every node); the API's check before each
  // reading only what the node knows: B counted the third, A has not seen a refusal yet.
  EXPECT_TRUE(service::account_refused(a, "0000000001", t0));
  EXPECT_TRUE(service::account_refused(b, "0000000001", t0, service::Knowledge::known));
  EXPECT_FALSE(service::account_refused(a, "0000000001", t0, service::Knowledge::known));
  auto until = service::count_wrong_serial(a, "0000000001", t0 + 1min);
  ASSERT_TRUE(until) << "the fourth wrong serial is one too many";
  EXPECT_EQ(*until, a.retry_at("acct:0000000001", t0 + 1min));
  EXPECT_TRUE(service::account_refused(a, "0000000001", t0 + 1min, service::Knowledge::known));
  EXPECT_FALSE(service::account_refused(a, "0000000002", t0)) << "another account";
  EXPECT_FALSE(service::account_refused(a, "0000000001", t0 + 3h)) << "the tries come back";
}

TEST_F(SharedLimitTest, ConcurrentAttemptsOnTwoNodesNeverExceedTheLimit) {
  service::SharedRateLimiter a(*node_a, "form-address", 50, 1h);
  service::SharedRateLimiter b(*node_b, "form-address", 50, 1h);
  std::atomic<int> allowed{0};
  auto attack = [&](service::AttemptLimit& l) {
    for (int i = 0; i < 60; ++i) allowed += l.allow("ip:203.0.113.7", t0 + 5min) ? 1 : 0;
  };
  std::thread ta(attack, std::ref(a)), tb(attack, std::ref(b));
  ta.join();
  tb.join();
  EXPECT_EQ(allowed.load(), 50);
}

TEST_F(SharedLimitTest, TheTableHoldsNoAddressAndOldWindowsArePruned) {
  service::SharedRateLimiter a(*node_a, "signin-address", 5, 1h);
  ASSERT_TRUE(a.allow("ip:203.0.113.7", t0));
  ASSERT_TRUE(a.allow("ip:203.0.113.7", t0 + 2h));
  EXPECT_EQ(test::sql_value(db, "SELECT count(*) FROM attempt_counts"), "2");
  EXPECT_EQ(test::sql_value(db, "SELECT count(*) FROM attempt_counts WHERE name LIKE '%203.0%'"),
            "0");
  auto tx = node_a->begin_write();
  EXPECT_EQ(
      tx->prune_attempts(
          std::chrono::duration_cast<std::chrono::seconds>((t0 + 1h).time_since_epoch()).count()),
      1);
  tx->commit();
  EXPECT_EQ(test::sql_value(db, "SELECT count(*) FROM attempt_counts"), "1");
}

TEST_F(SharedLimitTest, OnlyAStoreSeveralNodesShareCountsInIt) {
  auto limit = service::attempt_limit(*node_a, "x", 3, 1h);
  EXPECT_EQ(dynamic_cast<service::SharedRateLimiter*>(limit.get()) != nullptr, test::on_postgres());
  EXPECT_EQ(node_a->shared_by_nodes(), test::on_postgres());
}
