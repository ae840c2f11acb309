// The Telegram and Viber bots against the real server over loopback: signed and unsigned
// webhooks, whole conversations answered through the outbox to a platform peer on loopback,
// redeliveries, restarts, flood limits (429) and the drain at SIGTERM.
#include <gtest/gtest.h>

#include <atomic>

#include <fstream>
#include <mutex>

#include <nlohmann/json.hpp>

#include "channels/viber/viber.hpp"
#include "support/browser.hpp"
#include "support/support.hpp"

using namespace md::test;
using json = nlohmann::json;

namespace {

constexpr const char* kNow = "2026-11-30T10:00:00+02:00";
constexpr const char* kToken = "123456:ABC-meterdesk-test";
constexpr const char* kSecret = "s3cret-Token_with-64-chars-allowed";
constexpr const char* kViberToken = "44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3";

// Every Telegram call of these tests, for the schema check of tests/bots
// (METERDESK_TELEGRAM_RECORD).
void record(const std::vector<FakePlatform::Call>& calls) {
  const char* path = std::getenv("METERDESK_TELEGRAM_RECORD");
  if (!path) return;
  std::ofstream out(path, std::ios::app);
  for (const auto& c : calls) {
    if (c.path.find("/bot") != 0) continue;
    json line{{"method", c.path.substr(c.path.rfind('/') + 1)},
              {"body", json::parse(c.body, nullptr, false)}};
    out << line.dump() << "\n";
  }
}

class BotsTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::string db = dir.file("bots.db");
  FakePlatform telegram;
  FakePlatform viber{[](const FakePlatform::Call&) {
    return FakePlatform::Answer{200, R"({"status":0,"status_message":"ok","message_token":1})"};
  }};
  std::unique_ptr<ServerProcess> server;
  std::int64_t update_id = 1000;

