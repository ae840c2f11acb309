// The personal account over loopback: sign-up and sign-in, the reading form for the account's
// meters, a forgotten password, contact details.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <regex>
#include <sstream>

#include "e2e/web_fixture.hpp"

using namespace md::test;
using namespace md::test::web;

namespace {

TEST_F(WebTest, SignUpSignInLockoutAndSessions) {
  Browser b(port(), "en");
  EXPECT_EQ(b.get("/account").status, 303) << "signed out: to the sign-in page";
  b.get("/account/sign-up");
  auto wrong =
      b.post("/account/sign-up",
             {{"account", "0000000009"}, {"serial", "S9999999"}, {"password", "long enough pw"}});
  EXPECT_EQ(wrong.status, 422);
  auto weak = b.post("/account/sign-up",
                     {{"account", "0000000009"}, {"serial", "S0000009"}, {"password", "short"}});
  EXPECT_EQ(weak.status, 422);
  auto ok = b.post("/account/sign-up", {{"account", "0000000009"},
                                        {"serial", "S0000009"},
                                        {"password", "long enough pw"},
                                        {"email", "mariia@example.org"}});
  ASSERT_EQ(ok.status, 303) << ok.body;
  EXPECT_NE(b.last_set_cookie.find("md_session="), std::string::npos);
  EXPECT_NE(b.last_set_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(b.last_set_cookie.find("SameSite=Lax"), std::string::npos);
  EXPECT_NE(b.last_set_cookie.find("Path=/account"), std::string::npos);
  EXPECT_EQ(
      sql_value(db_,
                "SELECT count(*) FROM users WHERE login = '0000000009' AND password_hash LIKE "
                "'$argon2id$%'"),
      "1");
  // A second sign-up for the same account, or with an e-mail another cabinet has, is refused
  // with the way in (sign in), and no second user appears.
  Browser again(port(), "en");
  again.get("/account/sign-up");
  auto twice = again.post(
      "/account/sign-up",
      {{"account", "0000000009"}, {"serial", "S0000009"}, {"password", "another long pw"}});
  EXPECT_EQ(twice.status, 422);
  EXPECT_NE(twice.body.find("already has a personal account"), std::string::npos) << twice.body;
  auto same_email = again.post("/account/sign-up", {{"account", "0000000013"},
                                                    {"serial", "S0000013"},
                                                    {"password", "another long pw"},
                                                    {"email", "Mariia@Example.org"}});
  EXPECT_EQ(same_email.status, 422);
  EXPECT_NE(same_email.body.find("already has a personal account"), std::string::npos);
  EXPECT_EQ(sql_value(db_,
                      "SELECT count(*) FROM users WHERE login IN ('0000000009', "
                      "'0000000013')"),
            "1");
  auto overview = b.get("/account");
  ASSERT_EQ(overview.status, 200);
  EXPECT_NE(overview.body.find("S0000009"), std::string::npos);
  EXPECT_NE(overview.body.find("has not arrived"), std::string::npos);
  EXPECT_EQ(b.post("/account/sign-out", {}).status, 303);
  EXPECT_EQ(b.get("/account").status, 303) << "signed out";

  // A planted session token is never accepted.
  Browser planted(port());
  planted.set_cookie("md_session", std::string(64, 'b'));
  EXPECT_EQ(planted.get("/account").status, 303);

  // Wrong passwords: a delay from the third, a lock from the fifth; the right one then waits too.
  b.get("/account/sign-in");
  std::vector<int> statuses;
  for (int i = 0; i < 5; ++i)
    statuses.push_back(b.post("/account/sign-in",
                              {{"login", "mariia@example.org"}, {"password", "wrong password"}})
                           .status);
  EXPECT_EQ(statuses, (std::vector<int>{401, 401, 401, 429, 429}));
  auto locked =
      b.post("/account/sign-in", {{"login", "0000000009"}, {"password", "long enough pw"}});
  EXPECT_EQ(locked.status, 429);
  EXPECT_NE(locked.body.find("Try again after"), std::string::npos);
  EXPECT_EQ(count("SELECT count(*) FROM audit WHERE action = 'sign_in' AND identity = "
                  "'account=0000000009' AND result = 'failed'"),
            3);
  EXPECT_EQ(count("SELECT count(*) FROM audit WHERE action = 'sign_in' AND identity = "
                  "'account=0000000009' AND result = 'locked'"),
            3);
}

TEST_F(WebTest, TheCabinetShowsTheWholeReadingOnceMoreBeforeStoringIt) {
  Browser customer = customer_of(port(), "0000000017");
  auto form = customer.get("/account/submit");
  const std::vector<std::pair<std::string, std::string>> values{
      {"key", form_key(form)}, {"serial", "S0000017"}, {"zone.total", "1150"}};
  const auto before = count("SELECT count(*) FROM submissions");
  auto review = customer.post_multipart("/account/submit", values);
  ASSERT_EQ(review.status, 200) << review.body;
  EXPECT_NE(review.body.find("Check the reading before sending it"), std::string::npos);
  EXPECT_NE(review.body.find("<strong>1,150</strong>"), std::string::npos);
  EXPECT_NE(review.body.find("150 kWh"), std::string::npos) << "since the installation at 1000";
  EXPECT_NE(review.body.find("type=\"hidden\" name=\"serial\" value=\"S0000017\""),
            std::string::npos);
  EXPECT_EQ(count("SELECT count(*) FROM submissions"), before);
  auto send = values;
  send.emplace_back("review", "1");
  auto done =
      customer.post_multipart("/account/submit", send, {{"photo", "m.png", "image/png", kPng}});
  ASSERT_EQ(done.status, 303) << done.body;
  const std::string receipt = receipt_in(done.headers["location"]);
  EXPECT_EQ(sql_value(db_, "SELECT channel FROM submissions WHERE receipt = '" + receipt + "'"),
            "cabinet");
  EXPECT_EQ(sql_value(db_,
                      "SELECT count(*) FROM submission_photos p JOIN submissions s ON s.id = "
                      "p.submission_id WHERE s.receipt = '" +
                          receipt + "'"),
            "1")
      << "the photo attached on the review is stored with the reading";
}

// With several meters the customer picks one (a GET of its own, so no JavaScript is needed) and
// gets that meter's zones; the values go to the meter whose fields were shown.
TEST_F(WebTest, TheCabinetAsksForTheZonesOfTheMeterPicked) {
  Browser customer = customer_of(port(), "0000000019");
  auto first = customer.get("/account/submit");
  ASSERT_EQ(first.status, 200);
  EXPECT_NE(first.body.find("id=\"pick-serial\""), std::string::npos);
  EXPECT_NE(first.body.find("name=\"zone.total\""), std::string::npos);
  EXPECT_NE(first.body.find("type=\"hidden\" name=\"serial\" value=\"S0000019\""),
            std::string::npos);
  auto garage = customer.get("/account/submit?serial=T0000019");
  EXPECT_NE(garage.body.find("name=\"zone.day\""), std::string::npos);
  EXPECT_NE(garage.body.find("name=\"zone.night\""), std::string::npos);
  EXPECT_EQ(garage.body.find("name=\"zone.total\""), std::string::npos);
  EXPECT_NE(garage.body.find("type=\"hidden\" name=\"serial\" value=\"T0000019\""),
            std::string::npos);
  EXPECT_NE(garage.body.find("value=\"T0000019\" selected"), std::string::npos);
  std::vector<std::pair<std::string, std::string>> values{{"key", form_key(garage)},
                                                          {"serial", "T0000019"},
                                                          {"zone.day", "5100"},
                                                          {"zone.night", "3040"}};
  auto review = customer.post_multipart("/account/submit", values);
  ASSERT_EQ(review.status, 200) << review.body;
  EXPECT_NE(review.body.find("<td>T0000019</td>"), std::string::npos);
  values.emplace_back("review", "1");
  auto done = customer.post_multipart("/account/submit", values);
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_EQ(sql_value(db_,
                      "SELECT m.serial FROM submissions s JOIN meters m ON m.id = s.meter_id "
                      "WHERE s.receipt = '" +
                          receipt_in(done.headers["location"]) + "'"),
            "T0000019");
}

// A customer who has forgotten the password calls; the operator gives a one-time code from the
// account view, and the customer sets a new password with it: every old session ends.
TEST_F(WebTest, AForgottenPasswordIsSetAgainWithTheCodeAnOperatorGave) {
  Browser before = customer_of(port(), "0000000022");
  ASSERT_EQ(before.get("/account").status, 200);
  Browser op = staff(port(), "olena");
  auto view = op.get("/operator/accounts/0000000022");
  ASSERT_NE(view.body.find("/operator/accounts/0000000022/password-reset"), std::string::npos);
  auto no_reason = op.post("/operator/accounts/0000000022/password-reset", {{"reason", " "}});
  EXPECT_EQ(no_reason.status, 422);
  EXPECT_NE(no_reason.body.find("Give the reason."), std::string::npos) << no_reason.body;
  EXPECT_EQ(
      op.post("/operator/accounts/0000000022/password-reset", {{"reason", "r"}}, false).status, 403)
      << "no CSRF token, no code";
  auto given = op.post("/operator/accounts/0000000022/password-reset",
                       {{"reason", "called, address and last bill checked"}});
  ASSERT_EQ(given.status, 200) << given.body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      given.body, m, std::regex(R"(class="code">([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})<)")))
      << given.body;
  const std::string code = m[1];
  EXPECT_NE(given.body.find("Valid until 01.12.2026"), std::string::npos) << given.body;
  // An account without a personal account has nothing to reset.
  EXPECT_NE(op.get("/operator/accounts/0000000023").body.find("has not signed up"),
            std::string::npos);
  auto no_cabinet = op.post("/operator/accounts/0000000023/password-reset", {{"reason", "r"}});
  EXPECT_EQ(no_cabinet.status, 422);
  EXPECT_NE(no_cabinet.body.find("The customer has not signed up"), std::string::npos)
      << no_cabinet.body;

