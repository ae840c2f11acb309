#include "channels/viber/viber.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "channels/json_fields.hpp"

namespace md::viber {
namespace {

using json = nlohmann::json;
using channels::cut_utf8;
using channels::member;
using channels::text_of;
using Kind = dialog::Event::Kind;

constexpr std::size_t kMaxText = 7000;  // Viber's text message limit

// Exact decimal text of a 64-bit token; the string form some libraries send is accepted too.
std::string token_text(const json* v) {
  if (!v) return {};
  if (auto number = channels::integer_text(*v); !number.empty()) return number;
  if (v->is_string()) {
    std::string s = v->get<std::string>();
    if (!s.empty() && s.size() <= 20 && s.find_first_not_of("0123456789") == std::string::npos)
      return s;
  }
  return {};
}

// The share-phone button's ActionBody. Viber sends the number back as a contact message whose
// text is this; a contact card sent from the address book carries no text (seen in the Viber
// bot libraries' issue threads: viber-bot-php #18, #41, #53; viber-bot-java #4).
constexpr std::string_view kSharePhoneBody = "phone";

// "12|submit" or "7|pick|0123456789": what our keyboard buttons send back as the message text.

bool is_button_data(std::string_view t) {
  auto bar = t.find('|');
  if (bar == 0 || bar == std::string_view::npos || bar > 9) return false;
  return t.substr(0, bar).find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

std::string signature(std::string_view body, std::string_view auth_token) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), auth_token.data(), static_cast<int>(auth_token.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::size_t{len} * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 15];
  }
  return out;
}

bool signature_ok(std::string_view body, std::string_view auth_token, std::string_view given) {
  if (auth_token.empty() || given.size() != 64) return false;
  std::string expected = signature(body, auth_token);
  std::string lower(given);
  for (auto& c : lower)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return CRYPTO_memcmp(lower.data(), expected.data(), expected.size()) == 0;
}

namespace {

Parsed malformed(Parsed out, std::string why) {
  out.kind = Parsed::Kind::malformed;
  out.why = std::move(why);
  return out;
}

// conversation_started, subscribed, unsubscribed: who, and what it means for their chat.
Parsed user_event(const json& j, Parsed out) {
  dialog::Inbound& in = out.in;
  const std::string& event = out.event;
  if (event == "unsubscribed") {
    in.chat_id = text_of(j, "user_id");
    if (in.chat_id.empty()) return malformed(std::move(out), "unsubscribed without user_id");
    in.action = dialog::Inbound::Action::unsubscribe;
    out.kind = Parsed::Kind::ok;
    return out;
  }
  const json* user = member(j, "user");
  in.chat_id = user ? text_of(*user, "id") : "";
  if (in.chat_id.empty()) return malformed(std::move(out), event + " without user.id");
  in.lang_hint = text_of(*user, "language");
  if (event == "conversation_started") {
    out.kind = Parsed::Kind::welcome;
    return out;
  }
  in.action = dialog::Inbound::Action::subscribe;
  out.kind = Parsed::Kind::ok;
  return out;
}

// A message's content as the conversation's event: a button's data comes back as text.
dialog::Event message_event(const json& message) {
  dialog::Event e;
  std::string type = text_of(message, "type");
  if (type == "text") {
    std::string t = text_of(message, "text");
    if (is_button_data(t)) {
      e.kind = Kind::button;
      e.text = t.substr(0, 64);
    } else if (t.starts_with('/')) {
      e.kind = Kind::command;
      e.text = t.substr(1, std::min<std::size_t>(t.find_first_of(" \n") - 1, 64));
    } else {
      e.kind = Kind::text;
      e.text = std::move(t);
    }
  } else if (type == "contact") {
    e.kind = Kind::contact;
    const json* contact = member(message, "contact");
    e.phone = contact ? text_of(*contact, "phone_number") : "";
    // Only the reply to our share-phone button is the sender's own number: anyone can send
    // someone else's card, and a stranger's phone would link that person's accounts.
    e.own_contact = !e.phone.empty() && text_of(message, "text") == kSharePhoneBody;
  } else if (type == "picture") {
    e.kind = Kind::photo;
    e.photo = "viber:" + text_of(message, "media");
  } else {
    e.kind = Kind::unsupported;
  }
  return e;
}

}  // namespace

Parsed parse_callback(std::string_view body) {
  Parsed out;
  const auto object = channels::json_object(body);
  if (!object) return {Parsed::Kind::malformed, {}, {}, "not a JSON object"};
  const json& j = *object;
  out.event = text_of(j, "event");
  if (out.event.empty()) {
    out.why = "no event";
    return out;
  }
  dialog::Inbound& in = out.in;
  in.channel = "viber";
  in.update_key = token_text(member(j, "message_token"));
  out.kind = Parsed::Kind::ignored;
  const std::string& event = out.event;
  if (event == "webhook" || event == "delivered" || event == "seen" || event == "failed" ||
      event == "client_status") {
    out.why = event;
    return out;
  }
  if (event == "conversation_started" || event == "subscribed" || event == "unsubscribed")
    return user_event(j, std::move(out));
  if (event != "message") {
    out.why = "event not used";
    return out;
  }
  const json* sender = member(j, "sender");
  const json* message = member(j, "message");
  in.chat_id = sender ? text_of(*sender, "id") : "";
  if (in.chat_id.empty() || !message || !message->is_object())
    return malformed(std::move(out), "message without sender.id or message");
  if (in.update_key.empty()) return malformed(std::move(out), "message without message_token");
  in.lang_hint = text_of(*sender, "language");
  in.event = message_event(*message);
  out.kind = Parsed::Kind::ok;
  return out;
}

json message_body(const RenderOptions& options, std::string_view chat_id,
                  const dialog::Reply& reply) {
  json body{{"receiver", chat_id},
            {"min_api_version", 3},  // share-phone buttons
            {"sender", {{"name", cut_utf8(options.bot_name, 28)}}},
            {"type", "text"},
            {"text", cut_utf8(reply.text, kMaxText)}};
  json buttons = json::array();
  for (const auto& b : reply.buttons)
    buttons.push_back({{"ActionType", "reply"},
                       {"ActionBody", b.data},
                       {"Text", cut_utf8(b.label, 250)},
                       {"Columns", 6},
                       {"Rows", 1}});
  if (reply.ask_contact)
    buttons.push_back({{"ActionType", "share-phone"},
                       {"ActionBody", kSharePhoneBody},
                       {"Text", reply.contact_label},
                       {"Columns", 6},
                       {"Rows", 1}});
  if (!buttons.empty())
    body["keyboard"] = {{"Type", "keyboard"}, {"DefaultHeight", false}, {"Buttons", buttons}};
  return body;
}

std::vector<store::OutboxMessage> render(const RenderOptions& options, std::string_view chat_id,
                                         const dialog::Step& step) {
  std::vector<store::OutboxMessage> out;
  for (const auto& reply : step.replies) {
    if (reply.text.empty()) continue;
    out.push_back(service::outbox_call("viber", chat_id, "send_message",
                                       message_body(options, chat_id, reply)));
  }
  return out;
}

}  // namespace md::viber
