#include "dialog/conversation.hpp"
#include "dialog/conversation_text.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "domain/meter.hpp"
#include "domain/reading_text.hpp"
#include "i18n/explain.hpp"
#include "service/accounts.hpp"
#include "service/receipt.hpp"

namespace md::dialog {

using i18n::label;
using i18n::message;
using i18n::parse_lang;
using i18n::window_text;
using i18n::zone_label;

namespace {

using detail::kTries;
using detail::say;
using detail::trimmed;
using json = nlohmann::json;
using Outcome = service::SubmitOutcome;

constexpr std::size_t kMaxText = 256;  // longer is not a reading, an account or a serial

std::string digits_only(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c >= '0' && c <= '9') out += c;
  return out;
}

}  // namespace

std::string Conversation::t(std::string_view key,
                            const std::map<std::string, std::string>& p) const {
  return message(lang, key, p);
}

Button Conversation::button(std::string_view action, std::string_view label,
                            std::string_view arg) const {
  std::string data = std::to_string(s_.version) + "|" + std::string(action);
  if (!arg.empty()) data += "|" + std::string(arg);
  return Button{std::move(data), std::string(label)};
}

std::string Conversation::values_text(const std::vector<std::string>& values, int zones) const {
  Draft shape;
  shape.zones = zones;
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!values[i].empty())
      out += (out.empty() ? "" : ", ") + zone_label(lang, shape.zone_name(i)) + " " + values[i];
  return out;
}

Step Conversation::prompt(Backend& b) {
  return to(s_.stage, b);
}

// Enters `stage` and appends its prompt. Every prompt gets a new version, so buttons of older
// prompts are recognised as out of date.
Step Conversation::to(Stage stage, Backend& b, Step step) {
  s_.stage = stage;
  s_.version += 1;
  Reply r;
  switch (stage) {
    case Stage::start:
    case Stage::ask_account:
      s_.stage = Stage::ask_account;
      r.text = t("bot.identify", {{"digits", std::to_string(b.account_digits())}});
      r.ask_contact = true;
      r.contact_label = t("bot.share_phone");
      break;
    case Stage::ask_serial:
      r.text = t("bot.ask_serial");
      r.buttons.push_back(button("other", t("bot.other_account")));
      break;
    case Stage::pick_account:
      r.text = t("bot.pick_account");
      for (const auto& a : s_.offered)
        r.buttons.push_back(button("pick", service::mask_account(a), a));
      r.buttons.push_back(button("other", t("bot.other_account")));
      break;
    case Stage::idle:
      if (b.linked().empty()) return to(Stage::ask_account, b, std::move(step));
      r.text = t("bot.menu");
      r.buttons = {button("submit", t("bot.submit")), button("history", t("bot.history")),
                   button("accounts", t("bot.accounts")), button("reminders", t("bot.reminders")),
                   button("language", t("bot.language"))};
      break;
    case Stage::choose_account:
      r.text = t("bot.choose_account");
      for (const auto& a : b.linked())
        r.buttons.push_back(button("acct", service::mask_account(a), a));
      break;
    case Stage::choose_meter:
      r.text = t("bot.choose_meter");
      for (const auto& m : b.meters(s_.draft.account))
        r.buttons.push_back(button("meter", m.serial, m.serial));
      break;
    case Stage::zone:
      r = zone_prompt(b);
      break;
    case Stage::confirm_high:
      r.text = t("high");
      r.buttons = {button("confirm", t("bot.confirm_high_button")),
                   button("reenter", t("bot.reenter"))};
      break;
    case Stage::confirm_all:
      r.text = t("bot.check", {{"values", values_text(s_.draft.values, s_.draft.zones)}});
      r.buttons = {button("send", t("bot.send")), button("reenter", t("bot.reenter")),
                   button("cancel", t("bot.cancel"))};
      break;
    case Stage::language:
      r.text = t("bot.choose_language");
      r.buttons = {button("lang", "Українська", "uk"), button("lang", "English", "en")};
      break;
    case Stage::reminders:
      r.text = t(reminders ? "bot.reminders_state_on" : "bot.reminders_state_off");
      r.buttons = {
          button("rem", t(reminders ? "bot.turn_off" : "bot.turn_on"), reminders ? "off" : "on"),
          button("menu", t("bot.menu"))};
      break;
    case Stage::accounts:
      r = accounts_prompt(b);
      break;
  }
  step.replies.push_back(std::move(r));
  return step;
}

