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
#include "memory_backend.hpp"

using namespace md;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // A first line starting with '{' is the stored state the conversation resumes from.
  std::string_view state;
  if (input.starts_with('{')) {
    auto nl = input.find('\n');
    state = input.substr(0, nl);
    input = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
  }
  fuzz::MemoryBackend backend;
  dialog::Conversation conv({"telegram", "42"}, state, i18n::Lang::uk, true);
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
