#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "domain/receipt_id.hpp"
#include "service/accounts.hpp"
#include "service/audit.hpp"
#include "service/ingestor.hpp"
#include "service/review.hpp"
#include "service/submission.hpp"
#include "store/store.hpp"
#include "support/support.hpp"

using namespace md;
using namespace md::service;
using json = nlohmann::json;
using Status = SubmitOutcome::Status;

namespace {

domain::Instant at(const char* s) {
  return *domain::parse_instant(s);
}

struct ServiceTest : ::testing::Test {
  test::TempDir dir;
  std::string store_path = test::test_db(dir, "s.db");
  std::unique_ptr<store::Store> store = store::open_store(store_path);
  Submissions submissions{ServiceConfig{}};

  void SetUp() override {
    store->migrate();
    auto report =
        import_accounts(*store, submissions, test::accounts_csv(3), at("2025-01-10T12:00:00"));
    ASSERT_TRUE(report.ok()) << report.errors.front();
  }

  SubmitOutcome submit(const char* when, std::string day, std::string night, std::string key = "",
                       bool confirm = false, std::string serial = "A1234567") {
    SubmitRequest r;
    r.channel = "api";
    r.idempotency_key = std::move(key);
    r.account = "0123456789";
    r.meter_serial = std::move(serial);
    r.values = {{"day", std::move(day)}, {"night", std::move(night)}};
    r.confirmed = confirm;
    r.raw_input = "test";
    auto tx = store->begin_write();
    auto out = submissions.process(*tx, r, at(when));
    tx->commit();
    return out;
  }
};

// Holds the ingestor's lane that `key` goes to until release(): what is queued meanwhile is
// written as one batch.
class LaneHold {
 public:
  LaneHold(Ingestor& ingestor, const std::string& key) {
    Ingestor::Task task;
    task.key = key;
    task.work = [this](store::WriteTx&, domain::Instant) {
      started_.set_value();
      go_.get_future().wait();
    };
    task.done = [](bool) {};
    EXPECT_TRUE(ingestor.run_async(std::move(task)));
    started_.get_future().wait();
  }
  ~LaneHold() { release(); }
  LaneHold(const LaneHold&) = delete;
  LaneHold& operator=(const LaneHold&) = delete;
  void release() {
    if (!released_) go_.set_value();
    released_ = true;
  }

 private:
  std::promise<void> started_, go_;
  bool released_ = false;
};

}  // namespace

// Pure arithmetic over rows, no store: what the review page shows beside a flagged reading.
TEST(ReviewFigures, ConsumptionSinceThePreviousReadingAndTheUsualRateFromTheTwoBefore) {
  auto row_of = [](const char* day, std::vector<std::int64_t> unwrapped) {
    store::ReadingRow r;
    r.zones = 2;
    r.taken_on = *domain::parse_date(day);
    r.as_of = domain::start_of_day(r.taken_on);
    r.values = unwrapped;
    r.unwrapped = std::move(unwrapped);
    return r;
  };
  store::ReviewRow review;
  review.reading = row_of("2026-11-30", {1300, 700});
  review.earlier = {row_of("2026-10-31", {1000, 600}), row_of("2026-10-01", {910, 570})};
  domain::ValidationRules rules;
  auto f = review_figures(review, rules);
  ASSERT_TRUE(f.previous_on);
  EXPECT_EQ(*f.previous_on, *domain::parse_date("2026-10-31"));
  EXPECT_EQ(f.days, 30);
  ASSERT_EQ(f.kwh.size(), 2u);
  EXPECT_EQ(f.kwh[0], 300);
  EXPECT_EQ(f.kwh[1], 100);
  EXPECT_DOUBLE_EQ(f.usual_per_day[0], 3.0) << "90 kWh over the 30 days before";
  EXPECT_DOUBLE_EQ(f.usual_per_day[1], 1.0);

  // One reading before it: no known rate, the class default (rules.md §7 step 3).
  review.earlier.pop_back();
  f = review_figures(review, rules);
  EXPECT_DOUBLE_EQ(f.usual_per_day[0], rules.default_rates.of(domain::Zone::day, 2));
  // None: nothing to compare with, only the default.
  review.earlier.clear();
  f = review_figures(review, rules);
  EXPECT_FALSE(f.previous_on);
  EXPECT_FALSE(f.kwh[0]);
}

