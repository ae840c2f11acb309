// Who may do what, endpoint by endpoint and role by role: every console page and action with
// every kind of visitor, every token-protected API route with every kind of token.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "support/browser.hpp"
#include "support/support.hpp"

using namespace md::test;

namespace {

constexpr const char* kNow = "2026-11-30T10:00:00+02:00";

struct Fixture {
  TempDir dir;
  std::string db = dir.file("roles.db");
  std::map<std::string, std::string> tokens;  // role → bearer token
  std::unique_ptr<ServerProcess> server;

  Fixture() {
    write_file(dir.file("a.csv"), accounts_csv(3));
    EXPECT_EQ(run_meterdesk({"import-accounts", dir.file("a.csv"), "--db", db, "--now",
                             "2026-01-10T12:00:00"})
                  .exit_code,
              0);
    for (const char* role : {"operator", "supervisor", "admin"}) {
      EXPECT_EQ(run_meterdesk({"user", "add", "--db", db, "--login", std::string("u-") + role,
                               "--role", role},
                              {}, "correct horse battery\n")
                    .exit_code,
                0);
    }
    // Someone to disable and enable again, who is none of the visitors.
    EXPECT_EQ(
        run_meterdesk({"user", "add", "--db", db, "--login", "u-leaver", "--role", "operator"}, {},
                      "correct horse battery\n")
            .exit_code,
        0);
    for (const char* role : {"supplier", "operator", "supervisor", "admin"}) {
      auto r = run_meterdesk({"token", "create", "--role", role, "--name", role, "--db", db});
      tokens[role] = r.out.substr(0, r.out.find('\n'));
    }
    server = std::make_unique<ServerProcess>(db, std::vector<std::string>{"--now", kNow});
  }
};

// Signs `who` in and returns the browser: anonymous, customer, operator, supervisor or admin.
Browser visitor(std::uint16_t port, const std::string& who) {
  Browser b(port, "en");
  if (who == "customer") {
    b.get("/account/sign-up");
    b.post("/account/sign-up",
           {{"account", "0000000001"}, {"serial", "S0000001"}, {"password", "customer password"}});
  } else if (who != "anonymous") {
    b.get("/operator/sign-in");
    EXPECT_EQ(
        b.post("/operator/sign-in", {{"login", "u-" + who}, {"password", "correct horse battery"}})
            .status,
        303);
  }
  b.get("/submit");  // a page with a form: the browser holds a CSRF token for its posts
  if (who != "anonymous" && who != "customer") b.get("/operator/prices");
  return b;
}

bool refused(const HttpResponse& r) {
  if (r.status == 401 || r.status == 403) return true;
  auto location = r.headers.find("location");
  return r.status == 303 && location != r.headers.end() &&
         location->second.find("sign-in") != std::string::npos;
}

}  // namespace

TEST(Roles, EveryConsoleEndpointWithEveryKindOfVisitor) {
  Fixture f;
  struct Case {
    std::string method, path;
    std::vector<std::pair<std::string, std::string>> fields;
    int least;  // 1 operator, 2 supervisor, 3 admin
  };
  const std::vector<Case> cases = {
      {"GET", "/operator", {}, 1},
      {"GET", "/operator/search?q=0000000001", {}, 1},
      {"GET", "/operator/review", {}, 1},
      {"POST", "/operator/review/999", {{"decision", "accept"}, {"reason", "x"}}, 1},
      {"GET", "/operator/accounts/0000000002", {}, 1},
      {"POST",
       "/operator/accounts/0000000002/readings",
       {{"serial", "S0000002"}, {"taken_on", "2026-11-20"}, {"values", "1500"}, {"reason", "r"}},
       1},
      {"POST",
       "/operator/accounts/0000000003/exchange",
       {{"old_serial", "S0000003"},
        {"final", "1300"},
        {"new_serial", "N3"},
        {"zones", "1"},
        {"digits", "6"},
        {"initial", "1"},
        {"date", "2026-11-20"},
        {"reason", "act"}},
       1},
      {"POST", "/operator/accounts/0000000002/password-reset", {{"reason", "called"}}, 1},
      {"GET", "/operator/photos/1", {}, 1},
      {"GET", "/operator/inspections", {}, 1},
      {"GET", "/operator/periods", {}, 1},
      {"POST", "/operator/periods/close", {{"period", "2026-11"}, {"reason", "r"}}, 2},
      {"GET", "/operator/prices", {}, 1},
      {"POST",
       "/operator/prices",
       {{"item", "heating"}, {"from", "2027-01-01"}, {"value", "2.64"}, {"reason", "r"}},
       2},
      {"GET", "/operator/outages", {}, 1},
      {"POST",
       "/operator/outages",
       {{"area", ""}, {"month", "2027-01"}, {"k", "0.9"}, {"reason", "r"}},
       2},
      {"GET", "/operator/users", {}, 3},
      {"POST",
       "/operator/users",
       {{"login", "new-one"}, {"role", "operator"}, {"password", "x"}},
       3},
      {"POST", "/operator/users/u-operator/password-reset", {{"reason", "asked in person"}}, 3},
      {"POST", "/operator/users/u-leaver/disable", {{"reason", "left"}}, 3},
      {"POST", "/operator/users/u-leaver/enable", {{"reason", "back"}}, 3},
      {"POST",
       "/operator/users/u-leaver/role",
       {{"role", "supervisor"}, {"reason", "order 12"}},
       3},
      {"GET", "/operator/audit?who=u-admin", {}, 2},
      {"GET", "/operator/password", {}, 1},
  };
  const std::map<std::string, int> rank = {
      {"anonymous", 0}, {"customer", 0}, {"operator", 1}, {"supervisor", 2}, {"admin", 3}};
  for (const auto& [who, level] : rank) {
    Browser b = visitor(f.server->port(), who);
    for (const auto& c : cases) {
      auto r = c.method == "GET" ? b.get(c.path) : b.post(c.path, c.fields);
      EXPECT_EQ(refused(r), level < c.least)
          << who << " " << c.method << " " << c.path << " → " << r.status;
    }
  }
}

