// The read models the pages render (service/console_views, service/account_views), on a real
// store (SQLite, and PostgreSQL in the suite's second run): what each page is promised to get.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "service/account_views.hpp"
#include "service/accounts.hpp"
#include "service/console_views.hpp"
#include "service/identify.hpp"
#include "service/people.hpp"
#include "service/submission.hpp"
#include "support/support.hpp"

using namespace md;

namespace {

domain::Instant at(const char* s) {
  return *domain::parse_instant(s);
}

struct ViewsTest : ::testing::Test {
  test::TempDir dir;
  std::string path = test::test_db(dir, "v.db");
  std::unique_ptr<store::Store> store = store::open_store(path);
  service::Submissions submissions{service::ServiceConfig{}};

  void SetUp() override {
    store->migrate();
    auto report = service::import_accounts(*store, submissions, test::accounts_csv(3),
                                           at("2025-01-10T12:00:00"));
    ASSERT_TRUE(report.ok()) << report.errors.front();
  }

  // A one-zone reading of account 000000000N (meter S000000N), received at `when`.
  std::string submit(int account, const char* when, const char* value,
                     const char* channel = "api") {
    service::SubmitRequest r;
    r.channel = channel;
    r.account = "000000000" + std::to_string(account);
    r.meter_serial = "S000000" + std::to_string(account);
    r.values = {{"total", value}};
    r.raw_input = "test";
    auto tx = store->begin_write();
    auto out = submissions.process(*tx, r, at(when));
    tx->commit();
    EXPECT_EQ(out.status, service::SubmitOutcome::Status::accepted) << when << " " << value;
    return out.receipt_id;
  }
  store::AccountRow account(int n) {
    return *service::find_account(*store, "000000000" + std::to_string(n));
  }
};

}  // namespace