// The first zone's prompt shows the meter, its last reading and the window; every zone's asks
// for its value.
Reply Conversation::zone_prompt(Backend& b) {
  const Draft& d = s_.draft;
  Reply r;
  if (d.empty()) {
    r.text =
        t("bot.meter_line", {{"serial", d.serial}, {"account", service::mask_account(d.account)}}) +
        "\n";
    auto last = b.last_reading(d.account, d.serial);
    if (last) {
      std::vector<std::string> shown;
      for (auto v : last->values) shown.push_back(std::to_string(v));
      r.text += t("bot.last", {{"date", domain::format_date_dmy(last->taken_on)},
                               {"values", values_text(shown, d.zones)}});
      if (last->replaced_on) {
        shown.clear();
        for (auto v : last->replaced_values) shown.push_back(std::to_string(v));
        r.text += " " + t("bot.replaces", {{"date", domain::format_date_dmy(*last->replaced_on)},
                                           {"values", values_text(shown, d.zones)}});
      }
    } else {
      r.text += t("bot.no_last");
    }
    r.text += "\n" + window_text(lang, domain::kyiv_date(b.now()), b.window_rules()) + "\n";
    if (last) r.buttons.push_back(button("same", t("bot.same")));
  }
  if (d.empty() && d.zones > 1)
    r.text += t("bot.ask_all", {{"zones", zone_names()}, {"example", example(b)}});
  else
    r.text += t("bot.ask_zone", {{"zone", d.zone_name()}});
  r.buttons.push_back(button("cancel", t("bot.cancel")));
  return r;
}

std::string Conversation::zone_names() const {
  std::string out;
  for (std::size_t i = 0; i < static_cast<std::size_t>(s_.draft.zones); ++i)
    out += (i ? ", " : "") + zone_label(lang, s_.draft.zone_name(i));
  return out;
}

// A reading as the person may type it: their last one, or made-up digits.
std::string Conversation::example(Backend& b) const {
  std::string out;
  if (auto last = b.last_reading(s_.draft.account, s_.draft.serial))
    for (auto v : last->values) out += (out.empty() ? "" : " ") + std::to_string(v);
  if (!out.empty()) return out;
  for (int i = 0; i < s_.draft.zones; ++i)
    out += (i ? " " : "") + std::string(i ? "6789" : "12345");
  return out;
}

// A message at the reading prompt: every zone it gives (channels.md, step 3). What cannot be a
// reading is said so, and costs no try.
Step Conversation::reading_text(const std::string& text, Backend& b) {
  auto r = domain::read_reading_text(text, s_.draft.zones, s_.draft.values);
  using E = domain::ReadingText::Error;
  if (r.error != E::none) {
    Step step;
    const std::string key = r.error == E::no_number ? "bot.reading_no_number"
                            : s_.draft.zones == 1   ? "bot.reading_one"
                                                    : "bot.reading_zones";
    step.replies.push_back(say(t(key, {{"count", std::to_string(s_.draft.zones)},
                                       {"zones", zone_names()},
                                       {"example", example(b)}})));
    return to(Stage::zone, b, std::move(step));
  }
  s_.draft.values = std::move(r.values);
  return check(b);  // a value given is judged at once, before the other zones come
}

Reply Conversation::accounts_prompt(Backend& b) {
  auto linked = b.linked();
  std::string list;
  for (const auto& a : linked) list += (list.empty() ? "" : ", ") + service::mask_account(a);
  Reply r;
  r.text = linked.empty() ? t("bot.accounts_none") : t("bot.accounts_list", {{"accounts", list}});
  r.buttons.push_back(button("add", t("bot.add_account")));
  for (const auto& a : linked)
    r.buttons.push_back(
        button("unlink", t("bot.unlink", {{"account", service::mask_account(a)}}), a));
  r.buttons.push_back(button("menu", t("bot.menu")));
  return r;
}

