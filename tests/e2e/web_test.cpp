// The web channel over loopback against the real server: the public form (no login), its limits
// and its proxies, driven like a browser without JavaScript. The personal account and the
// console: web_cabinet_test.cpp, web_console_test.cpp.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <regex>
#include <sstream>

#include "e2e/web_fixture.hpp"

using namespace md::test;
using namespace md::test::web;

namespace {

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
  std::string receipt = receipt_in(location);
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
  // A cookie planted from elsewhere with a field that matches it (a plain double submit) does not
  // pass either: the token must be the server's MAC of the cookie (issue 32, E).
  Browser planted(port());
  planted.set_cookie("md_csrf", std::string(64, 'c'));
  auto doubled = planted.post("/submit",
                              {{"csrf", std::string(64, 'c')},
                               {"account", "0000000004"},
                               {"serial", "S0000004"},
                               {"zone.total", "1100"}},
                              false);
  EXPECT_EQ(doubled.status, 403);
  // The page gives that browser a token for its cookie, and with it the form goes through.
  planted.get("/submit");
  EXPECT_NE(planted.csrf(), std::string(64, 'c'));
  EXPECT_EQ(planted.post("/submit", {{"account", "0000000004"}, {"serial", "S0000004"}}).status,
            200);
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
  std::string receipt = receipt_in(done.headers["location"]);
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

TEST_F(WebTest, CookiesAreSecureBehindATlsProxy) {
  auto r = http(port(), "GET", "/submit", "", {{"X-Forwarded-Proto", "https"}});
  EXPECT_NE(r.headers["set-cookie"].find("; Secure"), std::string::npos);
  auto plain = http(port(), "GET", "/submit");
  EXPECT_EQ(plain.headers["set-cookie"].find("; Secure"), std::string::npos);
  EXPECT_NE(plain.headers["content-security-policy"].find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(plain.headers["x-frame-options"], "DENY");
}

// A carrier puts many households behind one address (carrier-grade NAT), each reading three or
// four posts: only wrong account + serial pairs count against the address, so they are not
// refused, while a guesser trying many accounts from it is — then even a right pair waits.
TEST(WebLimits, AnAddressIsLimitedInWrongPairsNotInTheHouseholdsBehindIt) {
  TempDir dir;
  const std::string db = db_with_accounts(dir, "nat.db", 6);
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

// The documented photo limit (web.photo_max_bytes, 5 MiB) is reachable from a browser, which
// sends a Content-Length: a 4 MB photo is taken and kept; a body over the upload limit gets its
// 413 before any of it is read, and the answer is not lost to a reset while the body streams in.
TEST(WebUploads, APhotoUpToItsLimitIsTakenAndABiggerOneGetsA413) {
  TempDir dir;
  const std::string db = db_with_accounts(dir, "up.db", 8);
  ServerProcess server(db, {"--now", kNow});
  Browser b(server.port(), "en");
  auto page = b.get("/submit");
  auto step2 = b.post("/submit",
                      {{"key", form_key(page)}, {"account", "0000000007"}, {"serial", "S0000007"}});
  ASSERT_EQ(step2.status, 200) << step2.body;
  std::vector<std::pair<std::string, std::string>> fields{{"key", form_key(step2)},
                                                          {"account", "0000000007"},
                                                          {"serial", "S0000007"},
                                                          {"zone.total", "30000"}};
  auto high = b.post_multipart("/submit", fields);
  ASSERT_EQ(high.status, 409) << "a high reading waits for its confirmation and a photo";
  fields.emplace_back("confirm", "1");
  const std::string before = sql_value(db, "SELECT count(*) FROM submissions");
  const std::string bigger = kPng + std::string(std::size_t{7} << 20, '\x02');
  auto refused = b.post_multipart("/submit", fields, {{"photo", "m.png", "image/png", bigger}});
  EXPECT_EQ(refused.status, 413) << refused.body;
  EXPECT_NE(refused.body.find("too large"), std::string::npos) << refused.body;
  EXPECT_EQ(sql_value(db, "SELECT count(*) FROM submissions"), before) << "nothing of it stored";
  const std::string photo = kPng + std::string(std::size_t{4} << 20, '\x01');
  auto done = b.post_multipart("/submit", fields, {{"photo", "m.png", "image/png", photo}});
  ASSERT_EQ(done.status, 303) << done.body.substr(0, 400);
  const std::string receipt = receipt_in(done.headers["location"]);
  EXPECT_EQ(
      sql_value(db,
                "SELECT length(p.bytes) FROM submission_photos p JOIN submissions s ON s.id = "
                "p.submission_id WHERE s.receipt = '" +
                    receipt + "'"),
      std::to_string(photo.size()));
  EXPECT_EQ(std::stoll(sql_value(db, "SELECT count(*) FROM submissions")), std::stoll(before) + 1);
}

// Issue 32, C over HTTP: an unknown login and a real one get the same answers in the same order,
// and the lock after wrong passwords holds the address that made them, not the person: the
// admin signs in from their own address while someone else's tries are refused.
TEST(WebSignIn, WhoExistsIsNotToldAndNobodyIsLockedOutFromElsewhere) {
  TempDir dir;
  const std::string db = dir.file("signin.db");
  ASSERT_EQ(run_meterdesk({"migrate", "--db", db}).exit_code, 0);
  ASSERT_EQ(run_meterdesk({"user", "add", "--db", db, "--login", "root", "--role", "admin"}, {},
                          "admin horse battery\n")
                .exit_code,
            0);
  ServerProcess server(db, {"--now", kNow}, {{"METERDESK_SERVER_TRUSTED_PROXIES", "127.0.0.1"}});
  auto sign_in = [&](const std::string& from, const std::string& login,
                     const std::string& password) {
    Browser b(server.port());
    b.get("/operator/sign-in");
    return http(server.port(), "POST", "/operator/sign-in",
                "csrf=" + b.csrf() + "&login=" + login + "&password=" + password,
                {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Cookie", "md_csrf=" + b.cookie("md_csrf")},
                 {"X-Forwarded-For", from}})
        .status;
  };
  auto five = [&](const std::string& login) {
    std::vector<int> statuses;
    for (int i = 0; i < 5; ++i) statuses.push_back(sign_in("198.51.100.66", login, "wrong"));
    return statuses;
  };
  const std::vector<int> expected{401, 401, 401, 429, 429};
  EXPECT_EQ(five("root"), expected);
  EXPECT_EQ(five("no-such-admin"), expected);
  EXPECT_EQ(sign_in("198.51.100.66", "root", "admin+horse+battery"), 429);
  EXPECT_EQ(sign_in("192.0.2.20", "root", "admin+horse+battery"), 303) << "the admin gets in";
}

// Issue 32, B: the receipt page is public, so its address must not be guessable: the short id
// alone, or with a wrong key, finds nothing; the link the form gave (the id and a 128-bit key)
// shows the receipt with the meter's serial masked; an address that keeps missing is refused.
TEST(WebReceipts, OnlyTheLinkGivenOpensAReceiptAndGuessersAreRefused) {
  TempDir dir;
  const std::string db = db_with_accounts(dir, "receipts.db", 3);
  ServerProcess server(db, {"--now", kNow});
  Browser b(server.port(), "en");
  auto page = b.get("/submit");
  auto step2 = b.post("/submit",
                      {{"key", form_key(page)}, {"account", "0000000002"}, {"serial", "S0000002"}});
  ASSERT_EQ(step2.status, 200);
  auto done = b.post_multipart("/submit", {{"key", form_key(step2)},
                                           {"account", "0000000002"},
                                           {"serial", "S0000002"},
                                           {"zone.total", "1100"},
                                           {"review", "1"}});
  ASSERT_EQ(done.status, 303) << done.body;
  const std::string link = done.headers["location"];
  ASSERT_TRUE(std::regex_match(link, std::regex("/receipt/R-[0-9A-Z]{4}-[0-9A-Z]{4}/[0-9a-f]{32}")))
      << link;
  const std::string id = receipt_in(link);
  auto shown = b.get(link);
  ASSERT_EQ(shown.status, 200);
  EXPECT_NE(shown.body.find(id), std::string::npos);
  EXPECT_NE(shown.body.find("****0002"), std::string::npos) << "the serial's last four";
  EXPECT_EQ(shown.body.find("S0000002"), std::string::npos) << "not the whole serial";
  Browser stranger(server.port(), "en");
  EXPECT_EQ(stranger.get("/receipt/" + id).status, 404);
  std::string wrong_key = link;
  wrong_key.back() = wrong_key.back() == '0' ? '1' : '0';
  EXPECT_EQ(stranger.get(wrong_key).status, 404);
  int refused_at = 0;
  for (int i = 3; i <= 40 && !refused_at; ++i)
    if (stranger.get("/receipt/" + id + "/" + std::string(32, 'a')).status == 429) refused_at = i;
  EXPECT_EQ(refused_at, 31) << "30 misses an hour from one address";
  auto refused = stranger.get(link);
  EXPECT_EQ(refused.status, 429) << "even the right link, from the address that guessed";
  EXPECT_FALSE(refused.headers["retry-after"].empty());
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
                     {"Cookie", "md_csrf=" + b.cookie("md_csrf")},
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
