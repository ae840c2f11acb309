#include "channels/telegram/telegram.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "channels/json_fields.hpp"

namespace md::telegram {
namespace {

using json = nlohmann::json;
using channels::cut_utf8;
using channels::integer_text;
using channels::member;
using channels::text_of;
using Kind = dialog::Event::Kind;

constexpr std::size_t kMaxText = 4096;  // Bot API: 1–4096 characters after entity parsing

// The "id" of an object that may be missing or not an object at all.
std::string id_of(const json* object) {
  const json* id = object ? member(*object, "id") : nullptr;
  return id ? integer_text(*id) : std::string();
}

void read_message(const json& msg, const json* from, dialog::Inbound& in) {
  if (const json* text = member(msg, "text"); text && text->is_string()) {
    std::string t = text->get<std::string>();
    if (t.starts_with('/')) {
      // "/submit", "/submit@meterdesk_bot", "/start payload"
      std::string name = t.substr(1, t.find_first_of(" @\n") - 1);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      in.event.kind = Kind::command;
      in.event.text = name.substr(0, 64);
    } else {
      in.event.kind = Kind::text;
      in.event.text = std::move(t);
    }
    return;
  }
  if (const json* contact = member(msg, "contact"); contact && contact->is_object()) {
    in.event.kind = Kind::contact;
    in.event.phone = text_of(*contact, "phone_number");
    // A contact card anyone could forward; only the button's own contact carries the sender's id.
    const json* owner = member(*contact, "user_id");
    std::string sender = id_of(from);
    in.event.own_contact = owner && !sender.empty() && integer_text(*owner) == sender;
    return;
  }
  if (const json* photo = member(msg, "photo"); photo && photo->is_array() && !photo->empty()) {
    std::string file = text_of(photo->back(), "file_id");  // the largest size
    if (!file.empty()) {
      in.event.kind = Kind::photo;
      in.event.photo = "telegram:" + file;
      return;
    }
  }
  in.event.kind = Kind::unsupported;  // stickers, voice notes, documents, locations, dice...
}

Parsed malformed(Parsed out, std::string why) {
  out.kind = Parsed::Kind::malformed;
  out.why = std::move(why);
  return out;
}

// A message (or an edit of one) in a private chat.
Parsed message_update(const json& msg, bool edited, Parsed out) {
  dialog::Inbound& in = out.in;
  const json* chat = member(msg, "chat");
  if (!chat || text_of(*chat, "type") != "private") {
    out.why = "not a private chat";
    return out;
  }
  in.chat_id = id_of(chat);
  if (in.chat_id.empty()) return malformed(std::move(out), "chat without id");
  const json* from = member(msg, "from");
  if (from) in.lang_hint = text_of(*from, "language_code");
  if (edited)
    in.event.kind = Kind::unsupported;  // an edit cannot change what was already taken
  else
    read_message(msg, from, in);
  out.kind = Parsed::Kind::ok;
  return out;
}

// A press on one of our buttons.
Parsed button_update(const json& cb, Parsed out) {
  dialog::Inbound& in = out.in;
  in.callback_id = text_of(cb, "id");
  const json* from = member(cb, "from");
  std::string user = id_of(from);
  // The chat of the message with the button; in a private chat it is the user's id.
  const json* message = member(cb, "message");
  const json* chat = message ? member(*message, "chat") : nullptr;
  if (chat && !text_of(*chat, "type").empty() && text_of(*chat, "type") != "private") {
    out.why = "button in a group chat";
    return out;
  }
  in.chat_id = chat ? id_of(chat) : user;
  if (in.chat_id.empty() || in.callback_id.empty())
    return malformed(std::move(out), "callback_query without id or chat");
  if (from) in.lang_hint = text_of(*from, "language_code");
  in.event.kind = Kind::button;
  in.event.text = text_of(cb, "data").substr(0, 64);
  out.kind = Parsed::Kind::ok;
  return out;
}

}  // namespace

Parsed parse_update(std::string_view body) {
  Parsed out;
  const auto object = channels::json_object(body);
  if (!object) return {Parsed::Kind::malformed, {}, "not a JSON object"};
  const json& u = *object;
  const json* id = member(u, "update_id");
  if (!id || !(id->is_number_integer() || id->is_number_unsigned())) {
    out.why = "no update_id";
    return out;
  }
  dialog::Inbound& in = out.in;
  in.channel = "telegram";
  in.update_key = integer_text(*id);
  out.kind = Parsed::Kind::ignored;
  if (const json* msg = member(u, "message"); msg && msg->is_object())
    return message_update(*msg, false, std::move(out));
  if (const json* msg = member(u, "message"); !msg)
    if (const json* edit = member(u, "edited_message"); edit && edit->is_object())
      return message_update(*edit, true, std::move(out));
  if (const json* cb = member(u, "callback_query"); cb && cb->is_object())
    return button_update(*cb, std::move(out));
  if (const json* member_update = member(u, "my_chat_member");
      member_update && member_update->is_object()) {
    const json* chat = member(*member_update, "chat");
    const json* now = member(*member_update, "new_chat_member");
    if (chat && text_of(*chat, "type") == "private" && now && text_of(*now, "status") == "kicked") {
      in.chat_id = id_of(chat);
      if (!in.chat_id.empty()) {
        in.action = dialog::Inbound::Action::unsubscribe;  // blocked the bot: no more reminders
        out.kind = Parsed::Kind::ok;
        return out;
      }
    }
    out.why = "my_chat_member";
    return out;
  }
  out.why = "update kind not used";
  return out;
}

std::vector<store::OutboxMessage> render(const dialog::Inbound* in, std::string_view chat_id,
                                         const dialog::Step& step) {
  std::vector<store::OutboxMessage> out;
  auto add = [&](const char* method, const json& body) {
    out.push_back(service::outbox_call("telegram", chat_id, method, body));
  };
  if (in && !in->callback_id.empty()) {
    json answer{{"callback_query_id", in->callback_id}};
    if (!step.toast.empty()) answer["text"] = cut_utf8(step.toast, 200);
    add("answerCallbackQuery", answer);
  }
  json chat;
  try {
    chat = std::stoll(std::string(chat_id));
  } catch (const std::exception&) {
    chat = std::string(chat_id);
  }
  const bool after_contact = in && in->event.kind == Kind::contact;
  for (const auto& reply : step.replies) {
    if (reply.text.empty()) continue;
    json body{{"chat_id", chat}, {"text", cut_utf8(reply.text, kMaxText)}};
    if (!reply.buttons.empty()) {
      json rows = json::array();
      for (const auto& b : reply.buttons)
        rows.push_back(json::array(
            {{{"text", cut_utf8(b.label, 200)}, {"callback_data", cut_utf8(b.data, 64)}}}));
      body["reply_markup"] = {{"inline_keyboard", rows}};
    } else if (reply.ask_contact) {
      body["reply_markup"] = {
          {"keyboard", json::array({json::array(
                           {{{"text", reply.contact_label}, {"request_contact", true}}})})},
          {"resize_keyboard", true},
          {"one_time_keyboard", true}};
    } else if (after_contact) {
      body["reply_markup"] = {{"remove_keyboard", true}};
    }
    add("sendMessage", body);
  }
  return out;
}

bool same_secret(std::string_view given, std::string_view expected) {
  if (given.size() != expected.size() || expected.empty()) return false;
  return CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

}  // namespace md::telegram