TEST_F(ServiceTest, AcceptedReadingAnswersWithTheFullReceipt) {
  auto out = submit("2025-11-30T10:00:00", "12120", "6060");
  ASSERT_EQ(out.status, Status::accepted);
  json r = json::parse(out.receipt_json);
  EXPECT_EQ(r["receipt"], out.receipt_id);
  EXPECT_TRUE(domain::normalize_receipt_id(r["receipt"].get<std::string>()));
  EXPECT_EQ(r["received_at"], "2025-11-30T10:00:00+02:00");
  EXPECT_EQ(r["account"], "******6789");
  EXPECT_EQ(r["meter_serial"], "A1234567");
  EXPECT_EQ(r["readings"], json::parse(R"({"day":12120,"night":6060})"));
  EXPECT_EQ(r["consumption"], json::parse(R"({"day":120,"night":60})"));
  EXPECT_EQ(r["counts_as"], json::parse(R"({"kind":"period_end","period":"2025-11"})"));
  EXPECT_EQ(r["correction_deadline"], "2025-12-03");
  EXPECT_EQ(r["flags"], json::array());
  EXPECT_EQ(store->counts().submissions, 5);  // 4 installation readings + this one
}

TEST_F(ServiceTest, OffCycleReading) {
  auto out = submit("2025-11-12T09:00:00", "12100", "6050");
  ASSERT_EQ(out.status, Status::accepted);
  json r = json::parse(out.receipt_json);
  EXPECT_EQ(r["counts_as"], json::parse(R"({"kind":"off_cycle","date":"2025-11-12"})"));
  EXPECT_EQ(r["flags"], json::parse(R"(["off_cycle"])"));
  EXPECT_EQ(r["correction_deadline"], "2025-12-03");
}

TEST_F(ServiceTest, ReplayReturnsTheOriginalReceiptAndStoresNothing) {
  auto first = submit("2025-11-30T10:00:00", "12120", "6060", "key-1");
  auto before = store->counts();
  auto again = submit("2025-11-30T10:05:00", "12999", "6999", "key-1");
  EXPECT_EQ(again.status, Status::replayed);
  EXPECT_EQ(again.receipt_json, first.receipt_json);
  EXPECT_EQ(store->counts().submissions, before.submissions);
  EXPECT_EQ(store->audit_tail(1)[0].result, "replayed");
  // Whatever the repeated request says now (lower, unknown meter, needing confirmation, the same
  // values again), a used key answers with what it answered first.
  for (auto [day, night, serial] :
       {std::tuple{"100", "100", "A1234567"}, std::tuple{"12121", "6061", "X0000000"},
        std::tuple{"99999", "6061", "A1234567"}, std::tuple{"12120", "6060", "A1234567"}}) {
    auto replayed = submit("2025-11-30T10:10:00", day, night, "key-1", false, serial);
    EXPECT_EQ(replayed.status, Status::replayed) << day << " " << serial;
    EXPECT_EQ(replayed.receipt_json, first.receipt_json);
    EXPECT_EQ(store->audit_tail(1)[0].result, "replayed");
  }
  EXPECT_EQ(store->counts().submissions, before.submissions);
}

TEST_F(ServiceTest, RejectedAttemptIsAuditedButNotStored) {
  auto before = store->counts();
  auto out = submit("2025-11-30T10:00:00", "11000", "6060");
  ASSERT_EQ(out.status, Status::rejected);
  EXPECT_EQ(out.rejection->code, "lower_than_previous");
  EXPECT_EQ(store->counts().submissions, before.submissions);
  auto audit = store->audit_tail(1)[0];
  EXPECT_EQ(audit.result, "rejected:lower_than_previous");
  EXPECT_EQ(audit.raw_input, "test");
  EXPECT_EQ(audit.channel, "api");
}

