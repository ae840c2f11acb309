// The web channel over loopback against the real server: the public form, the personal account
// and the operators' console, driven like a browser without JavaScript (forms, cookies, CSRF).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include <regex>
#include <sstream>

#include "support/browser.hpp"
#include "support/support.hpp"

using namespace md::test;

namespace {

constexpr const char* kNow = "2026-11-30T10:00:00+02:00";

std::string form_key(const HttpResponse& r) {
  std::smatch m;
  static const std::regex key(R"re(name="key" value="([0-9a-f]{64})")re");
  return std::regex_search(r.body, m, key) ? std::string(m[1]) : std::string();
}

// A customer of `account` (whose meter is S and its last seven digits), signed up and so signed
// in, in English.
Browser customer_of(std::uint16_t port, const std::string& account) {
  Browser b(port, "en");
  b.get("/account/sign-up");
  auto r = b.post(
      "/account/sign-up",
      {{"account", account}, {"serial", "S" + account.substr(3)}, {"password", "a long password"}});
  EXPECT_EQ(r.status, 303) << r.body;
  return b;
}

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(200, '\x01');

class WebTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    db_ = dir_->file("web.db");
    // Account 19 has a second meter, with two zones (a house and a garage).
    write_file(
        dir_->file("accounts.csv"),
        accounts_csv(30) +
            "0000000019,Holder 19,,,Odesa,62Z000002000000Y,T0000019,2,6,2025-01-10,5000/3000\n");
    auto r = run_meterdesk({"import-accounts", dir_->file("accounts.csv"), "--db", db_, "--now",
                            "2026-01-10T12:00:00"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (auto [login, role] : {std::pair{"olena", "operator"}, std::pair{"petro", "supervisor"}}) {
      auto u = run_meterdesk({"user", "add", "--db", db_, "--login", login, "--role", role}, {},
                             "correct horse battery\n");
      ASSERT_EQ(u.exit_code, 0) << u.err;
    }
    server_ = new ServerProcess(db_, {"--now", kNow},
                                {{"METERDESK_WEB_ADDRESS_ATTEMPTS_PER_HOUR", "100000"},
                                 {"METERDESK_WEB_PHOTO_MAX_BYTES", "4096"}});
  }
  static void TearDownTestSuite() {
    // Every form, sign-in and console page of the suite: the log names no one.
    EXPECT_EQ(personal_data_in(server_->log(), 30), "") << server_->log();
    delete server_;
    delete dir_;
  }
  static std::uint16_t port() { return server_->port(); }
  static std::int64_t count(const std::string& query) { return std::stoll(sql_value(db_, query)); }

  // Fills the public form for `account` and `serial` through its steps: the meter, the values,
  // then the review of the whole reading, where a photo is attached and the reading sent.
  static HttpResponse submit(Browser& b, const std::string& account, const std::string& serial,
                             const std::vector<std::pair<std::string, std::string>>& zones,
                             const std::vector<Browser::File>& files = {}, bool confirm = false) {
    auto page = b.get("/submit");
    EXPECT_EQ(page.status, 200);
    auto step2 =
        b.post("/submit", {{"key", form_key(page)}, {"account", account}, {"serial", serial}});
    EXPECT_EQ(step2.status, 200) << step2.body;
    std::vector<std::pair<std::string, std::string>> fields{
        {"key", form_key(step2)}, {"account", account}, {"serial", serial}, {"step", "2"}};
    for (const auto& [zone, value] : zones) fields.emplace_back("zone." + zone, value);
    auto review = b.post_multipart("/submit", fields);
    if (review.status != 200) return review;  // refused, or `high` and waiting for its tick
    EXPECT_NE(review.body.find("name=\"review\""), std::string::npos) << review.body;
    fields.emplace_back("review", "1");
    if (confirm) fields.emplace_back("confirm", "1");
    return b.post_multipart("/submit", fields, files);
  }

  static TempDir* dir_;
  static std::string db_;
  static ServerProcess* server_;
};
TempDir* WebTest::dir_ = nullptr;
std::string WebTest::db_;
ServerProcess* WebTest::server_ = nullptr;

TEST_F(WebTest, PublicFormShowsTheWholeReadingOnceMoreThenGivesAPrintableReceipt) {
  Browser b(port());
  auto page = b.get("/submit");
  EXPECT_NE(page.body.find("name=\"account\""), std::string::npos);
  EXPECT_NE(page.body.find("29.11–03.12.2026"), std::string::npos) << "the window is shown";
  EXPECT_LT(page.body.size(), 30u * 1024);
  auto step2 = b.post("/submit",
                      {{"key", form_key(page)}, {"account", "0123456789"}, {"serial", "A1234567"}});
  ASSERT_EQ(step2.status, 200);
  EXPECT_NE(step2.body.find("name=\"zone.day\""), std::string::npos);
  EXPECT_NE(step2.body.find("name=\"zone.night\""), std::string::npos);

  const std::vector<std::pair<std::string, std::string>> values{{"key", form_key(step2)},
                                                                {"account", "0123456789"},
                                                                {"serial", "A1234567"},
                                                                {"zone.day", "14000"},
                                                                {"zone.night", "7000"}};
  const auto before = count("SELECT count(*) FROM submissions");
  // The whole reading is shown once more, with what it implies, before anything is stored.
  auto review = b.post_multipart("/submit", values);
  ASSERT_EQ(review.status, 200) << review.body;
  EXPECT_NE(review.body.find("Перевірте показник"), std::string::npos);
  EXPECT_NE(review.body.find("<strong>14\u00a0000</strong>"), std::string::npos);
  EXPECT_NE(review.body.find("2\u00a0000 кВт·год"), std::string::npos) << "the day consumption";
  EXPECT_NE(review.body.find("Буде зараховано за</th><td>листопад 2026"), std::string::npos);
  EXPECT_NE(review.body.find("name=\"zone.day\" value=\"14000\""), std::string::npos);
  EXPECT_NE(review.body.find("type=\"hidden\" name=\"zone.day\""), std::string::npos)
      << "no longer editable on the review";
  EXPECT_NE(review.body.find("name=\"photo\""), std::string::npos) << "the photo goes here";
  EXPECT_EQ(count("SELECT count(*) FROM submissions"), before) << "nothing stored yet";
  // "Change" brings the values back into their fields; still nothing stored.
  auto change = values;
  change.emplace_back("change", "1");
  auto editable = b.post_multipart("/submit", change);
  ASSERT_EQ(editable.status, 200);
  EXPECT_NE(editable.body.find("id=\"zone-day\" name=\"zone.day\" inputmode=\"numeric\" "
                               "autocomplete=\"off\" value=\"14000\""),
            std::string::npos)
      << editable.body;
  EXPECT_EQ(editable.body.find("name=\"review\""), std::string::npos);
  EXPECT_EQ(count("SELECT count(*) FROM submissions"), before);

  auto send = values;
  send.emplace_back("review", "1");
  auto done = b.post_multipart("/submit", send);
  ASSERT_EQ(done.status, 303) << done.body;
  std::string location = done.headers["location"];
  ASSERT_TRUE(location.starts_with("/receipt/R-")) << location;
  std::string receipt = location.substr(9);
  auto shown = b.get(location);
  ASSERT_EQ(shown.status, 200);
  EXPECT_NE(shown.body.find(receipt), std::string::npos);
  EXPECT_NE(shown.body.find("14\u00a0000"), std::string::npos) << "numbers in Ukrainian format";
  EXPECT_NE(shown.body.find("******6789"), std::string::npos) << "the account, masked";
  EXPECT_NE(shown.body.find("2\u00a0000"), std::string::npos) << "the day zone's consumption";
  EXPECT_NE(shown.body.find("03.12.2026"), std::string::npos) << "correctable until";
  EXPECT_NE(shown.body.find("форма на сайті"), std::string::npos) << "the channel in words";
  EXPECT_EQ(shown.body.find("web_form"), std::string::npos) << "not its code";
  EXPECT_LT(shown.body.size(), 30u * 1024);
  EXPECT_EQ(sql_value(db_, "SELECT channel FROM submissions WHERE receipt = '" + receipt + "'"),
            "web_form");

  // Sent again (a refresh of the last step, or of the review before it): the same receipt,
  // nothing stored twice.
  auto again = b.post_multipart("/submit", send);
  EXPECT_EQ(again.status, 303);
  EXPECT_EQ(again.headers["location"], location);
  auto reviewed_again = b.post_multipart("/submit", values);
  EXPECT_EQ(reviewed_again.status, 303);
  EXPECT_EQ(reviewed_again.headers["location"], location);
  EXPECT_EQ(count("SELECT count(*) FROM submissions WHERE channel = 'web_form' AND receipt = '" +
                  receipt + "'"),
            1);
}

TEST_F(WebTest, RejectedReadingSaysWhyBesideTheFieldAndAfterThreeTriesOffersOtherChannels) {
  Browser b(port(), "en");
  auto r = submit(b, "0000000002", "S0000002", {{"total", "900"}});
  ASSERT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("lower than your last reading"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("aria-invalid=\"true\""), std::string::npos);
  std::string key = form_key(r);
  for (int i = 0; i < 2; ++i)
    r = b.post_multipart("/submit", {{"key", key},
                                     {"tries", std::to_string(i + 1)},
                                     {"account", "0000000002"},
                                     {"serial", "S0000002"},
                                     {"zone.total", "900"}});
  EXPECT_NE(r.body.find("call centre"), std::string::npos);
  EXPECT_EQ(count("SELECT count(*) FROM submissions WHERE account_id = (SELECT id FROM accounts "
                  "WHERE number = '0000000002') AND channel = 'web_form'"),
            0);
}

// A customer who is away repeats the last reading with one button (rules.md §3): the review shows
// the repeated values and a zero consumption, and the stored reading carries the `zero` flag.
TEST_F(WebTest, SameAsLastTimeRepeatsTheLastReadingAndIsFlaggedZero) {
  Browser b(port(), "en");
  auto page = b.get("/submit");
  auto step2 = b.post("/submit",
                      {{"key", form_key(page)}, {"account", "0000000021"}, {"serial", "S0000021"}});
  ASSERT_EQ(step2.status, 200);
  ASSERT_NE(step2.body.find("name=\"same\""), std::string::npos) << step2.body;
  std::vector<std::pair<std::string, std::string>> fields{{"key", form_key(step2)},
                                                          {"account", "0000000021"},
                                                          {"serial", "S0000021"},
                                                          {"step", "2"},
                                                          {"same", "1"}};
  auto review = b.post_multipart("/submit", fields);
  ASSERT_EQ(review.status, 200) << review.body;
  EXPECT_NE(review.body.find("name=\"zone.total\" value=\"1000\""), std::string::npos)
      << review.body;
  EXPECT_NE(review.body.find("0 kWh"), std::string::npos) << "no consumption";
  EXPECT_EQ(count("SELECT count(*) FROM submissions s JOIN accounts a ON a.id = s.account_id "
                  "WHERE a.number = '0000000021' AND s.channel = 'web_form'"),
            0);
  auto sent = b.post_multipart("/submit", {{"key", form_key(review)},
                                           {"account", "0000000021"},
                                           {"serial", "S0000021"},
                                           {"zone.total", "1000"},
                                           {"review", "1"}});
  ASSERT_EQ(sent.status, 303) << sent.body;
  EXPECT_EQ(sql_value(db_,
                      "SELECT s.v1 || ' ' || s.flags FROM submissions s JOIN accounts a ON a.id = "
                      "s.account_id WHERE a.number = '0000000021' AND s.channel = 'web_form'"),
            "1000 zero");
}

// rules.md §5.6: a refused value whose two adjacent digits swapped would fit is offered beside its
// field ("did you mean"), and nothing is changed silently: the customer types it.
TEST_F(WebTest, ARefusedValueWithSwappedDigitsIsOfferedTheLikelyOne) {
  Browser b(port(), "en");
  auto r = submit(b, "0000000022", "S0000022", {{"total", "0130"}});
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("lower than your last reading 1000"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("Did you mean 1030?"), std::string::npos) << r.body;
  EXPECT_EQ(count("SELECT count(*) FROM submissions s JOIN accounts a ON a.id = s.account_id "
                  "WHERE a.number = '0000000022' AND s.channel = 'web_form'"),
            0);
}

TEST_F(WebTest, WrongAccountAndWrongSerialGetTheSameAnswer) {
  Browser b(port());
  b.get("/submit");
  auto wrong_serial = b.post("/submit", {{"account", "0000000003"}, {"serial", "S9999999"}});
  auto wrong_account = b.post("/submit", {{"account", "0999999999"}, {"serial", "S0000003"}});
  EXPECT_EQ(wrong_serial.status, 422);
  EXPECT_EQ(wrong_account.status, 422);
  std::regex alert(R"(<p class="alert"[^>]*>([^<]*)</p>)");
  std::smatch a, c;
  ASSERT_TRUE(std::regex_search(wrong_serial.body, a, alert));
  ASSERT_TRUE(std::regex_search(wrong_account.body, c, alert));
  EXPECT_EQ(a[1], c[1]);
}

TEST_F(WebTest, FormsWithoutOrWithAForgedCsrfTokenAreRefusedAndStoreNothing) {
  Browser b(port());
  auto page = b.get("/submit");
  auto before = count("SELECT count(*) FROM submissions");
  auto missing =
      b.post("/submit", {{"account", "0000000004"}, {"serial", "S0000004"}, {"zone.total", "1100"}},
             false);
  EXPECT_EQ(missing.status, 403);
  auto forged = b.post("/submit",
                       {{"csrf", std::string(64, 'a')},
                        {"account", "0000000004"},
                        {"serial", "S0000004"},
                        {"zone.total", "1100"}},
                       false);
  EXPECT_EQ(forged.status, 403);
  // A token from another browser's cookie does not pass either.
  Browser other(port());
  other.get("/submit");
  auto foreign = b.post("/submit",
                        {{"csrf", other.csrf()},
                         {"account", "0000000004"},
                         {"serial", "S0000004"},
                         {"zone.total", "1100"}},
                        false);
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(count("SELECT count(*) FROM submissions"), before);
}

TEST_F(WebTest, TenAttemptsPerAccountPerHourThenAClearRefusal) {
  Browser b(port());
  b.get("/submit");
  int refused_at = 0;
  for (int i = 1; i <= 12 && !refused_at; ++i) {
    auto r = b.post("/submit", {{"account", "0000000005"}, {"serial", "WRONG"}});
    if (r.status == 429) {
      refused_at = i;
      EXPECT_FALSE(r.headers["retry-after"].empty());
      EXPECT_NE(r.body.find("Забагато спроб"), std::string::npos);
    }
  }
  EXPECT_EQ(refused_at, 11);
  // Another account from the same address is not affected.
  EXPECT_EQ(b.post("/submit", {{"account", "0000000006"}, {"serial", "S0000006"}}).status, 200);
}

// Only a wrong account + serial is a guess. A household opening the form for its meter, asking for
// its zones and mending a typo a dozen times in an hour is never refused; guesses at an account
// count together on the form's steps, the zones lookup and sign-up.
TEST_F(WebTest, RightSerialsAreNotCountedWrongOnesAreWhereverTheyAreTried) {
  Browser b(port(), "en");
  b.get("/submit");
  const std::vector<std::pair<std::string, std::string>> right{{"account", "0000000016"},
                                                               {"serial", "S0000016"}};
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(b.post("/submit", right).status, 200) << i;
    EXPECT_EQ(b.post("/submit/zones", right).status, 200) << i;
  }
  b.get("/account/sign-up");
  EXPECT_EQ(b.post("/account/sign-up",
                   {{"account", "0000000016"}, {"serial", "S0000016"}, {"password", "short"}})
                .status,
            422)
      << "a weak password is not a guess";
  // Ten guesses: four on the form, three at the zones, three at sign-up.
  auto guess = [&](const std::string& path, int n) {
    std::vector<std::pair<std::string, std::string>> fields{{"account", "0000000016"},
                                                            {"serial", "X" + std::to_string(n)}};
    if (path == "/account/sign-up") fields.emplace_back("password", "long enough pw");
    return b.post(path, fields).status;
  };
  for (int n = 0; n < 10; ++n)
    EXPECT_EQ(guess(n < 4 ? "/submit" : n < 7 ? "/submit/zones" : "/account/sign-up", n), 422) << n;
  // The eleventh is refused wherever it comes, and the right serial is now refused too.
  EXPECT_EQ(guess("/submit", 10), 429);
  EXPECT_EQ(guess("/submit/zones", 11), 429);
  EXPECT_EQ(guess("/account/sign-up", 12), 429);
  EXPECT_EQ(b.post("/submit", right).status, 429);
  EXPECT_EQ(b.post("/submit/zones", right).status, 429);
}

