// bench/effort: what it costs a customer to hand over a 2-zone (day/night) reading, channel by
// channel, as issue 33 measured it: actions (typed messages, taps, keys), the bot's messages, and
// on the phone the seconds of prompts and of the whole call for a caller who listens to every
// prompt to its end and takes 0.3 s a key. Everything is the real thing in process: a SQLite
// store, the messenger with Telegram's update parser and renderer (Bot API Update JSON in, the
// sendMessage calls it queues counted), the phone flow with the prompts the build rendered (their
// WAV lengths). The web's screens are counted by the browser tests (tests/browser).
//   bench_effort PROMPTS_DIR        (build/prompts)
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "channels/telegram/telegram.hpp"
#include "dialog/messenger.hpp"
#include "dialog/phone_call.hpp"
#include "service/accounts.hpp"
#include "service/ingestor.hpp"
#include "store/store.hpp"

using namespace md;
using json = nlohmann::json;

namespace {

constexpr double kKeySeconds = 0.3;
const char* const kNow = "2026-11-30T10:00:00";
// One 2-zone account (the household of the issue's table) with a phone number on file.
const char* const kAccounts =
    "account,holder,phone,email,address,eic,meter_serial,zones,digits,installed_on,initial\n"
    "0123456789,Шевченко Олена,+380671234567,,Odesa,62Z000000000001B,A1234567,2,6,2025-01-10,"
    "12000/6000\n";

domain::Instant at(const char* s) {
  return *domain::parse_instant(s);
}

// A prompt's length: the WAV's data chunk at 8 kHz, 16-bit mono (scripts/prompts.sh).
double wav_seconds(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  for (std::size_t at = 12; at + 8 <= bytes.size();) {
    std::uint32_t size = 0;
    for (int i = 0; i < 4; ++i)
      size |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 4 + i])) << (8 * i);
    if (bytes.compare(at, 4, "data") == 0) return size / 16000.0;
    at += 8 + size;
  }
  std::fprintf(stderr, "no prompt %s\n", path.c_str());
  std::exit(1);
}

struct World {
  std::filesystem::path dir;
  service::Submissions submissions{service::ServiceConfig{}};
  service::Clock clock{at(kNow)};
  std::unique_ptr<store::Store> store;
  std::unique_ptr<service::Ingestor> ingestor;
  std::unique_ptr<dialog::Messenger> messenger;

