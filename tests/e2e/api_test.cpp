// The JSON API over loopback against the real `meterdesk serve`.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <regex>
#include <thread>

#include "support/browser.hpp"
#include "support/support.hpp"

using namespace md::test;
using json = nlohmann::json;

namespace {

constexpr const char* kNow = "2026-11-30T10:00:00+02:00";

class ApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    db_ = dir_->file("api.db");
    write_file(dir_->file("accounts.csv"), accounts_csv(6));
    auto r = run_meterdesk({"import-accounts", dir_->file("accounts.csv"), "--db", db_, "--now",
                            "2026-01-10T12:00:00"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    server_ = new ServerProcess(db_, {"--now", kNow},
                                {{"METERDESK_SERVER_REQUEST_TIMEOUT", "2"},
                                 {"METERDESK_SERVER_BODY_LIMIT", "4096"},
                                 {"METERDESK_SERVER_HEADER_LIMIT", "2048"}});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  static std::uint16_t port() { return server_->port(); }

  static HttpResponse post(const std::string& body,
                           const std::map<std::string, std::string>& h = {}) {
    return http(port(), "POST", "/api/v1/readings", body, h);
  }
  static json history(const std::string& account = "0123456789",
                      const std::string& serial = "A1234567") {
    auto r =
        http(port(), "GET", "/api/v1/accounts/" + account + "/readings?meter_serial=" + serial);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  }

  static TempDir* dir_;
  static std::string db_;
  static ServerProcess* server_;
};
TempDir* ApiTest::dir_ = nullptr;
std::string ApiTest::db_;
ServerProcess* ApiTest::server_ = nullptr;

std::string reading(const std::string& account, const std::string& serial,
                    const std::string& values, bool confirm = false) {
  return R"({"account":")" + account + R"(","meter_serial":")" + serial + R"(","readings":)" +
         values + R"(,"confirm":)" + (confirm ? "true" : "false") + "}";
}

}  // namespace

TEST_F(ApiTest, AcceptsAReadingWithAReceipt) {
  auto r = post(reading("0000000001", "S0000001", R"({"total":1150.7})"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  json j = json::parse(r.body);
  EXPECT_TRUE(std::regex_match(j["receipt"].get<std::string>(),
                               std::regex("R-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}")));
  EXPECT_EQ(j["received_at"], "2026-11-30T10:00:00+02:00");
  EXPECT_EQ(j["account"], "******0001");
  EXPECT_EQ(j["meter_serial"], "S0000001");
  EXPECT_EQ(j["readings"], json::parse(R"({"total":1150})"));
  EXPECT_EQ(j["consumption"], json::parse(R"({"total":150})"));
  EXPECT_EQ(j["counts_as"], json::parse(R"({"kind":"period_end","period":"2026-11"})"));
  EXPECT_EQ(j["correction_deadline"], "2026-12-03");
  EXPECT_EQ(j["notes"].size(), 1u);  // the decimal part was ignored, and the reply says so
  auto h = history("0000000001", "S0000001");
  ASSERT_GE(h.size(), 2u);
  EXPECT_EQ(h[0]["receipt"], j["receipt"]);
  EXPECT_EQ(h[0]["channel"], "api");
  EXPECT_EQ(h[0]["type"], "customer");
  EXPECT_EQ(h[0]["status"], "accepted");
  EXPECT_EQ(h[0]["taken_on"], "2026-11-30");
  EXPECT_EQ(h[0]["readings"], json::parse(R"({"total":1150})"));
  EXPECT_EQ(h.back()["type"], "exchange_initial");
}

TEST_F(ApiTest, IdempotencyKeyReplaysTheOriginalReceipt) {
  auto body = reading("0000000002", "S0000002", R"({"total":"1100"})");
  auto first = post(body, {{"Idempotency-Key", "abc-123"}});
  ASSERT_EQ(first.status, 201) << first.body;
  auto count = history("0000000002", "S0000002").size();
  auto second = post(reading("0000000002", "S0000002", R"({"total":"1190"})"),
                     {{"Idempotency-Key", "abc-123"}});
  EXPECT_EQ(second.status, 201);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.headers["idempotent-replayed"], "true");
  EXPECT_EQ(history("0000000002", "S0000002").size(), count);
}

TEST_F(ApiTest, HighReadingNeedsConfirmation) {
  // Installed 2025-01-10 at 1000 (as of 11 Jan): 689 days to 1 Dec 2026 at 6 kWh/day → expected
  // 4134 kWh; an advance of 9000 is more than twice that.
  auto r =
      post(reading("0000000003", "S0000003", R"({"total":10000})"), {{"Accept-Language", "en"}});
  ASSERT_EQ(r.status, 409) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["status"], "needs_confirmation");
  EXPECT_EQ(j["reason"], "high");
  EXPECT_EQ(j["consumption"]["total"], 9000);
  EXPECT_EQ(j["expected"]["total"], 4134);
  EXPECT_NE(j["message"].get<std::string>().find("higher than usual"), std::string::npos);
  EXPECT_EQ(history("0000000003", "S0000003").size(), 1u);  // nothing stored

  auto c = post(reading("0000000003", "S0000003", R"({"total":10000})", true));
  ASSERT_EQ(c.status, 201) << c.body;
  EXPECT_EQ(json::parse(c.body)["flags"], json::parse(R"(["high"])"));
}

TEST_F(ApiTest, RejectionsCarryACodeAndAMessageInTheAskedLanguage) {
  auto uk = post(reading("0123456789", "A1234567", R"({"day":100,"night":6000})"));
  ASSERT_EQ(uk.status, 422) << uk.body;
  json j = json::parse(uk.body);
  EXPECT_EQ(j["code"], "lower_than_previous");
  EXPECT_EQ(j["zone"], "day");
  EXPECT_EQ(j["previous"], json::parse(R"({"value":12000,"date":"2025-01-10"})"));
  EXPECT_NE(j["message"].get<std::string>().find("менший"), std::string::npos);
  auto en = post(reading("0123456789", "A1234567", R"({"day":100,"night":6000})"),
                 {{"Accept-Language", "en-US,en;q=0.9"}});
  EXPECT_NE(json::parse(en.body)["message"].get<std::string>().find("lower than your last"),
            std::string::npos);
  auto incomplete = post(reading("0123456789", "A1234567", R"({"day":12100})"));
  EXPECT_EQ(incomplete.status, 422);
  EXPECT_EQ(json::parse(incomplete.body)["code"], "missing_zone");
  auto red = post(reading("0123456789", "A1234567", R"({"day":"1210005","night":"6000"})"));
  EXPECT_EQ(json::parse(red.body)["code"], "red_digits");
  EXPECT_EQ(json::parse(red.body)["suggestion"], 121000);
}

TEST_F(ApiTest, UnknownAccountOrSerialLooksTheSame) {
  auto a = post(reading("0000000099", "S0000001", R"({"total":1100})"));
  auto b = post(reading("0000000001", "S0000099", R"({"total":1100})"));
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(b.status, 404);
  EXPECT_EQ(a.body, b.body);
  auto h1 = http(port(), "GET", "/api/v1/accounts/0000000099/readings?meter_serial=S0000001");
  auto h2 = http(port(), "GET", "/api/v1/accounts/0000000001/readings?meter_serial=S0000099");
  EXPECT_EQ(h1.status, 404);
  EXPECT_EQ(h1.body, h2.body);
  EXPECT_EQ(http(port(), "GET", "/api/v1/accounts/0000000001/readings").status, 400);
}

TEST_F(ApiTest, BadInputGetsA4xxAndChangesNothing) {
  auto before = history("0000000004", "S0000004").size();
  std::string big(5000, '1');
  struct Case {
    std::string body;
    int status;
    std::map<std::string, std::string> headers;
  } cases[] = {
      {"{not json", 400, {}},
      {"[1,2,3]", 400, {}},
      {R"({"account":1234567890,"meter_serial":"S0000004","readings":{"total":1}})", 400, {}},
      {R"({"account":"0000000004","meter_serial":["S0000004"],"readings":{"total":1}})", 400, {}},
      {R"({"account":"0000000004","meter_serial":"S0000004","readings":[1]})", 400, {}},
      {R"({"account":"0000000004","meter_serial":"S0000004","readings":{"total":null}})", 400, {}},
      {R"({"account":"0000000004","meter_serial":"S0000004","readings":{"total":true}})", 400, {}},
      {R"({"account":"0000000004","meter_serial":"S0000004"})", 400, {}},
      {R"({"account":"0000000004","meter_serial":"S0000004","readings":{"total":1},"x":1})",
       400,
       {}},
      {R"({"account":"0000000004","meter_serial":"S0000004","readings":{"total":1},"confirm":"yes"})",
       400,
       {}},
      {R"({"account":"0000000004","meter_serial":"S0000004","readings":{"total":1},"taken_on":"yesterday"})",
       400,
       {}},
      {R"({"account":"0000000004","meter_serial":"S0000004","readings":{"total":1e300}})", 422, {}},
      {R"({"account":"0000000004","meter_serial":"S0000004","readings":{"total":99999999999999999999999}})",
       422,
       {}},
      {R"({"account":"0000000004","meter_serial":"S0000004","readings":{"total":-1100}})", 422, {}},
      {R"({"account":"0000000004","meter_serial":"S0000004","readings":{"total":1100,"nigth":5}})",
       422,
       {}},
      {R"({"account":"0000000004' OR '1'='1","meter_serial":"S0000004","readings":{"total":1100}})",
       422,
       {}},
      {R"({"account":"0000000004","meter_serial":"S0000004' OR '1'='1","readings":{"total":1100}})",
       404,
       {}},
      {R"({"account":"0000000004","meter_serial":"x\"); DROP TABLE submissions;--","readings":{"total":1100}})",
       404,
       {}},
      {R"({"account":"0000000004","meter_serial":"S0000004","readings":{"total":"1100; DELETE FROM audit"}})",
       422,
       {}},
      {"{\"account\":\"0000000004\",\"meter_serial\":\"S\xff\xfe\",\"readings\":{\"total\":1}}",
       400,
       {}},
      {std::string(100, '[') + std::string(100, ']'), 400, {}},
      {R"({"account":"0000000004","meter_serial":"S0000004","readings":{"total":")" + big + "\"}}",
       413,
       {}},
      {R"({"account":"0000000004","meter_serial":"S0000004","readings":{"total":1100}})",
       415,
       {{"Content-Type", "text/plain"}}},
      {R"({"account":"0000000004","meter_serial":"S0000004","readings":{"total":1100}})",
       400,
       {{"Idempotency-Key", std::string(200, 'k')}}},
      {R"({"account":"0000000004","meter_serial":"S0000004","readings":{"total":1100}})",
       431,
       {{"X-Padding", std::string(3000, 'p')}}},
  };
  for (const auto& c : cases) {
    HttpResponse r;
    ASSERT_NO_THROW(r = post(c.body, c.headers)) << c.body.substr(0, 80);
    EXPECT_EQ(r.status, c.status) << c.body.substr(0, 120) << " → " << r.body;
    if (r.status != 413 && r.status != 431) {
      auto j = json::parse(r.body, nullptr, false);
      ASSERT_FALSE(j.is_discarded()) << r.body;
      EXPECT_TRUE(j.contains("code")) << r.body;
      EXPECT_TRUE(j.contains("message")) << r.body;
    }
  }
  EXPECT_EQ(history("0000000004", "S0000004").size(), before);
  EXPECT_EQ(http(port(), "GET", "/healthz").status, 200);
}

