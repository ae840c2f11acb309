// bench/effort: what it costs a customer to hand over a 2-zone (day/night) reading, channel by
// channel, as issue 33 measured it: actions (typed messages, taps, keys), the bot's messages, and
// on the phone the seconds of prompts and of the whole call for a caller who listens to every
// prompt to its end and takes 0.3 s a key. The bots are driven as the platforms drive them: a
// running `meterdesk serve`, Telegram updates with the webhook secret and signed Viber callbacks
// over loopback, the bot's messages counted where its outbox delivered them (platform peers on
// loopback), the reading checked in the store. The phone flow runs in process with the prompts
// the build rendered (their WAV lengths); tests/ivr plays the same keys through SIPp. The web's
// screens are counted by the browser tests (tests/browser).
//   bench_effort PROMPTS_DIR        (build/prompts)
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "channels/viber/viber.hpp"
#include "dialog/messenger.hpp"
#include "dialog/phone_call.hpp"
#include "service/accounts.hpp"
#include "service/ingestor.hpp"
#include "store/store.hpp"
#include "support/support.hpp"

using namespace md;
using json = nlohmann::json;

namespace {

constexpr double kKeySeconds = 0.3;
const char* const kNow = "2026-11-30T10:00:00";
const char* const kToken = "123456:effort-bench";
const char* const kSecret = "effort-bench-webhook-secret";
const char* const kViberToken = "44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3";
// One 2-zone account (the household of the issue's table) with a phone number on file.
const char* const kAccounts =
    "account,holder,phone,email,address,eic,meter_serial,zones,digits,installed_on,initial\n"
    "0123456789,Шевченко Олена,+380671234567,,Odesa,62Z000000000001B,A1234567,2,6,2025-01-10,"
    "12000/6000\n";

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "bench_effort: %s\n", why.c_str());
  std::exit(1);
}

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

// A running `meterdesk serve` on its own database with the household imported, its Telegram and
// Viber outboxes delivering to platform peers on loopback (what the bot says is what they got).
struct Server {
  md::test::TempDir dir;
  std::string db = dir.file("effort.db");
  md::test::FakePlatform telegram;
  md::test::FakePlatform viber{[](const md::test::FakePlatform::Call&) {
    return md::test::FakePlatform::Answer{
        200, R"({"status":0,"status_message":"ok","message_token":1})"};
  }};
  std::unique_ptr<md::test::ServerProcess> process;

  Server() {
    md::test::write_file(dir.file("accounts.csv"), kAccounts);
    if (md::test::run_meterdesk({"import-accounts", dir.file("accounts.csv"), "--db", db, "--now",
                                 "2025-01-10T12:00:00"})
            .exit_code != 0)
      fail("import-accounts failed");
    process = std::make_unique<md::test::ServerProcess>(
        db, std::vector<std::string>{"--now", std::string(kNow) + "+02:00"},
        std::map<std::string, std::string>{{"METERDESK_TELEGRAM_BOT_TOKEN", kToken},
                                           {"METERDESK_TELEGRAM_SECRET_TOKEN", kSecret},
                                           {"METERDESK_TELEGRAM_API_BASE", telegram.base()},
                                           {"METERDESK_TELEGRAM_PER_CHAT_INTERVAL_MS", "0"},
                                           {"METERDESK_VIBER_AUTH_TOKEN", kViberToken},
                                           {"METERDESK_VIBER_API_BASE", viber.base() + "/pa"}});
  }
  // Waits until the outbox has delivered everything the last action queued.
  void settle() const {
    for (int i = 0; i < 800; ++i) {
      if (md::test::sql_value(db, "SELECT count(*) FROM outbox WHERE status = 'pending'") == "0")
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    fail("the outbox did not empty");
  }
  [[nodiscard]] std::string stored(const std::string& channel) const {
    return md::test::sql_value(db, "SELECT v1 || ' ' || v2 FROM submissions WHERE channel = '" +
                                       channel + "' ORDER BY id DESC LIMIT 1");
  }
  json post(const std::string& path, const std::string& body,
            std::map<std::string, std::string> headers) const {
    headers["Content-Type"] = "application/json";
    auto r = md::test::http(process->port(), "POST", path, body, headers);
    if (r.status != 200) fail(path + " answered " + std::to_string(r.status) + ": " + r.body);
    return json::parse(r.body, nullptr, false);
  }
};

// What the customer did and what the bot sent back, since the counts were last taken.
struct Effort {
  int actions = 0, messages = 0;
};

// A Telegram chat: Bot API updates to the webhook with its secret, the bot's sendMessage calls
// counted at the platform peer.
class TelegramChat {
 public:
  explicit TelegramChat(Server& s) : s_(s) {}
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
    for (const auto& c : s_.telegram.calls()) {
      json m = json::parse(c.body, nullptr, false);
      if (!m.is_object() || !m.contains("reply_markup") ||
          !m["reply_markup"].contains("inline_keyboard"))
        continue;
      for (const auto& r : m["reply_markup"]["inline_keyboard"])
        for (const auto& b : r)
          if (b["callback_data"].get<std::string>().find("|" + action) != std::string::npos)
            data = b["callback_data"];
    }
    if (data.empty()) fail("no button " + action);
    send({{"update_id", ++update_},
          {"callback_query",
           {{"id", "cb" + std::to_string(update_)},
            {"from", from()},
            {"chat_instance", "1"},
            {"data", data},
            {"message", {{"message_id", 1}, {"date", 0}, {"chat", chat()}, {"text", "…"}}}}}});
  }
  Effort take() {
    Effort e{actions_, 0};
    const auto calls = s_.telegram.calls();
    for (std::size_t i = counted_; i < calls.size(); ++i)
      if (calls[i].path.ends_with("/sendMessage")) ++e.messages;
    counted_ = calls.size();
    actions_ = 0;
    return e;
  }

