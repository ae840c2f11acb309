// What the schema promises on either backend: migrations, durability, append-only tables, unique
// keys, transactions and savepoints, text kept as sent.
#include <gtest/gtest.h>

#include "store/store_fixture.hpp"

using namespace md;
using namespace md::store;
using namespace md::store::test_fixture;

TEST_F(StoreTest, MigrationsAreVersionedAndIdempotent) {
  EXPECT_EQ(sqlite_migrations().size(), pg_migrations().size());  // the same versions on both
  EXPECT_EQ(store->schema_version(), static_cast<int>(sqlite_migrations().size()));
  EXPECT_EQ(store->migrate(), store->schema_version());
  EXPECT_EQ(test::sql_value(path, "SELECT count(*) FROM schema_migrations"),
            std::to_string(sqlite_migrations().size()));
}

TEST_F(StoreTest, DurableSettings) {
  if (test::on_postgres()) {
    // A commit returns when the WAL is flushed (and on a synchronous standby, when configured).
    EXPECT_EQ(test::sql_value(path, "SHOW synchronous_commit"), "on");
    EXPECT_EQ(test::sql_value(path, "SHOW fsync"), "on");
  } else {
    EXPECT_EQ(test::sql_value(path, "PRAGMA journal_mode"), "wal");
  }
}

// An installation secret is made once: whoever keeps one first, every later call (another node,
// a restart) gets that one, not its own candidate; a secret not made is not there.
TEST_F(StoreTest, AnInstallationSecretIsKeptOnceAndReadByEveryone) {
  EXPECT_FALSE(store->secret("web"));
  {
    auto tx = store->begin_write();
    EXPECT_EQ(tx->keep_secret("web", "first candidate", at("2026-12-01")), "first candidate");
    tx->commit();
  }
  {
    auto tx = store->begin_write();
    EXPECT_EQ(tx->keep_secret("web", "second candidate", at("2026-12-02")), "first candidate");
    EXPECT_EQ(tx->keep_secret("other", "its own", at("2026-12-02")), "its own");
    tx->commit();
  }
  auto again = open_store(path);
  EXPECT_EQ(again->secret("web"), "first candidate");
  EXPECT_EQ(again->secret("other"), "its own");
}

TEST_F(StoreTest, ForeignKeysAreEnforced) {
  auto tx = store->begin_write();
  EXPECT_THROW(tx->insert_metering_point(999, "62Z000000000001B", ""), StoreError);
}

TEST_F(StoreTest, SubmissionsAreAppendOnly) {
  auto meter = seed_meter();
  {
    auto tx = store->begin_write();
    tx->insert_submission(submission(meter, "R-2222-2222", "k1"));
    tx->commit();
  }
  EXPECT_NE(test::sql_exec(path, "UPDATE submissions SET v1 = 5"), "");
  EXPECT_NE(test::sql_exec(path, "UPDATE submissions SET receipt_json = 'x'"), "");
  EXPECT_NE(test::sql_exec(path, "DELETE FROM submissions"), "");
  EXPECT_EQ(test::sql_value(path, "SELECT v1 FROM submissions"), "100");
  // A status transition is the one change allowed, and only away from accepted.
  EXPECT_EQ(test::sql_exec(path, "UPDATE submissions SET status = 'superseded'"), "");
  EXPECT_NE(test::sql_exec(path, "UPDATE submissions SET status = 'accepted'"), "");
}

TEST_F(StoreTest, AuditIsAppendOnly) {
  {
    auto tx = store->begin_write();
    tx->append_audit(AuditEntry{at("2025-11-30"), "customer", "api", "submit", "id", "raw",
                                "rejected:not_found", "", std::nullopt});
    tx->commit();
  }
  EXPECT_NE(test::sql_exec(path, "UPDATE audit SET result = 'accepted'"), "");
  EXPECT_NE(test::sql_exec(path, "DELETE FROM audit"), "");
  auto tail = store->audit_tail(10);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].result, "rejected:not_found");
}