// A body sent in chunks has no length to refuse it by up front: it is held to the same limit as it
// arrives, and one over it gets the 413 too, whatever its chunks.
TEST_F(ApiTest, AChunkedBodyOverTheLimitGetsA413AsItArrives) {
  auto send_chunked = [&](std::size_t total) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      return std::string("no connection");
    }
    std::string out =
        "POST /api/v1/readings HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    const std::string chunk(1024, ' ');
    char size[16];
    std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
    for (std::size_t sent = 0; sent < total; sent += chunk.size()) out += size + chunk + "\r\n";
    out += "0\r\n\r\n";
    // The server may answer and close before all of it is written: what it said is what counts.
    [[maybe_unused]] ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    std::string answer;
    char buf[4096];
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, 5000) > 0) {
      const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
      if (got <= 0) break;
      answer.append(buf, static_cast<std::size_t>(got));
    }
    ::close(fd);
    return answer.substr(0, answer.find("\r\n"));
  };
  // The fixture's server.body_limit is 4096 bytes.
  EXPECT_EQ(send_chunked(3072), "HTTP/1.1 400 Bad Request")
      << "under the limit: read, and refused as the blank JSON it is";
  EXPECT_EQ(send_chunked(std::size_t{64} << 10), "HTTP/1.1 413 Payload Too Large");
  EXPECT_EQ(http(port(), "GET", "/healthz").status, 200);
}

