// Audit completeness: every kind of action, done the way people do it (command line, API, public
// form, personal account, console), leaves an audit record saying who, when, what and — where a
// person decided something — why.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>

#include "support/browser.hpp"
#include "support/support.hpp"

using namespace md::test;

namespace {

std::vector<std::map<std::string, std::string>> rows(const std::string& db, const std::string& q) {
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  std::vector<std::map<std::string, std::string>> out;
  sqlite3_prepare_v2(h, q.c_str(), -1, &st, nullptr);
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    std::map<std::string, std::string> row;
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      auto t = sqlite3_column_text(st, i);
      row[sqlite3_column_name(st, i)] = t ? reinterpret_cast<const char*>(t) : "";
    }
    out.push_back(std::move(row));
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

}  // namespace

TEST(Audit, EveryKindOfActionLeavesWhoWhenWhatAndWhy) {
  TempDir dir;
  const std::string db = dir.file("audit.db");
  const std::string now = "2026-11-30T10:00:00+02:00";
  // The command line: imports, staff, tokens.
  write_file(dir.file("a.csv"), accounts_csv(5));
  ASSERT_EQ(run_meterdesk(
                {"import-accounts", dir.file("a.csv"), "--db", db, "--now", "2026-01-10T12:00:00"})
                .exit_code,
            0);
  write_file(
      dir.file("r.csv"),
      "account,meter_serial,taken_on,type,values\n0000000005,S0000005,2026-09-30,customer,1200\n");
  ASSERT_EQ(run_meterdesk({"import-readings", dir.file("r.csv"), "--db", db, "--now",
                           "2026-10-01T10:00:00+03:00"})
                .exit_code,
            0);
  ASSERT_EQ(run_meterdesk({"user", "add", "--db", db, "--login", "olena", "--role", "admin"}, {},
                          "correct horse battery\n")
                .exit_code,
            0);
  auto token =
      run_meterdesk({"token", "create", "--role", "supplier", "--name", "YASNO", "--db", db});
  const std::string bearer = "Bearer " + token.out.substr(0, token.out.find('\n'));
  ASSERT_EQ(run_meterdesk({"close-period", "2026-10", "--db", db, "--now", now, "--reason",
                           "the October close"})
                .exit_code,
            0);
  ASSERT_EQ(
      run_meterdesk({"export", "volumes", "2026-10", "--db", db, "--output", dir.file("v.csv")})
          .exit_code,
      0);
  {
    FakePlatform telegram;
    ServerProcess server(db, {"--now", now},
                         {{"METERDESK_CLOSE_AUTOMATIC", "false"},
                          {"METERDESK_TELEGRAM_BOT_TOKEN", "1:audit"},
                          {"METERDESK_TELEGRAM_SECRET_TOKEN", "audit-secret"},
                          {"METERDESK_TELEGRAM_API_BASE", telegram.base()},
                          {"METERDESK_TELEGRAM_PER_CHAT_INTERVAL_MS", "0"}});
    const auto port = server.port();
    // The Telegram bot: a chat links an account, switches reminders off, unlinks it.
    int update = 0;
    auto tg = [&](const std::string& field, const std::string& value) {
      std::string body = "{\"update_id\":" + std::to_string(++update) + ",";
      if (field == "text")
        body += R"("message":{"message_id":1,"date":1,"chat":{"id":77,"type":"private"},"text":")" +
                value + "\"}}";
      else
        body +=
            R"("callback_query":{"id":"c)" + std::to_string(update) +
            R"(","from":{"id":77,"is_bot":false,"first_name":"A"},"chat_instance":"1","data":")" +
            value + "\"}}";
      return http(port, "POST", "/webhooks/telegram", body,
                  {{"X-Telegram-Bot-Api-Secret-Token", "audit-secret"}})
          .status;
    };
    auto button = [&](const std::string& action) {
      // The latest button with that action, as the bot sent it.
      std::string body = sql_value(db, "SELECT body FROM outbox WHERE body LIKE '%|" + action +
                                           "%' ORDER BY id DESC LIMIT 1");
      auto at = body.find("|" + action);
      auto start = body.rfind('"', at) + 1;
      return body.substr(start, body.find('"', at) - start);
    };
    ASSERT_EQ(tg("text", "/start"), 200);
    ASSERT_EQ(tg("text", "0000000002"), 200);
    ASSERT_EQ(tg("text", "S0000002"), 200);
    ASSERT_EQ(tg("text", "/reminders"), 200);
    ASSERT_EQ(tg("callback", button("rem")), 200);
    ASSERT_EQ(tg("text", "/accounts"), 200);
    ASSERT_EQ(tg("callback", button("unlink")), 200);
    // The API: accepted, replayed, rejected, superseded; a supplier's download.
    const std::string reading =
        R"({"account":"0000000001","meter_serial":"S0000001","readings":{"total":1100}})";
    ASSERT_EQ(http(port, "POST", "/api/v1/readings", reading, {{"Idempotency-Key", "k1"}}).status,
              201);
    ASSERT_EQ(http(port, "POST", "/api/v1/readings", reading, {{"Idempotency-Key", "k1"}}).status,
              201);
    ASSERT_EQ(
        http(port, "POST", "/api/v1/readings",
             R"({"account":"0000000001","meter_serial":"S0000001","readings":{"total":1150}})")
            .status,
        201);
    ASSERT_EQ(http(port, "POST", "/api/v1/readings",
                   R"({"account":"0000000001","meter_serial":"S0000001","readings":{"total":10}})")
                  .status,
              422);
    ASSERT_EQ(
        http(port, "GET", "/api/v1/periods/2026-10/bills", "", {{"Authorization", bearer}}).status,
        422)
        << "the configured prices end in April 2026: no bill, so no download to audit";
    ASSERT_EQ(http(port, "GET", "/api/v1/periods/2026-10/volumes", "", {{"Authorization", bearer}})
                  .status,
              200);
    // The personal account.
    Browser customer(port, "en");
    customer.get("/account/sign-up");
    ASSERT_EQ(customer
                  .post("/account/sign-up", {{"account", "0000000002"},
                                             {"serial", "S0000002"},
                                             {"password", "customer password"}})
                  .status,
              303);
    customer.get("/account");
    customer.post("/account/contact", {{"email", "c2@example.org"}, {"phone", ""}});
    customer.post("/account/reminders", {{"on", "0"}});
    auto form = customer.get("/account/submit");
    std::smatch m;
    std::regex key("name=\"key\" value=\"([0-9a-f]{64})\"");
    ASSERT_TRUE(std::regex_search(form.body, m, key));
    ASSERT_EQ(
        customer
            .post_multipart(
                "/account/submit",
                {{"key", m[1]}, {"serial", "S0000002"}, {"zone.total", "30000"}, {"confirm", "1"}})
            .status,
        303);
    customer.get("/account/password");
    customer.post("/account/password", {{"old", "customer password"}, {"new", "a newer password"}});
    customer.post("/account/sign-out", {});
    customer.get("/account/sign-in");
    customer.post("/account/sign-in", {{"login", "0000000002"}, {"password", "wrong"}});
    // The console.
    Browser staff(port, "en");
    staff.get("/operator/sign-in");
    ASSERT_EQ(
        staff.post("/operator/sign-in", {{"login", "olena"}, {"password", "correct horse battery"}})
            .status,
        303);
    staff.get("/operator/review");
    auto id = rows(db, "SELECT submission_id AS id FROM review_items")[0]["id"];
    ASSERT_EQ(staff
                  .post("/operator/review/" + id,
                        {{"decision", "reject"}, {"reason", "photo shows 3000"}})
                  .status,
              303);
    auto view = staff.get("/operator/accounts/0000000003");
    ASSERT_TRUE(std::regex_search(view.body, m, key));
    ASSERT_EQ(staff
                  .post("/operator/accounts/0000000003/readings", {{"key", m[1]},
                                                                   {"serial", "S0000003"},
                                                                   {"taken_on", "2026-11-20"},
                                                                   {"values", "1500"},
                                                                   {"type", "inspector"},
                                                                   {"reason", "visit 17/11"}})
                  .status,
              303);
    ASSERT_EQ(staff
                  .post("/operator/accounts/0000000004/exchange", {{"old_serial", "S0000004"},
                                                                   {"final", "1300"},
                                                                   {"new_serial", "N4"},
                                                                   {"zones", "1"},
                                                                   {"digits", "6"},
                                                                   {"initial", "1"},
                                                                   {"date", "2026-11-20"},
                                                                   {"reason", "act 42"}})
                  .status,
              303);
    staff.get("/operator/prices");
    ASSERT_EQ(staff
                  .post("/operator/prices", {{"item", "household"},
                                             {"from", "2026-11-01"},
                                             {"value", "4.32"},
                                             {"reason", "NEURC 5/2026"}})
                  .status,
              303);
    staff.get("/operator/users");
    ASSERT_EQ(
        staff
            .post("/operator/users",
                  {{"login", "petro"}, {"role", "operator"}, {"password", "another long one"}})
            .status,
        303);
    // Someone leaves and comes back.
    ASSERT_EQ(staff.post("/operator/users/petro/disable", {{"reason", "left on 27.11"}}).status,
              303);
    ASSERT_EQ(staff.post("/operator/users/petro/enable", {{"reason", "rehired"}}).status, 303);
    ASSERT_EQ(
        staff.post("/operator/users/petro/role", {{"role", "supervisor"}, {"reason", "order 12"}})
            .status,
        303);
    ASSERT_EQ(staff.get("/operator/audit?who=petro").status, 200);
    // A forgotten password: the operator gives a code, the customer spends it.
    auto given = staff.post("/operator/accounts/0000000002/password-reset",
                            {{"reason", "called, checked the last bill"}});
    ASSERT_TRUE(std::regex_search(given.body, m, std::regex(R"(class="code">([0-9A-Z-]{14})<)")))
        << given.body;
    Browser forgetful(port, "en");
    forgetful.get("/account/reset");
    ASSERT_EQ(forgetful
                  .post("/account/reset",
                        {{"login", "0000000002"}, {"code", m[1]}, {"new", "the newest password"}})
                  .status,
              303);
    staff.post("/operator/sign-out", {});
  }
  auto revoke_list = run_meterdesk({"token", "list", "--db", db});
  ASSERT_EQ(run_meterdesk({"token", "revoke", revoke_list.out.substr(0, revoke_list.out.find('\t')),
                           "--db", db})
                .exit_code,
            0);

  // Every kind, with who and when; and why where a person decided.
  const std::map<std::string, bool> kinds = {
      {"import_accounts", false},
      {"import_readings", false},
      {"user_add", true},
      {"token_create", false},
      {"token_revoke", false},
      {"close_period", true},
      {"export_volumes", false},
      {"submit", false},
      {"status_change", true},
      {"sign_up", false},
      {"sign_in", false},
      {"sign_out", false},
      {"contact_change", false},
      {"reminders", false},
      {"password_change", false},
      {"review", true},
      {"view_account", false},
      {"meter_exchange", true},
      {"price_change", true},
      {"link_account", false},
      {"unlink_account", false},
      {"notices", false},
      {"password_reset_code", true},
      {"password_reset", false},
      {"user_disable", true},
      {"user_enable", true},
      {"user_role", true},
      {"view_audit", false},
  };
  auto audit = rows(db, "SELECT action, actor, channel, at, result, reason FROM audit");
  std::set<std::string> seen;
  for (const auto& r : audit) {
    seen.insert(r.at("action"));
    EXPECT_FALSE(r.at("actor").empty()) << r.at("action");
    EXPECT_FALSE(r.at("channel").empty()) << r.at("action");
    EXPECT_GT(std::stoll(r.at("at")), 1'700'000'000) << r.at("action");
    EXPECT_FALSE(r.at("result").empty()) << r.at("action");
  }
  for (const auto& [kind, needs_why] : kinds) {
    EXPECT_TRUE(seen.count(kind)) << kind << " left no audit record";
    if (!needs_why) continue;
    bool why = false;
    for (const auto& r : audit)
      if (r.at("action") == kind && !r.at("reason").empty()) why = true;
    EXPECT_TRUE(why) << kind << " has no reason";
  }
  // The inspector's reason is kept with the reading's audit, and the actors name people.
  EXPECT_FALSE(rows(db,
                    "SELECT 1 FROM audit WHERE action = 'submit' AND actor = 'admin:olena'"
                    " AND raw_input LIKE '%visit 17/11%'")
                   .empty());
  EXPECT_FALSE(rows(db,
                    "SELECT 1 FROM audit WHERE action = 'review' AND actor = 'admin:olena'"
                    " AND reason = 'photo shows 3000'")
                   .empty());
  EXPECT_FALSE(rows(db,
                    "SELECT 1 FROM audit WHERE action = 'close_period' AND actor = "
                    "'operator:cli' AND reason = 'the October close'")
                   .empty());
}

