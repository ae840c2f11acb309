// A request id follows a submission from the channel into the store and the logs; the logs are
// JSON when asked and never hold personal data.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "support/support.hpp"

using namespace md::test;

TEST(Logging, RequestIdsFromChannelToStoreAndLogs) {
  TempDir dir;
  // A path with a quote and a backslash: the JSON log must escape what messages hold.
  auto db = dir.file("l\"q\\.db");
  write_file(dir.file("a.csv"), accounts_csv(1));
  ASSERT_EQ(run_meterdesk({"import-accounts", dir.file("a.csv"), "--db", db, "--now", "2025-11-30"})
                .exit_code,
            0);
  std::string log;
  {
    ServerProcess server(db, {"--now", "2025-11-12T10:00:00"},
                         {{"METERDESK_LOG_LEVEL", "debug"},
                          {"METERDESK_LOG_JSON", "true"},
                          {"METERDESK_CLOSE_AUTOMATIC", "false"}});
    const std::string body =
        R"({"account":"0000000001","meter_serial":"S0000001","readings":{"total":1100}})";
    auto r = http(server.port(), "POST", "/api/v1/readings", body, {{"X-Request-Id", "trace-42"}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.headers["x-request-id"], "trace-42");
    auto odd =
        http(server.port(), "GET", "/healthz", "", {{"X-Request-Id", "has spaces\"and quotes"}});
    EXPECT_EQ(odd.headers["x-request-id"].size(), 16u);  // replaced by a fresh one
    EXPECT_EQ(odd.headers["x-request-id"].find(' '), std::string::npos);
    EXPECT_EQ(http(server.port(), "GET", "/healthz").headers["x-request-id"].size(), 16u);
    server.kill(SIGTERM);
    EXPECT_EQ(server.wait(), 0);
    log = server.log();
  }
  // The store has it with the audit record of the submission.
  sqlite3* raw = nullptr;
  sqlite3_open(db.c_str(), &raw);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(raw,
                     "SELECT request_id FROM audit WHERE action = 'submit' AND result = 'accepted'"
                     " AND channel = 'api'",
                     -1, &q, nullptr);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)), "trace-42");
  sqlite3_finalize(q);
  sqlite3_close(raw);
  // The log is JSON, line by line, follows the request, and names no customer.
  std::istringstream lines(log);
  std::string line;
  int json_lines = 0;
  bool traced = false;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << line;
    if (!j.is_discarded()) ++json_lines;
    if (line.find("trace-42") != std::string::npos) traced = true;
  }
  EXPECT_GT(json_lines, 3);
  EXPECT_NE(log.find("l\\\"q\\\\.db"), std::string::npos) << "the path, escaped: " << log;
  EXPECT_TRUE(traced) << log;
  EXPECT_EQ(log.find("0000000001"), std::string::npos) << log;
  EXPECT_EQ(log.find("S0000001"), std::string::npos) << log;
}