// An account's area reaches the close's scan; the operators' K_outage entries are kept in the
// order entered and never changed or removed.
TEST_F(StoreTest, AreasReachTheScanAndOutageCoefficientsAreAppendOnly) {
  {
    auto tx = store->begin_write();
    auto a =
        tx->insert_account(NewAccount{"0000000001", "H", "", "", "", "Izmail"}, at("2025-01-01"));
    auto p = tx->insert_metering_point(a, "62Z000000000001B", "");
    tx->insert_meter(p, NewMeter{"A1", 1, 5, *domain::parse_date("2025-01-01")});
    tx->insert_account(NewAccount{"0000000002", "H", "", "", "", "Balta"}, at("2025-01-01"));
    tx->insert_account(NewAccount{"0000000003", "H", "", "", "", "Izmail"}, at("2025-01-01"));
    tx->insert_account(NewAccount{"0000000004", "H", "", "", ""}, at("2025-01-01"));
    tx->insert_outage_coefficient(OutageCoefficientRow{"Izmail", domain::YearMonth{2025, 12}, 700,
                                                       "supervisor:petro", "order 17",
                                                       at("2026-01-02T10:00:00")});
    tx->insert_outage_coefficient(OutageCoefficientRow{"", domain::YearMonth{2025, 12}, 950,
                                                       "operator:cli", "all", at("2026-01-03")});
    tx->commit();
  }
  EXPECT_EQ(store->account_areas(), (std::vector<std::string>{"Balta", "Izmail"}));
  std::string area = "none";
  store->scan_points([&](PointHistory&& h) { area = h.area; });
  EXPECT_EQ(area, "Izmail");
  auto rows = store->outage_coefficients();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].area, "Izmail");
  EXPECT_EQ(rows[0].period, (domain::YearMonth{2025, 12}));
  EXPECT_EQ(rows[0].k_milli, 700);
  EXPECT_EQ(rows[0].actor, "supervisor:petro");
  EXPECT_EQ(rows[0].reason, "order 17");
  EXPECT_EQ(rows[0].created_at, at("2026-01-02T10:00:00"));
  EXPECT_EQ(rows[1].area, "");
  EXPECT_NE(test::sql_exec(path, "UPDATE outage_coefficients SET k_milli = 1000"), "");
  EXPECT_NE(test::sql_exec(path, "DELETE FROM outage_coefficients"), "");
  EXPECT_NE(test::sql_exec(path,
                           "INSERT INTO outage_coefficients (area, period, k_milli, actor,"
                           " reason, created_at) VALUES ('', '2025-12', 1001, 'x', 'y', 0)"),
            "")
      << "K_outage is at most 1";
  EXPECT_EQ(store->outage_coefficients().size(), 2u);
}

// The audit searched by person (under any role), action and what it was about, newest first, a
// page at a time; a window bounds each page's work and the next page goes on below it.
TEST_F(StoreTest, TheAuditIsSearchedInPagesWithinAWindow) {
  {
    auto tx = store->begin_write();
    for (int i = 1; i <= 30; ++i) {
      AuditEntry e{at("2025-11-30"), "customer", "web",       "submit", "account=0000000001", "",
                   "accepted",       "",         std::nullopt};
      if (i % 10 == 0)
        e = {at("2025-12-01"),
             i == 20 ? "admin:olena" : "operator:olena",
             "operator_console",
             "view_account",
             "account=0000000012",
             "",
             "ok",
             "",
             std::nullopt};
      if (i == 25) e.identity = "account=00000000012";  // a longer number with the same start
      tx->append_audit(e);
    }
    tx->commit();
  }
  auto ids = [](const AuditPage& page) {
    std::vector<std::int64_t> out;
    for (const auto& r : page.rows) out.push_back(r.id);
    return out;
  };
  AuditQuery q;
  q.who = "olena";
  auto page = store->search_audit(q);
  EXPECT_EQ(ids(page), (std::vector<std::int64_t>{30, 20, 10}));
  EXPECT_EQ(page.rows[1].actor, "admin:olena");
  EXPECT_EQ(page.next_before, 0);
  q.who.clear();
  q.identity_prefix = "account=0000000012";
  EXPECT_EQ(ids(store->search_audit(q)), (std::vector<std::int64_t>{30, 20, 10}));
  q.identity_prefix.clear();
  q.action = "submit";
  q.limit = 4;
  page = store->search_audit(q);
  EXPECT_EQ(ids(page), (std::vector<std::int64_t>{29, 28, 27, 26}));
  q.before_id = page.next_before;
  EXPECT_EQ(ids(store->search_audit(q)), (std::vector<std::int64_t>{25, 24, 23, 22}));
  // A window of 5: records 26-30 hold one match; the next page searches from 26 down.
  q = AuditQuery{};
  q.who = "olena";
  q.window = 5;
  page = store->search_audit(q);
  EXPECT_EQ(ids(page), (std::vector<std::int64_t>{30}));
  EXPECT_EQ(page.next_before, 26);
  q.before_id = 26;
  page = store->search_audit(q);
  EXPECT_TRUE(page.rows.empty());
  EXPECT_EQ(page.next_before, 21);
  q.before_id = 21;
  EXPECT_EQ(ids(store->search_audit(q)), (std::vector<std::int64_t>{20}));
  q.who = "nobody";
  q.before_id = 7;
  page = store->search_audit(q);
  EXPECT_TRUE(page.rows.empty());
  EXPECT_EQ(page.next_before, 2) << "records 2-6 searched, 1 is older";
  q.before_id = 6;
  page = store->search_audit(q);
  EXPECT_TRUE(page.rows.empty());
  EXPECT_EQ(page.next_before, 0) << "records 1-5 searched, none older";
  // What a record was about is looked up through its index, whatever the window.
  q = AuditQuery{};
  q.identity_prefix = "account=0000000012";
  q.window = 5;
  EXPECT_EQ(ids(store->search_audit(q)), (std::vector<std::int64_t>{30, 20, 10}));
  // The console's account view takes the same range.
  std::int64_t account = 0;
  {
    auto tx = store->begin_write();
    account = tx->insert_account(NewAccount{"0000000012", "Holder", "", "", ""}, at("2025-12-01"));
    tx->commit();
  }
  std::vector<std::int64_t> seen;
  for (const auto& r : store->account_audit(account, 10)) seen.push_back(r.id);
  EXPECT_EQ(seen, (std::vector<std::int64_t>{30, 20, 10}));
}