TEST_F(WebTest, HighReadingAsksToConfirmAndKeepsThePhotoWithTheSubmission) {
  Browser b(port(), "en");
  auto r = submit(b, "0000000007", "S0000007", {{"total", "30000"}});
  ASSERT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("name=\"confirm\""), std::string::npos);
  EXPECT_NE(r.body.find("29,000"), std::string::npos) << "the consumption it implies";
  auto done = b.post_multipart("/submit",
                               {{"key", form_key(r)},
                                {"account", "0000000007"},
                                {"serial", "S0000007"},
                                {"zone.total", "30000"},
                                {"confirm", "1"}},
                               {{"photo", "meter.png", "image/png", kPng}});
  ASSERT_EQ(done.status, 303) << done.body;
  std::string receipt = done.headers["location"].substr(9);
  EXPECT_EQ(sql_value(db_,
                      "SELECT p.content_type FROM submission_photos p JOIN submissions s ON s.id = "
                      "p.submission_id WHERE s.receipt = '" +
                          receipt + "'"),
            "image/png");
  EXPECT_EQ(
      sql_value(db_,
                "SELECT length(p.bytes) FROM submission_photos p JOIN submissions s ON s.id = "
                "p.submission_id WHERE s.receipt = '" +
                    receipt + "'"),
      std::to_string(kPng.size()));
  EXPECT_EQ(sql_value(db_,
                      "SELECT r.reason FROM review_items r JOIN submissions s ON s.id = "
                      "r.submission_id WHERE s.receipt = '" +
                          receipt + "'"),
            "high");
}

