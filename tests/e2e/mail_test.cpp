// E-mail: a customer who forgot the password gets a reset code at the e-mail on file, sent by the
// outbox over SMTP to a real SMTP server on loopback (Python's smtpd, tests/support/smtp_peer.py).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <thread>

#include "support/browser.hpp"
#include "support/support.hpp"

using namespace md::test;

namespace {

constexpr const char* kNow = "2026-11-30T10:00:00+02:00";

// One message the peer accepted: the envelope, the headers, the text (base64 decoded).
struct Mail {
  std::string envelope_to, headers, text;
};

std::string unbase64(const std::string& in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned bits = 0;
  int n = 0;
  for (char c : in) {
    auto i = kAlphabet.find(c);
    if (i == std::string::npos) continue;  // line breaks, padding
    bits = (bits << 6) | static_cast<unsigned>(i);
    n += 6;
    if (n >= 8) {
      n -= 8;
      out += static_cast<char>((bits >> n) & 0xFF);
    }
  }
  return out;
}

Mail parse_mail(const std::string& file) {
  Mail m;
  std::string raw = read_file(file);
  std::erase(raw, '\r');  // smtpd hands over lines ending in \n
  std::smatch s;
  if (std::regex_search(raw, s, std::regex("RCPT TO: ([^\n]*)\n"))) m.envelope_to = s[1];
  auto start = raw.find("\n\n") + 2;
  auto body = raw.find("\n\n", start);
  if (body == std::string::npos) return m;
  m.headers = raw.substr(start, body - start);
  m.text = unbase64(raw.substr(body + 2));
  return m;
}

// The SMTP peer: Python's smtpd on a loopback port, writing each accepted mail to a folder.
class SmtpPeer {
 public:
  explicit SmtpPeer(const std::string& folder) : folder_(folder), port_(free_port(SOCK_STREAM)) {
    std::filesystem::create_directory(folder_);
    pid_ = fork();
    if (pid_ == 0) {
      const std::string script = source_dir() + "/tests/support/smtp_peer.py";
      const std::string port = std::to_string(port_);
      execlp("python3", "python3", script.c_str(), port.c_str(), folder_.c_str(),
             static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100 && !std::filesystem::exists(folder_ + "/ready"); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_TRUE(std::filesystem::exists(folder_ + "/ready")) << "the SMTP peer did not start";
  }
  ~SmtpPeer() {
    ::kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  SmtpPeer(const SmtpPeer&) = delete;
  SmtpPeer& operator=(const SmtpPeer&) = delete;
  // meterdesk's settings for it.
  [[nodiscard]] std::map<std::string, std::string> env() const {
    return {{"METERDESK_MAIL_SMTP_URL", "smtp://127.0.0.1:" + std::to_string(port_)},
            {"METERDESK_MAIL_FROM", "Обленерго <noreply@dso.example>"},
            {"METERDESK_WEB_PUBLIC_URL", "https://dso.example/"},
            {"METERDESK_WEB_ADDRESS_ATTEMPTS_PER_HOUR", "100000"}};
  }
  // The mails accepted for `to`, oldest first (at least `n`, waiting up to 20 s for them).
  [[nodiscard]] std::vector<Mail> mails_to(const std::string& to, std::size_t n) const {
    std::vector<Mail> out;
    for (int i = 0; i < 200; ++i) {
      std::vector<std::string> files;
      for (const auto& f : std::filesystem::directory_iterator(folder_))
        if (f.path().extension() == ".eml") files.push_back(f.path().string());
      std::sort(files.begin(), files.end());
      out.clear();
      for (const auto& f : files)
        if (auto m = parse_mail(f); m.envelope_to == to) out.push_back(m);
      if (out.size() >= n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return out;
  }

 private:
  std::string folder_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

class MailTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    db_ = dir_->file("mail.db");
    write_file(dir_->file("accounts.csv"), accounts_csv(12));
    auto r = run_meterdesk({"import-accounts", dir_->file("accounts.csv"), "--db", db_, "--now",
                            "2026-01-10T12:00:00"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto u = run_meterdesk({"user", "add", "--db", db_, "--login", "olena", "--role", "operator"},
                           {}, "correct horse battery\n");
    ASSERT_EQ(u.exit_code, 0) << u.err;
    peer_ = new SmtpPeer(dir_->file("mails"));
    server_ = new ServerProcess(db_, {"--now", kNow}, peer_->env());
  }
  static void TearDownTestSuite() {
    // No address, account or code in the log, whatever became of the mails.
    EXPECT_EQ(personal_data_in(server_->log(), 12), "") << server_->log();
    EXPECT_EQ(server_->log().find("@example.com"), std::string::npos) << server_->log();
    delete server_;
    delete peer_;
    delete dir_;
  }
  static std::uint16_t port() { return server_->port(); }
  static std::string sql(const std::string& query) { return sql_value(db_, query); }

  static std::vector<Mail> mails_to(const std::string& to, std::size_t n) {
    return peer_->mails_to(to, n);
  }
  static std::string code_in(const std::string& text) {
    std::smatch m;
    return std::regex_search(text, m, std::regex("[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}"))
               ? std::string(m[0])
               : std::string();
  }
  // Signs `account` up (meter S + its last seven digits), with `email` when given.
  static Browser sign_up(const std::string& account, const std::string& email) {
    Browser b(port(), "en");
    b.get("/account/sign-up");
    auto r = b.post("/account/sign-up", {{"account", account},
                                         {"serial", "S" + account.substr(3)},
                                         {"password", "a long password"},
                                         {"email", email}});
    EXPECT_EQ(r.status, 303) << r.body;
    return b;
  }
  static HttpResponse ask_for_code(const std::string& login, const std::string& lang = "en") {
    Browser b(port(), lang);
    b.get("/account/reset");
    return b.post("/account/reset/mail", {{"login", login}});
  }

  static TempDir* dir_;
  static std::string db_;
  static SmtpPeer* peer_;
  static ServerProcess* server_;
};
TempDir* MailTest::dir_ = nullptr;
std::string MailTest::db_;
SmtpPeer* MailTest::peer_ = nullptr;
ServerProcess* MailTest::server_ = nullptr;

TEST_F(MailTest, AForgottenPasswordIsSetAgainWithACodeSentByEMail) {
  Browser before = sign_up("0000000003", "holder3@example.com");
  ASSERT_EQ(before.get("/account").status, 200);

  Browser b(port(), "en");
  auto page = b.get("/account/reset");
  ASSERT_EQ(page.status, 200);
  ASSERT_NE(page.body.find("action=\"/account/reset/mail\""), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("E-mail me a code"), std::string::npos);
  EXPECT_EQ(b.post("/account/reset/mail", {{"login", "holder3@example.com"}}, false).status, 403)
      << "no CSRF token, no mail";
  auto asked = b.post("/account/reset/mail", {{"login", "holder3@example.com"}});
  ASSERT_EQ(asked.status, 200) << asked.body;
  EXPECT_NE(asked.body.find("a code is on its way"), std::string::npos) << asked.body;

  auto mails = mails_to("holder3@example.com", 1);
  ASSERT_EQ(mails.size(), 1u);
  const Mail& m = mails[0];
  // The sender's name is not ASCII: an RFC 2047 word, the address itself plain.
  EXPECT_NE(m.headers.find("From: =?UTF-8?B?"), std::string::npos) << m.headers;
  EXPECT_NE(m.headers.find("<noreply@dso.example>"), std::string::npos) << m.headers;
  EXPECT_NE(m.headers.find("To: holder3@example.com"), std::string::npos) << m.headers;
  EXPECT_NE(m.headers.find("Subject: Your password reset code"), std::string::npos) << m.headers;
  EXPECT_NE(m.headers.find("Content-Transfer-Encoding: base64"), std::string::npos);
  EXPECT_NE(m.headers.find("Message-ID: <meterdesk."), std::string::npos) << m.headers;
  EXPECT_NE(m.text.find("https://dso.example/account/reset"), std::string::npos) << m.text;
  EXPECT_NE(m.text.find("valid until 01.12.2026"), std::string::npos) << m.text;
  const std::string code = code_in(m.text);
  ASSERT_FALSE(code.empty()) << m.text;
  EXPECT_EQ(asked.body.find(code), std::string::npos) << "the code is never on the page";
  // Sent, and the outbox keeps only the envelope: the code is not left in the database.
  EXPECT_EQ(sql("SELECT status || ':' || length(body) FROM outbox WHERE chat_id = "
                "'holder3@example.com'"),
            "sent:0");
  EXPECT_EQ(sql("SELECT COUNT(*) FROM audit WHERE action = 'password_reset_code' AND result = "
                "'mailed' AND identity = 'account=0000000003' AND actor = 'customer:0000000003'"),
            "1");

  auto done = b.post("/account/reset",
                     {{"login", "0000000003"}, {"code", code}, {"new", "my new password"}});
  ASSERT_EQ(done.status, 303) << done.body;
  EXPECT_EQ(b.get("/account").status, 200) << "signed in with the new password's session";
  EXPECT_EQ(before.get("/account").status, 303) << "the old session is over";
}

TEST_F(MailTest, EveryoneGetsTheSameAnswerAndAMailboxCannotBeFlooded) {
  sign_up("0000000004", "holder4@example.com");
  sign_up("0000000005", "");  // no e-mail on file
  // Unknown, never signed up, no e-mail, a staff login: the same words as a real request, in
  // Ukrainian too, and nothing is queued.
  const std::string same = "a code is on its way";
  for (const std::string login :
       {"0000009999", "0000000006", "0000000005", "olena", "nobody@example.com", ""}) {
    auto r = ask_for_code(login);
    EXPECT_EQ(r.status, 200) << login;
    EXPECT_NE(r.body.find(same), std::string::npos) << login << r.body;
  }
  EXPECT_NE(ask_for_code("0000009999", "uk").body.find("код уже надіслано"), std::string::npos);
  EXPECT_EQ(sql("SELECT COUNT(*) FROM outbox WHERE channel = 'email' AND chat_id NOT LIKE "
                "'holder3%' AND chat_id NOT LIKE 'bounce%' AND chat_id NOT LIKE 'later%'"),
            "0");
  EXPECT_EQ(sql("SELECT COUNT(*) FROM audit WHERE action = 'password_reset_code' AND identity = "
                "'account=0000000005' AND result = 'refused:no_email'"),
            "1");

  // Five requests in an hour for one person: three mails, and each code replaces the one before.
  for (int i = 0; i < 5; ++i) {
    auto r = ask_for_code(i % 2 ? "holder4@example.com" : "0000000004");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.body.find(same), std::string::npos);
  }
  EXPECT_EQ(sql("SELECT COUNT(*) FROM outbox WHERE chat_id = 'holder4@example.com'"), "3");
  EXPECT_EQ(sql("SELECT COUNT(*) FROM audit WHERE identity = 'account=0000000004' AND result = "
                "'refused:too_many'"),
            "2");
  auto mails = mails_to("holder4@example.com", 3);
  ASSERT_EQ(mails.size(), 3u);
  std::vector<std::string> codes;
  for (const auto& m : mails) codes.push_back(code_in(m.text));
  std::sort(codes.begin(), codes.end());
  EXPECT_EQ(std::unique(codes.begin(), codes.end()), codes.end()) << "three different codes";
  // Only the newest works (the outbox sends one address's mails in order).
  const std::string newest = code_in(mails.back().text);
  Browser b(port(), "en");
  b.get("/account/reset");
  for (const auto& c : codes) {
    if (c == newest) continue;
    EXPECT_EQ(
        b.post("/account/reset", {{"login", "0000000004"}, {"code", c}, {"new", "my new password"}})
            .status,
        422)
        << "an older code was replaced";
  }
  EXPECT_EQ(b.post("/account/reset",
                   {{"login", "0000000004"}, {"code", newest}, {"new", "my new password"}})
                .status,
            303);
}

TEST_F(MailTest, ARefusedAddressIsGivenUpAndATemporaryRefusalIsRetried) {
  sign_up("0000000007", "bounce7@example.com");
  sign_up("0000000008", "later8@example.com");
  ask_for_code("0000000007");
  ask_for_code("0000000008");
  // 451 first, then the outbox's backoff (2 s) and a second try.
  auto later = mails_to("later8@example.com", 1);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_FALSE(code_in(later[0].text).empty());
  EXPECT_EQ(
      sql("SELECT status || ':' || attempts FROM outbox WHERE chat_id = 'later8@example.com'"),
      "sent:2");
  std::string bounced;
  for (int i = 0; i < 100 && bounced.empty(); ++i) {
    bounced =
        sql("SELECT status || ':' || length(body) || ':' || last_error FROM outbox WHERE chat_id = "
            "'bounce7@example.com' AND status <> 'pending'");
    if (bounced.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(bounced.starts_with("failed:0:")) << bounced;
  EXPECT_NE(bounced.find("550"), std::string::npos) << bounced;
  EXPECT_TRUE(mails_to("bounce7@example.com", 0).empty());
}

// The personal account's "Remind me" sends e-mails: when the window opens and again on the 2nd,
// to customers with an e-mail and reminders on whose account has sent nothing; each round once,
// however often the server restarts.
TEST(MailReminders, GoToCustomersWhoHaveNotSentTheirReadingsAndEachRoundOnce) {
  TempDir dir;
  const std::string db = dir.file("r.db");
  write_file(dir.file("accounts.csv"), accounts_csv(6));
  ASSERT_EQ(run_meterdesk({"import-accounts", dir.file("accounts.csv"), "--db", db, "--now",
                           "2026-01-10T12:00:00"})
                .exit_code,
            0);
  SmtpPeer peer(dir.file("mails"));
  {
    // The window's first day, before the reminders' hour: people sign up, one sends a reading.
    ServerProcess before(db, {"--now", "2026-11-29T09:00:00+02:00"}, peer.env());
    for (const auto& [account, email] :
         std::vector<std::pair<std::string, std::string>>{{"0000000001", "one@example.com"},
                                                          {"0000000002", "two@example.com"},
                                                          {"0000000003", "three@example.com"},
                                                          {"0000000004", ""}}) {
      Browser b(before.port(), "en");
      b.get("/account/sign-up");
      auto r = b.post("/account/sign-up", {{"account", account},
                                           {"serial", "S" + account.substr(3)},
                                           {"password", "a long password"},
                                           {"email", email}});
      ASSERT_EQ(r.status, 303) << r.body;
      // The cabinet says what its switch does.
      auto overview = b.get("/account");
      EXPECT_NE(overview.body.find(email.empty() ? "give your e-mail in the contact details"
                                                 : "Reminders come by e-mail to " + email),
                std::string::npos)
          << overview.body;
      if (account == "0000000002") {
        b.get("/account");
        EXPECT_EQ(b.post("/account/reminders", {{"on", "0"}}).status, 303);
      }
    }
    auto sent = http(before.port(), "POST", "/api/v1/readings",
                     R"({"account":"0000000003","meter_serial":"S0000003",)"
                     R"("readings":{"total":1150}})");
    ASSERT_EQ(sent.status, 201) << sent.body;
  }
  {
    ServerProcess opening(db, {"--now", "2026-11-29T10:30:00+02:00"}, peer.env());
    auto first = peer.mails_to("one@example.com", 1);
    ASSERT_EQ(first.size(), 1u);
    EXPECT_NE(first[0].headers.find("Subject: =?UTF-8?B?"), std::string::npos) << "Ukrainian";
    EXPECT_NE(first[0].text.find("Нагадування для рахунку"), std::string::npos) << first[0].text;
    EXPECT_NE(first[0].text.find("29.11–03.12"), std::string::npos) << first[0].text;
    EXPECT_NE(first[0].text.find("https://dso.example/submit"), std::string::npos);
    EXPECT_NE(first[0].text.find("https://dso.example/account"), std::string::npos);
    EXPECT_EQ(first[0].text.find("0000000001"), std::string::npos) << "the number is masked";
  }
  {
    ServerProcess again(db, {"--now", "2026-11-29T11:00:00+02:00"}, peer.env());
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  {
    ServerProcess day2(db, {"--now", "2026-12-02T10:30:00+02:00"}, peer.env());
    auto both = peer.mails_to("one@example.com", 2);
    ASSERT_EQ(both.size(), 2u) << "the restart on the first day sent nothing again";
    EXPECT_NE(both[1].text.find("Ми ще не отримали показників рахунку"), std::string::npos)
        << both[1].text;
  }
  // Reminders off, a reading sent, no e-mail: nothing.
  EXPECT_TRUE(peer.mails_to("two@example.com", 0).empty());
  EXPECT_TRUE(peer.mails_to("three@example.com", 0).empty());
  EXPECT_EQ(sql_value(db, "SELECT COUNT(*) FROM outbox WHERE channel = 'email'"), "2");
  EXPECT_EQ(sql_value(db,
                      "SELECT group_concat(identity || ' ' || result, '; ') FROM audit WHERE "
                      "action = 'notices' AND identity LIKE 'mail%'"),
            "mail_window_open 2026-11 queued:1; mail_window_day2 2026-11 queued:1");
}

}  // namespace