// The trail holds the DSO to what it wrote: readings taken through the running service, then the
// database edited behind its back (triggers dropped first). `meterdesk audit verify` names the
// record, and the heads printed before (`meterdesk audit head`) catch a cut-and-mended chain.
TEST(Audit, VerifyNamesTheRecordEditedBehindTheServicesBack) {
  TempDir dir;
  const std::string db = db_with_accounts(dir, "trail.db", 5);
  {
    ServerProcess server(db, {"--now", "2026-11-30T10:00:00+02:00"},
                         {{"METERDESK_CLOSE_AUTOMATIC", "false"}});
    for (int account = 1; account <= 5; ++account) {
      char number[16], serial[16];
      std::snprintf(number, sizeof number, "%010d", account);
      std::snprintf(serial, sizeof serial, "S%07d", account);
      auto r = http(server.port(), "POST", "/api/v1/readings",
                    std::string(R"({"account":")") + number + R"(","meter_serial":")" + serial +
                        R"(","readings":{"total":)" + std::to_string(1100 + account) + "}}",
                    {{"Content-Type", "application/json"}});
      ASSERT_EQ(r.status, 201) << r.body;
    }
  }
  auto intact = run_meterdesk({"audit", "verify", "--db", db});
  EXPECT_EQ(intact.exit_code, 0) << intact.err;
  const std::string records = sql_value(db, "SELECT count(*) FROM audit");
  EXPECT_NE(intact.out.find("audit: intact: " + records + " chained records in 1 chain(s)"),
            std::string::npos)
      << intact.out;
  auto head = run_meterdesk({"audit", "head", "--db", db});
  ASSERT_EQ(head.exit_code, 0);
  EXPECT_TRUE(head.out.starts_with("main " + records + " ")) << head.out;
  write_file(dir.file("published.txt"), head.out);

  const std::string third =
      sql_value(db, "SELECT id FROM audit WHERE action = 'submit' ORDER BY id LIMIT 1 OFFSET 2");
  ASSERT_EQ(sql_exec(db,
                     "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;"
                     " UPDATE audit SET result = 'rejected:not_found' WHERE id = " +
                         third),
            "");
  auto edited = run_meterdesk({"audit", "verify", "--db", db});
  EXPECT_EQ(edited.exit_code, 1);
  EXPECT_NE(edited.err.find("audit: TAMPERED: "), std::string::npos) << edited.err;
  EXPECT_NE(edited.err.find("audit id " + third), std::string::npos) << edited.err;

  // Put back as it was, then the last two records cut and the head set back to the fourth.
  ASSERT_EQ(sql_exec(db, "UPDATE audit SET result = 'accepted' WHERE id = " + third), "");
  ASSERT_EQ(run_meterdesk({"audit", "verify", "--db", db}).exit_code, 0);
  const std::string kept = std::to_string(std::stoi(records) - 2);
  ASSERT_EQ(sql_exec(db, "DELETE FROM audit WHERE seq > " + kept +
                             "; UPDATE audit_heads SET seq = " + kept +
                             ", hash = (SELECT hash FROM audit WHERE seq = " + kept + ")"),
            "");
  EXPECT_EQ(run_meterdesk({"audit", "verify", "--db", db}).exit_code, 0)
      << "a cut chain whose head was mended holds together alone";
  auto cut =
      run_meterdesk({"audit", "verify", "--db", db, "--published", dir.file("published.txt")});
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_NE(cut.err.find("lost its records from #" + records + " on, which a published head"),
            std::string::npos)
      << cut.err;
}