TEST_F(ServiceTest, UnknownAccountOrSerialGetTheSameAnswer) {
  auto wrong_serial = submit("2025-11-30T10:00:00", "12120", "6060", "", false, "B0000000");
  EXPECT_EQ(wrong_serial.status, Status::not_found);
  SubmitRequest r;
  r.channel = "api";
  r.account = "0000000099";
  r.meter_serial = "A1234567";
  r.values = {{"day", "1"}, {"night", "1"}};
  auto tx = store->begin_write();
  auto wrong_account = submissions.process(*tx, r, at("2025-11-30T10:00:00"));
  EXPECT_EQ(wrong_account.status, Status::not_found);
  EXPECT_EQ(wrong_account.rejection->code, wrong_serial.rejection->code);
}

TEST_F(ServiceTest, LaterReadingInTheSameWindowSupersedesAndIsComparedWithTheOneBefore) {
  auto first = submit("2025-11-30T10:00:00", "12600", "6100");
  ASSERT_EQ(first.status, Status::accepted);
  // A correction lower than the first reading but above the installation reading is fine.
  auto second = submit("2025-12-02T10:00:00", "12150", "6070");
  ASSERT_EQ(second.status, Status::accepted) << second.rejection->code;
  EXPECT_EQ(json::parse(second.receipt_json)["consumption"],
            json::parse(R"({"day":150,"night":70})"));
  EXPECT_EQ(store->find_by_receipt(first.receipt_id)->status, "superseded");
  EXPECT_EQ(store->find_by_receipt(second.receipt_id)->status, "accepted");
  auto audit = store->audit_tail(2);
  EXPECT_EQ(audit[1].result, "superseded");
  EXPECT_NE(audit[1].reason.find(second.receipt_id), std::string::npos);
  // After the window a new reading compares with the latest accepted one.
  auto off = submit("2025-12-10T10:00:00", "12140", "6080");
  EXPECT_EQ(off.status, Status::rejected);
}

TEST_F(ServiceTest, HighReadingNeedsConfirmationThenEntersReview) {
  // Installed 2025-01-10 at 12000: 324 days at 4 kWh/day → day expected 1296 kWh.
  auto out = submit("2025-11-30T10:00:00", "15000", "6100");
  ASSERT_EQ(out.status, Status::needs_confirmation);
  EXPECT_EQ(store->review_backlog(), 0);
  auto confirmed = submit("2025-11-30T10:01:00", "15000", "6100", "", true);
  ASSERT_EQ(confirmed.status, Status::accepted);
  EXPECT_EQ(json::parse(confirmed.receipt_json)["flags"], json::parse(R"(["high"])"));
  EXPECT_EQ(store->review_backlog(), 1);
}

TEST_F(ServiceTest, CustomerChannelsCannotBackdate) {
  SubmitRequest r;
  r.channel = "telegram";
  r.account = "0123456789";
  r.meter_serial = "A1234567";
  r.values = {{"day", "12100"}, {"night", "6050"}};
  r.taken_on = domain::parse_date("2025-06-01");
  auto tx = store->begin_write();
  auto out = submissions.process(*tx, r, at("2025-11-12T10:00:00"));
  ASSERT_EQ(out.status, Status::accepted);
  EXPECT_EQ(json::parse(out.receipt_json)["taken_on"], "2025-11-12");
  r.channel = "api";
  r.values = {{"day", "12200"}, {"night", "6070"}};
  r.taken_on = domain::parse_date("2025-11-11");  // before the last reading: refused
  EXPECT_EQ(submissions.process(*tx, r, at("2025-11-12T10:00:00")).rejection->code,
            "before_last_reading");
}

