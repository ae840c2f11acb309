// The Viber bot: REST bot API callbacks in (POST /webhooks/viber, signed with the auth token),
// send_message calls out through the outbox. Only the translation lives here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "dialog/messenger.hpp"
#include "service/outbox.hpp"

namespace md::viber {

// Lowercase hex HMAC-SHA256 of the raw body keyed with the auth token.
std::string signature(std::string_view body, std::string_view auth_token);
bool signature_ok(std::string_view body, std::string_view auth_token, std::string_view given);

struct Parsed {
  enum class Kind { ok, welcome, ignored, malformed };
  Kind kind = Kind::malformed;
  dialog::Inbound in;
  std::string event;  // the callback's event name
  std::string why;
};

// message_token is a 64-bit integer (often above 2^53): it is kept as exact decimal text.
Parsed parse_callback(std::string_view body);

struct RenderOptions {
  std::string bot_name = "meterdesk";
};
std::vector<store::OutboxMessage> render(const RenderOptions& options, std::string_view chat_id,
                                         const dialog::Step& step);
// One send_message body (also the welcome answered to conversation_started).
nlohmann::json message_body(const RenderOptions& options, std::string_view chat_id,
                            const dialog::Reply& reply);

// The Viber REST API for the outbox (platform.cpp): calls with the auth token, at most
// `per_user_hour` messages to one user an hour.
service::Platform platform(std::string api_base, const std::string& token, int per_user_hour);

}  // namespace md::viber
