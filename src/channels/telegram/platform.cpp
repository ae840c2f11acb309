// The Bot API as the outbox meets it: where a call goes, how fast, what its answer means (sent,
// retry after, or failed for good), and how a photo a customer sent is fetched (getFile).
#include "channels/telegram/telegram.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "domain/whole_number.hpp"

namespace md::telegram {

using json = nlohmann::json;
using service::HttpAnswer;
using service::HttpCall;
using service::Platform;
using service::Verdict;

Platform platform(std::string api_base, const std::string& token, double per_second,
                  std::chrono::milliseconds per_chat_interval) {
  Platform p;
  p.channel = "telegram";
  while (!api_base.empty() && api_base.back() == '/') api_base.pop_back();
  p.url = [base = api_base + "/bot" + token + "/"](const store::OutboxRow& row) {
    return base + row.method;
  };
  p.per_second = per_second;
  p.per_chat_interval = per_chat_interval;
  p.paced = [](std::string_view method) { return method != "answerCallbackQuery"; };
  p.fetch = [api = api_base + "/bot" + token + "/", files = api_base + "/file/bot" + token + "/"](
                std::string_view ref, const HttpCall& http, std::string& bytes) {
    Verdict v;
    std::string file_id(ref.substr(ref.find(':') + 1));
    HttpAnswer info = http("POST", api + "getFile", {}, json{{"file_id", file_id}}.dump());
    json body = json::parse(info.body, nullptr, false);
    if (info.status != 200 || !body.is_object() || !body.value("ok", false) ||
        !body.contains("result") || !body["result"].is_object()) {
      v.error = "getFile: " + (info.status ? std::to_string(info.status) : info.error);
      if (info.status == 400) v.kind = Verdict::Kind::failed;  // too big, or gone
      return v;
    }
    std::string path = body["result"].value("file_path", std::string());
    if (path.empty() || path.find("..") != std::string::npos) {
      v.kind = Verdict::Kind::failed;
      v.error = "getFile: no file_path";
      return v;
    }
    return service::download(http, files + path, bytes, [](long status) { return status == 404; });
  };
  p.judge = [](const HttpAnswer& a) {
    Verdict v;
    json body = json::parse(a.body, nullptr, false);
    std::string description =
        body.is_object() ? body.value("description", std::string()) : std::string();
    if (a.status == 200 && body.is_object() && body.value("ok", false)) {
      v.kind = Verdict::Kind::sent;
      return v;
    }
    v.error = a.status ? std::to_string(a.status) + " " + description : a.error;
    if (a.status == 429) {
      std::int64_t after = 1;
      if (body.is_object() && body.contains("parameters") && body["parameters"].is_object())
        if (auto it = body["parameters"].find("retry_after"); it != body["parameters"].end())
          after = domain::whole_number<std::int64_t>(*it).value_or(1);
      v.retry_after = std::chrono::seconds{std::clamp<std::int64_t>(after, 1, 3600)};
      v.whole_channel = true;
      return v;
    }
    if (a.status == 401 || a.status == 404) {  // our token is wrong: wait for a fixed one
      v.retry_after = std::chrono::seconds{60};
      v.whole_channel = true;
      return v;
    }
    // The chat blocked the bot, was deleted, or the request is wrong: trying again cannot help.
    if (a.status == 400 || a.status == 403) v.kind = Verdict::Kind::failed;
    return v;
  };
  return p;
}

}  // namespace md::telegram
