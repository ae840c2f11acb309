// How a conversation finds out whose meter it is (channels.md, step 1): the account and its
// meter's serial (in one message or two; a wrong serial asks for the serial only), or a shared
// phone that names one account; three failed tries lock the chat for a while.
#include <algorithm>

#include "dialog/conversation.hpp"
#include "dialog/conversation_text.hpp"
#include "domain/reading_text.hpp"
#include "service/accounts.hpp"

namespace md::dialog {

namespace {

using detail::kTries;
using detail::say;
using detail::trimmed;

constexpr std::int64_t kLockSeconds = 900;  // after three failed identifications

// "0123456789 A1234567": an account of `digits` digits, then a word (its meter's serial). Anything
// else is an account alone, typed with or without blanks.
std::pair<std::string, std::string> account_and_serial(const std::string& text, int digits) {
  const auto blank = text.find_first_of(" \t\n,;");
  if (blank != std::string::npos && static_cast<int>(blank) == digits &&
      text.find_first_not_of("0123456789") == blank) {
    std::string serial = trimmed(std::string_view(text).substr(blank + 1));
    if (!serial.empty() && serial.find_first_of(" \t\n,;") == std::string::npos)
      return {text.substr(0, blank), serial};
  }
  std::string account = text;
  std::erase(account, ' ');
  return {account, ""};
}

}  // namespace

Step Conversation::identify_account(const std::string& text, Backend& b) {
  Step step;
  auto now = b.now().time_since_epoch().count();
  if (s_.locked_until > now) {
    auto until = domain::Instant{std::chrono::seconds{s_.locked_until}};
    step.replies.push_back(
        say(t("bot.locked", {{"time", domain::format_kyiv(until).substr(11, 5)}})));
    return step;  // no prompt for an account it would not take
  }
  // A greeting is not a try at an account.
  if (!domain::has_number(text)) {
    step.replies.push_back(say(t("bot.welcome")));
    return to(Stage::ask_account, b, std::move(step));
  }
  // "0123456789 A1234567": the account and its meter's serial in one message.
  auto [account, serial] = account_and_serial(text, b.account_digits());
  if (!service::valid_account_number(account, b.account_digits())) {
    step.replies.push_back(
        say(t("account_format", {{"digits", std::to_string(b.account_digits())}})));
    return identification_failed(b, std::move(step), Stage::ask_account);
  }
  // The serial is asked whether or not the account exists: the bot must not confirm accounts.
  s_.draft.account = account;
  if (!serial.empty()) return identify_serial(serial, b);
  return to(Stage::ask_serial, b, std::move(step));
}

Step Conversation::identify_serial(const std::string& text, Backend& b) {
  Step step;
  auto id =
      b.identify(s_.draft.account, domain::latin_lookalikes(text), service::SerialForm::whole);
  if (id.status == Identified::Status::refused) {
    step.replies.push_back(
        say(t("bot.account_attempts", {{"time", domain::format_kyiv(id.retry_at).substr(11, 5)}})));
    return to(Stage::ask_account, b, std::move(step));
  }
  if (id.status == Identified::Status::not_found) {
    // Only the serial is asked again; the account may be changed with the button.
    step.replies.push_back(say(t("bot.serial_not_found")));
    return identification_failed(b, std::move(step), Stage::ask_serial);
  }
  return link(id.meter.account, b);
}

// Links `account` to this chat and asks for its reading at once when it has one meter.
Step Conversation::link(std::string account, Backend& b) {
  Step step;
  s_.offered.clear();
  s_.tries = 0;
  s_.draft.account = std::move(account);
  const std::string& linked = s_.draft.account;
  b.link(linked);
  step.replies.push_back(say(t("bot.linked", {{"account", service::mask_account(linked)}})));
  auto meters = b.meters(linked);
  if (meters.size() != 1) return to(Stage::idle, b, std::move(step));
  auto next = begin_meter(meters.front(), b);
  for (auto& r : next.replies) step.replies.push_back(std::move(r));
  return step;
}

// After three failed tries the chat is locked for a while: it is told when, and which other
// channels it may use meanwhile, and asked for nothing it would not take.
Step Conversation::identification_failed(Backend& b, Step step, Stage again) {
  s_.tries += 1;
  if (s_.tries < kTries) return to(again, b, std::move(step));
  s_.tries = 0;
  s_.locked_until = b.now().time_since_epoch().count() + kLockSeconds;
  auto until = domain::Instant{std::chrono::seconds{s_.locked_until}};
  step.replies.push_back(
      say(t("bot.locked", {{"time", domain::format_kyiv(until).substr(11, 5)}})));
  step.replies.push_back(say(t("bot.other_channels")));
  s_.stage = Stage::ask_account;
  return step;
}

}  // namespace md::dialog
