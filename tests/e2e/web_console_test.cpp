// The operators' console over loopback: review, roles, inspector readings, prices, K_outage,
// meter exchanges, photos, the close and the staff's passwords.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <regex>
#include <sstream>

#include "e2e/web_fixture.hpp"

using namespace md::test;
using namespace md::test::web;

namespace {

TEST_F(WebTest, OperatorRejectsAFlaggedReadingAndTheCustomerSeesWhy) {
  // The customer, signed in, sends a high reading and confirms it.
  Browser customer = customer_of(port(), "0000000010");
  auto form = customer.get("/account/submit");
  ASSERT_EQ(form.status, 200);
  auto high = customer.post_multipart(
      "/account/submit",
      {{"key", form_key(form)}, {"serial", "S0000010"}, {"zone.total", "40000"}, {"confirm", "1"}});
  ASSERT_EQ(high.status, 303) << high.body;
  std::string receipt = receipt_in(high.headers["location"]);
  std::string id = sql_value(db_, "SELECT id FROM submissions WHERE receipt = '" + receipt + "'");
  EXPECT_EQ(sql_value(db_, "SELECT channel FROM submissions WHERE id = " + id), "cabinet");

  Browser op(port(), "en");
  EXPECT_EQ(op.get("/operator").status, 303);
  op.get("/operator/sign-in");
  ASSERT_EQ(
      op.post("/operator/sign-in", {{"login", "olena"}, {"password", "correct horse battery"}})
          .status,
      303);
  auto queue = op.get("/operator/review");
  ASSERT_EQ(queue.status, 200);
  EXPECT_NE(queue.body.find("0000000010"), std::string::npos);
  // The jump and the time it took: 39,000 kWh over 689 days is 56.6 a day.
  EXPECT_NE(queue.body.find("<strong>+39,000 kWh</strong>, 56.6 a day; usually about 6.0 a day"),
            std::string::npos)
      << queue.body;
  EXPECT_NE(queue.body.find("The previous reading was on 10.01.2025, 689 days before."),
            std::string::npos);
  EXPECT_EQ(op.post("/operator/review/" + id, {{"decision", "reject"}, {"reason", " "}}).status,
            422);
  EXPECT_EQ(
      op.post("/operator/review/" + id, {{"decision", "reject"}, {"reason", "photo shows 14000"}})
          .status,
      303);
  EXPECT_EQ(op.post("/operator/review/" + id, {{"decision", "accept"}, {"reason", ""}}).status, 422)
      << "final";
  EXPECT_EQ(sql_value(db_, "SELECT status FROM submissions WHERE id = " + id),
            "rejected_by_operator");
  EXPECT_EQ(
      sql_value(
          db_,
          "SELECT actor || '|' || reason FROM audit WHERE action = 'review' AND submission_id = " +
              id),
      "operator:olena|photo shows 14000");

  auto history = customer.get("/account/history");
  EXPECT_NE(history.body.find("rejected by an operator"), std::string::npos);
  EXPECT_NE(history.body.find("photo shows 14000"), std::string::npos);

  // The account view shows it all, with the audit trail.
  auto view = op.get("/operator/accounts/0000000010");
  ASSERT_EQ(view.status, 200);
  EXPECT_NE(view.body.find(receipt), std::string::npos);
  EXPECT_NE(view.body.find("operator:olena"), std::string::npos);
  EXPECT_EQ(view.body.find("?all=1"), std::string::npos) << "two readings: all of them shown";
  // Search by serial and by account.
  EXPECT_NE(op.get("/operator/search?q=S0000010").body.find("/operator/accounts/0000000010"),
            std::string::npos);

  // An account with years of readings shows the latest twelve and a link to the rest.
  std::string last_receipt;
  for (int i = 1; i <= 12; ++i) {
    auto r = http(port(), "POST", "/api/v1/readings",
                  R"({"account":"0000000010","meter_serial":"S0000010","readings":{"total":)" +
                      std::to_string(1000 + i) + "}}");
    ASSERT_EQ(r.status, 201) << r.body;
    last_receipt = nlohmann::json::parse(r.body)["receipt"];
  }
  view = op.get("/operator/accounts/0000000010");
  EXPECT_NE(view.body.find(last_receipt), std::string::npos);
  EXPECT_EQ(view.body.find(receipt), std::string::npos) << "the 13th latest is behind the link";
  EXPECT_NE(view.body.find("/operator/accounts/0000000010?all=1#readings"), std::string::npos);
  auto all = op.get("/operator/accounts/0000000010?all=1");
  EXPECT_NE(all.body.find(receipt), std::string::npos);
  EXPECT_NE(all.body.find(last_receipt), std::string::npos);
}

TEST_F(WebTest, RolesLimitWhatStaffMayDo) {
  Browser op(port());
  op.get("/operator/sign-in");
  ASSERT_EQ(
      op.post("/operator/sign-in", {{"login", "olena"}, {"password", "correct horse battery"}})
          .status,
      303);
  EXPECT_EQ(op.get("/operator/users").status, 403);
  EXPECT_EQ(op.post("/operator/periods/close", {{"period", "2026-10"}, {"reason", "x"}}).status,
            403);
  // Customers cannot sign in to the console, nor staff to the cabinet.
  Browser c(port());
  c.get("/account/sign-in");
  EXPECT_EQ(c.post("/account/sign-in", {{"login", "olena"}, {"password", "correct horse battery"}})
                .status,
            401);
  // A console cookie is not a cabinet session.
  c.set_cookie("md_session", op.cookie("md_staff"));
  EXPECT_EQ(c.get("/account").status, 303);
}

TEST_F(WebTest, InspectorReadingEnteredInTheConsoleIsAuditedWithWhoAndWhy) {
  Browser op(port());
  op.get("/operator/sign-in");
  ASSERT_EQ(
      op.post("/operator/sign-in", {{"login", "petro"}, {"password", "correct horse battery"}})
          .status,
      303);
  auto view = op.get("/operator/accounts/0000000011");
  ASSERT_EQ(view.status, 200);
  auto enter = [&](const std::string& values) {
    return op.post("/operator/accounts/0000000011/readings",
                   {{"key", form_key(op.get("/operator/accounts/0000000011"))},
                    {"serial", "S0000011"},
                    {"taken_on", "2026-11-20"},
                    {"values", values},
                    {"type", "inspector"},
                    {"reason", "order 17/11 visit"}});
  };
  const std::string stored = "SELECT count(*) FROM submissions WHERE channel = 'operator_console'";
  // The same validation as every channel: below the last reading (1000 at installation) is
  // refused with the reading it is below; far above the usual is asked to be confirmed.
  auto lower = enter("900");
  EXPECT_EQ(lower.status, 422) << lower.body;
  EXPECT_NE(lower.body.find("менший за ваш останній показник 1000 від"), std::string::npos)
      << lower.body;
  auto high = enter("60000");
  EXPECT_EQ(high.status, 409) << high.body;
  EXPECT_NE(high.body.find("Споживання значно більше, ніж зазвичай"), std::string::npos)
      << high.body;
  EXPECT_EQ(sql_value(db_, stored), "0");
  auto r = op.post("/operator/accounts/0000000011/readings", {{"key", form_key(view)},
                                                              {"serial", "S0000011"},
                                                              {"taken_on", "2026-11-20"},
                                                              {"values", "1500"},
                                                              {"type", "inspector"},
                                                              {"reason", "order 17/11 visit"}});
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(
      sql_value(db_,
                "SELECT type || '|' || taken_on || '|' || actor FROM submissions WHERE "
                "channel = 'operator_console' AND account_id = (SELECT id FROM accounts WHERE "
                "number = '0000000011')"),
      "inspector|2026-11-20|supervisor:petro");
  EXPECT_NE(sql_value(db_,
                      "SELECT raw_input FROM audit WHERE channel = 'operator_console' AND action = "
                      "'submit' ORDER BY id DESC LIMIT 1")
                .find("order 17/11 visit"),
            std::string::npos);
}

// A staff member's code comes from an admin (here the command line) and is spent at
// /operator/reset; a customer's page does not take it.
TEST_F(WebTest, AStaffMembersPasswordIsSetAgainWithACodeFromTheCommandLine) {
  ASSERT_EQ(run_meterdesk({"user", "add", "--db", db_, "--login", "marta", "--role", "operator"},
                          {}, "correct horse battery\n")
                .exit_code,
            0);
  auto issued = run_meterdesk({"user", "reset-code", "--db", db_, "--login", "marta", "--reason",
                               "asked in person", "--now", kNow});
  ASSERT_EQ(issued.exit_code, 0) << issued.err;
  const std::string code = issued.out.substr(0, issued.out.find('\n'));
  ASSERT_EQ(code.size(), 14u) << issued.out;
  EXPECT_NE(run_meterdesk({"user", "reset-code", "--db", db_, "--login", "nobody", "--reason", "r"})
                .exit_code,
            0);
  Browser b(port(), "en");
  b.get("/account/reset");
  EXPECT_EQ(
      b.post("/account/reset", {{"login", "marta"}, {"code", code}, {"new", "a new staff one"}})
          .status,
      422);
  ASSERT_NE(b.get("/operator/sign-in").body.find("href=\"/operator/reset\""), std::string::npos);
  b.get("/operator/reset");
  auto done =
      b.post("/operator/reset", {{"login", "marta"}, {"code", code}, {"new", "a new staff one"}});
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_EQ(done.headers["location"], "/operator");
  EXPECT_EQ(b.get("/operator").status, 200);
  EXPECT_EQ(sql_value(db_,
                      "SELECT actor || '|' || channel FROM audit WHERE action = "
                      "'password_reset_code' AND identity = 'staff=marta'"),
            "admin:cli|cli");
}

TEST_F(WebTest, SupervisorChangesAPriceFromADayAndOnlySupervisorsMay) {
  Browser op = staff(port(), "olena");
  op.get("/operator/prices");
  EXPECT_EQ(op.post("/operator/prices", {{"item", "household"},
                                         {"from", "2026-12-01"},
                                         {"value", "5.00"},
                                         {"reason", "NEURC 1234"}})
                .status,
            403);
  Browser sup = staff(port(), "petro");
  sup.get("/operator/prices");
  EXPECT_EQ(
      sup.post("/operator/prices",
               {{"item", "household"}, {"from", "2026-12-01"}, {"value", "5.00"}, {"reason", " "}})
          .status,
      422);
  EXPECT_EQ(sup.post("/operator/prices", {{"item", "household"},
                                          {"from", "2026-12-01"},
                                          {"value", "five"},
                                          {"reason", "NEURC 1234"}})
                .status,
            422);
  EXPECT_EQ(sup.post("/operator/prices", {{"item", "coefficient.evening"},
                                          {"from", "2026-12-01"},
                                          {"value", "0.5"},
                                          {"reason", "NEURC 1234"}})
                .status,
            422);
  EXPECT_EQ(sup.post("/operator/prices", {{"item", "household"},
                                          {"from", "2026-12-01"},
                                          {"value", "5.00"},
                                          {"reason", "NEURC 1234"}})
                .status,
            303);
  EXPECT_EQ(sql_value(db_,
                      "SELECT item || '|' || valid_from || '|' || value || '|' || actor FROM "
                      "price_changes"),
            "household|2026-12-01|500|supervisor:petro");
  EXPECT_EQ(sql_value(db_, "SELECT reason FROM audit WHERE action = 'price_change'"), "NEURC 1234");
  auto page = sup.get("/operator/prices");
  EXPECT_NE(page.body.find("30.11.2026"), std::string::npos) << "the old price ends the day before";
  EXPECT_NE(page.body.find("5.00"), std::string::npos);
}

// K_outage per area (NEURC 1603/2022) entered in the console: supervisors only, with a reason,
// for an area some account has or for every area; kept and audited.
TEST_F(WebTest, SupervisorEntersKOutageForAnAreaAndOnlySupervisorsMay) {
  ASSERT_EQ(sql_exec(db_, "UPDATE accounts SET area = 'Izmail' WHERE number = '0000000021'"), "");
  Browser op = staff(port(), "olena");
  ASSERT_EQ(op.get("/operator/outages").status, 200);
  using Form = std::vector<std::pair<std::string, std::string>>;
  auto entry = [](const char* area, const char* k, const char* reason,
                  const char* month = "2026-12") {
    return Form{{"area", area}, {"month", month}, {"k", k}, {"reason", reason}};
  };
  EXPECT_EQ(op.post("/operator/outages", entry("Izmail", "0.8", "order 17")).status, 403);
  Browser sup = staff(port(), "petro");
  auto page = sup.get("/operator/outages");
  EXPECT_NE(page.body.find("<option value=\"Izmail\">Izmail</option>"), std::string::npos)
      << page.body;
  auto unknown = sup.post("/operator/outages", entry("Reni", "0.8", "order 17"));
  EXPECT_EQ(unknown.status, 422);
  EXPECT_NE(unknown.body.find("No account has this area"), std::string::npos) << unknown.body;
  EXPECT_EQ(sup.post("/operator/outages", entry("Izmail", "1.5", "order 17")).status, 422);
  EXPECT_EQ(sup.post("/operator/outages", entry("Izmail", "0.8", " ")).status, 422);
  EXPECT_EQ(sup.post("/operator/outages", entry("Izmail", "0.8", "order 17", "2026-13")).status,
            422);
  EXPECT_EQ(sup.post("/operator/outages", entry("Izmail", "0.8", "order 17")).status, 303);
  EXPECT_EQ(sup.post("/operator/outages", entry("", "0.95", "order 18")).status, 303);
  EXPECT_EQ(sql_value(db_,
                      "SELECT group_concat(area || '|' || period || '|' || k_milli || '|' || actor,"
                      " ';') FROM outage_coefficients"),
            "Izmail|2026-12|800|supervisor:petro;|2026-12|950|supervisor:petro");
  EXPECT_EQ(sql_value(db_,
                      "SELECT identity || '|' || raw_input || '|' || reason FROM audit WHERE "
                      "action = 'outage_coefficient' ORDER BY id LIMIT 1"),
            "Izmail|0.800 for 2026-12|order 17");
  page = sup.get("/operator/outages");
  EXPECT_NE(page.body.find("0.950"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("order 18"), std::string::npos);
}

TEST_F(WebTest, MeterExchangeEnteredInTheConsole) {
  Browser op = staff(port(), "olena");
  auto view = op.get("/operator/accounts/0000000012");
  ASSERT_EQ(view.status, 200);
  EXPECT_EQ(sql_value(db_,
                      "SELECT actor FROM audit WHERE action = 'view_account' AND identity = "
                      "'account=0000000012'"),
            "operator:olena")
      << "looking at personal data is audited";
  auto missing_reason =
      op.post("/operator/accounts/0000000012/exchange", {{"old_serial", "S0000012"},
                                                         {"final", "1300"},
                                                         {"new_serial", "N0000012"},
                                                         {"zones", "1"},
                                                         {"digits", "6"},
                                                         {"initial", "5"},
                                                         {"date", "2026-11-20"},
                                                         {"reason", ""}});
  EXPECT_EQ(missing_reason.status, 422);
  auto lower = op.post("/operator/accounts/0000000012/exchange", {{"old_serial", "S0000012"},
                                                                  {"final", "900"},
                                                                  {"new_serial", "N0000012"},
                                                                  {"zones", "1"},
                                                                  {"digits", "6"},
                                                                  {"initial", "5"},
                                                                  {"date", "2026-11-20"},
                                                                  {"reason", "act 42"}});
  EXPECT_EQ(lower.status, 422) << "a final reading below the last one is refused";
  auto ok = op.post("/operator/accounts/0000000012/exchange", {{"old_serial", "S0000012"},
                                                               {"final", "1300"},
                                                               {"new_serial", "N0000012"},
                                                               {"zones", "1"},
                                                               {"digits", "6"},
                                                               {"initial", "5"},
                                                               {"date", "2026-11-20"},
                                                               {"reason", "act 42"}});
  ASSERT_EQ(ok.status, 303) << ok.body;
  EXPECT_EQ(sql_value(db_, "SELECT removed_on FROM meters WHERE serial = 'S0000012'"),
            "2026-11-20");
  EXPECT_EQ(sql_value(db_,
                      "SELECT actor || '|' || reason FROM audit WHERE action = "
                      "'meter_exchange' AND identity = 'account=0000000012'"),
            "operator:olena|act 42");
  EXPECT_NE(op.get("/operator/accounts/0000000012").body.find("N0000012"), std::string::npos);
  EXPECT_EQ(op.get("/operator/inspections").status, 200);
}

TEST_F(WebTest, StaffSeeThePhotoCustomersSeeTheDecisionAndMarkupStaysText) {
  Browser customer = customer_of(port(), "0000000015");
  auto form = customer.get("/account/submit");
  auto sent = customer.post_multipart(
      "/account/submit",
      {{"key", form_key(form)}, {"serial", "S0000015"}, {"zone.total", "35000"}, {"confirm", "1"}},
      {{"photo", "m.png", "image/png", kPng}});
  ASSERT_EQ(sent.status, 303) << sent.body;
  std::string id = sql_value(db_, "SELECT id FROM submissions WHERE receipt = '" +
                                      receipt_in(sent.headers["location"]) + "'");
  EXPECT_EQ(customer.get("/operator/photos/" + id).status, 303) << "customers are not staff";

  Browser op = staff(port(), "olena");
  auto photo = op.get("/operator/photos/" + id);
  EXPECT_EQ(photo.status, 200);
  EXPECT_EQ(photo.headers["content-type"], "image/png");
  EXPECT_EQ(photo.body, kPng);
  op.get("/operator/review");
  const std::string markup = "<img src=x onerror=alert(1)>";
  ASSERT_EQ(op.post("/operator/review/" + id, {{"decision", "reject"}, {"reason", markup}}).status,
            303);
  auto history = customer.get("/account/history");
  EXPECT_EQ(history.body.find("<img src=x"), std::string::npos);
  EXPECT_NE(history.body.find("&lt;img src=x"), std::string::npos);
  EXPECT_EQ(op.get("/operator/accounts/0000000015").body.find("<img src=x"), std::string::npos);
}

TEST_F(WebTest, SupervisorClosesAMonthAndTheCustomerSeesVolumesAndBill) {
  // Its own database and server, without the automatic close.
  TempDir dir;
  const std::string db = dir.file("close.db");
  write_file(dir.file("accounts.csv"), accounts_csv(3));
  ASSERT_EQ(run_meterdesk({"import-accounts", dir.file("accounts.csv"), "--db", db, "--now",
                           "2026-01-10T12:00:00"})
                .exit_code,
            0);
  for (auto [login, role] : {std::pair{"olena", "operator"}, std::pair{"petro", "supervisor"}})
    ASSERT_EQ(run_meterdesk({"user", "add", "--db", db, "--login", login, "--role", role}, {},
                            "correct horse battery\n")
                  .exit_code,
              0);
  ServerProcess server(db, {"--now", kNow}, {{"METERDESK_CLOSE_AUTOMATIC", "false"}});

  Browser op = staff(server.port(), "olena");
  op.get("/operator/periods");
  EXPECT_EQ(
      op.post("/operator/periods/close", {{"period", "2026-10"}, {"reason", "monthly"}}).status,
      403)
      << "operators may not close";
  Browser sup = staff(server.port(), "petro");
  auto periods = sup.get("/operator/periods");
  ASSERT_EQ(periods.status, 200);
  EXPECT_NE(periods.body.find("<strong>2026-10</strong>"), std::string::npos)
      << "the next month to close";
  EXPECT_EQ(
      sup.post("/operator/periods/close", {{"period", "2026-09"}, {"reason", "monthly"}}).status,
      422)
      << "only the next closable month";
  // The configured household price ends in April 2026: the regulator's next one is entered.
  sup.get("/operator/prices");
  ASSERT_EQ(sup.post("/operator/prices", {{"item", "household"},
                                          {"from", "2026-05-01"},
                                          {"value", "4.32"},
                                          {"reason", "NEURC 2026/5"}})
                .status,
            303);
  auto closed =
      sup.post("/operator/periods/close", {{"period", "2026-10"}, {"reason", "monthly close"}});
  ASSERT_EQ(closed.status, 303) << closed.body;
  EXPECT_EQ(sql_value(db,
                      "SELECT actor || '|' || channel || '|' || reason FROM audit WHERE action "
                      "= 'close_period'"),
            "supervisor:petro|operator_console|monthly close");

  // The console's window statistics: the share of last month's chains that were estimated.
  const auto summary =
      nlohmann::json::parse(sql_value(db, "SELECT summary FROM periods WHERE period = '2026-10'"));
  const std::int64_t chains = summary["chains"], estimated = summary["estimated"];
  ASSERT_GT(chains, 0);
  const std::int64_t tenths = estimated * 1000 / chains;
  const std::string share =
      "<strong>" + std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "%</strong>";
  EXPECT_NE(sup.get("/operator").body.find(share), std::string::npos) << share;

  // The evidence before switching methods: every method, the one in use marked; the accounts
  // estimated here have no later readings yet, so nothing is known of them.
  auto periods_now = sup.get("/operator/periods");
  EXPECT_NE(periods_now.body.find("/operator/periods?evidence=2026-10"), std::string::npos);
  auto evidence = sup.get("/operator/periods?evidence=2026-10");
  ASSERT_EQ(evidence.status, 200);
  EXPECT_NE(evidence.body.find("How each method would have estimated: 2026-10"), std::string::npos)
      << evidence.body;
  EXPECT_NE(evidence.body.find("(estimated / known now: " + std::to_string(estimated) + " / 0)"),
            std::string::npos)
      << evidence.body;
  for (const char* method :
       {"<td>regulatory (now)</td>", "<td>recent</td>", "<td>seasonal</td>", "<td>blend</td>"})
    EXPECT_NE(evidence.body.find(method), std::string::npos) << method;
  EXPECT_EQ(sup.get("/operator/periods?evidence=2026-11").body.find("<h2>How each method"),
            std::string::npos)
      << "a month not closed has no evidence";

  Browser customer = customer_of(server.port(), "0000000003");
  auto volumes = customer.get("/account/volumes");
  EXPECT_NE(volumes.body.find("October 2026"), std::string::npos);
  EXPECT_NE(volumes.body.find("estimated"), std::string::npos) << "no reading: an estimate";
  // The chart: a bar for the month, named for a reader, with the year under its first month.
  EXPECT_NE(volumes.body.find("<svg class=\"chart narrow\""), std::string::npos);
  EXPECT_NE(volumes.body.find("<title>Oct 2026: "), std::string::npos) << volumes.body;
  EXPECT_NE(volumes.body.find(">2026</text>"), std::string::npos);
  EXPECT_NE(volumes.body.find("kWh/day"), std::string::npos) << "the estimate explained";
  // The overview: the closed month at a glance, its bill, and why it is an estimate.
  auto overview = customer.get("/account");
  EXPECT_NE(overview.body.find("The last closed month"), std::string::npos) << overview.body;
  EXPECT_NE(overview.body.find("October 2026: <strong>"), std::string::npos);
  EXPECT_NE(overview.body.find(" UAH"), std::string::npos) << "the bill's total";
  EXPECT_NE(overview.body.find("estimated from your average consumption"), std::string::npos);
  auto bills = customer.get("/account/bills");
  EXPECT_NE(bills.body.find("<h2>October 2026</h2>"), std::string::npos) << bills.body;
  EXPECT_EQ(bills.body.find("prices.household"), std::string::npos);
  // The bill says what was estimated, and from what.
  EXPECT_NE(bills.body.find("Estimated (total): "), std::string::npos) << bills.body;
  EXPECT_NE(bills.body.find(" kWh/day ("), std::string::npos) << bills.body;
  auto data = customer.get("/account/data.json");
  EXPECT_EQ(data.headers["content-type"], "application/json");
  EXPECT_NE(data.body.find("\"2026-10\""), std::string::npos);
  auto csv = customer.get("/account/data.csv");
  EXPECT_TRUE(csv.body.starts_with("receipt,meter_serial,"));
}

TEST_F(WebTest, StaffChangeTheirPasswordAndOtherSessionsEnd) {
  Browser first = staff(port(), "petro");
  Browser second = staff(port(), "petro");
  ASSERT_EQ(second.get("/operator").status, 200);
  first.get("/operator/password");
  EXPECT_EQ(first.post("/operator/password", {{"old", "wrong one"}, {"new", "a new long password"}})
                .status,
            422);
  ASSERT_EQ(first
                .post("/operator/password",
                      {{"old", "correct horse battery"}, {"new", "a new long password"}})
                .status,
            303);
  EXPECT_EQ(first.get("/operator").status, 200) << "this browser has a fresh session";
  EXPECT_EQ(second.get("/operator").status, 303) << "the other one is signed out";
  // Put it back for the other tests of the suite.
  first.get("/operator/password");
  ASSERT_EQ(first
                .post("/operator/password",
                      {{"old", "a new long password"}, {"new", "correct horse battery"}})
                .status,
            303);
}

}  // namespace
