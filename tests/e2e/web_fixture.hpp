// The web channel's end-to-end fixture: one server over loopback on a database of 30 imported
// accounts, two staff users, and a browser without JavaScript (forms, cookies, CSRF). Shared by
// web_test.cpp (the public form), web_cabinet_test.cpp and web_console_test.cpp.
#pragma once

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "support/browser.hpp"
#include "support/support.hpp"

namespace md::test::web {

inline constexpr const char* kNow = "2026-11-30T10:00:00+02:00";

inline std::string form_key(const HttpResponse& r) {
  std::smatch m;
  static const std::regex key(R"re(name="key" value="([0-9a-f]{64})")re");
  return std::regex_search(r.body, m, key) ? std::string(m[1]) : std::string();
}

// A customer of `account` (whose meter is S and its last seven digits), signed up and so signed
// in, in English.
inline Browser customer_of(std::uint16_t port, const std::string& account) {
  Browser b(port, "en");
  b.get("/account/sign-up");
  auto r = b.post(
      "/account/sign-up",
      {{"account", account}, {"serial", "S" + account.substr(3)}, {"password", "a long password"}});
  EXPECT_EQ(r.status, 303) << r.body;
  return b;
}

// The receipt id in a receipt page's address (/receipt/R-XXXX-XXXX/key).
inline std::string receipt_in(const std::string& location) {
  return location.substr(9, location.find('/', 9) - 9);
}

inline const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(200, '\x01');

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

  inline static TempDir* dir_ = nullptr;
  inline static std::string db_;
  inline static ServerProcess* server_ = nullptr;
};

// A staff member signed in to the console.
inline Browser staff(std::uint16_t port, const std::string& login) {
  Browser b(port, "en");
  b.get("/operator/sign-in");
  auto r = b.post("/operator/sign-in", {{"login", login}, {"password", "correct horse battery"}});
  EXPECT_EQ(r.status, 303);
  return b;
}

}  // namespace md::test::web