TEST_F(ApiTest, WrongMethodsAndRoutes) {
  auto r = http(port(), "GET", "/api/v1/readings");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "POST");
  EXPECT_EQ(
      http(port(), "DELETE", "/api/v1/accounts/0000000001/readings?meter_serial=S0000001").status,
      405);
  EXPECT_EQ(http(port(), "GET", "/nope").status, 404);
  EXPECT_EQ(http(port(), "GET", "/api/v1/accounts/../../etc/passwd/readings?meter_serial=x").status,
            404);
  // Every endpoint the service lists answers any other method with 405 and the one it takes.
  auto index = json::parse(http(port(), "GET", "/").body);
  int business = 0;
  for (const auto& e : index["endpoints"]) {
    std::string entry = e;
    std::string method = entry.substr(0, entry.find(' ')), path = entry.substr(entry.find(' ') + 1);
    if (!path.starts_with("/api/v1/")) continue;
    ++business;
    for (auto at = path.find('{'); at != std::string::npos; at = path.find('{'))
      path.replace(at, path.find('}', at) - at + 1,
                   path.compare(at, 8, "{account") == 0 ? "0000000001" : "2026-10");
    for (const char* other : {"GET", "POST", "PUT", "DELETE"}) {
      if (method == other) continue;
      auto answer = http(port(), other, path);
      EXPECT_EQ(answer.status, 405) << other << " " << path;
      EXPECT_EQ(answer.headers["allow"], method) << other << " " << path;
    }
  }
  EXPECT_EQ(business, 6) << index.dump();
}

