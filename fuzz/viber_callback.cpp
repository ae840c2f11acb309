// libFuzzer: the Viber callback parser and signature check (any body, any signature header).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "channels/viber/viber.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The first 64 bytes play the signature header, the rest the body.
  std::string_view header = input.substr(0, 64);
  std::string_view body = input.size() > 64 ? input.substr(64) : std::string_view();
  const char* token = "44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3";
  bool claimed = md::viber::signature_ok(body, token, header);
  if (claimed && md::viber::signature(body, token) != header) __builtin_trap();
  auto p = md::viber::parse_callback(input);
  if (p.kind == md::viber::Parsed::Kind::ok && p.in.chat_id.empty()) __builtin_trap();
  if (p.kind != md::viber::Parsed::Kind::ok) return 0;
  md::dialog::Step step;
  md::dialog::Reply reply;
  reply.text = p.in.event.text.empty() ? "x" : p.in.event.text;
  reply.buttons = {{p.in.event.text, p.in.event.phone}};
  reply.ask_contact = true;
  step.replies.push_back(reply);
  for (const auto& m : md::viber::render({"meterdesk"}, p.in.chat_id, step))
    if (!nlohmann::json::accept(m.body)) __builtin_trap();
  return 0;
}
