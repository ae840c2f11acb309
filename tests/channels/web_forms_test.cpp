// Decoding of form posts (URL-encoded and multipart) and the attempt limiter, without a server.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "channels/http/web/web_internal.hpp"
#include "service/prices.hpp"
#include "service/rate_limit.hpp"
#include "support/support.hpp"

using namespace md;
using http::web::Form;

namespace {

std::string part(const std::string& b, const std::string& name, const std::string& value) {
  return "--" + b + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value +
         "\r\n";
}

std::set<std::string> placeholders(std::string_view text) {
  std::set<std::string> out;
  for (auto at = text.find('{'); at != std::string_view::npos; at = text.find('{', at + 1))
    if (auto end = text.find('}', at); end != std::string_view::npos)
      out.emplace(text.substr(at + 1, end - at - 1));
  return out;
}

}  // namespace

// Keys in C++ are checked as the pages compile (TextKey); the templates' {{t.key}} are not, so
// this reads them: a missing key would render as nothing, silently.
TEST(WebText, EveryWordTheTemplatesUseIsInTheTableInBothLanguagesWithTheSamePlaceholders) {
  std::set<std::string> keys;
  for (const auto& e : http::web::kText) {
    EXPECT_TRUE(keys.emplace(e.key).second) << e.key << " twice: the second is never shown";
    EXPECT_FALSE(std::string_view(e.uk).empty()) << e.key;
    EXPECT_FALSE(std::string_view(e.en).empty()) << e.key;
    EXPECT_EQ(placeholders(e.uk), placeholders(e.en)) << e.key;
  }
  const std::regex used(R"(\{\{[#^/]?t\.([a-z0-9_]+)\}\})");
  int checked = 0;
  for (const auto& file : std::filesystem::directory_iterator(md::test::source_dir() +
                                                              "/src/channels/http/web/assets")) {
    if (file.path().extension() != ".html") continue;
    std::ifstream in(file.path());
    std::stringstream body;
    body << in.rdbuf();
    const std::string html = body.str();
    for (std::sregex_iterator it(html.begin(), html.end(), used), end; it != end; ++it, ++checked)
      EXPECT_TRUE(keys.count((*it)[1].str())) << file.path().filename() << ": t." << (*it)[1];
  }
  EXPECT_GT(checked, 100);  // the pattern still matches how templates spell the words
}

TEST(WebChart, RoundGridlinesEachBarsNumberAndItsMonthAndYear) {
  using http::web::Bar;
  std::vector<Bar> bars{{"Dec", 464, "actual", {}, "2025"},
                        {"Jan", 0, "estimated", {}, "2026"},
                        {"Feb", -5, "actual", {}, ""}};
  const std::string svg =
      http::web::bar_chart(bars, "kWh <by month>", {}, http::web::ChartWidth::narrow);
  EXPECT_TRUE(svg.starts_with("<svg class=\"chart narrow\" viewBox=\"0 0 400 "));
  EXPECT_NE(svg.find("kWh &lt;by month&gt;"), std::string::npos) << "the title, escaped";
  for (const char* tick : {">0</text>", ">200</text>", ">400</text>", ">600</text>"})
    EXPECT_NE(svg.find(tick), std::string::npos) << tick << " in " << svg;
  EXPECT_EQ(svg.find(">800</text>"), std::string::npos) << "the scale stops at the round step";
  EXPECT_NE(svg.find("class=\"value\">464</text>"), std::string::npos);
  EXPECT_NE(svg.find(">Dec</text>"), std::string::npos);
  EXPECT_NE(svg.find(">2026</text>"), std::string::npos) << "the year under January";
  EXPECT_NE(svg.find("<title>Dec 2025: 464</title>"), std::string::npos);
  EXPECT_EQ(svg.find("height=\"-"), std::string::npos)
      << "a negative month draws no bar upside down";
  EXPECT_NE(svg.find("fill=\"#c77d00\""), std::string::npos) << "an estimated month's colour";
}

TEST(WebFormat, MoneyInEachLanguagesWay) {
  using http::web::format_money;
  EXPECT_EQ(format_money(200448, i18n::Lang::uk), "2\u00a0004,48");
  EXPECT_EQ(format_money(200448, i18n::Lang::en), "2,004.48");
  EXPECT_EQ(format_money(-50, i18n::Lang::en), "−0.50") << "a refund under one hryvnia";
  EXPECT_EQ(format_money(7, i18n::Lang::uk), "0,07");
  EXPECT_EQ(http::web::format_tenths(566, i18n::Lang::uk), "56,6");
  EXPECT_EQ(http::web::format_tenths(-5, i18n::Lang::en), "−0.5");
}

TEST(WebText, PlaceholdersAreFilledAndAValueIsNotFilledAgain) {
  using http::web::text;
  EXPECT_EQ(text(i18n::Lang::en, "bill_not_ready", {{"month", "October 2026"}}),
            "The bill for October 2026 is not ready yet.");
  EXPECT_EQ(text(i18n::Lang::uk, "try_again_after", {{"time", "30.11.2026 14:05"}}),
            "Спробуйте знову після 30.11.2026 14:05.");
  EXPECT_EQ(text(i18n::Lang::en, "photo_hint", {{"max", "{max}"}}),
            "optional; JPEG or PNG up to {max}");
}

