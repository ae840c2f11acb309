// libFuzzer: the phone line's digit flow driven by random key presses and silences. The first
// byte chooses the call (menu or not, an operator to transfer to, a caller whose number finds
// accounts or not, the store away, how many tries the account has left, the number trusted or
// not), the next eight the receipt
// an accepted reading gets; then each byte is a key ("0"-"9", "*", "#"), "t" a silence, any other
// byte one of those thirteen. What must hold whatever is pressed: every prompt played has a
// recording; a reading is stored only on a "1" (or the "3" that keeps an unusual value) that
// confirms it, at most once per call, and the receipt the caller hears is the one stored; a call
// that hangs up or transfers stays over.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "dialog/phone_call.hpp"
#include "domain/receipt_id.hpp"
#include "memory_backend.hpp"

using namespace md;

namespace {

const std::set<std::string>& recorded() {
  static const std::set<std::string> names = [] {
    std::set<std::string> out;
    for (const auto& p : dialog::phone_prompts())
      if (!p.uk.empty() && !p.en.empty()) out.insert(p.name);
    return out;
  }();
  return names;
}

// The receipt's symbols as the flow says them.
std::vector<std::string> spoken(std::string_view receipt) {
  std::vector<std::string> out;
  for (char c : receipt) {
    if (c >= '0' && c <= '9') out.push_back(std::string("digit.") + c);
    if (c >= 'A' && c <= 'Z') out.push_back(std::string("letter.") + c);
  }
  return out;
}

void check_receipt_said_once(const dialog::CallStep& step) {
  std::vector<std::string> expected{"ivr.accepted"};
  auto symbols = spoken(step.receipt);
  expected.insert(expected.end(), symbols.begin(), symbols.end());
  expected.emplace_back("ivr.hear_again");
  if (step.play != expected) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 9) return 0;
  const std::uint8_t how = data[0];
  std::array<std::uint32_t, 8> symbols{};
  for (std::size_t i = 0; i < 8; ++i) symbols[i] = data[1 + i];

  fuzz::MemoryBackend backend;
  backend.unavailable = (how & 0x10) != 0;
  // 3 (as many as a call can use) to 0 (the account is over its limit already).
  backend.identification_limit = 3 - ((how >> 5) & 3);
  backend.receipt = domain::format_receipt_id(symbols);
  dialog::CallSettings settings;
  settings.menu_key = (how & 1) ? '2' : 0;
  if (how & 2) settings.transfer = "sip:operator@127.0.0.1";
  settings.trust_caller = (how & 0x80) == 0;
  // On file for both accounts (the first, with two meters, offered), unknown, none, and on file
  // for the account with one meter only (offered and taken with no serial when trusted).
  const char* callers[] = {"+380671234567", "+380999999999", "", "+380501112233"};
  dialog::PhoneCall call("call-1@127.0.0.1", callers[(how >> 2) & 3], settings);

  bool over = false;
  // METERDESK_FUZZ_TRACE=1 prints each key and what it played (to read what a seed does).
  static const bool trace = std::getenv("METERDESK_FUZZ_TRACE") != nullptr;
  auto after = [&](const dialog::CallStep& step, char key, int stored_before) {
    if (trace) {
      std::fprintf(stderr, "%c:", key ? key : '>');
      for (const auto& name : step.play) std::fprintf(stderr, " %s", name.c_str());
      std::fprintf(stderr, "%s\n", step.receipt.empty() ? "" : " [stored]");
    }
    for (const auto& name : step.play)
      if (!recorded().contains(name)) __builtin_trap();
    // 1 sends (or takes a suggested value), 3 keeps an unusual value a suggestion was made for.
    if (backend.stored != stored_before && key != '1' && key != '3') __builtin_trap();
    if (backend.stored > 1) __builtin_trap();
    // A caller whose number is not trusted stores only after a try at the serial.
    if (!step.receipt.empty() && !settings.trust_caller && backend.identifications.empty())
      __builtin_trap();
    if (!step.receipt.empty()) {
      if (backend.stored != stored_before + 1 || step.receipt != backend.receipt) __builtin_trap();
      check_receipt_said_once(step);
    }
    if (over && (!step.play.empty() || !step.receipt.empty())) __builtin_trap();
    if (step.then != dialog::CallStep::Then::listen) {
      if (call.stage() != dialog::PhoneCall::Stage::done) __builtin_trap();
      over = true;
    }
  };

  after(call.start(backend), 0, 0);
  static constexpr std::string_view kKeys = "0123456789*#t";
  for (std::size_t i = 9; i < size; ++i) {
    char key = static_cast<char>(data[i]);
    if (kKeys.find(key) == std::string_view::npos) key = kKeys[data[i] % kKeys.size()];
    int before = backend.stored;
    if (key == 't') {
      auto step = call.timeout(backend);
      // A silence after the call is over only hangs up again, saying nothing.
      if (over && step.then != dialog::CallStep::Then::hang_up) __builtin_trap();
      after(step, key, before);
    } else {
      after(call.digit(key, backend), key, before);
    }
  }
  return 0;
}
