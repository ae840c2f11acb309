// The Grafana dashboard in docs/ asks only for metrics the server exports.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <set>

#include "support/support.hpp"

using namespace md::test;

TEST(Observability, EveryMetricTheDashboardQueriesIsExported) {
  auto dashboard = nlohmann::json::parse(read_file(source_dir() + "/docs/grafana-dashboard.json"));
  std::set<std::string> wanted;
  static const std::regex name(R"(meterdesk_[a-z_]+)");
  ASSERT_FALSE(dashboard["panels"].empty());
  for (const auto& panel : dashboard["panels"]) {
    ASSERT_TRUE(panel.contains("gridPos")) << panel["title"];
    ASSERT_FALSE(panel["targets"].empty()) << panel["title"];
    for (const auto& target : panel["targets"]) {
      std::string expr = target["expr"];
      for (std::sregex_iterator it(expr.begin(), expr.end(), name), end; it != end; ++it) {
        std::string metric = it->str();
        for (const char* suffix : {"_bucket", "_sum", "_count"})
          if (metric.ends_with(suffix) && !metric.ends_with("_total"))
            metric.resize(metric.size() - std::string_view(suffix).size());
        wanted.insert(metric);
      }
    }
  }
  EXPECT_GE(wanted.size(), 10u);

  // A server that has done a little of everything the dashboard shows.
  TempDir dir;
  const std::string db = dir.file("m.db");
  write_file(dir.file("accounts.csv"), accounts_csv(2));
  ASSERT_EQ(run_meterdesk({"import-accounts", dir.file("accounts.csv"), "--db", db, "--now",
                           "2026-01-10T12:00:00"})
                .exit_code,
            0);
  FakePlatform telegram;
  ServerProcess server(db, {"--now", "2026-11-30T10:00:00+02:00"},
                       {{"METERDESK_WEB_ADDRESS_ATTEMPTS_PER_HOUR", "1"},
                        {"METERDESK_TELEGRAM_BOT_TOKEN", "1:m"},
                        {"METERDESK_TELEGRAM_SECRET_TOKEN", "m-secret"},
                        {"METERDESK_TELEGRAM_API_BASE", telegram.base()}});
  http(server.port(), "POST", "/webhooks/telegram",
       R"({"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},)"
       R"("text":"/start"}})",
       {{"X-Telegram-Bot-Api-Secret-Token", "m-secret"}});
  telegram.wait_for(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the sends are counted after
  http(server.port(), "POST", "/api/v1/readings",
       R"({"account":"0000000001","meter_serial":"S0000001","readings":{"total":1100}})",
       {{"Content-Type", "application/json"}});
  auto page = http(server.port(), "GET", "/account/sign-in");
  std::smatch m;
  std::regex csrf("name=\"csrf\" value=\"([0-9a-f]{64})\"");
  ASSERT_TRUE(std::regex_search(page.body, m, csrf));
  const std::string set_cookie = page.headers["set-cookie"];
  std::smatch c;
  ASSERT_TRUE(std::regex_search(set_cookie, c, std::regex("md_csrf=([0-9a-f]{64})")));
  const std::string cookie = "md_csrf=" + c[1].str();
  for (int i = 0; i < 2; ++i)
    http(server.port(), "POST", "/account/sign-in",
         "csrf=" + m[1].str() + "&login=0000000001&password=wrong+password",
         {{"Content-Type", "application/x-www-form-urlencoded"}, {"Cookie", cookie}});
  auto metrics = http(server.port(), "GET", "/metrics").body;
  for (const auto& metric : wanted)
    EXPECT_NE(metrics.find("# TYPE " + metric + " "), std::string::npos) << metric;
}
