// libFuzzer: the conversation engine driven by random events, from a random stored state. Each
// input line is one event: "/name" a command, "b<digit>" a press of that button of the last
// prompt, "o…"/"O…" an old or foreign button's data, "k…"/"K…" a shared own/foreign contact,
// "p…" a photo, "u" a sticker, anything else text. The backend is an in-memory account with the
// real validation rules; every reply is rendered for Telegram and Viber and must be valid JSON,
// and the state must survive its own round trip.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "channels/telegram/telegram.hpp"
#include "channels/viber/viber.hpp"
#include "dialog/conversation.hpp"
#include "domain/validation.hpp"

namespace {

using namespace md;

class MemoryBackend final : public dialog::Backend {
 public:
  std::vector<std::string> accounts;
  std::vector<std::string> linked() override { return accounts; }
  void link(std::string_view a) override {
    if (accounts.size() < 5) accounts.emplace_back(a);
  }
  void unlink(std::string_view a) override { std::erase(accounts, std::string(a)); }
  std::vector<std::string> accounts_by_phone(std::string_view phone) override {
    if (phone.ends_with("671234567")) return {"0123456789", "0000000001"};
    return {};
  }
  std::optional<dialog::MeterInfo> meter(std::string_view account,
                                         std::string_view serial) override {
    if (account == "0123456789" && serial == "A1234567")
      return dialog::MeterInfo{"0123456789", "A1234567", 2};
    if (account == "0000000001" && serial == "S0000001")
      return dialog::MeterInfo{"0000000001", "S0000001", 1};
    return std::nullopt;
  }
  std::vector<dialog::MeterInfo> meters(std::string_view account) override {
    if (account == "0123456789")
      return {{"0123456789", "A1234567", 2}, {"0123456789", "B7654321", 3}};
    if (account == "0000000001") return {{"0000000001", "S0000001", 1}};
    return {};
  }
  std::optional<dialog::LastReading> last_reading(std::string_view,
                                                  std::string_view serial) override {
    if (serial == "S0000001") return std::nullopt;
    return dialog::LastReading{*domain::parse_date("2026-10-31"), {12000, 6000, 3000}};
  }
  std::vector<dialog::HistoryLine> history(std::string_view, int) override {
    return {{"R-AAAA-BBBB",
             "A1234567",
             "telegram",
             "accepted",
             *domain::parse_date("2026-10-31"),
             2,
             {12000, 6000}}};
  }
  service::SubmitOutcome submit(const service::SubmitRequest& req, bool) override {
    domain::ValidationInput in;
    auto m = meter(req.account, req.meter_serial);
    if (!m) m = dialog::MeterInfo{req.account, req.meter_serial, 3};
    in.meter = domain::MeterSpec{m->zones, 5, *domain::parse_date("2025-01-10")};
    in.entries = req.values;
    in.taken_on = in.today = *domain::parse_date("2026-11-30");
    domain::PriorReading prior;
    prior.taken_on = *domain::parse_date("2026-10-31");
    prior.as_of = domain::as_of(prior.taken_on, true, rules.window);
    prior.values = prior.unwrapped = {12000, 6000, 3000};
    prior.values.resize(static_cast<std::size_t>(m->zones));
    prior.unwrapped.resize(static_cast<std::size_t>(m->zones));
    in.previous = prior;
    in.confirmed = req.confirmed;
    service::SubmitOutcome out;
    out.validation = domain::validate(in, rules);
    if (out.validation.rejection) {
      out.status = service::SubmitOutcome::Status::rejected;
      out.rejection = out.validation.rejection;
    } else if (out.validation.needs_confirmation) {
      out.status = service::SubmitOutcome::Status::needs_confirmation;
    } else {
      out.status = service::SubmitOutcome::Status::accepted;
      out.receipt_id = "R-TEST-0001";
      out.receipt_json =
          R"({"receipt":"R-TEST-0001","readings":{"day":1},"counts_as":{"period":"2026-11"}})";
    }
    return out;
  }
  domain::Instant now() override { return *domain::parse_instant("2026-11-30T10:00:00"); }
  const domain::WindowRules& window_rules() override { return rules.window; }
  int account_digits() override { return 10; }
  domain::ValidationRules rules;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // A first line starting with '{' is the stored state the conversation resumes from.
  std::string_view state;
  if (input.starts_with('{')) {
    auto nl = input.find('\n');
    state = input.substr(0, nl);
    input = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
  }
  MemoryBackend backend;
  dialog::Conversation conv({"telegram", "42"}, state, dialog::Lang::uk, true);
  dialog::Step last = conv.prompt(backend);
  int steps = 0;
  while (!input.empty() && steps++ < 64) {
    auto nl = input.find('\n');
    std::string line(input.substr(0, nl));
    input = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
    dialog::Event e;
    char kind = line.empty() ? 't' : line[0];
    std::string rest = line.size() > 1 ? line.substr(1) : std::string();
    if (kind == '/') {
      e.kind = dialog::Event::Kind::command;
      e.text = rest;
    } else if (kind == 'b') {
      e.kind = dialog::Event::Kind::button;
      std::vector<dialog::Button> buttons;
      for (const auto& r : last.replies)
        if (!r.buttons.empty()) buttons = r.buttons;
      if (buttons.empty()) continue;
      e.text = buttons[static_cast<std::size_t>(rest.empty() ? 0 : rest[0]) % buttons.size()].data;
    } else if (kind == 'o' || kind == 'O') {
      e.kind = dialog::Event::Kind::button;
      e.text = rest;
    } else if (kind == 'k' || kind == 'K') {
      e.kind = dialog::Event::Kind::contact;
      e.phone = rest;
      e.own_contact = kind == 'k';
    } else if (kind == 'p') {
      e.kind = dialog::Event::Kind::photo;
      e.photo = rest;
    } else if (kind == 'u') {
      e.kind = dialog::Event::Kind::unsupported;
    } else {
      e.kind = dialog::Event::Kind::text;
      e.text = line;
    }
    last = conv.handle(e, backend);
    for (const auto& m : telegram::render(nullptr, "42", last))
      if (!nlohmann::json::accept(m.body)) __builtin_trap();
    for (const auto& m : viber::render({"meterdesk"}, "42", last))
      if (!nlohmann::json::accept(m.body)) __builtin_trap();
    // The state written is the state read back.
    std::string saved = conv.state_json();
    dialog::Conversation again({"telegram", "42"}, saved, conv.lang, conv.reminders);
    if (again.state_json() != saved) __builtin_trap();
  }
  return 0;
}
