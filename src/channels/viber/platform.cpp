// The Viber REST API as the outbox meets it: where a call goes with its token, how fast, what its
// status codes mean (sent, retry after, or failed for good), and how a picture's URL is fetched.
#include "channels/viber/viber.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "domain/whole_number.hpp"

namespace md::viber {

using json = nlohmann::json;
using service::HttpAnswer;
using service::HttpCall;
using service::Platform;
using service::Verdict;

Platform platform(std::string api_base, const std::string& token, int per_user_hour) {
  Platform p;
  p.channel = "viber";
  while (!api_base.empty() && api_base.back() == '/') api_base.pop_back();
  p.url = [base = api_base + "/"](const store::OutboxRow& row) { return base + row.method; };
  p.headers = {"X-Viber-Auth-Token: " + token};
  p.per_second = 50;
  p.per_chat_interval = std::chrono::milliseconds{0};
  p.per_chat_hour = per_user_hour;
  p.paced = [](std::string_view method) { return method == "send_message"; };
  p.fetch = [](std::string_view ref, const HttpCall& http, std::string& bytes) {
    Verdict v;
    std::string url(ref.substr(ref.find(':') + 1));
    if (!url.starts_with("https://") && !url.starts_with("http://")) {
      v.kind = Verdict::Kind::failed;
      v.error = "not a URL";
      return v;
    }
    // A URL that answers 4xx (expired, removed) will not answer otherwise later.
    return service::download(http, url, bytes,
                             [](long status) { return status >= 400 && status < 500; });
  };
  p.judge = [](const HttpAnswer& a) {
    Verdict v;
    json body = json::parse(a.body, nullptr, false);
    if (a.status != 200 || !body.is_object()) {
      v.error = a.status ? "HTTP " + std::to_string(a.status) : a.error;
      return v;
    }
    auto it = body.find("status");
    int status = it == body.end() ? -1 : domain::whole_number<int>(*it).value_or(-1);
    v.error = std::to_string(status) + " " + body.value("status_message", std::string());
    switch (status) {
      case 0:
        v.kind = Verdict::Kind::sent;
        break;
      case 2:   // invalid auth token
      case 10:  // webhook not set
      case 12:  // too many requests
        v.retry_after = std::chrono::seconds{60};
        v.whole_channel = true;
        break;
      case 3:   // bad data
      case 4:   // missing data
      case 5:   // receiver not registered
      case 6:   // receiver not subscribed
      case 7:   // account blocked
      case 11:  // no suitable device
        v.kind = Verdict::Kind::failed;
        break;
      default:
        break;
    }
    return v;
  };
  return p;
}

}  // namespace md::viber