Step Conversation::handle(const Event& e, Backend& b) {
  switch (e.kind) {
    case Event::Kind::command:
      return command(e.text, b);
    case Event::Kind::text:
      if (e.text.size() > kMaxText) {
        Step step;
        step.replies.push_back(say(t("bot.too_long")));
        return to(s_.stage, b, std::move(step));
      }
      return on_text(trimmed(e.text), b);
    case Event::Kind::button: {
      // "version|action|argument"
      std::string_view data = e.text;
      auto bar = data.find('|');
      std::string_view version = data.substr(0, bar);
      std::string_view rest = bar == std::string_view::npos ? "" : data.substr(bar + 1);
      auto bar2 = rest.find('|');
      std::string_view action = rest.substr(0, bar2);
      std::string_view arg = bar2 == std::string_view::npos ? "" : rest.substr(bar2 + 1);
      if (version != std::to_string(s_.version)) {
        Step step;
        step.toast = t("bot.outdated");
        return to(s_.stage, b, std::move(step));
      }
      return on_button(action, arg, b);
    }
    case Event::Kind::contact: {
      Step step;
      if (!e.own_contact) {
        step.replies.push_back(say(t("bot.not_own_contact")));
        return to(Stage::ask_account, b, std::move(step));
      }
      phone = digits_only(e.phone);
      s_.offered.clear();
      for (const auto& a : b.accounts_by_phone(phone)) s_.offered.push_back(a);
      if (s_.offered.empty()) {
        step.replies.push_back(say(t("bot.phone_unknown")));
        return to(Stage::ask_account, b, std::move(step));
      }
      // One account: linked at once, and its reading asked in the same reply.
      if (s_.offered.size() == 1) return link(s_.offered.front(), b);
      return to(Stage::pick_account, b, std::move(step));
    }
    case Event::Kind::photo: {
      Step step;
      bool flagged =
          s_.stage == Stage::confirm_high || (s_.stage == Stage::confirm_all && s_.draft.confirmed);
      if (flagged) {
        s_.photo = e.photo.substr(0, 200);
        step.replies.push_back(say(t("bot.photo_attached")));
        return step;  // the buttons of the current prompt stay valid
      }
      step.replies.push_back(say(t("bot.photo_not_now")));
      return to(s_.stage, b, std::move(step));
    }
    case Event::Kind::unsupported:
      break;
  }
  Step step;
  step.replies.push_back(say(t("bot.unsupported")));
  return to(s_.stage, b, std::move(step));
}

Step Conversation::command(std::string_view name, Backend& b) {
  Step step;
  if (name == "start") {
    step.replies.push_back(say(t("bot.welcome")));
    return to(Stage::idle, b, std::move(step));
  }
  if (name == "submit") return start_submission(b);
  if (name == "history") return on_button("history", "", b);
  if (name == "accounts") return to(Stage::accounts, b);
  if (name == "language") return to(Stage::language, b);
  if (name == "reminders") return to(Stage::reminders, b);
  step.replies.push_back(say(t("bot.help")));
  return to(s_.stage == Stage::start ? Stage::idle : s_.stage, b, std::move(step));
}

Step Conversation::on_text(const std::string& text, Backend& b) {
  switch (s_.stage) {
    case Stage::start:
    case Stage::ask_account:
      return identify_account(text, b);
    case Stage::ask_serial:
      return identify_serial(text, b);
    case Stage::zone:
      return reading_text(text, b);
    case Stage::idle:
      // From a linked chat a bare reading is a submission: no menu step first.
      if (domain::has_number(text) && !b.linked().empty()) {
        Step next = start_submission(b);
        return s_.stage == Stage::zone ? reading_text(text, b) : next;
      }
      return to(Stage::idle, b);
    default: {
      Step step;
      step.replies.push_back(say(t("bot.use_buttons")));
      return to(s_.stage, b, std::move(step));
    }
  }
}