TEST_F(StoreTest, StatusChangeIsAudited) {
  auto meter = seed_meter();
  auto tx = store->begin_write();
  auto id = tx->insert_submission(submission(meter, "R-2222-2222", ""));
  tx->change_status(id, "superseded",
                    AuditEntry{at("2025-12-01"), "customer", "api", "status_change", "", "",
                               "superseded", "replaced", std::nullopt});
  tx->commit();
  auto tail = store->audit_tail(1);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].submission_id, id);
  EXPECT_EQ(store->find_by_receipt("R-2222-2222")->status, "superseded");
}

TEST_F(StoreTest, IdempotencyKeyIsUniquePerChannel) {
  auto meter = seed_meter();
  auto tx = store->begin_write();
  tx->insert_submission(submission(meter, "R-2222-2222", "same"));
  auto other = submission(meter, "R-3333-3333", "same");
  other.channel = "telegram";
  EXPECT_NO_THROW(tx->insert_submission(other));
  try {
    tx->insert_submission(submission(meter, "R-4444-4444", "same"));
    FAIL() << "duplicate key accepted";
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.kind, Conflict::idempotency) << e.what();
  }
  EXPECT_EQ(tx->find_replay("api", "same"), "{\"receipt\":\"R-2222-2222\"}");
  EXPECT_FALSE(tx->find_replay("viber", "same"));
  // Submissions without a key never collide.
  EXPECT_NO_THROW(tx->insert_submission(submission(meter, "R-5555-5555", "")));
  EXPECT_NO_THROW(tx->insert_submission(submission(meter, "R-6666-6666", "")));
}

TEST_F(StoreTest, ReceiptIsUnique) {
  auto meter = seed_meter();
  auto tx = store->begin_write();
  tx->insert_submission(submission(meter, "R-2222-2222", "a"));
  try {
    tx->insert_submission(submission(meter, "R-2222-2222", "b"));
    FAIL();
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.kind, Conflict::receipt) << e.what();
  }
}

TEST_F(StoreTest, UncommittedTransactionLeavesNothing) {
  auto meter = seed_meter();
  {
    auto tx = store->begin_write();
    tx->insert_submission(submission(meter, "R-2222-2222", "a"));
  }
  EXPECT_EQ(store->counts().submissions, 0);
}

TEST_F(StoreTest, SavepointRollsBackOneItemOnly) {
  auto meter = seed_meter();
  auto tx = store->begin_write();
  tx->savepoint();
  tx->insert_submission(submission(meter, "R-2222-2222", "a"));
  tx->release();
  tx->savepoint();
  tx->insert_submission(submission(meter, "R-3333-3333", "b"));
  tx->rollback_to();
  tx->commit();
  EXPECT_TRUE(store->find_by_receipt("R-2222-2222"));
  EXPECT_FALSE(store->find_by_receipt("R-3333-3333"));
}