TEST_F(ServiceTest, ImportAccountsReportsEveryBadRowAndImportsNothing) {
  test::TempDir d2;
  auto fresh = store::open_store(test::test_db(d2, "x.db"));
  fresh->migrate();
  std::string csv =
      "account,holder,phone,email,address,eic,meter_serial,zones,digits,installed_on,initial\n"
      "0000000101,Good Row,,,,62Z000000000001B,M1,1,5,2025-01-10,100\n"
      "12345,Short Account,,,,62Z1234567890123,M2,1,5,2025-01-10,100\n"
      "0000000103,,+38067,bad,,62Z000000000001B,M1,4,9,2025-02-30,1/2\n"
      "0000000104,Too few fields\n";
  auto report = import_accounts(*fresh, submissions, csv, at("2025-11-30"));
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.imported, 0);
  EXPECT_EQ(fresh->counts().accounts, 0);
  std::string all;
  for (const auto& e : report.errors) all += e + "\n";
  EXPECT_NE(all.find("line 3: account must be 10 digits"), std::string::npos) << all;
  EXPECT_NE(all.find("line 3: eic 62Z1234567890123 is not a valid EIC"), std::string::npos) << all;
  EXPECT_NE(all.find("line 4: holder is empty"), std::string::npos) << all;
  EXPECT_NE(all.find("line 4: phone is not a phone number"), std::string::npos) << all;
  EXPECT_NE(all.find("line 4: email"), std::string::npos) << all;
  EXPECT_NE(all.find("line 4: eic 62Z000000000001B repeats an earlier row"), std::string::npos)
      << all;
  EXPECT_NE(all.find("line 4: zones must be 1, 2 or 3"), std::string::npos) << all;
  EXPECT_NE(all.find("line 4: digits must be 4 to 8"), std::string::npos) << all;
  EXPECT_NE(all.find("line 4: installed_on must be a date"), std::string::npos) << all;
  EXPECT_NE(all.find("line 5: expected 11 fields"), std::string::npos) << all;
}

TEST_F(ServiceTest, ImportAccountsRejectsAWrongHeader) {
  auto report = import_accounts(*store, submissions, "account,name\n1,2\n", at("2025-11-30"));
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.errors[0].find("line 1: the header must be exactly"), std::string::npos);
  EXPECT_NE(report.errors[0].find(",initial, or: account,"), std::string::npos)
      << "it names both headers it takes: " << report.errors[0];
}

// The DSO's area of each account, for K_outage and the blend's signal per area: an optional last
// column, one area per account, on one line without blanks around.
TEST_F(ServiceTest, ImportAccountsTakesAnAreaColumn) {
  auto fresh = store::open_store(test::test_db(dir, "areas.db"));
  fresh->migrate();
  const std::string header = std::string(kAccountsHeaderWithArea) + "\n";
  const std::string a = "0000000101,H,,,Odesa,62Z000000000001B,S101,1,5,2025-01-10,100,Izmail\n";
  const std::string b = "0000000102,H,,,Odesa,62Z0000000000029,S102,1,5,2025-01-10,100, Balta\n";
  const std::string c = "0000000101,H,,,Odesa,62Z0000000000037,S103,1,5,2025-01-10,100,Balta\n";
  auto bad = import_accounts(*fresh, submissions, header + a + b + c, at("2025-11-30"));
  ASSERT_FALSE(bad.ok());
  std::string all;
  for (const auto& e : bad.errors) all += e + "\n";
  EXPECT_NE(all.find("line 3: area must be"), std::string::npos) << all;
  EXPECT_NE(all.find("line 4: account 0000000101 appears with another area"), std::string::npos)
      << all;
  EXPECT_TRUE(fresh->account_areas().empty());
  auto ok = import_accounts(
      *fresh, submissions,
      header + a + "0000000102,H,,,Odesa,62Z0000000000029,S102,1,5,2025-01-10,100,\n",
      at("2025-11-30"));
  ASSERT_TRUE(ok.ok()) << ok.errors[0];
  EXPECT_EQ(fresh->account_areas(), std::vector<std::string>{"Izmail"});
}