  void SetUp() override {
    write_file(dir.file("accounts.csv"), accounts_csv(3));
    auto r = run_meterdesk(
        {"import-accounts", dir.file("accounts.csv"), "--db", db, "--now", "2026-01-10T12:00:00"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void TearDown() override {
    check_log();
    server.reset();
    record(telegram.calls());
  }

  std::map<std::string, std::string> env(int per_chat_ms = 0) {
    return {{"METERDESK_TELEGRAM_BOT_TOKEN", kToken},
            {"METERDESK_TELEGRAM_SECRET_TOKEN", kSecret},
            {"METERDESK_TELEGRAM_API_BASE", telegram.base()},
            {"METERDESK_TELEGRAM_PER_CHAT_INTERVAL_MS", std::to_string(per_chat_ms)},
            {"METERDESK_VIBER_AUTH_TOKEN", kViberToken},
            {"METERDESK_VIBER_API_BASE", viber.base() + "/pa"}};
  }
  // Whatever the conversations said, the server's log names no one (chats are audited, not
  // logged): checked for every server process, before a restart replaces it and at the end.
  void check_log() {
    if (server) {
      EXPECT_EQ(personal_data_in(server->log(), 3), "") << server->log();
    }
  }
  void start(int per_chat_ms = 0) {
    check_log();
    server = std::make_unique<ServerProcess>(db, std::vector<std::string>{"--now", kNow},
                                             env(per_chat_ms));
  }

  HttpResponse post_update(const json& update, const std::string& secret = kSecret) {
    std::map<std::string, std::string> headers{{"Content-Type", "application/json"}};
    if (!secret.empty()) headers["X-Telegram-Bot-Api-Secret-Token"] = secret;
    return http(server->port(), "POST", "/webhooks/telegram", update.dump(), headers);
  }
  json message(const std::string& text, std::int64_t chat = 42) {
    return {{"update_id", ++update_id},
            {"message",
             {{"message_id", update_id},
              {"date", 1764489600},
              {"chat", {{"id", chat}, {"type", "private"}, {"first_name", "Olena"}}},
              {"from",
               {{"id", chat}, {"is_bot", false}, {"first_name", "Olena"}, {"language_code", "uk"}}},
              {"text", text}}}};
  }
  json press(const std::string& data, std::int64_t chat = 42) {
    return {{"update_id", ++update_id},
            {"callback_query",
             {{"id", "cq" + std::to_string(update_id)},
              {"from", {{"id", chat}, {"is_bot", false}, {"first_name", "Olena"}}},
              {"chat_instance", "-1"},
              {"message",
               {{"message_id", 1},
                {"date", 1764489600},
                {"chat", {{"id", chat}, {"type", "private"}}},
                {"text", "…"}}},
              {"data", data}}}};
  }
  // The callback_data of the latest button sent to `chat` whose data contains `action`.
  std::string button(const std::string& action, std::int64_t chat = 42) {
    std::string data;
    for (const auto& c : telegram.calls()) {
      json b = json::parse(c.body, nullptr, false);
      if (!b.is_object() || b.value("chat_id", json()) != json(chat) ||
          !b.contains("reply_markup") || !b["reply_markup"].contains("inline_keyboard"))
        continue;
      for (const auto& row : b["reply_markup"]["inline_keyboard"])
        for (const auto& k : row)
          if (k["callback_data"].get<std::string>().find("|" + action) != std::string::npos)
            data = k["callback_data"];
    }
    return data;
  }
  std::vector<std::string> texts(std::int64_t chat = 42) {
    std::vector<std::string> out;
    for (const auto& c : telegram.calls()) {
      json b = json::parse(c.body, nullptr, false);
      if (c.path.ends_with("/sendMessage") && b.value("chat_id", json()) == json(chat))
        out.push_back(b["text"]);
    }
    return out;
  }
  // Waits for the outbox to have delivered everything queued so far.
  void settle() {
    for (int i = 0; i < 400; ++i) {
      if (sql_value(db, "SELECT count(*) FROM outbox WHERE status = 'pending'") == "0") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << "the outbox did not empty";
  }
  std::string q(const std::string& sql) { return sql_value(db, sql); }
  // A signed Viber "message" callback from `sender`; its status.
  int viber_message(const json& message, const std::string& sender = "01234567890A=",
                    const std::string& name = "Olena") {
    json m{{"event", "message"},
           {"timestamp", 1457764197627LL},
           {"message_token", ++viber_token},
           {"sender", {{"id", sender}, {"name", name}, {"language", "uk"}}},
           {"message", message}};
    std::string raw = m.dump();
    return http(server->port(), "POST", "/webhooks/viber", raw,
                {{"Content-Type", "application/json"},
                 {"X-Viber-Content-Signature", md::viber::signature(raw, kViberToken)}})
        .status;
  }
  std::uint64_t viber_token = 7000;
};

TEST_F(BotsTest, BotsWithoutATokenAreOff) {
  server = std::make_unique<ServerProcess>(db, std::vector<std::string>{"--now", kNow});
  EXPECT_EQ(http(server->port(), "POST", "/webhooks/telegram", "{}").status, 404);
  EXPECT_EQ(http(server->port(), "POST", "/webhooks/viber", "{}").status, 404);
}

TEST_F(BotsTest, ABotTokenWithoutTheWebhookSecretRefusesToStart) {
  auto r = run_meterdesk({"serve", "--db", db, "--listen", "127.0.0.1:0"},
                         {{"METERDESK_TELEGRAM_BOT_TOKEN", kToken}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("telegram.secret_token"), std::string::npos) << r.err;
}

TEST_F(BotsTest, ForgedTelegramUpdatesAreRefusedAndChangeNothing) {
  start();
  EXPECT_EQ(post_update(message("/start"), "").status, 401);
  EXPECT_EQ(post_update(message("/start"), "wrong").status, 401);
  EXPECT_EQ(post_update(message("/start"), std::string(kSecret) + "x").status, 401);
  EXPECT_EQ(q("SELECT count(*) FROM bot_updates"), "0");
  EXPECT_EQ(q("SELECT count(*) FROM outbox"), "0");
  // Malformed, unknown and foreign things: a clear answer, never a 5xx.
  auto bad = http(server->port(), "POST", "/webhooks/telegram", "{not json",
                  {{"X-Telegram-Bot-Api-Secret-Token", kSecret}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(post_update(json{{"update_id", 5}, {"new_update_kind", {{"x", 1}}}}).status, 200);
  EXPECT_EQ(http(server->port(), "GET", "/webhooks/telegram").status, 405);
  EXPECT_EQ(q("SELECT count(*) FROM outbox"), "0");
}

TEST_F(BotsTest, TelegramConversationFromStartToTheReceiptWithARestartInTheMiddle) {
  start();
  ASSERT_EQ(post_update(message("/start")).status, 200);
  ASSERT_EQ(post_update(message("0123456789")).status, 200);
  ASSERT_EQ(post_update(message("A1234567")).status, 200);
  ASSERT_EQ(post_update(message("12120")).status, 200);
  settle();
  // A restart in the middle: the conversation continues where it was.
  server->kill(SIGTERM);
  server->wait();
  start();
  ASSERT_EQ(post_update(message("6060")).status, 200);
  settle();
  std::string send = button("send");
  ASSERT_FALSE(send.empty());
  ASSERT_EQ(post_update(press(send)).status, 200);
  settle();
  auto all = texts();
  ASSERT_GE(all.size(), 2U);
  // The receipt, then the menu.
  EXPECT_NE(all[all.size() - 2].find("Показник прийнято"), std::string::npos) << all.back();
  EXPECT_EQ(q("SELECT v1 || '/' || v2 FROM submissions WHERE channel = 'telegram'"), "12120/6060");
  // Every call went to this bot's token, and button presses were answered.
  bool answered = false;
  for (const auto& c : telegram.calls()) {
    EXPECT_EQ(c.path.rfind(std::string("/bot") + kToken + "/", 0), 0U) << c.path;
    answered |= c.path.ends_with("/answerCallbackQuery");
  }
  EXPECT_TRUE(answered);
}

TEST_F(BotsTest, APhotoSentWithAHighReadingIsFetchedAndStoredWithIt) {
  const std::string jpeg = std::string("\xFF\xD8\xFF\xE0", 4) + std::string(3000, '\x42');
  telegram.set_answer([&](const FakePlatform::Call& c) {
    if (c.path.ends_with("/getFile"))
      return FakePlatform::Answer{
          200, R"({"ok":true,"result":{"file_id":"AgAD-big","file_unique_id":"u","file_size":3004,)"
               R"("file_path":"photos/file_7.jpg"}})"};
    if (c.method == "GET" && c.path == std::string("/file/bot") + kToken + "/photos/file_7.jpg")
      return FakePlatform::Answer{200, jpeg};
    return FakePlatform::Answer{200, R"({"ok":true,"result":true})"};
  });
  start();
  for (const char* text : {"/start", "0123456789", "A1234567", "19000", "6100"})
    ASSERT_EQ(post_update(message(text)).status, 200);
  settle();
  ASSERT_NE(texts().back().find("значно більше"), std::string::npos) << texts().back();
  json photo = message("");
  photo["message"].erase("text");
  photo["message"]["photo"] = json::array(
      {{{"file_id", "AgAD-small"}, {"file_unique_id", "s"}, {"width", 90}, {"height", 90}},
       {{"file_id", "AgAD-big"}, {"file_unique_id", "b"}, {"width", 1280}, {"height", 960}}});
  ASSERT_EQ(post_update(photo).status, 200);
  settle();
  ASSERT_EQ(post_update(press(button("confirm"))).status, 200);
  settle();
  ASSERT_EQ(post_update(press(button("send"))).status, 200);
  settle();
  EXPECT_EQ(q("SELECT content_type || ' ' || length(bytes) FROM submission_photos"),
            "image/jpeg 3004");
  EXPECT_EQ(q("SELECT count(*) FROM review_items"), "1");
  bool asked_for_the_big_one = false;
  for (const auto& c : telegram.calls())
    if (c.path.ends_with("/getFile"))
      asked_for_the_big_one = json::parse(c.body)["file_id"] == "AgAD-big";
  EXPECT_TRUE(asked_for_the_big_one);
}

TEST_F(BotsTest, GuessesOnThePublicFormAndInTheBotCountAgainstTheAccountTogether) {
  start();
  Browser b(server->port());
  b.get("/submit");
  // Nine wrong serials on the form leave account 0000000002 one try this hour (of 10).
  for (int i = 0; i < 9; ++i)
    ASSERT_EQ(b.post("/submit", {{"account", "0000000002"}, {"serial", "WRONG"}}).status, 422);
  // The bot takes the tenth, wrong too, and refuses the eleventh without looking at the serial.
  for (const char* text : {"/start", "0000000002", "WRONG2", "0000000002", "S0000002"})
    ASSERT_EQ(post_update(message(text)).status, 200);
  settle();
  std::string t;
  for (const auto& text : texts()) t += text + "\n";
  EXPECT_NE(t.find("Для цього рахунку було забагато спроб"), std::string::npos) << t;
  EXPECT_EQ(q("SELECT count(*) FROM chat_accounts"), "0");
  // The form refuses the right serial now as well.
  EXPECT_EQ(b.post("/submit", {{"account", "0000000002"}, {"serial", "S0000002"}}).status, 429);
}

TEST_F(BotsTest, ARedeliveredUpdateGetsOneAnswer) {
  start();
  json start_update = message("/start");
  ASSERT_EQ(post_update(start_update).status, 200);
  settle();
  auto before = telegram.calls().size();
  ASSERT_EQ(post_update(start_update).status, 200);  // Telegram delivers it again
  settle();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(telegram.calls().size(), before);
  EXPECT_EQ(q("SELECT count(*) FROM bot_updates"), "1");
}

TEST_F(BotsTest, OutOfOrderAndForeignButtonsAreAnsweredButChangeNothing) {
  start();
  ASSERT_EQ(post_update(message("/start")).status, 200);
  ASSERT_EQ(post_update(message("0123456789")).status, 200);
  ASSERT_EQ(post_update(message("A1234567")).status, 200);
  ASSERT_EQ(post_update(message("12120")).status, 200);
  ASSERT_EQ(post_update(message("6060")).status, 200);
  settle();
  std::string send = button("send");
  ASSERT_FALSE(send.empty());
  ASSERT_EQ(post_update(press("1|send")).status, 200);  // a button of an old message
  ASSERT_EQ(post_update(press("zzz")).status, 200);     // nothing we ever sent
  ASSERT_EQ(post_update(press(send, 43)).status, 200);  // another chat's button
  settle();
  EXPECT_EQ(q("SELECT count(*) FROM submissions WHERE channel = 'telegram'"), "0");
  ASSERT_EQ(post_update(press(button("send"))).status, 200);
  settle();
  EXPECT_EQ(q("SELECT count(*) FROM submissions WHERE channel = 'telegram'"), "1");
}

TEST_F(BotsTest, TheOutboxSlowsDownOn429AndCatchesUpInOrder) {
  std::mutex m;
  std::vector<std::string> refused;  // bodies answered 429
  telegram.set_answer([&](const FakePlatform::Call& c) {
    std::lock_guard lock(m);
    // The first three sendMessage calls get Telegram's flood answer.
    if (c.path.ends_with("/sendMessage") && refused.size() < 3) {
      refused.push_back(c.body);
      return FakePlatform::Answer{
          429, R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1",)"
               R"("parameters":{"retry_after":1}})"};
    }
    return FakePlatform::Answer{200, R"({"ok":true,"result":true})"};
  });
  start(50);
  for (std::int64_t chat : {51, 52, 53, 54})
    ASSERT_EQ(post_update(message("/start", chat)).status, 200);
  for (std::int64_t chat : {51, 52, 53, 54})
    ASSERT_EQ(post_update(message("0123456789", chat)).status, 200);
  settle();
  ASSERT_EQ(refused.size(), 3U);
  // Every message arrived exactly once after its refusals, each chat's in the order queued.
  std::map<std::int64_t, std::vector<std::string>> delivered;
  std::map<std::string, int> refusals;
  for (const auto& b : refused) ++refusals[b];
  for (const auto& c : telegram.calls()) {
    if (!c.path.ends_with("/sendMessage")) continue;
    if (refusals[c.body] > 0) {
      --refusals[c.body];
      continue;
    }
    json b = json::parse(c.body);
    delivered[b["chat_id"].get<std::int64_t>()].push_back(b["text"]);
  }
  for (std::int64_t chat : {51, 52, 53, 54}) {
    auto& t = delivered[chat];
    ASSERT_EQ(t.size(), 3U) << chat;
    EXPECT_NE(t[0].find("Вітаємо"), std::string::npos) << chat;
    EXPECT_NE(t[1].find("номер особового рахунку"), std::string::npos) << chat;
    EXPECT_NE(t[2].find("заводський номер"), std::string::npos) << chat;
  }
  EXPECT_EQ(q("SELECT count(*) FROM outbox WHERE status = 'sent'"), "12");
  EXPECT_EQ(q("SELECT sum(attempts) FROM outbox"), "15");
}

TEST_F(BotsTest, NothingQueuedIsLostOrSentTwiceAcrossARestart) {
  telegram.set_answer([](const FakePlatform::Call&) {
    return FakePlatform::Answer{502, "bad gateway"};  // the platform is down
  });
  start();
  for (std::int64_t chat = 60; chat < 70; ++chat)
    ASSERT_EQ(post_update(message("/start", chat)).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto queued = q("SELECT count(*) FROM outbox");
  ASSERT_EQ(queued, "20");
  EXPECT_EQ(q("SELECT count(*) FROM outbox WHERE status = 'sent'"), "0");
  server->kill(SIGTERM);
  EXPECT_EQ(server->wait(), 0);
  auto refused_calls = telegram.calls().size();
  telegram.set_answer({});
  start();
  telegram.wait_for(refused_calls + 20);
  settle();
  std::map<std::string, int> seen;
  auto calls = telegram.calls();
  for (std::size_t i = refused_calls; i < calls.size(); ++i) ++seen[calls[i].body];
  EXPECT_EQ(seen.size(), 20U);
  for (const auto& [body, n] : seen) EXPECT_EQ(n, 1) << body;
  EXPECT_EQ(q("SELECT count(*) FROM outbox WHERE status = 'sent'"), "20");
}

// outbox.keep_days (90 by default): at its start and every hour the server forgets what it sent
// or gave up longer ago; what it sent lately stays, and so does a message still waiting.
TEST_F(BotsTest, WhatTheOutboxSentIsForgottenAfterItsDays) {
  start();
  ASSERT_EQ(post_update(message("/start", 80)).status, 200);
  settle();
  server->kill(SIGTERM);
  ASSERT_EQ(server->wait(), 0);
  ASSERT_NE(q("SELECT count(*) FROM outbox WHERE chat_id = '80' AND status = 'sent'"), "0");
  EXPECT_EQ(sql_exec(db,
                     "UPDATE outbox SET sent_at = sent_at - 91 * 86400 WHERE chat_id = '80';"
                     "INSERT INTO outbox (channel, chat_id, method, body, created_at,"
                     " not_before) VALUES ('email', 'waits@example.com', 'send', '{}', 0, 0)"),
            "");
  start();
  ASSERT_EQ(post_update(message("/start", 81)).status, 200);
  for (int i = 0; i < 200; ++i) {  // the e-mail waits: there is no mail server configured
    if (q("SELECT count(*) FROM outbox WHERE chat_id = '80'") == "0" &&
        q("SELECT count(*) FROM outbox WHERE chat_id = '81' AND status = 'pending'") == "0")
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(q("SELECT count(*) FROM outbox WHERE chat_id = '80'"), "0");
  EXPECT_NE(q("SELECT count(*) FROM outbox WHERE chat_id = '81' AND status = 'sent'"), "0");
  EXPECT_EQ(q("SELECT status FROM outbox WHERE chat_id = 'waits@example.com'"), "pending");
  EXPECT_NE(server->log().find("outbox: forgot"), std::string::npos) << server->log();
}

TEST_F(BotsTest, ViberSignaturesAndAWholeConversation) {
  start();
  auto post = [&](const json& body, bool sign = true) {
    std::string raw = body.dump();
    std::map<std::string, std::string> h{{"Content-Type", "application/json"}};
    if (sign) h["X-Viber-Content-Signature"] = md::viber::signature(raw, kViberToken);
    return http(server->port(), "POST", "/webhooks/viber", raw, h);
  };
  json webhook{{"event", "webhook"},
               {"timestamp", 4977069964384421269LL},
               {"message_token", 1478683725125LL}};
  EXPECT_EQ(post(webhook, false).status, 401);
  auto forged = http(server->port(), "POST", "/webhooks/viber", webhook.dump(),
                     {{"X-Viber-Content-Signature", std::string(64, 'a')}});
  EXPECT_EQ(forged.status, 401);
  auto get = http(server->port(), "GET", "/webhooks/viber");
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.headers["allow"], "POST");
  EXPECT_EQ(post(webhook).status, 200);

  json started{{"event", "conversation_started"},
               {"timestamp", 1457764197627LL},
               {"message_token", 4912661846655238145ULL},
               {"type", "open"},
               {"user", {{"id", "01234567890A="}, {"name", "Olena"}, {"language", "uk"}}},
               {"subscribed", false}};
  auto welcome = post(started);
  ASSERT_EQ(welcome.status, 200);
  const json welcome_body = json::parse(welcome.body);
  EXPECT_NE(welcome_body["text"].get<std::string>().find("Вітаємо"), std::string::npos);
  ASSERT_TRUE(welcome_body.contains("keyboard")) << welcome.body;
  EXPECT_EQ(welcome_body["keyboard"]["Buttons"][0]["ActionType"], "share-phone") << welcome.body;

  std::uint64_t token = 5000000000000000001ULL;  // above 2^53
  auto say = [&](const std::string& text) {
    json m{{"event", "message"},
           {"timestamp", 1457764197627LL},
           {"message_token", ++token},
           {"sender", {{"id", "01234567890A="}, {"name", "Olena"}, {"language", "uk"}}},
           {"message", {{"type", "text"}, {"text", text}}}};
    return post(m).status;
  };
  ASSERT_EQ(say("/start"), 200);
  ASSERT_EQ(say("0123456789"), 200);
  ASSERT_EQ(say("A1234567"), 200);
  ASSERT_EQ(say("12120"), 200);
  ASSERT_EQ(say("6060"), 200);
  settle();
  std::string send;
  for (const auto& c : viber.calls()) {
    EXPECT_EQ(c.path, "/pa/send_message");
    EXPECT_EQ(c.headers.at("x-viber-auth-token"), kViberToken);
    json b = json::parse(c.body);
    EXPECT_EQ(b["receiver"], "01234567890A=");
    if (b.contains("keyboard"))
      for (const auto& k : b["keyboard"]["Buttons"])
        if (k["ActionBody"].get<std::string>().ends_with("|send")) send = k["ActionBody"];
  }
  ASSERT_FALSE(send.empty());
  ASSERT_EQ(say(send), 200);  // a keyboard button comes back as a text message
  settle();
  EXPECT_EQ(q("SELECT v1 || '/' || v2 FROM submissions WHERE channel = 'viber'"), "12120/6060");
  EXPECT_EQ(q("SELECT update_key FROM bot_updates WHERE channel = 'viber' ORDER BY received_at "
              "DESC, update_key DESC"),
            std::to_string(token));
  // unsubscribed: no more reminders to this user.
  ASSERT_EQ(post(json{{"event", "unsubscribed"},
                      {"timestamp", 1},
                      {"user_id", "01234567890A="},
                      {"message_token", ++token}})
                .status,
            200);
  EXPECT_EQ(q("SELECT subscribed FROM chats WHERE channel = 'viber'"), "0");
}
// The effort budget of issue 33 (../shared/spec/channels.md) through the real webhooks: a 2-zone
// reading handed over on first contact in four actions (start, account and serial in one
// message, both zones in one message, Send) and from a linked chat in two (the reading, Send),
// on Telegram and on Viber. bench/effort prints the same walks' counts.
TEST_F(BotsTest, AFirstContactInFourActionsAndALinkedReadingInTwo) {
  start();
  auto stored = [&](const std::string& channel) {
    return q("SELECT v1 || '/' || v2 FROM submissions WHERE channel = '" + channel +
             "' ORDER BY id DESC LIMIT 1");
  };
  ASSERT_EQ(post_update(message("/start")).status, 200);
  ASSERT_EQ(post_update(message("0123456789 A1234567")).status, 200);
  ASSERT_EQ(post_update(message("12120 6060")).status, 200);
  settle();
  ASSERT_EQ(post_update(press(button("send"))).status, 200);
  settle();
  EXPECT_EQ(stored("telegram"), "12120/6060") << "Telegram, first contact: 4 actions";
  ASSERT_EQ(post_update(message("12130 6070")).status, 200);
  settle();
  ASSERT_EQ(post_update(press(button("send"))).status, 200);
  settle();
  EXPECT_EQ(stored("telegram"), "12130/6070") << "Telegram, linked: 2 actions";

  // Viber: opening the chat is the first action; its welcome comes in the callback's answer.
  auto post = [&](const json& body) {
    std::string raw = body.dump();
    return http(server->port(), "POST", "/webhooks/viber", raw,
                {{"Content-Type", "application/json"},
                 {"X-Viber-Content-Signature", md::viber::signature(raw, kViberToken)}});
  };
  auto opened = post({{"event", "conversation_started"},
                      {"timestamp", 1457764197627LL},
                      {"message_token", 4912661846655238145ULL},
                      {"type", "open"},
                      {"user", {{"id", "viber-olena="}, {"name", "Olena"}, {"language", "uk"}}},
                      {"subscribed", false}});
  ASSERT_EQ(opened.status, 200);
  auto say = [&](const std::string& text) {
    return viber_message({{"type", "text"}, {"text", text}}, "viber-olena=");
  };
  auto send_button = [&] {
    std::string body;
    for (const auto& c : viber.calls()) {
      json b = json::parse(c.body, nullptr, false);
      if (b.is_object() && b.contains("keyboard"))
        for (const auto& k : b["keyboard"]["Buttons"])
          if (k["ActionBody"].get<std::string>().ends_with("|send")) body = k["ActionBody"];
    }
    return body;
  };
  ASSERT_EQ(say("0123456789 A1234567"), 200);
  ASSERT_EQ(say("12140 6080"), 200);
  settle();
  ASSERT_EQ(say(send_button()), 200);
  settle();
  EXPECT_EQ(stored("viber"), "12140/6080") << "Viber, first contact: 4 actions";
  ASSERT_EQ(say("12150 6090"), 200);
  settle();
  ASSERT_EQ(say(send_button()), 200);
  settle();
  EXPECT_EQ(stored("viber"), "12150/6090") << "Viber, linked: 2 actions";
}

// A Viber picture is a URL in the signed callback: the outbox downloads it and keeps it with the
// flagged reading. Viber answers errors with HTTP 200 and a status: "receiver not subscribed" (6)
// can never succeed, so the message is given up at once rather than retried for hours.
TEST_F(BotsTest, AViberPictureIsDownloadedAndAnUnsubscribedReceiverIsNotRetried) {
  const std::string jpeg = std::string("\xFF\xD8\xFF\xE0", 4) + std::string(2000, '\x43');
  std::atomic<bool> unsubscribed{false};
  viber.set_answer([&](const FakePlatform::Call& c) {
    if (c.method == "GET" && c.path == "/media/meter.jpg") return FakePlatform::Answer{200, jpeg};
    if (unsubscribed)
      return FakePlatform::Answer{200, R"({"status":6,"status_message":"notSubscribed"})"};
    return FakePlatform::Answer{200, R"({"status":0,"status_message":"ok","message_token":1})"};
  });
  start();
  auto post = [&](const json& message) { return viber_message(message); };
  auto say = [&](const std::string& text) { return post({{"type", "text"}, {"text", text}}); };
  auto action = [&](const std::string& suffix) {
    std::string body;
    for (const auto& c : viber.calls()) {
      json b = json::parse(c.body, nullptr, false);
      if (b.is_object() && b.contains("keyboard"))
        for (const auto& k : b["keyboard"]["Buttons"])
          if (k["ActionBody"].get<std::string>().ends_with(suffix)) body = k["ActionBody"];
    }
    return body;
  };
  for (const char* text : {"/start", "0123456789", "A1234567", "19000", "6100"})
    ASSERT_EQ(say(text), 200);
  settle();
  ASSERT_EQ(post({{"type", "picture"},
                  {"text", ""},
                  {"media", viber.base() + "/media/meter.jpg"},
                  {"thumbnail", viber.base() + "/media/thumb.jpg"},
                  {"file_name", "meter.jpg"},
                  {"size", 2004}}),
            200);
  settle();
  ASSERT_FALSE(action("|confirm").empty());
  ASSERT_EQ(say(action("|confirm")), 200);
  settle();
  ASSERT_FALSE(action("|send").empty());
  ASSERT_EQ(say(action("|send")), 200);
  settle();
  EXPECT_EQ(q("SELECT content_type || ' ' || length(bytes) FROM submission_photos"),
            "image/jpeg 2004");
  EXPECT_EQ(q("SELECT count(*) FROM review_items"), "1");

  unsubscribed = true;
  ASSERT_EQ(say("/history"), 200);
  settle();
  EXPECT_EQ(q("SELECT status || ' ' || attempts || ' ' || last_error FROM outbox WHERE channel = "
              "'viber' ORDER BY id DESC LIMIT 1"),
            "failed 1 6 notSubscribed");
}

TEST_F(BotsTest, AViberContactCardIsNotTakenAsTheSendersOwnNumberTheSharePhoneReplyIs) {
  start();
  auto contact = [&](const json& message) { return viber_message(message, "stranger=", "Petro"); };
  // Olena's number from Petro's address book: nothing of hers is offered.
  ASSERT_EQ(contact({{"type", "contact"},
                     {"contact", {{"name", "Olena"}, {"phone_number", "380671234567"}}}}),
            200);
  settle();
  auto said = [&] {
    std::string all;
    for (const auto& c : viber.calls()) all += json::parse(c.body).value("text", "") + "\n";
    return all;
  };
  std::string t = said();
  EXPECT_NE(t.find("лише власним номером"), std::string::npos) << t;
  EXPECT_EQ(t.find("******6789"), std::string::npos) << t;
  // The reply to the share-phone button (its ActionBody as text, the number) is the sender's own.
  std::string body;
  for (const auto& c : viber.calls()) {
    json b = json::parse(c.body);
    if (b.contains("keyboard"))
      for (const auto& k : b["keyboard"]["Buttons"])
        if (k["ActionType"] == "share-phone") body = k["ActionBody"];
  }
  ASSERT_FALSE(body.empty()) << "the bot offers the share-phone button";
  ASSERT_EQ(
      contact(
          {{"type", "contact"}, {"text", body}, {"contact", {{"phone_number", "380671234567"}}}}),
      200);
  settle();
  t = said();
  // One account has this number: it is linked at once and its reading asked.
  EXPECT_NE(t.find("Рахунок ******6789 додано"), std::string::npos) << t;
  EXPECT_EQ(q("SELECT count(*) FROM chat_accounts WHERE channel = 'viber'"), "1");
}

}  // namespace
