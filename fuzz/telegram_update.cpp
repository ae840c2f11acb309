// libFuzzer: the Telegram webhook parser (any body) and the renderer of what it produced.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "channels/telegram/telegram.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto p = md::telegram::parse_update(body);
  if (p.kind != md::telegram::Parsed::Kind::ok) return 0;
  if (p.in.chat_id.empty() || p.in.update_key.empty()) __builtin_trap();
  md::dialog::Step step;
  md::dialog::Reply reply;
  reply.text = p.in.event.text.empty() ? "x" : p.in.event.text;
  reply.buttons = {{p.in.event.text, p.in.event.phone}};
  step.replies.push_back(reply);
  step.toast = p.in.event.text;
  for (const auto& m : md::telegram::render(&p.in, p.in.chat_id, step))
    if (!nlohmann::json::accept(m.body)) __builtin_trap();  // always valid JSON
  return 0;
}