TEST_F(WebTest, NonImagesAndOversizedPhotosAreRefusedAndNothingIsStored) {
  Browser b(port(), "en");
  auto before = count("SELECT count(*) FROM submissions");
  auto text = submit(b, "0000000008", "S0000008", {{"total", "1100"}},
                     {{"photo", "x.png", "image/png", "<?php echo 1; ?>"}});
  EXPECT_EQ(text.status, 422);
  EXPECT_NE(text.body.find("JPEG or PNG"), std::string::npos);
  auto big = submit(b, "0000000008", "S0000008", {{"total", "1100"}},
                    {{"photo", "big.png", "image/png", kPng + std::string(5000, 'x')}});
  EXPECT_EQ(big.status, 422);
  EXPECT_EQ(count("SELECT count(*) FROM submissions"), before);
  // Beyond the upload limit the server refuses the body itself.
  auto huge = b.post_multipart(
      "/submit", {{"account", "0000000008"}},
      {{"photo", "h.png", "image/png", std::string(std::size_t{200} * 1024, 'x')}});
  EXPECT_EQ(huge.status, 413);
}

TEST_F(WebTest, MarkupInEveryFieldIsEscaped) {
  Browser b(port());
  b.get("/submit");
  const std::string evil = "<script>alert(1)</script>\"'";
  auto r = b.post("/submit", {{"account", evil}, {"serial", evil}});
  EXPECT_EQ(r.body.find("<script>alert"), std::string::npos);
  EXPECT_NE(r.body.find("&lt;script&gt;"), std::string::npos);
  auto s = b.post("/account/sign-in", {{"login", evil}, {"password", "x"}});
  EXPECT_EQ(s.body.find("<script>alert"), std::string::npos);
  auto q = b.get("/receipt/%3Cscript%3E");
  EXPECT_EQ(q.status, 404);
  EXPECT_EQ(q.body.find("<script>"), std::string::npos);
}

