// docs/openapi.json describes every route the server serves, and nothing else.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "channels/http/api.hpp"
#include "support/support.hpp"

using namespace md::test;
using json = nlohmann::json;

TEST(OpenApi, DescribesEveryRouteAndNothingElse) {
  TempDir dir;
  auto db = dir.file("o.db");
  ASSERT_EQ(run_meterdesk({"migrate", "--db", db}).exit_code, 0);
  ServerProcess server(db, {}, {{"METERDESK_CLOSE_AUTOMATIC", "false"}});
  auto r = http(server.port(), "GET", "/api/openapi.json");
  ASSERT_EQ(r.status, 200);
  json doc = json::parse(r.body);
  EXPECT_EQ(doc["openapi"], "3.1.0");

  std::set<std::pair<std::string, std::string>> served, described;
  for (const auto& route : md::http::Api::routes()) {
    std::string method(route.method), path(route.path);
    for (auto& c : method) c = static_cast<char>(std::tolower(c));
    served.emplace(method, path);
  }
  for (const auto& [path, item] : doc["paths"].items())
    for (const auto& [method, op] : item.items()) described.emplace(method, path);
  EXPECT_EQ(served, described);

  // The route table is what the dispatcher serves: no listed route falls through to "no route".
  for (const auto& route : md::http::Api::routes()) {
    std::string target(route.path);
    for (auto [from, to] : {std::pair<std::string, std::string>{"{account}", "0000000001"},
                            {"{period}", "2025-11"}}) {
      if (auto at = target.find(from); at != std::string::npos) target.replace(at, from.size(), to);
    }
    auto answer = http(server.port(), std::string(route.method), target);
    auto body = json::parse(answer.body, nullptr, false);
    bool no_route =
        !body.is_discarded() && body.is_object() && body.value("code", "") == "no_route";
    EXPECT_FALSE(no_route) << route.method << " " << target;
  }
  auto index = json::parse(http(server.port(), "GET", "/").body);
  EXPECT_EQ(index["endpoints"].size(), md::http::Api::routes().size());
}