// On PostgreSQL each node's writers append to chains of their own (a command line: one, /0) and,
// daily, writes every chain's head into it: a node that cuts its own chain and mends its head is
// contradicted by the other's anchor.
TEST(Audit, EachNodeAnchorsTheOthersChainOnPostgreSQL) {
  TempDir dir;
  const std::string db = postgres_db();
  write_file(dir.file("accounts.csv"), accounts_csv(3));
  auto as = [&](const std::string& node, std::vector<std::string> args) {
    args.insert(args.end(), {"--db", db});
    return run_meterdesk(args, {{"METERDESK_NODE", node}});
  };
  ASSERT_EQ(as("a", {"import-accounts", dir.file("accounts.csv")}).exit_code, 0);
  ASSERT_EQ(as("a", {"audit", "anchor"}).exit_code, 0);
  const std::string last = sql_value(db, "SELECT max(seq) FROM audit WHERE chain = 'node:a/0'");
  auto named = as("b", {"audit", "anchor"});  // node:b's first record names node:a's head
  ASSERT_EQ(named.exit_code, 0) << named.err;
  EXPECT_NE(named.out.find("node:a/0 " + last + " "), std::string::npos) << named.out;
  EXPECT_EQ(sql_value(db, "SELECT seq FROM audit WHERE chain = 'node:b/0'"), "1");
  auto both = as("a", {"audit", "verify"});
  EXPECT_EQ(both.exit_code, 0) << both.err;
  EXPECT_NE(both.out.find(" chained records in 2 chain(s)"), std::string::npos) << both.out;

  // Node a's last record cut, its head mended: its own chain holds together, b's anchor does not.
  const std::string kept = std::to_string(std::stoi(last) - 1);
  ASSERT_EQ(sql_exec(db,
                     "DROP TRIGGER audit_no_delete ON audit;"
                     " DELETE FROM audit WHERE chain = 'node:a/0' AND seq = " +
                         last + "; UPDATE audit_heads SET seq = " + kept +
                         ", hash = (SELECT hash FROM audit WHERE chain = 'node:a/0' AND seq = " +
                         kept + ") WHERE chain = 'node:a/0'"),
            "");
  auto cut = as("a", {"audit", "verify"});
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_NE(
      cut.err.find("chain node:a/0 lost its records from #" + last + " on, which anchor audit id"),
      std::string::npos)
      << cut.err;
}