TEST_F(StoreTest, LatestAcceptedSkipsTheWindowBeingReplaced) {
  auto meter = seed_meter();
  auto tx = store->begin_write();
  auto older = submission(meter, "R-2222-2222", "a");
  older.period = domain::YearMonth::parse("2025-10");
  older.as_of = at("2025-11-01");
  tx->insert_submission(older);
  tx->insert_submission(submission(meter, "R-3333-3333", "b"));  // window 2025-11
  auto third = submission(meter, "R-4444-4444", "c");            // window 2025-11 too
  third.as_of = at("2025-10-30");
  std::int64_t third_id = tx->insert_submission(third);
  auto all = tx->accepted_readings(meter, 5, std::nullopt);
  ASSERT_EQ(all.latest.size(), 3u);
  EXPECT_EQ(all.latest[0].receipt, "R-3333-3333");  // latest as-of first
  EXPECT_EQ(all.latest[1].receipt, "R-2222-2222");
  EXPECT_TRUE(all.in_window.empty());
  EXPECT_EQ(tx->accepted_readings(meter, 1, std::nullopt).latest.size(), 1u);
  auto skipping = tx->accepted_readings(meter, 5, domain::YearMonth::parse("2025-11"));
  ASSERT_EQ(skipping.latest.size(), 1u);
  EXPECT_EQ(skipping.latest[0].receipt, "R-2222-2222");
  ASSERT_EQ(skipping.in_window.size(), 2u);
  EXPECT_LT(skipping.in_window[0], skipping.in_window[1]);
  EXPECT_EQ(skipping.in_window[1], third_id);
}

// Bytes from a form may be anything: on PostgreSQL (UTF-8 text, C strings) ill-formed UTF-8 and
// NUL are kept as U+FFFD; either way a lookup with them finds nothing and the record is kept.
TEST_F(StoreTest, TextThatIsNotUtf8FindsNothingAndIsStillRecorded) {
  seed_meter();
  auto tx = store->begin_write();
  EXPECT_FALSE(tx->find_meter("0123456789", std::string("A1\0x", 4)));
  EXPECT_FALSE(tx->find_meter("0123456789", "A1\xff"));
  EXPECT_FALSE(tx->find_meter("0123456789", "\xC0\x80"));  // an overlong NUL
  EXPECT_TRUE(tx->find_meter("0123456789", "A1"));
  tx->insert_account(NewAccount{"0000000777", "H\xe2\x82 \xed\xa0\x80\xff", "", "", ""},
                     at("2025-11-30"));
  tx->append_audit(AuditEntry{at("2025-11-30"), "customer", "web", "submit",
                              "serial=\xe2\x82 \xf0\x9f\x98\x80 \xed\xa0\x80",
                              std::string("raw\0\xff", 5), "rejected:not_found", "", std::nullopt});
  tx->commit();
  auto tail = store->audit_tail(1);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].result, "rejected:not_found");
  if (test::on_postgres()) {
    // A cut sequence becomes one U+FFFD, a surrogate one per byte; a whole emoji stays.
    EXPECT_EQ(tail[0].identity,
              "serial=\xEF\xBF\xBD \xf0\x9f\x98\x80 \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(tail[0].raw_input, "raw\xEF\xBF\xBD\xEF\xBF\xBD");
    // The same text bound as a parameter (not through JSON) the same way.
    EXPECT_EQ(test::sql_value(path, "SELECT holder FROM accounts WHERE number = '0000000777'"),
              "H\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  }
}

// ingest.writers: write connections where several can write (PostgreSQL, default 4); SQLite keeps
// its one writer whatever is asked.
TEST_F(StoreTest, WritersAsConfigured) {
  auto two = open_store(path, 2);
  auto chosen = open_store(path, 0);
  if (test::on_postgres()) {
    EXPECT_EQ(two->writers(), 2);
    EXPECT_EQ(chosen->writers(), 4);
  } else {
    EXPECT_EQ(two->writers(), 1);
    EXPECT_EQ(chosen->writers(), 1);
  }
  auto tx = two->begin_write();  // and they work
  tx->append_audit(
      AuditEntry{at("2025-11-30"), "system", "", "probe", "", "", "", "", std::nullopt});
  tx->commit();
  EXPECT_EQ(test::sql_value(path, "SELECT count(*) FROM audit WHERE action = 'probe'"), "1");
}

// The close's scan reads every point and reading, however many (PostgreSQL: a cursor fetched in
// parts of 10,000 rows; this crosses a part's end).
