// The Telegram bot: Bot API Update objects in (POST /webhooks/telegram), Bot API method calls out
// through the outbox. Only the translation lives here; the conversation is dialog::Conversation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dialog/messenger.hpp"
#include "service/outbox.hpp"

namespace md::telegram {

struct Parsed {
  enum class Kind { ok, ignored, malformed };
  Kind kind = Kind::malformed;
  dialog::Inbound in;
  std::string why;  // ignored or malformed: what it was
};

// One Update: a private chat's message, command, contact, photo or button press becomes an
// Inbound; what no person waits an answer for (other update kinds, group chats) is ignored.
Parsed parse_update(std::string_view body);

// sendMessage calls for the replies (and answerCallbackQuery for a button press).
std::vector<store::OutboxMessage> render(const dialog::Inbound* in, std::string_view chat_id,
                                         const dialog::Step& step);

// Compares secrets in time independent of where they differ.
bool same_secret(std::string_view given, std::string_view expected);

// The Bot API for the outbox (platform.cpp): calls to api_base/bot<token>/<method>, at most
// `per_second` in all and one a `per_chat_interval` per chat.
service::Platform platform(std::string api_base, const std::string& token, double per_second,
                           std::chrono::milliseconds per_chat_interval);

}  // namespace md::telegram
