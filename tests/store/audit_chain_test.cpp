// The audit trail is a hash chain: `verify` walks it and names the first record that was changed,
// deleted or inserted behind the service's back, by someone who can write to the database and
// first drops the append-only triggers. On either backend.
#include <gtest/gtest.h>

#include "service/audit.hpp"
#include "store/audit_chain.hpp"
#include "store/store_fixture.hpp"

using namespace md;
using namespace md::store;
using namespace md::store::test_fixture;

namespace {

struct AuditChainTest : StoreTest {
  // Six records in three transactions, and one transaction's record rolled back to a savepoint.
  void SetUp() override {
    StoreTest::SetUp();
    for (int t = 0; t < 3; ++t) {
      auto tx = store->begin_write();
      for (int i = 0; i < 2; ++i) tx->append_audit(entry("reading " + std::to_string(2 * t + i)));
      if (t == 1) {
        tx->savepoint();
        tx->append_audit(entry("rolled back"));
        tx->rollback_to();
      }
      tx->commit();
    }
  }

  static AuditEntry entry(const std::string& raw) {
    return AuditEntry{at("2026-12-01T10:00:00"),
                      "customer",
                      "api",
                      "submit",
                      "account=1",
                      raw,
                      "accepted",
                      "",
                      std::nullopt,
                      "req-1"};
  }

  // The id of the k-th record (from 0).
  std::string id(int k) const {
    return test::sql_value(path,
                           "SELECT id FROM audit ORDER BY id LIMIT 1 OFFSET " + std::to_string(k));
  }

  // What an intruder with the database's password does first.
  void drop_guards() const {
    const std::string on = test::on_postgres() ? " ON audit" : "";
    ASSERT_EQ(test::sql_exec(path, "DROP TRIGGER audit_no_update" + on +
                                       "; DROP TRIGGER audit_no_delete" + on),
              "");
  }

  service::AuditVerdict verify(const std::vector<AuditHead>& published = {}) const {
    return service::verify_audit(*store, published);
  }
};

}  // namespace

TEST_F(AuditChainTest, AnIntactTrailVerifiesEachRecordInItsPlace) {
  auto v = verify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 6);
  ASSERT_EQ(v.heads.size(), 1u);
  EXPECT_EQ(v.heads[0].seq, 6) << "the rolled-back record took no place";
  EXPECT_EQ(test::sql_value(path, "SELECT count(*) FROM audit WHERE raw_input = 'rolled back'"),
            "0");
  // Each record's hash is the previous one's and its own content, from the genesis on.
  auto rows = store->audit_tail(6);
  ASSERT_EQ(rows.size(), 6u);
  std::string previous(kAuditGenesis);
  for (int seq = 1; seq <= 6; ++seq) {
    const std::string hash =
        test::sql_value(path, "SELECT hash FROM audit WHERE seq = " + std::to_string(seq));
    EXPECT_EQ(audit_link(previous, v.heads[0].chain, seq, rows[6 - seq]), hash);
    previous = hash;
  }
  EXPECT_EQ(previous, v.heads[0].hash);
}

TEST_F(AuditChainTest, ARecordChangedBehindTheServiceIsNamed) {
  drop_guards();
  ASSERT_EQ(test::sql_exec(path, "UPDATE audit SET result = 'rejected' WHERE id = " + id(2)), "");
  auto v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(std::to_string(v.audit_id), id(2)) << v.problem;
  EXPECT_NE(v.problem.find("was changed"), std::string::npos) << v.problem;
  // The last record too, whose change no later record shows: its head does.
  ASSERT_EQ(test::sql_exec(path, "UPDATE audit SET result = 'accepted' WHERE id = " + id(2)), "");
  ASSERT_TRUE(verify().ok);
  ASSERT_EQ(test::sql_exec(path, "UPDATE audit SET actor = 'operator:x' WHERE id = " + id(5)), "");
  v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(std::to_string(v.audit_id), id(5)) << v.problem;
}

TEST_F(AuditChainTest, ARecordRewrittenWithItsHashBreaksTheChainAtTheNext) {
  drop_guards();
  // The intruder recomputes the changed record's hash from the one before; the next record's
  // hash still follows from the old one.
  const std::string before = test::sql_value(path, "SELECT hash FROM audit WHERE seq = 2");
  const auto rows = store->audit_tail(6);
  ASSERT_EQ(rows.size(), 6u);
  const auto heads = store->audit_heads();
  ASSERT_EQ(heads.size(), 1u);
  auto row = rows[3];  // seq 3
  row.result = "rejected";
  ASSERT_EQ(
      test::sql_exec(path, "UPDATE audit SET result = 'rejected', hash = '" +
                               audit_link(before, heads[0].chain, 3, row) + "' WHERE seq = 3"),
      "");
  auto v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(std::to_string(v.audit_id), id(3)) << v.problem;
  EXPECT_NE(v.problem.find("before it, was changed"), std::string::npos) << v.problem;
  EXPECT_NE(v.problem.find(id(2)), std::string::npos) << v.problem;
}