TEST(WebForms, UrlEncodedFieldsDecodePlusAndPercentAndTheFirstOfRepeatedKeysWins) {
  Form f = http::web::parse_urlencoded("a=1+2&b=%D0%B4%D0%B5%D0%BD%D1%8C&a=3&empty=&flag");
  EXPECT_EQ(f.get("a"), "1 2");
  EXPECT_EQ(f.get("b"), "день");
  EXPECT_EQ(f.get("empty"), "");
  EXPECT_TRUE(f.fields.count("flag"));
  EXPECT_EQ(f.get("missing"), "");
}

TEST(WebForms, MultipartKeepsFieldsAndFileBytesExactly) {
  const std::string b = "XyZ";
  const std::string bytes("\x89PNG\r\n\x1a\n\r\n--Xy\0end", 18);
  std::string body = part(b, "account", "0123456789") + "--" + b +
                     "\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"m.png\"\r\n"
                     "Content-Type: image/PNG\r\n\r\n" +
                     bytes + "\r\n--" + b + "--\r\n";
  std::string error;
  auto f = http::web::parse_multipart(body, b, error);
  ASSERT_TRUE(f) << error;
  EXPECT_EQ(f->get("account"), "0123456789");
  ASSERT_NE(f->file("photo"), nullptr);
  EXPECT_EQ(f->file("photo")->bytes, bytes);
  EXPECT_EQ(f->file("photo")->content_type, "image/png");
  EXPECT_EQ(f->file("photo")->filename, "m.png");
}

TEST(WebForms, MalformedMultipartIsRefusedWithAReason) {
  std::string error;
  EXPECT_FALSE(http::web::parse_multipart(part("b", "a", "1"), "b", error)) << "no closing line";
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(
      http::web::parse_multipart("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", "b", error))
      << "a part without a name";
  EXPECT_FALSE(http::web::parse_multipart("garbage", "b", error));
  EXPECT_FALSE(http::web::parse_multipart(part("b", "a", "1") + "--b--", "", error));
  std::string many;
  for (int i = 0; i < 100; ++i) many += part("b", "f" + std::to_string(i), "v");
  EXPECT_FALSE(http::web::parse_multipart(many + "--b--\r\n", "b", error)) << "too many fields";
}

TEST(WebForms, AnEmptyFileFieldIsNoFile) {
  std::string body =
      "--b\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"\"\r\n"
      "Content-Type: application/octet-stream\r\n\r\n\r\n--b--\r\n";
  std::string error;
  auto f = http::web::parse_multipart(body, "b", error);
  ASSERT_TRUE(f) << error;
  EXPECT_EQ(f->file("photo"), nullptr);
}

TEST(RateLimiter, TenAnHourThenRefusedUntilTheWindowSlidesOn) {
  service::RateLimiter limiter(10, std::chrono::hours(1));
  const domain::Instant t0{std::chrono::seconds(1'800'000'000)};  // on an hour boundary
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.allow("acct:1", t0)) << i;
  EXPECT_FALSE(limiter.allow("acct:1", t0));
  EXPECT_TRUE(limiter.allow("acct:2", t0)) << "keys are independent";
  EXPECT_GT(limiter.retry_at("acct:1", t0), t0);
  EXPECT_FALSE(limiter.allow("acct:1", t0 + std::chrono::minutes(30)));
  EXPECT_TRUE(limiter.allow("acct:1", t0 + std::chrono::minutes(70))) << "the old ones fade out";
  EXPECT_TRUE(limiter.allow("acct:1", t0 + std::chrono::hours(3)));
}

TEST(RateLimiter, MemoryIsBoundedAndIdleKeysAreForgotten) {
  service::RateLimiter limiter(5, std::chrono::minutes(1), 100);
  const domain::Instant t0{std::chrono::seconds(1'800'000'000)};
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.allow("k" + std::to_string(i), t0));
  EXPECT_FALSE(limiter.allow("new", t0)) << "the table is full of busy keys";
  EXPECT_TRUE(limiter.allow("new", t0 + std::chrono::minutes(3))) << "idle ones were dropped";
}

TEST(Prices, FixedPointValuesAsPeopleWriteThem) {
  EXPECT_EQ(service::parse_fixed("4.32", 2), 432);
  EXPECT_EQ(service::parse_fixed("4,3", 2), 430);
  EXPECT_EQ(service::parse_fixed("4", 2), 400);
  EXPECT_EQ(service::parse_fixed("0.5", 3), 500);
  EXPECT_FALSE(service::parse_fixed("4.321", 2));
  EXPECT_FALSE(service::parse_fixed("", 2));
  EXPECT_FALSE(service::parse_fixed("1.2.3", 2));
  EXPECT_FALSE(service::parse_fixed("-1", 2));
  EXPECT_FALSE(service::parse_fixed("1e3", 2));
}

TEST(ClientAddress, OnlyATrustedProxyMayNameTheClient) {
  const std::vector<std::string> proxies{"127.0.0.1"};
  EXPECT_EQ(http::client_address("127.0.0.1", "203.0.113.7", proxies), "203.0.113.7");
  EXPECT_EQ(http::client_address("127.0.0.1", "10.0.0.1, 203.0.113.7", proxies), "203.0.113.7")
      << "the hop the proxy saw, not what the client claimed before it";
  EXPECT_EQ(http::client_address("198.51.100.2", "203.0.113.7", proxies), "198.51.100.2")
      << "anyone else's header is ignored";
  EXPECT_EQ(http::client_address("127.0.0.1", "", proxies), "127.0.0.1");
  EXPECT_EQ(http::client_address("127.0.0.1", "<script>", proxies), "127.0.0.1");
  EXPECT_EQ(http::client_address("127.0.0.1", "2001:db8::1", proxies), "2001:db8::1");
}