Step Conversation::on_button(std::string_view action, std::string_view arg, Backend& b) {
  Step step;
  auto stage_is = [&](std::initializer_list<Stage> ok) {
    return std::find(ok.begin(), ok.end(), s_.stage) != ok.end();
  };
  if (action == "menu") return to(Stage::idle, b);
  if (action == "submit") return start_submission(b);
  if (action == "history") return history(b);
  if (action == "accounts") return to(Stage::accounts, b);
  if (action == "language") return to(Stage::language, b);
  if (action == "reminders") return to(Stage::reminders, b);
  if (action == "cancel") {
    s_.draft.restart();
    step.replies.push_back(say(t("bot.cancelled")));
    return to(Stage::idle, b, std::move(step));
  }
  if (action == "other" || action == "add") return to(Stage::ask_account, b);
  if ((action == "pick" && stage_is({Stage::pick_account})) ||
      (action == "acct" && stage_is({Stage::choose_account})) ||
      (action == "meter" && stage_is({Stage::choose_meter})))
    return choice(action, arg, b);
  if (action == "same" && stage_is({Stage::zone})) {
    auto last = b.last_reading(s_.draft.account, s_.draft.serial);
    if (!last) return to(Stage::zone, b);
    s_.draft.restart();
    for (auto v : last->values) s_.draft.enter(std::to_string(v));
    return check(b);
  }
  if (action == "confirm" && stage_is({Stage::confirm_high})) {
    s_.draft.confirmed = true;
    return to(Stage::confirm_all, b);
  }
  if (action == "reenter" && stage_is({Stage::confirm_high, Stage::confirm_all})) {
    s_.draft.restart();
    s_.photo.clear();
    return to(Stage::zone, b);
  }
  if (action == "send" && stage_is({Stage::confirm_all})) return store(b);
  if (action == "lang" && (arg == "uk" || arg == "en")) {
    lang = parse_lang(arg);
    step.replies.push_back(say(t("bot.language_set")));
    return to(Stage::idle, b, std::move(step));
  }
  if (action == "rem" && (arg == "on" || arg == "off")) {
    reminders = arg == "on";
    return to(Stage::reminders, b);
  }
  if (action == "unlink") {
    auto linked = b.linked();
    if (std::find(linked.begin(), linked.end(), arg) != linked.end()) {
      b.unlink(arg);
      step.replies.push_back(say(t("bot.unlinked", {{"account", service::mask_account(arg)}})));
    }
    return to(Stage::accounts, b, std::move(step));
  }
  step.toast = t("bot.outdated");
  return to(s_.stage, b, std::move(step));
}

Step Conversation::history(Backend& b) {
  Step step;
  auto linked = b.linked();
  if (linked.empty()) {
    step.replies.push_back(say(t("bot.need_account")));
    return to(Stage::ask_account, b, std::move(step));
  }
  std::string text;
  for (const auto& a : linked)
    for (const auto& h : b.history(a, 5)) {
      std::vector<std::string> shown;
      for (auto v : h.values) shown.push_back(std::to_string(v));
      text += "\n" + domain::format_date_dmy(h.taken_on) + " · " + service::mask_account(a) +
              " · " + values_text(shown, h.zones) + " · " + label(lang, "channel", h.channel) +
              " · " + label(lang, "status", h.status);
    }
  step.replies.push_back(
      say(text.empty() ? t("bot.history_empty") : t("bot.history_title") + text));
  return to(Stage::idle, b, std::move(step));
}

// A pick among what was offered: an account found by phone (which links it), a linked account,
// one of its meters. Anything not offered shows the choice again.
Step Conversation::choice(std::string_view action, std::string_view arg, Backend& b) {
  Step step;
  if (action == "pick") {
    if (std::find(s_.offered.begin(), s_.offered.end(), arg) == s_.offered.end()) {
      step.toast = t("bot.outdated");
      return to(s_.stage, b, std::move(step));
    }
    return link(std::string(arg), b);
  }
  if (action == "acct") {
    auto linked = b.linked();
    if (std::find(linked.begin(), linked.end(), arg) == linked.end()) return to(s_.stage, b);
    s_.draft.account = std::string(arg);
    auto meters = b.meters(s_.draft.account);
    if (meters.empty()) {
      step.replies.push_back(say(t("bot.no_meter")));
      return to(Stage::idle, b, std::move(step));
    }
    if (meters.size() == 1) return begin_meter(meters.front(), b);
    return to(Stage::choose_meter, b);
  }
  for (const auto& m : b.meters(s_.draft.account))
    if (m.serial == arg) return begin_meter(m, b);
  return to(Stage::choose_meter, b);
}