TEST_F(WebTest, LanguageComesFromTheSwitchThenTheCookieThenTheBrowser) {
  Browser b(port(), "en");
  EXPECT_NE(b.get("/submit").body.find("Submit a reading"), std::string::npos);
  auto uk = b.get("/submit?lang=uk");
  EXPECT_NE(uk.body.find("Передати показники"), std::string::npos);
  EXPECT_EQ(b.cookie("md_lang"), "uk");
  EXPECT_NE(b.get("/submit").body.find("Передати показники"), std::string::npos) << "remembered";
  EXPECT_NE(b.get("/submit").body.find("lang=en"), std::string::npos) << "the switch links back";
}

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
  const std::string receipt = done.headers["location"].substr(9);
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
                          done.headers["location"].substr(9) + "'"),
            "T0000019");
}

// A photo sent with the values (a client that skips the review page's field) is not kept by the
// look at the reading: the review says to attach it there.
TEST_F(WebTest, APhotoSentBeforeTheReviewIsAskedForAgainOnIt) {
  Browser b(port(), "en");
  auto page = b.get("/submit");
  auto step2 = b.post("/submit",
                      {{"key", form_key(page)}, {"account", "0000000018"}, {"serial", "S0000018"}});
  auto review = b.post_multipart("/submit",
                                 {{"key", form_key(step2)},
                                  {"account", "0000000018"},
                                  {"serial", "S0000018"},
                                  {"zone.total", "1100"}},
                                 {{"photo", "m.png", "image/png", kPng}});
  ASSERT_EQ(review.status, 200) << review.body;
  EXPECT_NE(review.body.find("choose it again"), std::string::npos);
}

