// The store tests' fixture: a migrated store of the backend under test (SQLite, or PostgreSQL
// with METERDESK_TEST_BACKEND=postgres) and a submission to write. Shared by store_test.cpp
// (what the schema promises) and store_reads_test.cpp (what the reads give back).
#pragma once

#include <gtest/gtest.h>

#include "store/postgres/pg_store.hpp"
#include "store/sqlite/sqlite_conn.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "support/support.hpp"

namespace md::store::test_fixture {

using md::store::Instant;

inline Instant at(const char* s) {
  return *domain::parse_instant(s);
}

struct StoreTest : ::testing::Test {
  test::TempDir dir;
  std::string path = test::test_db(dir, "t.db");
  std::unique_ptr<Store> store = open_store(path);

  void SetUp() override { store->migrate(); }

  std::int64_t seed_meter() {
    auto tx = store->begin_write();
    auto a = tx->insert_account(NewAccount{"0123456789", "Holder", "", "", ""}, at("2025-01-01"));
    auto p = tx->insert_metering_point(a, "62Z000000000001B", "");
    auto m = tx->insert_meter(p, NewMeter{"A1", 1, 5, *domain::parse_date("2025-01-01")});
    tx->commit();
    return m;
  }

  NewSubmission submission(std::int64_t meter, std::string receipt, std::string key) {
    NewSubmission s;
    s.receipt = std::move(receipt);
    s.meter_id = meter;
    s.account_id = 1;
    s.channel = "api";
    s.idempotency_key = std::move(key);
    s.type = "customer";
    s.taken_on = *domain::parse_date("2025-11-30");
    s.as_of = at("2025-12-01");
    s.period = domain::YearMonth::parse("2025-11");
    s.received_at = at("2025-11-30T10:00:00");
    s.values = {100};
    s.unwrapped = {100};
    s.raw_input = "{}";
    s.actor = "customer";
    s.receipt_json = "{\"receipt\":\"" + s.receipt + "\"}";
    return s;
  }
};

}  // namespace md::store::test_fixture