TEST_F(ServiceTest, ImportReadingsIsAllOrNothingAndReplaySafe) {
  std::string good =
      "account,meter_serial,taken_on,type,values\n"
      "0123456789,A1234567,2025-03-15,inspector,12300/6100\n"
      "0000000001,S0000001,2025-03-15,operator,1200\n";
  std::string bad = good +
                    "0000000002,S0000002,2025-03-15,customer,900\n"    // lower than 1000
                    "0000000003,S0000003,2025-03-15,nobody,1100\n"     // bad type
                    "0000000003,S0000003,2025-03-15,customer,1/2\n"    // two values for 1 zone
                    "0000000009,S0000009,2025-03-15,customer,1100\n";  // unknown meter
  auto before = store->counts().submissions;
  auto report = import_readings(*store, submissions, bad, at("2025-11-30"));
  ASSERT_EQ(report.errors.size(), 4u);
  EXPECT_NE(report.errors[0].find("line 4: lower_than_previous"), std::string::npos);
  EXPECT_NE(report.errors[1].find("line 5: type must be"), std::string::npos);
  EXPECT_NE(report.errors[2].find("line 6: values needs 1 values"), std::string::npos);
  EXPECT_NE(report.errors[3].find("line 7: not_found"), std::string::npos);
  EXPECT_EQ(store->counts().submissions, before);
  EXPECT_EQ(store->audit_tail(1)[0].result, "rejected: 4 bad rows");

  auto ok = import_readings(*store, submissions, good, at("2025-11-30"));
  ASSERT_TRUE(ok.ok()) << ok.errors.front();
  EXPECT_EQ(ok.imported, 2);
  auto again = import_readings(*store, submissions, good, at("2025-11-30"));
  EXPECT_TRUE(again.ok());
  EXPECT_EQ(again.imported, 0);
  EXPECT_EQ(again.replayed, 2);
  EXPECT_EQ(store->counts().submissions, before + 2);
}

TEST_F(ServiceTest, AFileOfManyBadRowsListsTheFirstThousandAndCountsTheRest) {
  std::string csv = "account,meter_serial,taken_on,type,values\n";
  for (int i = 0; i < 1005; ++i) csv += "0000000001,S0000001,2025-03-15,nobody,1100\n";
  auto report = import_readings(*store, submissions, csv, at("2025-11-30"));
  ASSERT_EQ(report.errors.size(), kListedProblems);
  EXPECT_EQ(report.unlisted, 5u);
  EXPECT_NE(report.errors.back().find("line 1001: type must be"), std::string::npos);
  EXPECT_EQ(store->audit_tail(1)[0].result, "rejected: 1005 bad rows");
}

// A file of more rows than an import writes at once (10,000): the rows written early are undone
// all the same when a later row is bad, the progress reaches the file's end, the audit holds.
TEST(ImportTest, AFileLargerThanOneStepIsStillAllOrNothing) {
  test::TempDir dir;
  auto store = store::open_store(test::test_db(dir, "big.db"));
  store->migrate();
  Submissions submissions{ServiceConfig{}};
  constexpr int kAccounts = 10500;
  std::vector<std::size_t> rows_told;
  std::size_t at_told = 0, size_told = 0;
  const ImportProgress progress = [&](std::size_t at, std::size_t size, std::size_t rows) {
    rows_told.push_back(rows);
    at_told = at;
    size_told = size;
  };
  auto accounts = import_accounts(*store, submissions, test::accounts_csv(kAccounts),
                                  at("2025-01-10T12:00:00"), progress);
  ASSERT_TRUE(accounts.ok()) << accounts.errors.front();
  EXPECT_EQ(accounts.imported, kAccounts + 1);
  EXPECT_EQ(rows_told, (std::vector<std::size_t>{10000, kAccounts + 1}));
  EXPECT_EQ(at_told, size_told);

  std::string readings = "account,meter_serial,taken_on,type,values\n";
  for (int i = 1; i <= kAccounts; ++i) {
    char row[64];
    std::snprintf(row, sizeof row, "%010d,S%07d,2025-03-15,customer,%d\n", i, i, 1100 + i % 50);
    readings += row;
  }
  const auto before = store->counts().submissions;
  auto bad = import_readings(*store, submissions,
                             readings + "0000000001,S0000001,2025-03-16,customer,900\n",
                             at("2025-11-30"), progress);
  ASSERT_EQ(bad.errors.size(), 1u);
  EXPECT_NE(bad.errors[0].find("line 10502: lower_than_previous"), std::string::npos)
      << bad.errors[0];
  EXPECT_EQ(store->counts().submissions, before) << "the first 10,000 rows were undone too";

  auto good = import_readings(*store, submissions, readings, at("2025-11-30"), progress);
  ASSERT_TRUE(good.ok()) << good.errors.front();
  EXPECT_EQ(good.imported, kAccounts);
  EXPECT_EQ(store->counts().submissions, before + kAccounts);
  const auto verdict = verify_audit(*store);
  EXPECT_TRUE(verdict.ok) << verdict.problem;
  EXPECT_GE(verdict.records, 2 * kAccounts);
}