TEST_F(AuditChainTest, ARecordDeletedBehindTheServiceIsNamed) {
  drop_guards();
  ASSERT_EQ(test::sql_exec(path, "DELETE FROM audit WHERE id = " + id(2)), "");
  auto v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("#3 to "), std::string::npos) << v.problem;
  EXPECT_NE(v.problem.find("were deleted"), std::string::npos) << v.problem;
  EXPECT_EQ(std::to_string(v.audit_id), id(2)) << "the record after the gap: " << v.problem;
}

TEST_F(AuditChainTest, TheLastRecordsDeletedAreSeenByTheHead) {
  drop_guards();
  ASSERT_EQ(test::sql_exec(path, "DELETE FROM audit WHERE seq >= 5"), "");
  auto v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("#5 to "), std::string::npos) << v.problem;
  EXPECT_NE(v.problem.find("#6 were deleted from the chain's end"), std::string::npos) << v.problem;
}

TEST_F(AuditChainTest, ARecordInsertedBehindTheServiceIsNamed) {
  drop_guards();
  const std::string columns =
      "at, actor, channel, action, identity, raw_input, result, reason, request_id";
  // Into the chain, in a place taken …
  ASSERT_EQ(test::sql_exec(path, "INSERT INTO audit (" + columns + ", chain, seq, hash) SELECT " +
                                     columns + ", chain, seq, hash FROM audit WHERE seq = 4"),
            "");
  auto v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.audit_id, std::stoll(id(6))) << v.problem;
  EXPECT_NE(v.problem.find("was inserted"), std::string::npos) << v.problem;
  ASSERT_EQ(test::sql_exec(path, "DELETE FROM audit WHERE id = " + id(6)), "");
  ASSERT_TRUE(verify().ok);
  // … after the head …
  ASSERT_EQ(test::sql_exec(path, "INSERT INTO audit (" + columns + ", chain, seq, hash) SELECT " +
                                     columns + ", chain, 7, hash FROM audit WHERE seq = 6"),
            "");
  v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("inserted after the chain's head"), std::string::npos) << v.problem;
  ASSERT_EQ(test::sql_exec(path, "DELETE FROM audit WHERE seq = 7"), "");
  // … or outside every chain, as if from before the chains began.
  ASSERT_EQ(test::sql_exec(path, "INSERT INTO audit (" + columns + ") SELECT " + columns +
                                     " FROM audit WHERE seq = 1"),
            "");
  v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("no place in a chain"), std::string::npos) << v.problem;
}

// An intruder who cuts the chain's end and sets its head back leaves a chain that holds together;
// the head given out before (the daily log line, another node's anchor) does not.
TEST_F(AuditChainTest, ACutAndMendedChainIsCaughtByTheHeadPublishedBefore) {
  const auto published = store->audit_heads();
  drop_guards();
  const std::string fourth = test::sql_value(path, "SELECT hash FROM audit WHERE seq = 4");
  ASSERT_EQ(test::sql_exec(path,
                           "DELETE FROM audit WHERE seq > 4; UPDATE audit_heads SET seq = 4,"
                           " hash = '" +
                               fourth + "'"),
            "");
  EXPECT_TRUE(verify().ok) << "a chain alone cannot tell";
  auto v = verify(published);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("lost its records from #6"), std::string::npos) << v.problem;
}

// The anchors: a record naming every chain's head, verified like a published one.
TEST_F(AuditChainTest, AnAnchorHoldsTheChainToTheHeadsItNames) {
  const auto named = service::anchor_audit(*store, at("2026-12-02T00:00:00"));
  ASSERT_EQ(named.size(), 1u);
  EXPECT_EQ(named[0].seq, 6);
  auto v = verify();
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 7);
  EXPECT_EQ(service::parse_heads(service::format_heads(named))[0].hash, named[0].hash);
  // Records 5 and 6 rewritten consistently, the anchor (7) with them: the anchor's own text
  // still names the old #6 … unless it is rewritten too, which the head then shows.
  drop_guards();
  ASSERT_EQ(test::sql_exec(path, "UPDATE audit SET hash = 'x' WHERE seq = 6"), "");
  v = verify();
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(std::to_string(v.audit_id), id(5)) << v.problem;
}