TEST_F(ApiTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  HttpClient c(port());
  for (int i = 0; i < 5; ++i) {
    auto r = c.request("GET", "/healthz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
}

TEST_F(ApiTest, SlowClientIsCutOffWhileOthersAreServed) {
  HttpClient slow(port());
  ASSERT_TRUE(slow.send_raw("POST /api/v1/readings HTTP/1.1\r\nHost: x\r\nContent-Le"));
  // Others are served while it dawdles.
  EXPECT_EQ(http(port(), "GET", "/healthz").status, 200);
  // server.request_timeout is 2 s in this suite: the connection is closed soon after.
  EXPECT_TRUE(slow.closed_within(std::chrono::milliseconds(6000)));

  HttpClient trickle(port());
  bool cut = false;
  for (int i = 0; i < 60 && !cut; ++i) {  // one header byte every 100 ms
    if (!trickle.send_raw("X"))
      cut = true;
    else
      cut = trickle.closed_within(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(cut);
}

TEST_F(ApiTest, HealthAndMetrics) {
  auto h = http(port(), "GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(json::parse(h.body)["status"], "ok");
  post(reading("0000000005", "S0000005", R"({"total":1100})"));
  post(reading("0000000005", "S0000005", R"({"total":1})"));
  auto m = http(port(), "GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.headers["content-type"].find("text/plain"), std::string::npos);
  EXPECT_NE(m.body.find(R"(meterdesk_submissions_total{channel="api",result="accepted"})"),
            std::string::npos);
  EXPECT_NE(m.body.find(R"(meterdesk_submissions_total{channel="api",result="rejected"})"),
            std::string::npos);
  EXPECT_NE(m.body.find("meterdesk_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(m.body.find("meterdesk_http_requests_total{"), std::string::npos);
  EXPECT_NE(m.body.find("meterdesk_ingest_batch_size_count"), std::string::npos);
}

TEST_F(ApiTest, LogsCarryNoPersonalData) {
  post(reading("0000000005", "S0000005", R"({"total":1200})"));
  std::string log = server_->log();
  EXPECT_EQ(log.find("0000000005"), std::string::npos);
  EXPECT_EQ(log.find("S0000005"), std::string::npos);
}

// An app shows the whole reading once more before sending it (channels.md step 5): the check
// answers what the submission would, and stores nothing but a refused attempt's audit record.
TEST_F(ApiTest, CheckAnswersAsTheSubmissionWouldAndStoresNothing) {
  const auto stored = history("0000000006", "S0000006").size();
  auto check = [](const std::string& body) {
    return http(port(), "POST", "/api/v1/readings/check", body,
                {{"Idempotency-Key", "check-1"}, {"Accept-Language", "en"}});
  };
  auto valid = check(reading("0000000006", "S0000006", R"({"total":"1180"})"));
  ASSERT_EQ(valid.status, 200) << valid.body;
  json v = json::parse(valid.body);
  EXPECT_EQ(v["status"], "valid");
  EXPECT_EQ(v["readings"], json::parse(R"({"total":1180})"));
  EXPECT_EQ(v["consumption"], json::parse(R"({"total":180})"));
  EXPECT_EQ(v["counts_as"], json::parse(R"({"kind":"period_end","period":"2026-11"})"));
  EXPECT_FALSE(v.contains("receipt")) << "only a stored reading has a receipt";
  EXPECT_EQ(check(reading("0000000006", "S0000006", R"({"total":10000})")).status, 409);
  auto confirmed = check(reading("0000000006", "S0000006", R"({"total":10000})", true));
  EXPECT_EQ(confirmed.status, 200);
  EXPECT_EQ(json::parse(confirmed.body)["flags"], json::parse(R"(["high"])"));
  auto lower = check(reading("0000000006", "S0000006", R"({"total":900})"));
  EXPECT_EQ(lower.status, 422);
  EXPECT_EQ(json::parse(lower.body)["code"], "lower_than_previous");
  EXPECT_EQ(check(reading("0000000006", "S9999999", R"({"total":1180})")).status, 404);
  EXPECT_EQ(http(port(), "GET", "/api/v1/readings/check").status, 405);
  // Bad input gets the same answers as on a submission.
  EXPECT_EQ(check("{not json").status, 400);
  EXPECT_EQ(
      check(reading("0000000006", "S0000006", "{\"total\":\"" + std::string(70000, '1') + "\"}"))
          .status,
      413);
  EXPECT_EQ(http(port(), "POST", "/api/v1/readings/check",
                 reading("0000000006", "S0000006", R"({"total":1180})"),
                 {{"X-Padding", std::string(3000, 'p')}})
                .status,
            431);
  EXPECT_EQ(history("0000000006", "S0000006").size(), stored) << "a check stores nothing";
  EXPECT_EQ(sql_value(db_,
                      "SELECT count(*) FROM audit WHERE result = 'rejected:lower_than_previous' "
                      "AND raw_input LIKE '%\"total\":900%'"),
            "1")
      << "the refused value is an attempt the audit keeps";

  // Sent for real (the check's Idempotency-Key was not used up): the values it showed.
  auto sent = post(reading("0000000006", "S0000006", R"({"total":"1180"})"),
                   {{"Idempotency-Key", "check-1"}});
  ASSERT_EQ(sent.status, 201) << sent.body;
  EXPECT_TRUE(sent.headers["idempotent-replayed"].empty());
  json r = json::parse(sent.body);
  for (const char* field : {"readings", "consumption", "counts_as", "correction_deadline", "flags"})
    EXPECT_EQ(r[field], v[field]) << field;
}

// The public API's credential is the meter serial, so it is a place to guess them: a wrong
// account + serial counts against the account with the form's, the bots' and the phone line's
// tries (web.account_attempts_per_hour), and an account over its limit is refused before anything
// is looked up. Right serials do not count: an integration sending many readings is not slowed.
TEST(ApiLimits, WrongSerialsCountWithTheFormsTriesAndOverTheLimitNothingIsLookedUp) {
  TempDir dir;
  const std::string db = db_with_accounts(dir, "limits.db", 3);
  ServerProcess server(db, {"--now", kNow}, {{"METERDESK_WEB_ACCOUNT_ATTEMPTS_PER_HOUR", "4"}});
  auto post = [&](const std::string& account, const std::string& serial, int value) {
    return http(server.port(), "POST", "/api/v1/readings",
                reading(account, serial, "{\"total\":" + std::to_string(value) + "}"),
                {{"Accept-Language", "en"}});
  };
  // Correct submissions, many of them: never limited.
  for (int i = 0; i < 6; ++i) EXPECT_EQ(post("0000000002", "S0000002", 1100 + i).status, 201);
  // Two wrong guesses through the API, one through the history, one through the public form.
  EXPECT_EQ(post("0000000001", "S1111111", 1100).status, 404);
  EXPECT_EQ(post("0000000001", "S2222222", 1100).status, 404);
  EXPECT_EQ(
      http(server.port(), "GET", "/api/v1/accounts/0000000001/readings?meter_serial=S3").status,
      404);
  Browser form(server.port(), "en");
  form.get("/submit");
  EXPECT_EQ(form.post("/submit", {{"account", "0000000001"}, {"serial", "S4444444"}}).status, 422);
  // The account's four tries are used: even the right serial is refused now, and not stored.
  auto refused = post("0000000001", "S0000001", 1100);
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_NE(refused.body.find("too_many_attempts"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("too many attempts for this account"), std::string::npos)
      << refused.body;
  EXPECT_FALSE(refused.headers["retry-after"].empty());
  EXPECT_EQ(http(server.port(), "GET", "/api/v1/accounts/0000000001/readings?meter_serial=S0000001")
                .status,
            429);
  EXPECT_EQ(sql_value(db,
                      "SELECT count(*) FROM submissions s JOIN meters m ON m.id = s.meter_id "
                      "WHERE m.serial = 'S0000001' AND s.channel = 'api'"),
            "0");
  // Other accounts are untouched.
  EXPECT_EQ(post("0000000003", "S0000003", 1100).status, 201);
  EXPECT_NE(http(server.port(), "GET", "/metrics").body.find("limit=\"per_account\""),
            std::string::npos);
}

// Issue 32, A: the API is limited per client address like the form (one budget for both), and an
// account whose guesses someone spent stays open to its household from an address that did not
// guess: the lock-out is no weapon.
TEST(ApiLimits, AnAddressIsLimitedAsOnTheFormAndALockedAccountStaysOpenToItsHousehold) {
  TempDir dir;
  const std::string db = db_with_accounts(dir, "address.db", 6);
  ServerProcess server(db, {"--now", kNow},
                       {{"METERDESK_WEB_ACCOUNT_ATTEMPTS_PER_HOUR", "3"},
                        {"METERDESK_WEB_ADDRESS_ATTEMPTS_PER_HOUR", "5"},
                        {"METERDESK_SERVER_TRUSTED_PROXIES", "127.0.0.1"}});
  auto post = [&](const std::string& from, const std::string& account, const std::string& serial) {
    return http(server.port(), "POST", "/api/v1/readings",
                reading(account, serial, R"({"total":1100})"),
                {{"Accept-Language", "en"}, {"X-Forwarded-For", from}})
        .status;
  };
  // Someone spends account 1's guesses; from there even its right pair is refused.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(post("198.51.100.1", "0000000001", "X" + std::to_string(i)), 404);
  EXPECT_EQ(post("198.51.100.1", "0000000001", "X9"), 429);
  EXPECT_EQ(post("198.51.100.1", "0000000001", "S0000001"), 429);
  // The household, from its own address, is let through with the right pair.
  EXPECT_EQ(post("192.0.2.50", "0000000001", "S0000001"), 201);
  // One address guessing at many accounts: five wrong pairs, then refused, right pairs too.
  std::vector<int> statuses;
  for (int i = 0; i < 7; ++i)
    statuses.push_back(post("203.0.113.9", "000000000" + std::to_string(2 + i % 4), "X"));
  EXPECT_EQ(statuses, (std::vector<int>{404, 404, 404, 404, 404, 429, 429}));
  EXPECT_EQ(post("203.0.113.9", "0000000006", "S0000006"), 429);
  EXPECT_EQ(http(server.port(), "POST", "/api/v1/readings/check",
                 reading("0000000006", "S0000006", R"({"total":1100})"),
                 {{"X-Forwarded-For", "203.0.113.9"}})
                .status,
            429)
      << "the check counts in the same budget";
  // The form counts in the same budget: that address is refused there as well.
  Browser b(server.port());
  b.get("/submit");
  auto form = http(server.port(), "POST", "/submit",
                   "csrf=" + b.csrf() + "&account=0000000006&serial=S0000006",
                   {{"Content-Type", "application/x-www-form-urlencoded"},
                    {"Cookie", "md_csrf=" + b.cookie("md_csrf")},
                    {"X-Forwarded-For", "203.0.113.9"}});
  EXPECT_EQ(form.status, 429) << form.body;
  EXPECT_EQ(post("203.0.113.10", "0000000006", "S0000006"), 201) << "a neighbour is not refused";
  const auto metrics = http(server.port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("limit=\"per_address\""), std::string::npos);
  EXPECT_NE(metrics.find("limit=\"per_account\""), std::string::npos);
}
