#include "channels/http/webhooks.hpp"

#include <nlohmann/json.hpp>

#include "channels/telegram/telegram.hpp"
#include "channels/viber/viber.hpp"

namespace md::http {

using json = nlohmann::json;

namespace {

// A webhook's answer, named by its route for the metrics and the log.
struct Answer {
  const char* route;
  Response operator()(int status, std::string body) const {
    Response r;
    r.status = status;
    r.body = std::move(body);
    r.route = route;
    return r;
  }
};

// The platforms only POST; anything else is answered 405 here (true when it was).
bool refused_method(const Request& req, const Answer& answer, const Respond& respond) {
  if (req.method == "POST") return false;
  auto r = answer(405, R"({"error":"use POST"})");
  r.headers.emplace_back("Allow", "POST");
  respond(std::move(r));
  return true;
}

// Hands the update to the messenger and answers once it is committed: 200 when processed (or
// processed before), else 503 so that the platform delivers it again.
void process(dialog::Messenger& messenger, dialog::Inbound&& in, const Respond& respond,
             Answer answer) {
  auto retry = [answer](const char* why) {
    auto r = answer(503, std::string(R"({"error":")") + why + R"("})");
    r.headers.emplace_back("Retry-After", "5");
    return r;
  };
  bool queued = messenger.handle_async(std::move(in), [respond, answer, retry](auto result) {
    using R = dialog::Messenger::Result;
    if (result == R::processed || result == R::duplicate) return respond(answer(200, "{}"));
    respond(retry("not stored; deliver it again"));
  });
  if (!queued) respond(retry("busy; deliver it again"));
}

// An update that is not one (malformed) or says nothing to act on (ignored) is answered at once:
// 400, or 200 so that it is not delivered again. True when it was.
template <typename Parsed>
bool answered_at_once(const Parsed& p, const char* channel, const char* what, const Answer& answer,
                      const Respond& respond, obs::Metrics* metrics) {
  using PK = typename Parsed::Kind;
  if (p.kind != PK::malformed && p.kind != PK::ignored) return false;
  const bool malformed = p.kind == PK::malformed;
  if (metrics) metrics->bot_update(channel, malformed ? "malformed" : "ignored");
  if (malformed)
    respond(answer(400, json{{"error", std::string("not a ") + what + ": " + p.why}}.dump()));
  else
    respond(answer(200, "{}"));
  return true;
}

}  // namespace

void telegram_webhook(dialog::Messenger& messenger, const TelegramWebhook& options, Request&& req,
                      const Respond& respond, obs::Metrics* metrics) {
  const Answer answer{"/webhooks/telegram"};
  if (refused_method(req, answer, respond)) return;
  if (!telegram::same_secret(req.header("x-telegram-bot-api-secret-token"), options.secret_token)) {
    if (metrics) metrics->bot_update("telegram", "refused");
    return respond(answer(401, R"({"error":"wrong or missing secret token"})"));
  }
  telegram::Parsed p = telegram::parse_update(req.body);
  if (answered_at_once(p, "telegram", "Bot API Update", answer, respond, metrics)) return;
  process(messenger, std::move(p.in), respond, answer);
}

void viber_webhook(dialog::Messenger& messenger, const ViberWebhook& options, Request&& req,
                   const Respond& respond, obs::Metrics* metrics) {
  const Answer answer{"/webhooks/viber"};
  if (refused_method(req, answer, respond)) return;
  if (!viber::signature_ok(req.body, options.auth_token, req.header("x-viber-content-signature"))) {
    if (metrics) metrics->bot_update("viber", "refused");
    return respond(answer(401, R"({"error":"wrong or missing X-Viber-Content-Signature"})"));
  }
  viber::Parsed p = viber::parse_callback(req.body);
  if (answered_at_once(p, "viber", "Viber callback", answer, respond, metrics)) return;
  if (p.kind == viber::Parsed::Kind::welcome) {
    if (metrics) metrics->bot_update("viber", "welcome");
    i18n::Lang lang = i18n::parse_lang(p.in.lang_hint);
    dialog::Reply reply;
    reply.text = i18n::message(lang, "bot.welcome") + " " + i18n::message(lang, "bot.help");
    // Sharing the phone is the quickest way in: offered from the first screen.
    reply.ask_contact = true;
    reply.contact_label = i18n::message(lang, "bot.share_phone");
    json body = viber::message_body(viber::RenderOptions{options.bot_name}, p.in.chat_id, reply);
    body.erase("receiver");
    return respond(answer(200, body.dump(-1, ' ', false, json::error_handler_t::replace)));
  }
  process(messenger, std::move(p.in), respond, answer);
}

}  // namespace md::http