Step Conversation::start_submission(Backend& b) {
  auto linked = b.linked();
  if (linked.empty()) {
    Step step;
    step.replies.push_back(say(t("bot.need_account")));
    return to(Stage::ask_account, b, std::move(step));
  }
  if (linked.size() > 1) return to(Stage::choose_account, b);
  s_.draft.account = linked.front();
  auto meters = b.meters(s_.draft.account);
  if (meters.empty()) {
    Step step;
    step.replies.push_back(say(t("bot.no_meter")));
    return to(Stage::idle, b, std::move(step));
  }
  if (meters.size() > 1) return to(Stage::choose_meter, b);
  return begin_meter(meters.front(), b);
}

Step Conversation::begin_meter(const MeterInfo& m, Backend& b) {
  s_.draft.begin(m);
  s_.tries = 0;
  s_.photo.clear();
  return to(Stage::zone, b);
}

service::SubmitRequest Conversation::request() const {
  json raw{{"conversation", party_.conversation_id}};
  if (!s_.photo.empty()) raw["photo"] = s_.photo;
  return s_.draft.request(party_.channel, lang, std::move(raw));
}

Step Conversation::check(Backend& b) {
  return answered(dialog::check(s_.draft, request(), b), b);
}

Step Conversation::store(Backend& b) {
  service::SubmitRequest req = request();
  req.idempotency_key = party_.conversation_id + ":" + std::to_string(s_.seq);
  return answered(dialog::store(s_.draft, req, b), b);
}

// The service's answer, in words, and the stage it leads to.
Step Conversation::answered(const Answer& a, Backend& b) {
  Step step;
  switch (a.kind) {
    case Answer::Kind::ready:
      return to(Stage::confirm_all, b);
    case Answer::Kind::incomplete:
      return to(Stage::zone, b);
    case Answer::Kind::unusual: {
      std::string lines;
      for (const auto& reg : a.outcome.validation.registers) {
        std::string zone(domain::zone_name(reg.zone));
        lines +=
            "\n" + t("bot.consumption",
                     {{"zone", zone}, {"kwh", reg.advance ? std::to_string(*reg.advance) : "—"}});
        if (reg.expected)
          lines += " " + t("bot.expected",
                           {{"kwh", std::to_string(static_cast<std::int64_t>(*reg.expected))}});
        if (reg.suggestion)
          lines += ". " + t("suggestion", {{"value", std::to_string(*reg.suggestion)}});
      }
      step.replies.push_back(say(values_text(s_.draft.values, s_.draft.zones) + lines));
      return to(Stage::confirm_high, b, std::move(step));
    }
    case Answer::Kind::stored:
      s_.seq += 1;
      s_.tries = 0;
      step.photo = std::move(s_.photo);
      s_.photo.clear();
      step.receipt = a.receipt;
      step.replies.push_back(say(receipt_text(lang, a.outcome.receipt_json)));
      return to(Stage::idle, b, std::move(step));
    case Answer::Kind::rejected:
      return rejected(a.outcome, b);
    case Answer::Kind::not_found:
      step.replies.push_back(say(t("not_found")));
      return to(Stage::idle, b, std::move(step));
    case Answer::Kind::unavailable:
      break;
  }
  step.replies.push_back(say(t("unavailable")));
  return to(Stage::confirm_all, b, std::move(step));
}

// Says why; after three rejected tries the other channels are offered instead.
Step Conversation::rejected(const Outcome& o, Backend& b) {
  Step step;
  const auto& rej = *o.rejection;
  auto params = rej.params;
  if (rej.zone) params["zone"] = std::string(domain::zone_name(*rej.zone));
  std::string msg = t(rej.code, params);
  if (rej.suggestion) msg += " " + t("suggestion", {{"value", std::to_string(*rej.suggestion)}});
  step.replies.push_back(say(msg));
  if (++s_.tries < kTries) return to(Stage::zone, b, std::move(step));
  s_.tries = 0;
  s_.draft.restart();
  step.replies.push_back(say(t("bot.other_channels")));
  return to(Stage::idle, b, std::move(step));
}

}  // namespace md::dialog