  explicit World(const std::string& name) {
    dir = std::filesystem::temp_directory_path() / ("md-effort-" + name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    store = store::open_store((dir / "effort.db").string());
    store->migrate();
    if (!service::import_accounts(*store, submissions, kAccounts, at("2025-01-10T12:00:00")).ok())
      std::exit(1);
    ingestor = std::make_unique<service::Ingestor>(*store, submissions, clock, nullptr);
    messenger = std::make_unique<dialog::Messenger>(*store, *ingestor, submissions, nullptr);
    messenger->add_channel("telegram", &telegram::render);
  }
  ~World() {
    ingestor->stop();
    messenger.reset();
    ingestor.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  World(const World&) = delete;
  World& operator=(const World&) = delete;
};

// A Telegram chat driven through the update parser; counts what the customer and the bot did.
class Chat {
 public:
  explicit Chat(World& w) : w_(w) {}
  int actions = 0, messages = 0;

  void type(const std::string& text) {
    json u = base();
    u["message"]["text"] = text;
    if (text.starts_with("/"))
      u["message"]["entities"] = json::array(
          {{{"type", "bot_command"},
            {"offset", 0},
            {"length", text.find(' ') == std::string::npos ? text.size() : text.find(' ')}}});
    send(u);
  }
  void share_phone() {
    json u = base();
    u["message"]["contact"] = {
        {"phone_number", "+380671234567"}, {"first_name", "Олена"}, {"user_id", kUser}};
    send(u);
  }
  // Taps the button of the bot's latest message whose data holds `action`.
  void tap(const std::string& action) {
    std::string data;
    for (const auto& row : w_.store->outbox_due(at("2100-01-01T00:00:00"), 100000)) {
      if (row.method != "sendMessage") continue;
      json m = json::parse(row.body);
      if (!m.contains("reply_markup") || !m["reply_markup"].contains("inline_keyboard")) continue;
      for (const auto& r : m["reply_markup"]["inline_keyboard"])
        for (const auto& b : r)
          if (b["callback_data"].get<std::string>().find("|" + action) != std::string::npos)
            data = b["callback_data"];
    }
    if (data.empty()) fail("no button " + action);
    json u{{"update_id", ++update_},
           {"callback_query",
            {{"id", "cb" + std::to_string(update_)},
             {"from", from()},
             {"chat_instance", "1"},
             {"data", data},
             {"message", {{"message_id", 1}, {"date", 0}, {"chat", chat()}, {"text", "…"}}}}}};
    send(u);
  }

 private:
  static constexpr std::int64_t kUser = 218485655;
  World& w_;
  std::int64_t update_ = 892252934, seen_ = 0;

  static json from() {
    return {{"id", kUser}, {"is_bot", false}, {"first_name", "Олена"}, {"language_code", "uk"}};
  }
  static json chat() { return {{"id", kUser}, {"first_name", "Олена"}, {"type", "private"}}; }
  json base() {
    return {{"update_id", ++update_},
            {"message",
             {{"message_id", update_}, {"from", from()}, {"chat", chat()}, {"date", 1764489600}}}};
  }
  void send(const json& update) {
    auto parsed = telegram::parse_update(update.dump());
    if (parsed.kind != telegram::Parsed::Kind::ok) fail("not taken: " + update.dump());
    ++actions;
    if (w_.messenger->handle(std::move(parsed.in)) != dialog::Messenger::Result::processed)
      fail("not processed: " + update.dump());
    for (const auto& row : w_.store->outbox_due(at("2100-01-01T00:00:00"), 100000)) {
      if (row.id <= seen_) continue;
      seen_ = row.id;
      if (row.method == "sendMessage") ++messages;
    }
  }
  static void fail(const std::string& why) {
    std::fprintf(stderr, "bench_effort: %s\n", why.c_str());
    std::exit(1);
  }
};

struct Call {
  int keys = 0;
  double prompts = 0, seconds = 0;
  bool stored = false;
};

// A caller who hears every prompt to its end, then presses the next keys.
Call phone(World& w, const std::string& prompts_dir, const std::string& caller,
           const std::vector<std::string>& presses) {
  std::map<std::string, double> length;
  auto said = [&](const dialog::CallStep& step) {
    double s = 0;
    for (const auto& name : step.play) {
      auto [it, fresh] = length.try_emplace(name, 0.0);
      if (fresh) it->second = wav_seconds(prompts_dir + "/uk/" + name + ".wav");
      s += it->second;
    }
    return s;
  };
  Call c;
  dialog::PhoneCall call("effort@127.0.0.1", caller, {});
  dialog::CallStep step;
  w.messenger->run("ivr", "effort", [&](dialog::Backend& b) { step = call.start(b); });
  c.prompts += said(step);
  for (const auto& keys : presses) {
    for (char k : keys) {
      ++c.keys;
      c.seconds += kKeySeconds;
      w.messenger->run("ivr", "effort", [&](dialog::Backend& b) { step = call.digit(k, b); });
      c.prompts += said(step);
      if (!step.receipt.empty()) c.stored = true;
    }
  }
  c.seconds += c.prompts;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_effort PROMPTS_DIR\n");
    return 2;
  }
  const std::string prompts = argv[1];
  std::printf("| channel / case | actions | bot messages | prompts s | call s |\n");
  std::printf("|---|---|---|---|---|\n");
  {
    World w("tg-typed");
    Chat chat(w);
    chat.type("/start");
    chat.type("0123456789 A1234567");
    chat.type("12120 6060");
    chat.tap("send");
    std::printf("| Telegram, first contact (typing account + serial) | %d | %d | | |\n",
                chat.actions, chat.messages);
    Chat linked = chat;
    linked.actions = linked.messages = 0;
    linked.type("12130 6070");
    linked.tap("send");
    std::printf("| Telegram, linked | %d | %d | | |\n", linked.actions, linked.messages);
  }
  {
    World w("tg-phone");
    Chat chat(w);
    chat.type("/start");
    chat.share_phone();
    chat.type("12120 6060");
    chat.tap("send");
    std::printf("| Telegram, first contact (sharing the phone) | %d | %d | | |\n", chat.actions,
                chat.messages);
  }
  {
    World w("phone-known");
    // The menu's 2, 1 for the account on file, each zone and #, 1 to send; hangs up on the receipt.
    Call c = phone(w, prompts, "+380671234567", {"2", "1", "12120#", "6060#", "1"});
    std::printf("| Phone, caller known by number | %d keys | | %.1f | %.1f%s |\n", c.keys,
                c.prompts, c.seconds, c.stored ? "" : " (NOT STORED)");
  }
  {
    World w("phone-unknown");
    Call c =
        phone(w, prompts, "+380999999999", {"2", "0123456789#", "4567#", "12120#", "6060#", "1"});
    std::printf("| Phone, unknown caller | %d keys | | %.1f | %.1f%s |\n", c.keys, c.prompts,
                c.seconds, c.stored ? "" : " (NOT STORED)");
  }
  return 0;
}