 private:
  static constexpr std::int64_t kUser = 218485655;
  Server& s_;
  std::int64_t update_ = 892252934;
  int actions_ = 0;
  std::size_t counted_ = 0;

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
    ++actions_;
    s_.post("/webhooks/telegram", update.dump(), {{"X-Telegram-Bot-Api-Secret-Token", kSecret}});
    s_.settle();
  }
};

// A Viber chat: signed callbacks to the webhook; the welcome comes in the answer to
// conversation_started, everything else as send_message calls at the platform peer.
class ViberChat {
 public:
  explicit ViberChat(Server& s) : s_(s) {}
  void open() {
    ++actions_;
    json welcome = post({{"event", "conversation_started"},
                         {"timestamp", 1457764197627LL},
                         {"message_token", ++token_},
                         {"type", "open"},
                         {"user", user()},
                         {"subscribed", false}});
    if (welcome.is_object() && welcome.contains("text")) ++welcomes_;
  }
  void type(const std::string& text) {
    ++actions_;
    post({{"event", "message"},
          {"timestamp", 1457764197627LL},
          {"message_token", ++token_},
          {"sender", user()},
          {"message", {{"type", "text"}, {"text", text}}}});
  }
  // A keyboard button comes back as a text message with its ActionBody.
  void tap(const std::string& action) {
    std::string body;
    for (const auto& c : s_.viber.calls()) {
      json b = json::parse(c.body, nullptr, false);
      if (b.is_object() && b.contains("keyboard"))
        for (const auto& k : b["keyboard"]["Buttons"])
          if (k["ActionBody"].get<std::string>().ends_with("|" + action)) body = k["ActionBody"];
    }
    if (body.empty()) fail("no Viber button " + action);
    type(body);
  }
  Effort take() {
    Effort e{actions_, welcomes_};
    const auto calls = s_.viber.calls();
    for (std::size_t i = counted_; i < calls.size(); ++i)
      if (calls[i].path.ends_with("/send_message")) ++e.messages;
    counted_ = calls.size();
    actions_ = welcomes_ = 0;
    return e;
  }

 private:
  Server& s_;
  std::uint64_t token_ = 5000000000000000001ULL;
  int actions_ = 0, welcomes_ = 0;
  std::size_t counted_ = 0;

  static json user() { return {{"id", "01234567890A="}, {"name", "Олена"}, {"language", "uk"}}; }
  json post(const json& body) {
    const std::string raw = body.dump();
    json answer = s_.post("/webhooks/viber", raw,
                          {{"X-Viber-Content-Signature", viber::signature(raw, kViberToken)}});
    s_.settle();
    return answer;
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

void row(const char* what, Effort e, const std::string& stored, const char* expected) {
  if (stored != expected) fail(std::string(what) + ": stored \"" + stored + "\", not " + expected);
  std::printf("| %s | %d | %d | | |\n", what, e.actions, e.messages);
}

void phone_row(const char* what, const Call& c) {
  if (!c.stored) fail(std::string(what) + ": no receipt");
  std::printf("| %s | %d keys | | %.1f | %.1f |\n", what, c.keys, c.prompts, c.seconds);
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);  // each line as it comes, also into a pipe
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_effort PROMPTS_DIR\n");
    return 2;
  }
  const std::string prompts = argv[1];
  std::printf("| channel / case | actions | bot messages | prompts s | call s |\n");
  std::printf("|---|---|---|---|---|\n");
  {
    Server s;
    TelegramChat chat(s);
    chat.type("/start");
    chat.type("0123456789 A1234567");
    chat.type("12120 6060");
    chat.tap("send");
    row("Telegram, first contact (typing account + serial)", chat.take(), s.stored("telegram"),
        "12120 6060");
    chat.type("12130 6070");
    chat.tap("send");
    row("Telegram, linked", chat.take(), s.stored("telegram"), "12130 6070");
    ViberChat viber(s);
    viber.open();
    viber.type("0123456789 A1234567");
    viber.type("12140 6080");
    viber.tap("send");
    row("Viber, first contact (typing account + serial)", viber.take(), s.stored("viber"),
        "12140 6080");
    viber.type("12150 6090");
    viber.tap("send");
    row("Viber, linked", viber.take(), s.stored("viber"), "12150 6090");
  }
  {
    Server s;
    TelegramChat chat(s);
    chat.type("/start");
    chat.share_phone();
    chat.type("12120 6060");
    chat.tap("send");
    row("Telegram, first contact (sharing the phone)", chat.take(), s.stored("telegram"),
        "12120 6060");
  }
  {
    World w("phone-known");
    // The menu's 2, 1 for the account on file, each zone and #, 1 to send; hangs up on the receipt.
    phone_row("Phone, caller known by number",
              phone(w, prompts, "+380671234567", {"2", "1", "12120#", "6060#", "1"}));
  }
  {
    World w("phone-unknown");
    phone_row(
        "Phone, unknown caller",
        phone(w, prompts, "+380999999999", {"2", "0123456789#", "4567#", "12120#", "6060#", "1"}));
  }
  return 0;
}