TEST_F(ServiceTest, IngestorGroupsConcurrentSubmissionsAndLosesNone) {
  Clock clock{at("2025-11-12T10:00:00")};
  Ingestor ingestor(*store, submissions, clock, nullptr, IngestOptions{64, 100000});
  constexpr int kThreads = 3, kEach = 150;
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      char account[16], serial[16];
      std::snprintf(account, sizeof account, "%010d", t + 1);
      std::snprintf(serial, sizeof serial, "S%07d", t + 1);
      for (int i = 1; i <= kEach; ++i) {
        SubmitRequest r;
        r.channel = "api";
        r.idempotency_key = std::to_string(t) + "-" + std::to_string(i);
        r.account = account;
        r.meter_serial = serial;
        r.values = {{"total", std::to_string(1000 + i)}};
        if (ingestor.submit(std::move(r)).status == Status::accepted) ++accepted;
      }
    });
  }
  for (auto& t : threads) t.join();
  ingestor.stop();
  EXPECT_EQ(accepted.load(), kThreads * kEach);
  EXPECT_EQ(store->counts().submissions, 4 + kThreads * kEach);
}

// The web form's review: the answer storing would give, with nothing stored but the audit record
// of a refused attempt; a key already stored answers with its receipt.
TEST_F(ServiceTest, IngestorPreviewAnswersAsSubmitWouldAndStoresOnlyARefusedAttemptsAudit) {
  Clock clock{at("2025-11-30T10:00:00")};
  Ingestor ingestor(*store, submissions, clock, nullptr, IngestOptions{64, 1000});
  auto request = [](std::string day, std::string key) {
    SubmitRequest r;
    r.channel = "web_form";
    r.idempotency_key = std::move(key);
    r.account = "0123456789";
    r.meter_serial = "A1234567";
    r.values = {{"day", std::move(day)}, {"night", "6060"}};
    return r;
  };
  auto preview = [&](SubmitRequest r) {
    std::promise<SubmitOutcome> answer;
    EXPECT_TRUE(ingestor.preview_async(std::move(r),
                                       [&](SubmitOutcome o) { answer.set_value(std::move(o)); }));
    return answer.get_future().get();
  };
  const auto before = store->counts();
  auto fine = preview(request("12120", "k1"));
  ASSERT_EQ(fine.status, Status::accepted);
  ASSERT_EQ(fine.validation.registers.size(), 2u);
  EXPECT_EQ(fine.validation.registers[0].advance, 120);
  EXPECT_EQ(json::parse(fine.receipt_json)["consumption"],
            json::parse(R"({"day":120,"night":60})"));
  EXPECT_EQ(store->counts().submissions, before.submissions);
  EXPECT_EQ(store->counts().audit, before.audit) << "a look is not an attempt";

  auto high = preview(request("15000", "k2"));
  EXPECT_EQ(high.status, Status::needs_confirmation);
  EXPECT_EQ(store->counts().audit, before.audit);

  auto lower = preview(request("11000", "k3"));
  ASSERT_EQ(lower.status, Status::rejected);
  EXPECT_EQ(lower.rejection->code, "lower_than_previous");
  EXPECT_EQ(store->counts().submissions, before.submissions);
  EXPECT_EQ(store->counts().audit, before.audit + 1);
  EXPECT_EQ(store->audit_tail(1)[0].result, "rejected:lower_than_previous");

  auto stored = ingestor.submit(request("12120", "k1"));
  ASSERT_EQ(stored.status, Status::accepted);
  auto again = preview(request("12120", "k1"));
  EXPECT_EQ(again.status, Status::replayed);
  EXPECT_EQ(again.receipt_json, stored.receipt_json);
  ingestor.stop();
  EXPECT_EQ(store->counts().submissions, before.submissions + 1);
}

