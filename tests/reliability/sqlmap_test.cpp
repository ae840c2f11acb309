// sqlmap (Debian's, a tool we did not write) against the running server's public endpoints: the
// JSON API, the reading history, the public form and the sign-in (with their CSRF tokens), the
// receipt page. It must find no injectable parameter.
#include <gtest/gtest.h>

#include <regex>

#include "support/browser.hpp"
#include "support/support.hpp"

using namespace md::test;

TEST(Sqlmap, FindsNoInjectableParameterInThePublicEndpoints) {
  ASSERT_EQ(std::system("command -v sqlmap >/dev/null"), 0)
      << "sqlmap: scripts/deps.sh test installs it";
  TempDir dir;
  const std::string db = dir.file("sqlmap.db");
  write_file(dir.file("a.csv"), accounts_csv(3));
  ASSERT_EQ(run_meterdesk(
                {"import-accounts", dir.file("a.csv"), "--db", db, "--now", "2026-01-10T12:00:00"})
                .exit_code,
            0);
  // Limits high enough that sqlmap's hundreds of requests reach the code, not the limiter.
  ServerProcess server(db, {"--now", "2026-11-30T10:00:00+02:00"},
                       {{"METERDESK_WEB_ACCOUNT_ATTEMPTS_PER_HOUR", "100000"},
                        {"METERDESK_WEB_ADDRESS_ATTEMPTS_PER_HOUR", "1000000"},
                        {"METERDESK_CLOSE_AUTOMATIC", "false"}});
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  auto stored =
      http(server.port(), "POST", "/api/v1/readings",
           R"({"account":"0000000003","meter_serial":"S0000003","readings":{"total":1100}})");
  ASSERT_EQ(stored.status, 201);
  // The receipt page's address as the form gives it: the id and its key (issue 32, B).
  Browser b(server.port());
  auto page = b.get("/submit");
  std::smatch key;
  static const std::regex key_field(R"re(name="key" value="([0-9a-f]{64})")re");
  ASSERT_TRUE(std::regex_search(page.body, key, key_field));
  auto sent = b.post_multipart("/submit", {{"key", key[1]},
                                           {"account", "0000000002"},
                                           {"serial", "S0000002"},
                                           {"zone.total", "1100"},
                                           {"review", "1"}});
  ASSERT_EQ(sent.status, 303) << sent.body;
  const std::string receipt_link = sent.headers["location"];
  const std::string common =
      " --batch --level=2 --risk=1 --dbms=SQLite --flush-session"
      " --disable-coloring --output-dir=" +
      dir.file("out");
  const std::vector<std::string> runs = {
      "-u '" + base + "/api/v1/readings' --headers='Content-Type: application/json' --data='" +
          R"({"account":"0000000001","meter_serial":"S0000001","readings":{"total":"1100"}})" + "'",
      "-u '" + base + "/api/v1/accounts/0000000001/readings?meter_serial=S0000001'",
      "-u '" + base + "/submit' --data='csrf=x&account=0000000002&serial=S0000002'" +
          " --csrf-token=csrf --csrf-url='" + base + "/submit'",
      "-u '" + base + "/account/sign-in' --data='csrf=x&login=0000000003&password=secret'" +
          " --csrf-token=csrf --csrf-url='" + base + "/account/sign-in' --ignore-code=401",
      "-u '" + base + receipt_link + "*'",
  };
  int tested = 0;
  for (const auto& args : runs) {
    const std::string out = dir.file("sqlmap.txt");
    ASSERT_EQ(std::system(("sqlmap " + args + common + " > " + out + " 2>&1").c_str()), 0) << args;
    const std::string text = read_file(out);
    EXPECT_EQ(text.find("identified the following injection point"), std::string::npos)
        << args << "\n"
        << text;
    EXPECT_EQ(text.find("is vulnerable"), std::string::npos) << args;
    // Every critical line is a failure of the run (no connection, a WAF, a crash), except sqlmap
    // noticing that an answer changes between two identical requests (a new receipt each time)
    // and retrying: seen under the sanitizers' slower server, after which it tests on.
    for (std::size_t at = 0; (at = text.find("[CRITICAL]", at)) != std::string::npos; ++at) {
      auto line = text.substr(at, text.find('\n', at) - at);
      if (line.find("appears to be heavily dynamic") != std::string::npos) continue;
      ADD_FAILURE() << args << "\n" << line << "\n" << text;
    }
    for (std::size_t at = 0;
         (at = text.find("testing for SQL injection on", at)) != std::string::npos; ++at)
      ++tested;
  }
  EXPECT_GE(tested, 9) << "sqlmap really tested the parameters";
  std::printf("sqlmap: %d parameters tested across %zu endpoints, none injectable\n", tested,
              runs.size());
}
