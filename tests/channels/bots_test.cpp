// The messengers' adapters against payloads we did not write (tests/conformance/, from teloxide,
// nutgram, TelegramBots and viber-bot-python fixtures) and Viber's signature known-answer test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "channels/telegram/telegram.hpp"
#include "channels/viber/viber.hpp"
#include "support/support.hpp"

namespace md {
namespace {

using json = nlohmann::json;
using Kind = dialog::Event::Kind;

std::string fixture(const std::string& name) {
  std::ifstream in(test::source_dir() + "/tests/conformance/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(TelegramParse, EveryConformancePayloadIsUnderstoodOrIgnoredNeverMalformed) {
  int seen = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(test::source_dir() + "/tests/conformance/telegram")) {
    if (entry.path().extension() != ".json") continue;
    auto p = telegram::parse_update(fixture("telegram/" + entry.path().filename().string()));
    EXPECT_NE(p.kind, telegram::Parsed::Kind::malformed) << entry.path() << ": " << p.why;
    ++seen;
  }
  EXPECT_GE(seen, 18);
}

TEST(TelegramParse, PrivateTextMessage) {
  auto p = telegram::parse_update(fixture("telegram/message_text_private.json"));
  ASSERT_EQ(p.kind, telegram::Parsed::Kind::ok);
  EXPECT_EQ(p.in.update_key, "892252934");
  EXPECT_EQ(p.in.chat_id, "218485655");
  EXPECT_EQ(p.in.event.kind, Kind::text);
  EXPECT_EQ(p.in.event.text, "hello there");
}

TEST(TelegramParse, BodyStartingWithWhitespaceAndKeysInAnyOrder) {
  auto p = telegram::parse_update(fixture("telegram/message_text_private_minimal.json"));
  ASSERT_EQ(p.kind, telegram::Parsed::Kind::ok);
  EXPECT_EQ(p.in.event.text, "4");
  EXPECT_EQ(p.in.update_key, "306197398");
}

TEST(TelegramParse, CommandWithEntity) {
  auto p = telegram::parse_update(fixture("telegram/message_command.json"));
  ASSERT_EQ(p.kind, telegram::Parsed::Kind::ok);
  EXPECT_EQ(p.in.event.kind, Kind::command);
  EXPECT_EQ(p.in.event.text, "test");
}

TEST(TelegramParse, GroupChatsAreIgnoredReadingsArePersonal) {
  for (const char* f :
       {"telegram/message_command_reply_in_thread.json", "telegram/message_pinned.json",
        "telegram/message_dice.json", "telegram/message_story_supergroup_large_ids.json"}) {
    auto p = telegram::parse_update(fixture(f));
    EXPECT_EQ(p.kind, telegram::Parsed::Kind::ignored) << f;
  }
}

TEST(TelegramParse, ForwardedContactCardIsNotTrustedAsOwnPhone) {
  // nutgram's contact has no user_id: anyone could have sent someone else's card.
  auto p = telegram::parse_update(fixture("telegram/message_contact.json"));
  ASSERT_EQ(p.kind, telegram::Parsed::Kind::ok);
  EXPECT_EQ(p.in.event.kind, Kind::contact);
  EXPECT_FALSE(p.in.event.phone.empty());
  EXPECT_FALSE(p.in.event.own_contact);
  // The same update with the sender's own id is what request_contact produces.
  json u = json::parse(fixture("telegram/message_contact.json"));
  u["message"]["contact"]["user_id"] = u["message"]["from"]["id"];
  p = telegram::parse_update(u.dump());
  EXPECT_TRUE(p.in.event.own_contact);
}

TEST(TelegramParse, CallbackQueries) {
  auto p = telegram::parse_update(fixture("telegram/callback_query.json"));
  ASSERT_EQ(p.kind, telegram::Parsed::Kind::ok);
  EXPECT_EQ(p.in.event.kind, Kind::button);
  EXPECT_EQ(p.in.event.text, "*");
  EXPECT_EQ(p.in.chat_id, "2");
  EXPECT_FALSE(p.in.callback_id.empty());
  // An inaccessible message still names the chat.
  p = telegram::parse_update(fixture("telegram/callback_query_inaccessible_message.json"));
  ASSERT_EQ(p.kind, telegram::Parsed::Kind::ok);
  EXPECT_EQ(p.in.chat_id, "222222222");
  EXPECT_EQ(p.in.event.text, "thedata");
}

TEST(TelegramParse, UnknownAndChannelUpdateKindsAreIgnored) {
  for (const char* f : {"telegram/unknown_update_kind.json", "telegram/chat_boost.json",
                        "telegram/removed_chat_boost.json", "telegram/message_reaction.json",
                        "telegram/message_reaction_count.json"}) {
    auto p = telegram::parse_update(fixture(f));
    EXPECT_EQ(p.kind, telegram::Parsed::Kind::ignored) << f;
  }
}

TEST(TelegramParse, BlockingTheBotUnsubscribes) {
  auto p = telegram::parse_update(fixture("telegram/my_chat_member.json"));
  ASSERT_EQ(p.kind, telegram::Parsed::Kind::ok);
  EXPECT_EQ(p.in.action, dialog::Inbound::Action::unsubscribe);
}

TEST(TelegramParse, SeveralKindsInOneUpdateTakeTheMessage) {
  auto p = telegram::parse_update(fixture("telegram/multi_kind_synthetic.json"));
  ASSERT_EQ(p.kind, telegram::Parsed::Kind::ok);
  EXPECT_EQ(p.in.event.kind, Kind::text);
  EXPECT_EQ(p.in.chat_id, "1111111");
}

TEST(TelegramParse, EditedMessagesStickersAndMalformedBodies) {
  auto p = telegram::parse_update(
      R"({"update_id":5,"edited_message":{"message_id":1,"date":1,"edit_date":2,)"
      R"("chat":{"id":7,"type":"private"},"from":{"id":7,"is_bot":false,"first_name":"A"},"text":"123"}})");
  ASSERT_EQ(p.kind, telegram::Parsed::Kind::ok);
  EXPECT_EQ(p.in.event.kind, Kind::unsupported);  // answered politely, never applied
  p = telegram::parse_update(
      R"({"update_id":6,"message":{"message_id":1,"date":1,"chat":{"id":7,"type":"private"},)"
      R"("sticker":{"file_id":"x","file_unique_id":"y","type":"regular","width":1,"height":1,)"
      R"("is_animated":false,"is_video":false}}})");
  EXPECT_EQ(p.in.event.kind, Kind::unsupported);
  for (const char* bad : {"", "[]", "{", "null", R"({"update_id":"x"})", R"({"message":{}})",
                          R"({"update_id":1,"message":{"chat":{"type":"private"}}})"})
    EXPECT_EQ(telegram::parse_update(bad).kind, telegram::Parsed::Kind::malformed) << bad;
}

TEST(TelegramParse, FieldsOfTheWrongTypeAreRefusedNotACrash) {
  // Found by fuzz/telegram_update: "from" as a string threw out of the parser.
  for (
      const char* body :
      {R"({"update_id":2,"callback_query":{"id":"6667","from":"thedata"}})",
       R"({"update_id":2,"callback_query":{"id":"6667","from":{"id":1},"message":{"chat":7}}})",
       R"({"update_id":2,"message":{"chat":{"id":"x","type":"private"},"text":"1"}})",
       R"({"update_id":2,"message":{"chat":{"id":1,"type":"private"},"from":[],"contact":{"user_id":{}}}})",
       R"({"update_id":2,"message":{"chat":{"id":1,"type":"private"},"photo":[1,2]}})",
       R"({"update_id":2,"my_chat_member":{"chat":{"type":"private","id":[]},"new_chat_member":{"status":"kicked"}}})"}) {
    telegram::Parsed p;
    EXPECT_NO_THROW(p = telegram::parse_update(body)) << body;
    // Nothing wrongly typed becomes a trusted contact, a picture or a chat.
    EXPECT_FALSE(p.in.event.own_contact) << body;
    EXPECT_NE(p.in.event.kind, Kind::photo) << body;
    if (p.kind == telegram::Parsed::Kind::ok) {
      EXPECT_FALSE(p.in.chat_id.empty()) << body;
    }
  }
  EXPECT_EQ(
      telegram::parse_update(R"({"update_id":2,"callback_query":{"id":"6667","from":"x"}})").kind,
      telegram::Parsed::Kind::malformed);
}

TEST(TelegramParse, LargeIdsStayExact) {
  auto p =
      telegram::parse_update(R"({"update_id":9007199254740993,"message":{"message_id":1,"date":1,)"
                             R"("chat":{"id":9007199254740993,"type":"private"},"text":"x"}})");
  ASSERT_EQ(p.kind, telegram::Parsed::Kind::ok);
  EXPECT_EQ(p.in.update_key, "9007199254740993");
  EXPECT_EQ(p.in.chat_id, "9007199254740993");
  // Past int64: as sent, not wrapped round to a negative id (another chat's, were it real).
  auto q = telegram::parse_update(
      R"({"update_id":18446744073709551615,"message":{"message_id":1,"date":1,)"
      R"("chat":{"id":18446744073709551614,"type":"private"},"text":"x"}})");
  ASSERT_EQ(q.kind, telegram::Parsed::Kind::ok);
  EXPECT_EQ(q.in.update_key, "18446744073709551615");
  EXPECT_EQ(q.in.chat_id, "18446744073709551614");
}

TEST(TelegramRender, InlineKeyboardsContactKeyboardAndCallbackAnswer) {
  dialog::Inbound in;
  in.callback_id = "cb1";
  dialog::Step step;
  step.toast = "old";
  dialog::Reply menu;
  menu.text = "Menu";
  menu.buttons = {{"3|submit", "Send"}, {"3|history", "History"}};
  step.replies.push_back(menu);
  dialog::Reply contact;
  contact.text = "Share";
  contact.ask_contact = true;
  contact.contact_label = "Phone";
  step.replies.push_back(contact);
  auto out = telegram::render(&in, "-1001293752024", step);
  ASSERT_EQ(out.size(), 3U);
  EXPECT_EQ(out[0].method, "answerCallbackQuery");
  EXPECT_EQ(json::parse(out[0].body)["callback_query_id"], "cb1");
  json m = json::parse(out[1].body);
  EXPECT_EQ(m["chat_id"].get<std::int64_t>(), -1001293752024);
  EXPECT_EQ(m["reply_markup"]["inline_keyboard"][1][0]["callback_data"], "3|history");
  json c = json::parse(out[2].body);
  EXPECT_TRUE(c["reply_markup"]["keyboard"][0][0]["request_contact"].get<bool>());
}

TEST(TelegramRender, LongTextIsCutOnACharacterBoundary) {
  dialog::Step step;
  dialog::Reply r;
  for (int i = 0; i < 3000; ++i) r.text += "ї";  // 2 bytes each
  step.replies.push_back(r);
  auto out = telegram::render(nullptr, "1", step);
  std::string text = json::parse(out[0].body)["text"];
  EXPECT_LE(text.size(), 4096U);
  EXPECT_EQ(text.size() % 2, 0U);
}

TEST(TelegramSecret, ComparedExactly) {
  EXPECT_TRUE(telegram::same_secret("abc-123", "abc-123"));
  EXPECT_FALSE(telegram::same_secret("abc-124", "abc-123"));
  EXPECT_FALSE(telegram::same_secret("abc-12", "abc-123"));
  EXPECT_FALSE(telegram::same_secret("", ""));
}

TEST(ViberSignature, KnownAnswerFromTheOfficialLibrary) {
  EXPECT_EQ(
      viber::signature(
          R"({"event":"webhook","timestamp":4977069964384421269,"message_token":1478683725125})",
          "44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3"),
      "d21b343448c8aee33b8e93768ef6ceb64a6ba6163099973a2b8bd028fea510ef");
  // The fixture file is byte-exact: the signature is over the raw bytes.
  EXPECT_TRUE(viber::signature_ok(
      fixture("viber/webhook.json"), "44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3",
      "d21b343448c8aee33b8e93768ef6ceb64a6ba6163099973a2b8bd028fea510ef"));
}

TEST(ViberSignature, Vectors) {
  json vectors = json::parse(fixture("viber/signature_vectors.json"));
  ASSERT_GE(vectors.size(), 2U);
  for (const auto& v : vectors)
    EXPECT_EQ(viber::signature_ok(v["body"].get<std::string>(), v["auth_token"].get<std::string>(),
                                  v["signature"].get<std::string>()),
              v["expect_valid"].get<bool>())
        << v["body"];
  // One changed byte, an empty token or signature: refused.
  const std::string token = "44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3";
  std::string body = fixture("viber/webhook.json");
  std::string sig = viber::signature(body, token);
  body[5] ^= 1;
  EXPECT_FALSE(viber::signature_ok(body, token, sig));
  EXPECT_FALSE(viber::signature_ok(fixture("viber/webhook.json"), "", sig));
  EXPECT_FALSE(viber::signature_ok(fixture("viber/webhook.json"), token, ""));
}

TEST(ViberParse, MessageTokensAbove2To53StayExact) {
  auto p = viber::parse_callback(fixture("viber/message_text_unicode.json"));
  ASSERT_EQ(p.kind, viber::Parsed::Kind::ok);
  EXPECT_EQ(p.in.update_key, "4912661846655238145");
  EXPECT_EQ(p.in.event.kind, Kind::text);
  EXPECT_FALSE(p.in.chat_id.empty());
}

TEST(ViberParse, EveryEvent) {
  struct Case {
    const char* file;
    viber::Parsed::Kind kind;
  };
  for (auto c : {Case{"viber/webhook.json", viber::Parsed::Kind::ignored},
                 Case{"viber/delivered.json", viber::Parsed::Kind::ignored},
                 Case{"viber/seen.json", viber::Parsed::Kind::ignored},
                 Case{"viber/failed.json", viber::Parsed::Kind::ignored},
                 Case{"viber/conversation_started.json", viber::Parsed::Kind::welcome},
                 Case{"viber/conversation_started_minimal_user.json", viber::Parsed::Kind::welcome},
                 Case{"viber/subscribed.json", viber::Parsed::Kind::ok},
                 Case{"viber/unsubscribed.json", viber::Parsed::Kind::ok},
                 Case{"viber/message_text.json", viber::Parsed::Kind::ok},
                 Case{"viber/message_text_no_avatar.json", viber::Parsed::Kind::ok},
                 Case{"viber/message_text_chat_extension.json", viber::Parsed::Kind::ok}}) {
    auto p = viber::parse_callback(fixture(c.file));
    EXPECT_EQ(p.kind, c.kind) << c.file << ": " << p.why;
  }
  auto sub = viber::parse_callback(fixture("viber/subscribed.json"));
  EXPECT_EQ(sub.in.action, dialog::Inbound::Action::subscribe);
  auto unsub = viber::parse_callback(fixture("viber/unsubscribed.json"));
  EXPECT_EQ(unsub.in.action, dialog::Inbound::Action::unsubscribe);
  // The derived fixtures write the token as a string: accepted, exactly.
  auto text = viber::parse_callback(fixture("viber/message_text.json"));
  EXPECT_EQ(text.in.update_key, "912661846655238145");
}

TEST(ViberParse, ButtonsContactsPicturesAndTheRest) {
  auto msg = [](const std::string& message) {
    return R"({"event":"message","timestamp":1,"message_token":18446744073709551615,)"
           R"("sender":{"id":"u1","name":"A"},"message":)" +
           message + "}";
  };
  auto p = viber::parse_callback(msg(R"({"type":"text","text":"12|send"})"));
  EXPECT_EQ(p.in.event.kind, Kind::button);
  EXPECT_EQ(p.in.update_key, "18446744073709551615");
  p = viber::parse_callback(msg(R"({"type":"text","text":"/history"})"));
  EXPECT_EQ(p.in.event.kind, Kind::command);
  EXPECT_EQ(p.in.event.text, "history");
  p = viber::parse_callback(
      msg(R"({"type":"contact","contact":{"name":"A","phone_number":"380671000001"}})"));
  EXPECT_EQ(p.in.event.kind, Kind::contact);
  EXPECT_EQ(p.in.event.phone, "380671000001");
  p = viber::parse_callback(msg(R"({"type":"picture","media":"https://x/y.jpg"})"));
  EXPECT_EQ(p.in.event.kind, Kind::photo);
  p = viber::parse_callback(msg(R"({"type":"sticker","sticker_id":40100})"));
  EXPECT_EQ(p.in.event.kind, Kind::unsupported);
  for (const char* bad : {"", "{}", "[1]", R"({"event":"message"})",
                          R"({"event":"message","message_token":1,"sender":{"id":"u"}})"})
    EXPECT_EQ(viber::parse_callback(bad).kind, viber::Parsed::Kind::malformed) << bad;
}

TEST(ViberParse, OnlyTheReplyToTheSharePhoneButtonIsTheSendersOwnNumber) {
  auto contact = [](const std::string& message) {
    return viber::parse_callback(
        R"({"event":"message","timestamp":1,"message_token":5107,"sender":{"id":"u1","name":"A"},)"
        R"("message":)" +
        message + "}");
  };
  // What the share-phone button sends: the button's ActionBody as text, the number, no name.
  dialog::Step step;
  dialog::Reply ask;
  ask.text = "Share";
  ask.ask_contact = true;
  ask.contact_label = "Phone";
  step.replies.push_back(ask);
  json sent = json::parse(viber::render(viber::RenderOptions{"meterdesk"}, "u1", step)[0].body);
  const std::string body = sent["keyboard"]["Buttons"][0]["ActionBody"];
  auto own = contact(R"({"type":"contact","text":")" + body +
                     R"(","contact":{"phone_number":"380671234567"}})");
  EXPECT_EQ(own.in.event.kind, Kind::contact);
  EXPECT_TRUE(own.in.event.own_contact);
  // A card from the address book (a name, perhaps an avatar, no text) is someone's number, not
  // necessarily the sender's; so is one whose text is anything else.
  for (const char* card :
       {R"({"type":"contact","contact":{"name":"Olena","phone_number":"380671234567"}})",
        R"({"type":"contact","contact":{"name":"Olena","phone_number":"380671234567",)"
        R"("avatar":"https://x/a.jpg"}})",
        R"({"type":"contact","text":"reply","contact":{"phone_number":"380671234567"}})",
        R"({"type":"contact","text":7,"contact":{"phone_number":"380671234567"}})"}) {
    auto p = contact(card);
    EXPECT_EQ(p.in.event.kind, Kind::contact) << card;
    EXPECT_EQ(p.in.event.phone, "380671234567") << card;
    EXPECT_FALSE(p.in.event.own_contact) << card;
  }
}

TEST(ViberRender, KeyboardAndSharePhone) {
  dialog::Step step;
  dialog::Reply r;
  r.text = "Hello";
  r.buttons = {{"4|send", "Send"}};
  r.ask_contact = true;
  r.contact_label = "Phone";
  step.replies.push_back(r);
  auto out = viber::render(viber::RenderOptions{"meterdesk"}, "u1", step);
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].method, "send_message");
  json b = json::parse(out[0].body);
  EXPECT_EQ(b["receiver"], "u1");
  EXPECT_EQ(b["type"], "text");
  EXPECT_EQ(b["keyboard"]["Buttons"][0]["ActionBody"], "4|send");
  EXPECT_EQ(b["keyboard"]["Buttons"][1]["ActionType"], "share-phone");
  EXPECT_GE(b["min_api_version"].get<int>(), 3);
}

}  // namespace
}  // namespace md