  Browser b(port(), "en");
  auto sign_in = b.get("/account/sign-in");
  ASSERT_NE(sign_in.body.find("href=\"/account/reset\""), std::string::npos);
  auto page = b.get("/account/reset");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("0 800 300 015"), std::string::npos);
  EXPECT_EQ(
      b.post("/account/reset",
             {{"login", "0000000022"}, {"code", "0000-0000-0000"}, {"new", "my new password"}},
             false)
          .status,
      403);
  auto wrong =
      b.post("/account/reset",
             {{"login", "0000000022"}, {"code", "0000-0000-0000"}, {"new", "my new password"}});
  EXPECT_EQ(wrong.status, 422);
  EXPECT_NE(wrong.body.find("The code is wrong"), std::string::npos);
  EXPECT_EQ(
      b.post("/account/reset", {{"login", "0000000022"}, {"code", code}, {"new", "short"}}).status,
      422);
  // As read out over the phone: lower case, spaces for the dashes.
  std::string typed = code;
  for (char& c : typed) c = c == '-' ? ' ' : static_cast<char>(std::tolower(c));
  auto done = b.post("/account/reset",
                     {{"login", "0000000022"}, {"code", typed}, {"new", "my new password"}});
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_EQ(done.headers["location"], "/account");
  EXPECT_EQ(b.get("/account").status, 200) << "signed in with the new password's session";
  EXPECT_EQ(before.get("/account").status, 303) << "the old session is over";
  Browser again(port(), "en");
  again.get("/account/reset");
  EXPECT_EQ(again
                .post("/account/reset",
                      {{"login", "0000000022"}, {"code", code}, {"new", "another password"}})
                .status,
            422)
      << "a code works once";
  again.get("/account/sign-in");
  EXPECT_EQ(
      again.post("/account/sign-in", {{"login", "0000000022"}, {"password", "my new password"}})
          .status,
      303);
  EXPECT_EQ(sql_value(db_,
                      "SELECT actor || '|' || reason FROM audit WHERE action = "
                      "'password_reset_code' AND identity = 'account=0000000022'"),
            "operator:olena|called, address and last bill checked");
  EXPECT_EQ(count("SELECT count(*) FROM audit WHERE action = 'password_reset' AND identity = "
                  "'account=0000000022' AND result = 'reset'"),
            1);
}