// A batch is written without savepoints first; an item that fails makes the writer roll back and
// write the batch again with a savepoint per item: the others are stored once, the failed one
// leaves nothing, repeatable work runs again and other work only once.
TEST_F(ServiceTest, IngestorFailsOneItemAloneAndStoresTheRestOnce) {
  Clock clock{at("2025-11-12T10:00:00")};
  Ingestor ingestor(*store, submissions, clock, nullptr, IngestOptions{64, 1000});
  const std::string key = std::string("0000000001\nS0000001");
  auto task = [&](std::atomic<int>& runs, bool repeatable, bool fail, const char* action,
                  std::promise<bool>& done) {
    Ingestor::Task t;
    t.key = key;
    t.repeatable = repeatable;
    t.work = [&runs, fail, action](store::WriteTx& tx, domain::Instant now) {
      ++runs;
      tx.append_audit(store::AuditEntry{now, "test", "api", action, "", "", "", "", std::nullopt});
      if (fail) throw std::runtime_error("this item fails");
    };
    t.done = [&done](bool ok) { done.set_value(ok); };
    return t;
  };
  // Holds the writer until the batch under test is queued behind it.
  LaneHold hold(ingestor, key);

  std::promise<SubmitOutcome> first, second;
  auto submit_async = [&](const char* value, const char* idem, std::promise<SubmitOutcome>& p) {
    SubmitRequest r;
    r.channel = "api";
    r.idempotency_key = idem;
    r.account = "0000000001";
    r.meter_serial = "S0000001";
    r.values = {{"total", value}};
    return ingestor.submit_async(r, [&p](SubmitOutcome o) { p.set_value(std::move(o)); });
  };
  std::atomic<int> ok_runs{0}, failing_runs{0}, once_runs{0}, once_failing_runs{0};
  std::promise<bool> ok_done, failing_done;
  ASSERT_TRUE(submit_async("1001", "batch-1", first));
  ASSERT_TRUE(ingestor.run_async(task(ok_runs, true, false, "probe_ok", ok_done)));
  ASSERT_TRUE(ingestor.run_async(task(failing_runs, true, true, "probe_failed", failing_done)));
  ASSERT_TRUE(submit_async("1002", "batch-2", second));
  hold.release();

  EXPECT_EQ(first.get_future().get().status, Status::accepted);
  EXPECT_EQ(second.get_future().get().status, Status::accepted);
  EXPECT_TRUE(ok_done.get_future().get());
  EXPECT_FALSE(failing_done.get_future().get());
  EXPECT_EQ(ok_runs.load(), 2);       // once without savepoints, once in its own
  EXPECT_EQ(failing_runs.load(), 2);  // and it failed both times
  auto audit_count = [&](const std::string& where) {
    return test::sql_value(store_path, "SELECT count(*) FROM audit WHERE " + where);
  };
  EXPECT_EQ(audit_count("action = 'probe_ok'"), "1");
  EXPECT_EQ(audit_count("action = 'probe_failed'"), "0");
  EXPECT_EQ(audit_count("action = 'submit' AND submission_id IN"
                        " (SELECT id FROM submissions WHERE idempotency_key LIKE 'batch-%')"),
            "2");
  EXPECT_EQ(
      test::sql_value(store_path,
                      "SELECT count(*) FROM submissions WHERE idempotency_key LIKE 'batch-%'"),
      "2");

  // Work that cannot run twice is never repeated: its batch has savepoints from the start.
  LaneHold hold2(ingestor, key);
  std::promise<bool> once_done, once_failing_done;
  ASSERT_TRUE(ingestor.run_async(task(once_runs, false, false, "probe_once", once_done)));
  ASSERT_TRUE(
      ingestor.run_async(task(once_failing_runs, true, true, "probe_failed", once_failing_done)));
  hold2.release();
  EXPECT_TRUE(once_done.get_future().get());
  EXPECT_FALSE(once_failing_done.get_future().get());
  EXPECT_EQ(once_runs.load(), 1);
  EXPECT_EQ(once_failing_runs.load(), 1);
  EXPECT_EQ(audit_count("action = 'probe_once'"), "1");
  ingestor.stop();
}