TEST_F(WebTest, OperatorRejectsAFlaggedReadingAndTheCustomerSeesWhy) {
  // The customer, signed in, sends a high reading and confirms it.
  Browser customer = customer_of(port(), "0000000010");
  auto form = customer.get("/account/submit");
  ASSERT_EQ(form.status, 200);
  auto high = customer.post_multipart(
      "/account/submit",
      {{"key", form_key(form)}, {"serial", "S0000010"}, {"zone.total", "40000"}, {"confirm", "1"}});
  ASSERT_EQ(high.status, 303) << high.body;
  std::string receipt = high.headers["location"].substr(9);
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

}  // namespace

namespace {

Browser staff(std::uint16_t port, const std::string& login) {
  Browser b(port, "en");
  b.get("/operator/sign-in");
  auto r = b.post("/operator/sign-in", {{"login", login}, {"password", "correct horse battery"}});
  EXPECT_EQ(r.status, 303);
  return b;
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

}  // namespace

namespace {

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

namespace {

TEST_F(WebTest, StaffSeeThePhotoCustomersSeeTheDecisionAndMarkupStaysText) {
  Browser customer = customer_of(port(), "0000000015");
  auto form = customer.get("/account/submit");
  auto sent = customer.post_multipart(
      "/account/submit",
      {{"key", form_key(form)}, {"serial", "S0000015"}, {"zone.total", "35000"}, {"confirm", "1"}},
      {{"photo", "m.png", "image/png", kPng}});
  ASSERT_EQ(sent.status, 303) << sent.body;
  std::string id = sql_value(db_, "SELECT id FROM submissions WHERE receipt = '" +
                                      sent.headers["location"].substr(9) + "'");
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

TEST_F(WebTest, CookiesAreSecureBehindATlsProxy) {
  auto r = http(port(), "GET", "/submit", "", {{"X-Forwarded-Proto", "https"}});
  EXPECT_NE(r.headers["set-cookie"].find("; Secure"), std::string::npos);
  auto plain = http(port(), "GET", "/submit");
  EXPECT_EQ(plain.headers["set-cookie"].find("; Secure"), std::string::npos);
  EXPECT_NE(plain.headers["content-security-policy"].find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(plain.headers["x-frame-options"], "DENY");
}

}  // namespace

namespace {

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

}  // namespace

namespace {

// A carrier puts many households behind one address (carrier-grade NAT), each reading three or
// four posts: only wrong account + serial pairs count against the address, so they are not
// refused, while a guesser trying many accounts from it is — then even a right pair waits.
TEST(WebLimits, AnAddressIsLimitedInWrongPairsNotInTheHouseholdsBehindIt) {
  TempDir dir;
  const std::string db = dir.file("nat.db");
  write_file(dir.file("accounts.csv"), accounts_csv(6));
  ASSERT_EQ(run_meterdesk({"import-accounts", dir.file("accounts.csv"), "--db", db, "--now",
                           "2026-01-10T12:00:00"})
                .exit_code,
            0);
  ServerProcess server(db, {"--now", kNow}, {{"METERDESK_WEB_ADDRESS_ATTEMPTS_PER_HOUR", "3"}});
  for (int i = 1; i <= 5; ++i) {
    const std::string account = "000000000" + std::to_string(i),
                      serial = "S000000" + std::to_string(i);
    Browser b(server.port());
    auto page = b.get("/submit");
    auto step2 =
        b.post("/submit", {{"key", form_key(page)}, {"account", account}, {"serial", serial}});
    ASSERT_EQ(step2.status, 200) << i;
    ASSERT_EQ(b.post("/submit/zones", {{"account", account}, {"serial", serial}}).status, 200);
    std::vector<std::pair<std::string, std::string>> values{
        {"key", form_key(step2)}, {"account", account}, {"serial", serial}, {"zone.total", "1100"}};
    ASSERT_EQ(b.post_multipart("/submit", values).status, 200) << "the review, household " << i;
    values.emplace_back("review", "1");
    ASSERT_EQ(b.post_multipart("/submit", values).status, 303) << "household " << i;
  }
  Browser guesser(server.port());
  guesser.get("/submit");
  for (int i = 1; i <= 3; ++i)
    EXPECT_EQ(
        guesser.post("/submit", {{"account", "000000000" + std::to_string(i)}, {"serial", "X"}})
            .status,
        422)
        << i;
  EXPECT_EQ(guesser.post("/submit", {{"account", "0000000004"}, {"serial", "X"}}).status, 429);
  EXPECT_EQ(guesser.post("/submit", {{"account", "0000000006"}, {"serial", "S0000006"}}).status,
            429);
  EXPECT_EQ(
      guesser.post("/submit/zones", {{"account", "0000000006"}, {"serial", "S0000006"}}).status,
      429);
  EXPECT_NE(http(server.port(), "GET", "/metrics").body.find("limit=\"per_address\""),
            std::string::npos);
}

TEST(WebBehindAProxy, PerAddressLimitsCountTheForwardedClientOnlyFromATrustedProxy) {
  TempDir dir;
  const std::string db = dir.file("p.db");
  ASSERT_EQ(run_meterdesk({"migrate", "--db", db}).exit_code, 0);
  auto attempts = [](std::uint16_t port, const std::string& client) {
    Browser b(port);
    b.get("/submit");
    std::vector<int> statuses;
    for (int i = 0; i < 3; ++i) {
      auto r = http(port, "POST", "/submit",
                    "csrf=" + b.csrf() + "&account=0000000001&serial=S" + std::to_string(i),
                    {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Cookie", "md_csrf=" + b.csrf()},
                     {"X-Forwarded-For", client}});
      statuses.push_back(r.status);
    }
    return statuses;
  };
  {
    ServerProcess behind(db, {"--now", kNow},
                         {{"METERDESK_WEB_ADDRESS_ATTEMPTS_PER_HOUR", "2"},
                          {"METERDESK_WEB_ACCOUNT_ATTEMPTS_PER_HOUR", "100"},
                          {"METERDESK_SERVER_TRUSTED_PROXIES", "127.0.0.1"}});
    EXPECT_EQ(attempts(behind.port(), "203.0.113.1"), (std::vector<int>{422, 422, 429}));
    EXPECT_EQ(attempts(behind.port(), "203.0.113.2"), (std::vector<int>{422, 422, 429}))
        << "another client has its own budget";
  }
  ServerProcess direct(db, {"--now", kNow},
                       {{"METERDESK_WEB_ADDRESS_ATTEMPTS_PER_HOUR", "2"},
                        {"METERDESK_WEB_ACCOUNT_ATTEMPTS_PER_HOUR", "100"}});
  EXPECT_EQ(attempts(direct.port(), "203.0.113.3"), (std::vector<int>{422, 422, 429}));
  EXPECT_EQ(attempts(direct.port(), "203.0.113.4"), (std::vector<int>{429, 429, 429}))
      << "without a trusted proxy, a forged header buys no new budget";
}

}  // namespace

namespace {

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
