// SQL injection through every parameter a visitor controls: bodies, paths, queries, form fields,
// cookies. Every statement binds its parameters, so each attempt must get an ordinary answer
// (never a 5xx), find nothing it should not, sign nobody in and change nothing.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "support/browser.hpp"
#include "support/support.hpp"

using namespace md::test;

namespace {

const std::vector<std::string> kPayloads = {
    "' OR '1'='1",
    "0000000001' --",
    "1; DROP TABLE submissions; --",
    "\" OR \"\"=\"",
    "' UNION SELECT password_hash, login FROM users --",
    "%' OR 1=1 OR '%",
    "0000000001') OR ('1'='1",
    "\\'; DELETE FROM audit; --",
};

std::string url(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    char buf[4];
    std::snprintf(buf, sizeof buf, "%%%02X", c);
    out += std::isalnum(c) ? std::string(1, static_cast<char>(c)) : std::string(buf);
  }
  return out;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

TEST(Injection, EveryParameterIsDataNeverSql) {
  TempDir dir;
  const std::string db = dir.file("inj.db");
  write_file(dir.file("a.csv"), accounts_csv(3));
  ASSERT_EQ(run_meterdesk(
                {"import-accounts", dir.file("a.csv"), "--db", db, "--now", "2026-01-10T12:00:00"})
                .exit_code,
            0);
  ASSERT_EQ(run_meterdesk({"user", "add", "--db", db, "--login", "olena", "--role", "admin"}, {},
                          "correct horse battery\n")
                .exit_code,
            0);
  auto token = run_meterdesk({"token", "create", "--role", "admin", "--name", "a", "--db", db});
  const std::string bearer = "Bearer " + token.out.substr(0, token.out.find('\n'));
  ServerProcess server(db, {"--now", "2026-11-30T10:00:00+02:00"});
  const auto port = server.port();
  const std::string tables_before =
      sql_value(db, "SELECT group_concat(name) FROM sqlite_master WHERE type = 'table'");

  Browser staff(port, "en");
  staff.get("/operator/sign-in");
  ASSERT_EQ(
      staff.post("/operator/sign-in", {{"login", "olena"}, {"password", "correct horse battery"}})
          .status,
      303);
  Browser visitor(port, "en");
  int attempts = 0;
  auto expect_ordinary = [&](const HttpResponse& r, const std::string& where) {
    ++attempts;
    EXPECT_LT(r.status, 500) << where << " → " << r.status << " " << r.body.substr(0, 200);
    EXPECT_EQ(r.body.find("SQLITE"), std::string::npos) << where;
    EXPECT_EQ(r.body.find("$argon2id$"), std::string::npos) << where;
  };
  for (const auto& p : kPayloads) {
    const std::string j = json_string(p), u = url(p);
    // The JSON API.
    for (
        const std::string& body :
        {R"({"account":)" + j + R"(,"meter_serial":"S0000001","readings":{"total":1100}})",
         R"({"account":"0000000001","meter_serial":)" + j + R"(,"readings":{"total":1100}})",
         R"({"account":"0000000001","meter_serial":"S0000001","readings":{)" + j + R"(:1100}})",
         R"({"account":"0000000001","meter_serial":"S0000001","readings":{"total":)" + j + "}}",
         R"({"account":"0000000001","meter_serial":"S0000001","readings":{"total":1100},"taken_on":)" +
             j + "}"})
      expect_ordinary(http(port, "POST", "/api/v1/readings", body), "POST readings " + body);
    expect_ordinary(http(port, "GET", "/api/v1/accounts/" + u + "/readings?meter_serial=" + u),
                    "history " + p);
    expect_ordinary(
        http(port, "GET", "/api/v1/periods/" + u + "/volumes", "", {{"Authorization", bearer}}),
        "volumes " + p);
    expect_ordinary(http(port, "GET", "/api/v1/periods/2026-10/volumes", "",
                         {{"Authorization", "Bearer mdk_" + u}}),
                    "token " + p);
    expect_ordinary(
        http(
            port, "POST", "/api/v1/meter-exchanges",
            R"({"account":)" + j + R"(,"old_serial":)" + j +
                R"(,"old_final":{"total":1},"new_serial":)" + j +
                R"(,"zones":1,"digits":6,"new_initial":{"total":1},"date":"2026-11-20","reason":)" +
                j + "}",
            {{"Authorization", bearer}, {"Content-Type", "application/json"}}),
        "exchange " + p);
    // The public form, the sign-in and sign-up, the receipt page, the language switch.
    visitor.get("/submit");
    expect_ordinary(visitor.post("/submit", {{"account", p}, {"serial", p}}), "submit " + p);
    expect_ordinary(visitor.post("/submit/zones", {{"account", "0000000001"}, {"serial", p}}),
                    "zones " + p);
    expect_ordinary(visitor.get("/receipt/" + u), "receipt " + p);
    expect_ordinary(visitor.get("/submit?lang=" + u), "lang " + p);
    visitor.get("/account/sign-in");
    auto signin = visitor.post("/account/sign-in", {{"login", p}, {"password", p}});
    expect_ordinary(signin, "sign-in " + p);
    EXPECT_NE(signin.status, 303) << "nobody is signed in by " << p;
    visitor.get("/account/sign-up");
    expect_ordinary(
        visitor.post("/account/sign-up",
                     {{"account", p}, {"serial", p}, {"password", p + p}, {"email", p}}),
        "sign-up " + p);
    Browser planted(port, "en");
    planted.set_cookie("md_session", u);
    expect_ordinary(planted.get("/account"), "session cookie " + p);
    // The console.
    auto search = staff.get("/operator/search?q=" + u);
    expect_ordinary(search, "search " + p);
    EXPECT_EQ(search.body.find("/operator/accounts/0000000002"), std::string::npos)
        << "a search for " << p << " finds no account";
    expect_ordinary(staff.get("/operator/accounts/" + u), "account view " + p);
    expect_ordinary(staff.post("/operator/review/" + u, {{"decision", p}, {"reason", p}}),
                    "review " + p);
    expect_ordinary(
        staff.post("/operator/prices", {{"item", p}, {"from", p}, {"value", p}, {"reason", p}}),
        "prices " + p);
    expect_ordinary(staff.post("/operator/accounts/0000000001/readings",
                               {{"serial", p}, {"taken_on", p}, {"values", p}, {"reason", p}}),
                    "inspector reading " + p);
  }
  EXPECT_GT(attempts, 150);
  EXPECT_EQ(sql_value(db, "SELECT group_concat(name) FROM sqlite_master WHERE type = 'table'"),
            tables_before);
  EXPECT_EQ(sql_value(db, "SELECT count(*) FROM submissions"), "4")
      << "the imports' initial readings only";
  EXPECT_EQ(sql_value(db, "SELECT count(*) FROM users"), "1");
  EXPECT_EQ(sql_value(db, "SELECT count(*) FROM price_changes"), "0");
  EXPECT_EQ(sql_value(db, "PRAGMA integrity_check"), "ok");
}