// One batch: a new key, a key stored before it, the new key again, and a reading whose receipt
// id is already taken. On PostgreSQL the batch's readings are held back and written together;
// either way each gets the answer it would get alone, and nothing is stored twice.
TEST_F(ServiceTest, IngestorBatchAnswersReplaysAndCollisionsAsAlone) {
  Clock clock{at("2025-11-12T10:00:00")};
  auto request = [](const char* account, const char* serial, const char* key, const char* value) {
    SubmitRequest r;
    r.channel = "api";
    r.idempotency_key = key;
    r.account = account;
    r.meter_serial = serial;
    r.values = {{"total", value}};
    return r;
  };
  SubmitOutcome earlier;
  {
    Ingestor first(*store, submissions, clock, nullptr, IngestOptions{64, 1000});
    earlier = first.submit(request("0000000002", "S0000002", "old-key", "1001"));
    ASSERT_EQ(earlier.status, Status::accepted);
  }
  // The next receipt ids: first the one just stored (a collision), then fresh ones.
  std::vector<std::string> ids = {earlier.receipt_id, "R-BBBB-0001", "R-BBBB-0002",
                                  "R-BBBB-0003",      "R-BBBB-0004", "R-BBBB-0005"};
  std::size_t next = 0;
  Submissions colliding{ServiceConfig{}, [&] { return ids.at(next++ % ids.size()); }};
  Ingestor ingestor(*store, colliding, clock, nullptr, IngestOptions{64, 1000});
  // All on one lane, queued behind a task that holds it.
  const std::string lane = "0000000001\nS0000001";
  LaneHold hold(ingestor, lane);
  std::promise<SubmitOutcome> a, b, c;
  auto queue = [&](SubmitRequest r, std::promise<SubmitOutcome>& p) {
    r.account = "0000000001";  // one meter: one lane
    r.meter_serial = "S0000001";
    return ingestor.submit_async(r, [&p](SubmitOutcome o) { p.set_value(std::move(o)); });
  };
  const auto before = store->counts().submissions;
  ASSERT_TRUE(queue(request("", "", "new-key", "1002"), a));
  ASSERT_TRUE(queue(request("", "", "old-key", "1003"), b));
  ASSERT_TRUE(queue(request("", "", "new-key", "1004"), c));
  hold.release();
  auto ra = a.get_future().get(), rb = b.get_future().get(), rc = c.get_future().get();
  ASSERT_EQ(ra.status, Status::accepted);
  EXPECT_NE(ra.receipt_id, earlier.receipt_id) << "a taken receipt id is never given twice";
  EXPECT_EQ(rb.status, Status::replayed);
  EXPECT_EQ(rb.receipt_json, earlier.receipt_json);
  EXPECT_EQ(rc.status, Status::replayed);
  EXPECT_EQ(rc.receipt_json, ra.receipt_json);
  ingestor.stop();
  EXPECT_EQ(store->counts().submissions, before + 1);
  EXPECT_EQ(test::sql_value(store_path,
                            "SELECT count(*) FROM audit WHERE action = 'submit'"
                            " AND result = 'accepted' AND submission_id IN (SELECT id"
                            " FROM submissions WHERE idempotency_key = 'new-key')"),
            "1");
  EXPECT_EQ(test::sql_value(store_path, "SELECT count(*) FROM audit WHERE result = 'replayed'"),
            "2");
}

TEST_F(ServiceTest, IngestorRefusesWhenItsQueueIsFullOrStopped) {
  Clock clock{at("2025-11-12T10:00:00")};
  Ingestor ingestor(*store, submissions, clock, nullptr, IngestOptions{1, 1});
  ingestor.stop();
  SubmitRequest r;
  r.channel = "api";
  EXPECT_FALSE(ingestor.submit_async(r, [](const SubmitOutcome&) {}));
  EXPECT_EQ(ingestor.submit(r).status, Status::unavailable);
}