TEST_F(WebTest, CustomerChangesContactDetailsButNotToSomeoneElsesEmail) {
  Browser a(port(), "en"), b(port(), "en");
  a.get("/account/sign-up");
  ASSERT_EQ(a.post("/account/sign-up", {{"account", "0000000013"},
                                        {"serial", "S0000013"},
                                        {"password", "first long pw"},
                                        {"email", "a13@example.org"}})
                .status,
            303);
  b.get("/account/sign-up");
  ASSERT_EQ(
      b.post("/account/sign-up",
             {{"account", "0000000014"}, {"serial", "S0000014"}, {"password", "second long pw"}})
          .status,
      303);
  b.get("/account");
  EXPECT_EQ(b.post("/account/contact", {{"email", "A13@example.org"}, {"phone", ""}}).status, 422)
      << "e-mails are compared without case";
  EXPECT_EQ(b.post("/account/contact", {{"email", "not an email"}, {"phone", ""}}).status, 422);
  EXPECT_EQ(
      b.post("/account/contact", {{"email", "b14@example.org"}, {"phone", "+380 67 123 4567"}})
          .status,
      303);
  EXPECT_EQ(sql_value(db_, "SELECT email || '|' || phone FROM users WHERE login = '0000000014'"),
            "b14@example.org|+380 67 123 4567");
  EXPECT_EQ(count("SELECT count(*) FROM audit WHERE action = 'contact_change' AND identity = "
                  "'account=0000000014'"),
            1);
}

}  // namespace