// An admin gives a staff member who has forgotten the password a code on the users page; it
// is for staff only (a customer's code comes from the account view).
TEST(Roles, AnAdminGivesAStaffMemberAResetCode) {
  Fixture f;
  Browser admin = visitor(f.server->port(), "admin");
  admin.get("/operator/users");
  EXPECT_EQ(admin.post("/operator/users/u-operator/password-reset", {{"reason", ""}}).status, 422);
  EXPECT_EQ(admin.post("/operator/users/0000000001/password-reset", {{"reason", "r"}}).status, 404);
  auto given =
      admin.post("/operator/users/u-operator/password-reset", {{"reason", "asked in person"}});
  ASSERT_EQ(given.status, 200);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(given.body, m, std::regex(R"(class="code">([0-9A-Z-]{14})<)")))
      << given.body;
  Browser b(f.server->port(), "en");
  b.get("/operator/reset");
  EXPECT_EQ(b.post("/operator/reset",
                   {{"login", "u-operator"}, {"code", m[1]}, {"new", "a fresh password"}})
                .status,
            303);
  EXPECT_EQ(sql_value(f.db,
                      "SELECT actor || '|' || reason FROM audit WHERE action = "
                      "'password_reset_code'"),
            "admin:u-admin|asked in person");
}

// Someone who has left: the admin disables them and their open console session ends at once;
// they cannot sign in; enabled again, they can.
TEST(Roles, AStaffMemberWhoHasLeftIsDisabledAndTheirSessionEnds) {
  Fixture f;
  Browser admin = visitor(f.server->port(), "admin");
  Browser leaver(f.server->port(), "en");
  leaver.get("/operator/sign-in");
  ASSERT_EQ(
      leaver
          .post("/operator/sign-in", {{"login", "u-leaver"}, {"password", "correct horse battery"}})
          .status,
      303);
  ASSERT_EQ(leaver.get("/operator").status, 200);
  admin.get("/operator/users");
  // Each refusal in words; no such staff member or action is a 404.
  auto says = [&](const std::string& path, const std::string& reason, int status,
                  const std::string& words) {
    auto r = admin.post(path, {{"reason", reason}});
    EXPECT_EQ(r.status, status) << path;
    EXPECT_NE(r.body.find(words), std::string::npos) << path << " " << r.body;
  };
  says("/operator/users/u-admin/disable", "oops", 422, "You cannot disable yourself.");
  says("/operator/users/u-leaver/disable", " ", 422, "Give the reason.");
  says("/operator/users/u-leaver/password-reset", "", 422, "Give the reason.");
  says("/operator/users/nobody/disable", "left", 404, "no such page");
  says("/operator/users/0000000001/password-reset", "asked", 404, "no such page");
  says("/operator/users/u-leaver/promote", "why not", 404, "no such page");
  EXPECT_EQ(sql_value(f.db,
                      "SELECT count(*) FROM audit WHERE action IN ('user_disable', "
                      "'password_reset_code')"),
            "0");
  ASSERT_EQ(admin.post("/operator/users/u-leaver/disable", {{"reason", "left on 27.11"}}).status,
            303);
  EXPECT_NE(admin.get("/operator/users").body.find("disabled since"), std::string::npos);
  EXPECT_TRUE(refused(leaver.get("/operator")));
  Browser again(f.server->port(), "en");
  again.get("/operator/sign-in");
  EXPECT_EQ(
      again
          .post("/operator/sign-in", {{"login", "u-leaver"}, {"password", "correct horse battery"}})
          .status,
      401);
  says("/operator/users/u-leaver/password-reset", "forgot", 422, "The user is disabled");
  // The command line does the same, e.g. for an admin who cannot reach the console.
  EXPECT_EQ(run_meterdesk({"user", "enable", "--db", f.db, "--login", "u-leaver", "--reason",
                           "came back", "--now", kNow})
                .exit_code,
            0);
  EXPECT_EQ(
      again
          .post("/operator/sign-in", {{"login", "u-leaver"}, {"password", "correct horse battery"}})
          .status,
      303);
  EXPECT_NE(run_meterdesk({"user", "disable", "--db", f.db, "--login", "u-admin", "--reason",
                           "last one", "--now", kNow})
                .exit_code,
            0)
      << "the last admin stays";
}