TEST_F(ViewsTest, TheWindowsStatisticsCountEachChannelOnItsDayAndEveryDayIsThere) {
  submit(1, "2026-11-29T09:00:00", "1100");
  submit(2, "2026-11-29T21:30:00", "1200", "telegram");
  submit(3, "2026-12-02T08:00:00", "1300");
  submit(1, "2026-12-02T10:00:00", "1150", "telegram");  // a second in the same window counts too

  auto s = service::window_stats(*store, at("2026-12-02T12:00:00"), {});
  EXPECT_EQ(domain::format_date(s.first), "2026-11-29");
  EXPECT_EQ(domain::format_date(s.last), "2026-12-03");
  EXPECT_EQ(s.channels, (std::vector<std::string>{"api", "telegram"}));
  ASSERT_EQ(s.days.size(), 5U);  // 29, 30 November, 1, 2, 3 December: a day without any is 0
  EXPECT_EQ(s.days[0].counts, (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(s.days[1].counts, (std::vector<std::int64_t>{0, 0}));
  EXPECT_EQ(s.days[3].counts, (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(s.days[4].counts, (std::vector<std::int64_t>{0, 0}));
  EXPECT_FALSE(s.estimated_per_mille);  // nothing closed yet

  // Between windows the last one is shown.
  auto later = service::window_stats(*store, at("2026-12-15T12:00:00"), {});
  EXPECT_EQ(domain::format_date(later.first), "2026-11-29");
  EXPECT_EQ(later.days[3].counts, (std::vector<std::int64_t>{1, 1}));
}

TEST_F(ViewsTest, AnAccountShowsItsLatestReadingsAndSaysWhenThereAreMore) {
  auto first = submit(1, "2026-09-29T09:00:00", "1100");
  auto second = submit(1, "2026-10-30T09:00:00", "1200");
  auto third = submit(1, "2026-11-29T09:00:00", "1300");

  auto o = service::account_overview(*store, account(1), 2, 100);
  ASSERT_EQ(o.readings.size(), 2U);
  EXPECT_EQ(o.readings[0].receipt, third);  // the latest first
  EXPECT_EQ(o.readings[1].receipt, second);
  EXPECT_TRUE(o.more_readings);
  ASSERT_EQ(o.meters.size(), 1U);
  EXPECT_EQ(o.meters[0].serial, "S0000001");
  EXPECT_FALSE(o.has_cabinet);

  // The three and the reading the meter was installed with.
  auto all = service::account_overview(*store, account(1), 4, 100);
  EXPECT_EQ(all.readings.size(), 4U);
  EXPECT_EQ(all.readings[2].receipt, first);
  EXPECT_FALSE(all.more_readings);
  EXPECT_FALSE(all.more_audit);
  EXPECT_FALSE(all.audit.empty());

  ASSERT_EQ(service::sign_up(*store, {"0000000001", "S0000001", "a long password", "", "", ""},
                             at("2026-12-01T10:00:00")),
            service::SignUpResult::created);
  EXPECT_TRUE(service::account_overview(*store, account(1), 4, 100).has_cabinet);
  // Another account's readings are not this one's: it has its installation reading only.
  auto other = service::account_overview(*store, account(2), 4, 100);
  ASSERT_EQ(other.readings.size(), 1U);
  EXPECT_EQ(other.readings[0].meter_serial, "S0000002");
  EXPECT_FALSE(other.has_cabinet);
}

TEST_F(ViewsTest, ACustomerSeesEachMeterWithItsLatestAcceptedReadingAndCanTakeAllTheirData) {
  submit(2, "2026-10-30T09:00:00", "1200");
  auto latest = submit(2, "2026-11-29T09:00:00", "1300");
  ASSERT_EQ(service::sign_up(*store, {"0000000002", "S0000002", "a long password", "", "", ""},
                             at("2026-12-01T10:00:00")),
            service::SignUpResult::created);
  auto user = *store->find_user("0000000002");

  auto o = service::customer_overview(*store, *user.account_id, {});
  EXPECT_EQ(o.account.number, "0000000002");
  ASSERT_EQ(o.meters.size(), 1U);
  ASSERT_TRUE(o.meters[0].last);
  EXPECT_EQ(o.meters[0].last->receipt, latest);
  EXPECT_EQ(o.meters[0].last->values, (std::vector<std::int64_t>{1300}));
  EXPECT_TRUE(o.months.empty());  // nothing closed yet

  auto json = service::account_data_json(*store, user);
  EXPECT_EQ(json.filename, "meterdesk-0000000002.json");
  auto j = nlohmann::json::parse(json.body);
  EXPECT_EQ(j["account"]["number"], "0000000002");
  EXPECT_EQ(j["readings"].size(), 3U);  // the two and the installation reading
  EXPECT_EQ(j["readings"][0]["receipt"], latest);

  auto csv = service::account_data_csv(*store, user);
  EXPECT_EQ(csv.filename, "meterdesk-0000000002.csv");
  EXPECT_NE(csv.body.find(latest + ",S0000002,2026-11-29,"), std::string::npos) << csv.body;
}

TEST_F(ViewsTest, AMeterIsFoundByItsAccountAndSerialOnlyTogether) {
  EXPECT_TRUE(service::find_meter(*store, "0000000001", "S0000001"));
  EXPECT_FALSE(service::find_meter(*store, "0000000001", "S0000002"));
  auto meter = *service::find_meter(*store, "0000000003", "S0000003");
  const domain::WindowRules window;
  auto compared = [&](const char* now) {
    return service::compared_reading(*store, meter.meter_id, at(now), window);
  };
  EXPECT_FALSE(compared("2026-11-30T09:00:00")->period);  // installation only
  auto receipt = submit(3, "2026-11-30T09:00:00", "1400");
  // In November's window a new reading replaces this one: it is compared with the one before.
  EXPECT_NE(compared("2026-11-30T10:00:00")->receipt, receipt);
  EXPECT_FALSE(compared("2026-11-30T10:00:00")->period);
  // After the window, the November reading is the last.
  EXPECT_EQ(compared("2026-12-10T10:00:00")->receipt, receipt);
  EXPECT_EQ(service::meter_history(*store, meter.meter_id, 10).size(), 2U);
  auto stored = service::stored_receipt(*store, receipt);
  ASSERT_TRUE(stored);
  EXPECT_NE(stored->find(receipt), std::string::npos);
  EXPECT_FALSE(service::stored_receipt(*store, "NO-SUCH-RECEIPT"));
}

TEST_F(ViewsTest, OneIdentificationCountsAWrongPairOnBothLimitsAndRefusesOnceEitherIsSpent) {
  using S = service::Identification::Status;
  const auto now = at("2026-11-30T10:00:00");
  // Wrong serials at `account` until one is refused: how many were answered "not found".
  auto misses_until_refused = [&](const service::Guesses& g, bool other_accounts) {
    int misses = 0;
    for (; misses < 50; ++misses) {
      const std::string account =
          other_accounts ? "000000000" + std::to_string(1 + misses % 3) : std::string("0000000001");
      auto r = service::identify_meter(*store, g, account, "X" + std::to_string(misses), now);
      if (r.status == S::refused) {
        EXPECT_GT(r.retry_at, now);
        return std::pair{misses, std::string(r.limit)};
      }
      EXPECT_EQ(r.status, S::not_found);
    }
    return std::pair{misses, std::string()};
  };

  auto per_account = service::account_attempts(*store, 3);
  auto per_address = service::attempt_limit(*store, "form-address", 100, std::chrono::hours(1));
  const service::Guesses web{{per_account.get(), per_address.get()}, "203.0.113.7"};
  auto found = service::identify_meter(*store, web, "0000000001", "S0000001", now);
  ASSERT_EQ(found.status, S::found);
  EXPECT_EQ(found.meter->serial, "S0000001");
  // A wrong serial and an unknown account get the same answer, and a right pair counts nothing.
  EXPECT_EQ(service::identify_meter(*store, web, "0000000009", "S0000001", now).status,
            S::not_found);
  EXPECT_EQ(misses_until_refused(web, false), (std::pair{3, std::string("per_account")}));
  // Refused before the lookup from the address that guessed, the right serial too.
  EXPECT_EQ(service::identify_meter(*store, web, "0000000001", "S0000001", now).status, S::refused);
  // The household, from an address that never guessed wrong, still gets in with its right pair;
  // a wrong pair from there is counted and refused, and the address is no longer clean.
  const service::Guesses household{{per_account.get(), per_address.get()}, "192.0.2.10"};
  EXPECT_EQ(service::identify_meter(*store, household, "0000000001", "S0000001", now).status,
            S::found);
  const service::Guesses other{{per_account.get(), per_address.get()}, "192.0.2.11"};
  EXPECT_EQ(service::identify_meter(*store, other, "0000000001", "S9", now).status, S::refused);
  EXPECT_EQ(service::identify_meter(*store, other, "0000000001", "S0000001", now).status,
            S::refused);
  // Another account is not slowed by account 1's guesses.
  EXPECT_EQ(service::identify_meter(*store, web, "0000000002", "S0000002", now).status, S::found);

  // One address guessing at many accounts is refused by its own limit.
  auto loose = service::account_attempts(*store, 100);
  auto tight = service::attempt_limit(*store, "form-address-2", 3, std::chrono::hours(1));
  const service::Guesses guesser{{loose.get(), tight.get()}, "198.51.100.1"};
  EXPECT_EQ(misses_until_refused(guesser, true), (std::pair{3, std::string("per_address")}));
  const service::Guesses neighbour{{loose.get(), tight.get()}, "198.51.100.2"};
  EXPECT_EQ(service::identify_meter(*store, neighbour, "0000000003", "S0000003", now).status,
            S::found);

  // Guesses spread over a network's addresses meet the network's limit.
  auto wide = service::attempt_limit(*store, "form-address-3", 100, std::chrono::hours(1));
  auto network = service::attempt_limit(*store, "form-network-3", 4, std::chrono::hours(1));
  int refused_at = 0;
  for (int i = 1; i <= 10 && !refused_at; ++i) {
    const std::string address = "203.0.113." + std::to_string(i);
    const service::Guesses g{{loose.get(), wide.get(), network.get()}, address};
    auto r = service::identify_meter(*store, g, "0000000002", "X", now);
    if (r.status == S::refused) {
      EXPECT_STREQ(r.limit, "per_network");
      refused_at = i;
    }
  }
  EXPECT_EQ(refused_at, 5) << "four wrong pairs from the network, the fifth refused";
  const service::Guesses elsewhere{{loose.get(), wide.get(), network.get()}, "203.0.114.1"};
  EXPECT_EQ(service::identify_meter(*store, elsewhere, "0000000003", "S0000003", now).status,
            S::found);
}

TEST(GuessLimits, ANetworkIsTheSlash24OrTheSlash48) {
  EXPECT_EQ(service::network_key("203.0.113.77"), "net4:203.0.113");
  EXPECT_EQ(service::network_key("::ffff:203.0.113.77"), "net4:::ffff:203.0.113");
  EXPECT_EQ(service::network_key("2001:db8:5:1::7"), "net6:2001:db8:5");
  EXPECT_EQ(service::network_key("2001:db8:5:2::8"), service::network_key("2001:db8:5:1::7"));
  EXPECT_NE(service::network_key("2001:db8:6::8"), service::network_key("2001:db8:5:1::7"));
}

TEST_F(ViewsTest, AClosedAccountsMeterIsNotFoundUnlessItsHistoryIsAskedFor) {
  using S = service::Identification::Status;
  test::sql_exec(path, "UPDATE accounts SET active = 0 WHERE number = '0000000002'");
  const service::Guesses api{};
  const auto now = at("2026-11-30T10:00:00");
  EXPECT_EQ(service::identify_meter(*store, api, "0000000002", "S0000002", now).status,
            S::not_found);
  EXPECT_EQ(service::identify_meter(*store, api, "0000000002", "S0000002", now, true).status,
            S::found);
}