// An admin gives an operator the admin role: the operator's open session reaches the users page
// at once; the command line takes it back and the same session is refused again.
TEST(Roles, AnAdminChangesAStaffMembersRoleAndItAppliesAtOnce) {
  Fixture f;
  Browser admin = visitor(f.server->port(), "admin");
  Browser op = visitor(f.server->port(), "operator");
  EXPECT_TRUE(refused(op.get("/operator/users")));
  auto page = admin.get("/operator/users");
  EXPECT_NE(page.body.find("action=\"/operator/users/u-operator/role\""), std::string::npos);
  auto says = [&](const std::string& login, const std::string& role, const std::string& reason,
                  const std::string& words) {
    auto r = admin.post("/operator/users/" + login + "/role", {{"role", role}, {"reason", reason}});
    EXPECT_EQ(r.status, 422) << login << " " << role;
    EXPECT_NE(r.body.find(words), std::string::npos) << r.body;
  };
  says("u-admin", "operator", "stepping down", "You cannot change your own role");
  says("u-operator", "root", "why not", "There is no such role");
  says("u-operator", "admin", " ", "Give the reason.");
  ASSERT_EQ(admin.post("/operator/users/u-operator/role", {{"role", "admin"}, {"reason", "deputy"}})
                .status,
            303);
  EXPECT_EQ(op.get("/operator/users").status, 200);
  EXPECT_EQ(run_meterdesk({"user", "role", "--db", f.db, "--login", "u-operator", "--role",
                           "operator", "--reason", "back to the phones", "--now", kNow})
                .exit_code,
            0);
  EXPECT_TRUE(refused(op.get("/operator/users")));
  EXPECT_EQ(
      sql_value(f.db,
                "SELECT group_concat(actor || '|' || result || '|' || reason, ';') FROM "
                "(SELECT * FROM audit WHERE action = 'user_role' ORDER BY id)"),
      "admin:u-admin|operator -> admin|deputy;admin:cli|admin -> operator|back to the phones");
  // The audit trail page finds the admin's change by person and action (not the command line's).
  auto trail = admin.get("/operator/audit?who=u-admin&action=user_role");
  EXPECT_EQ(trail.status, 200);
  EXPECT_NE(trail.body.find("operator -&gt; admin"), std::string::npos) << trail.body;
  EXPECT_NE(trail.body.find("deputy"), std::string::npos);
  EXPECT_EQ(trail.body.find("back to the phones"), std::string::npos);
  auto about = admin.get("/operator/audit?about=u-operator");
  EXPECT_NE(about.body.find("back to the phones"), std::string::npos) << about.body;
  EXPECT_NE(admin.get("/operator/audit?who=nobody").body.find("No such records."),
            std::string::npos);
}

TEST(Roles, EveryTokenProtectedApiRouteWithEveryKindOfToken) {
  Fixture f;
  struct Case {
    std::string method, path, body;
    std::set<std::string> allowed;
  };
  const std::string exchange =
      R"({"account":"0000000001","old_serial":"S0000001","old_final":{"total":1300},)"
      R"("new_serial":"Z1","zones":1,"digits":6,"new_initial":{"total":1},"date":"2026-11-20",)"
      R"("reason":"act 1"})";
  const std::vector<Case> cases = {
      {"GET", "/api/v1/periods/2026-10/volumes", "", {"supplier", "admin"}},
      {"GET", "/api/v1/periods/2026-10/bills", "", {"supplier", "admin"}},
      {"POST", "/api/v1/meter-exchanges", exchange, {"operator", "supervisor", "admin"}},
  };
  std::map<std::string, std::string> bearers = f.tokens;
  bearers["none"] = "";
  bearers["forged"] = "mdk_" + std::string(64, '0');
  for (const auto& c : cases) {
    for (const auto& [role, token] : bearers) {
      std::map<std::string, std::string> headers{{"Content-Type", "application/json"}};
      if (!token.empty()) headers["Authorization"] = "Bearer " + token;
      auto r = http(f.server->port(), c.method, c.path, c.body, headers);
      EXPECT_EQ(refused(r), !c.allowed.count(role))
          << role << " " << c.method << " " << c.path << " → " << r.status << " " << r.body;
    }
  }
}
