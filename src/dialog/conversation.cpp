#include "dialog/conversation.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "domain/meter.hpp"
#include "domain/whole_number.hpp"
#include "i18n/explain.hpp"
#include "service/accounts.hpp"
#include "service/receipt.hpp"

namespace md::dialog {

using domain::whole_number;
using i18n::label;
using i18n::Lang;
using i18n::message;
using i18n::month_name;
using i18n::parse_lang;
using i18n::window_text;
using i18n::zone_label;

namespace {

using json = nlohmann::json;
using Outcome = service::SubmitOutcome;

constexpr std::size_t kMaxText = 256;       // longer is not a reading, an account or a serial
constexpr int kTries = 3;                   // channels.md: three tries, then the other channels
constexpr std::int64_t kLockSeconds = 900;  // after three failed identifications

std::string trimmed(std::string_view s) {
  const char* ws = " \t\r\n";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

std::string digits_only(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c >= '0' && c <= '9') out += c;
  return out;
}

std::string_view stage_name(Conversation::Stage s) {
  using S = Conversation::Stage;
  switch (s) {
    case S::start:
      return "start";
    case S::ask_account:
      return "ask_account";
    case S::ask_serial:
      return "ask_serial";
    case S::pick_account:
      return "pick_account";
    case S::idle:
      return "idle";
    case S::choose_account:
      return "choose_account";
    case S::choose_meter:
      return "choose_meter";
    case S::zone:
      return "zone";
    case S::confirm_high:
      return "confirm_high";
    case S::confirm_all:
      return "confirm_all";
    case S::language:
      return "language";
    case S::reminders:
      return "reminders";
    case S::accounts:
      return "accounts";
  }
  return "start";
}

Reply say(std::string text) {
  Reply r;
  r.text = std::move(text);
  return r;
}

Conversation::Stage stage_of(std::string_view name) {
  using S = Conversation::Stage;
  for (S s : {S::start, S::ask_account, S::ask_serial, S::pick_account, S::idle, S::choose_account,
              S::choose_meter, S::zone, S::confirm_high, S::confirm_all, S::language, S::reminders,
              S::accounts})
    if (stage_name(s) == name) return s;
  return S::start;
}

// A stored state that cannot be read back: the conversation starts over.
struct UnreadableState {};

// A whole number of a stored state, or `fallback` when it is absent; anything else makes the
// state unreadable.
template <typename T>
T whole(const json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (auto v = whole_number<T>(*it)) return *v;
  throw UnreadableState{};
}

std::string zone_of(int zones, std::size_t index) {
  auto names = domain::zones_of(zones);
  return index < names.size() ? std::string(domain::zone_name(names[index])) : "total";
}

}  // namespace

Conversation::Conversation(Party party, std::string_view state_json, Lang lang_, bool reminders_)
    : lang(lang_), reminders(reminders_), party_(std::move(party)) {
  json j = json::parse(state_json, nullptr, false);
  if (!j.is_object()) return;  // a fresh conversation
  try {
    s_.stage = stage_of(j.value("stage", "start"));
    s_.version = whole(j, "version", 0);
    s_.account = j.value("account", "");
    s_.serial = j.value("serial", "");
    s_.zones = std::clamp(whole(j, "zones", 1), 1, 3);
    s_.zone_index = whole(j, "zone_index", std::size_t{0});
    s_.values = j.value("values", std::vector<std::string>{});
    s_.tries = whole(j, "tries", 0);
    s_.high_confirmed = j.value("high_confirmed", false);
    s_.photo = j.value("photo", "");
    s_.offered = j.value("offered", std::vector<std::string>{});
    s_.seq = whole(j, "seq", std::int64_t{0});
    s_.locked_until = whole(j, "locked_until", std::int64_t{0});
    phone = j.value("phone", "");
  } catch (const json::exception&) {
    s_ = State{};  // a state written by another version: start over rather than fail
  } catch (const UnreadableState&) {
    s_ = State{};
  }
  if (s_.zone_index > static_cast<std::size_t>(s_.zones)) s_.zone_index = 0;
  if (s_.values.size() > static_cast<std::size_t>(s_.zones)) s_.values.clear();
}

std::string Conversation::state_json() const {
  json j{{"stage", stage_name(s_.stage)}, {"version", s_.version}, {"seq", s_.seq}};
  if (!s_.account.empty()) j["account"] = s_.account;
  if (!s_.serial.empty()) j["serial"] = s_.serial;
  if (s_.zones != 1) j["zones"] = s_.zones;
  if (s_.zone_index) j["zone_index"] = s_.zone_index;
  if (!s_.values.empty()) j["values"] = s_.values;
  if (s_.tries) j["tries"] = s_.tries;
  if (s_.high_confirmed) j["high_confirmed"] = true;
  if (!s_.photo.empty()) j["photo"] = s_.photo;
  if (!s_.offered.empty()) j["offered"] = s_.offered;
  if (s_.locked_until) j["locked_until"] = s_.locked_until;
  if (!phone.empty()) j["phone"] = phone;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

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

std::string Conversation::values_text(const std::vector<std::string>& values) const {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i)
    out += (i ? ", " : "") + zone_label(lang, zone_of(s_.zones, i)) + " " + values[i];
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
      r.buttons.push_back(button("cancel", t("bot.cancel")));
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
      for (const auto& m : b.meters(s_.account))
        r.buttons.push_back(button("meter", m.serial, m.serial));
      break;
    case Stage::zone: {
      if (s_.zone_index == 0 && s_.values.empty()) {
        r.text = t("bot.meter_line",
                   {{"serial", s_.serial}, {"account", service::mask_account(s_.account)}}) +
                 "\n";
        auto last = b.last_reading(s_.account, s_.serial);
        if (last) {
          std::vector<std::string> shown;
          for (auto v : last->values) shown.push_back(std::to_string(v));
          r.text += t("bot.last", {{"date", domain::format_date_dmy(last->taken_on)},
                                   {"values", values_text(shown)}});
        } else {
          r.text += t("bot.no_last");
        }
        r.text += "\n" + window_text(lang, domain::kyiv_date(b.now()), b.window_rules()) + "\n";
        if (last) r.buttons.push_back(button("same", t("bot.same")));
      }
      r.text += t("bot.ask_zone", {{"zone", zone_of(s_.zones, s_.zone_index)}});
      r.buttons.push_back(button("cancel", t("bot.cancel")));
      break;
    }
    case Stage::confirm_high:
      r.text = t("high");
      r.buttons = {button("confirm", t("bot.confirm_high_button")),
                   button("reenter", t("bot.reenter"))};
      break;
    case Stage::confirm_all:
      r.text = t("bot.check", {{"values", values_text(s_.values)}});
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
    case Stage::accounts: {
      auto linked = b.linked();
      std::string list;
      for (const auto& a : linked) list += (list.empty() ? "" : ", ") + service::mask_account(a);
      r.text =
          linked.empty() ? t("bot.accounts_none") : t("bot.accounts_list", {{"accounts", list}});
      r.buttons.push_back(button("add", t("bot.add_account")));
      for (const auto& a : linked)
        r.buttons.push_back(
            button("unlink", t("bot.unlink", {{"account", service::mask_account(a)}}), a));
      r.buttons.push_back(button("menu", t("bot.menu")));
      break;
    }
  }
  step.replies.push_back(std::move(r));
  return step;
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
      return to(Stage::pick_account, b, std::move(step));
    }
    case Event::Kind::photo: {
      Step step;
      bool flagged =
          s_.stage == Stage::confirm_high || (s_.stage == Stage::confirm_all && s_.high_confirmed);
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
      if (text.empty()) return to(Stage::zone, b);
      s_.values.resize(s_.zone_index);
      s_.values.push_back(text);
      s_.zone_index += 1;
      if (s_.zone_index < static_cast<std::size_t>(s_.zones)) return to(Stage::zone, b);
      return check(b);
    case Stage::idle:
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
  if (action == "history") {
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
        int saved = s_.zones;
        s_.zones = h.zones;
        text += "\n" + domain::format_date_dmy(h.taken_on) + " · " + service::mask_account(a) +
                " · " + values_text(shown) + " · " + label(lang, "channel", h.channel) + " · " +
                label(lang, "status", h.status);
        s_.zones = saved;
      }
    step.replies.push_back(
        say(text.empty() ? t("bot.history_empty") : t("bot.history_title") + text));
    return to(Stage::idle, b, std::move(step));
  }
  if (action == "accounts") return to(Stage::accounts, b);
  if (action == "language") return to(Stage::language, b);
  if (action == "reminders") return to(Stage::reminders, b);
  if (action == "cancel") {
    s_.values.clear();
    s_.zone_index = 0;
    step.replies.push_back(say(t("bot.cancelled")));
    return to(Stage::idle, b, std::move(step));
  }
  if (action == "other" || action == "add") return to(Stage::ask_account, b);
  if (action == "pick" && stage_is({Stage::pick_account}) &&
      std::find(s_.offered.begin(), s_.offered.end(), arg) != s_.offered.end()) {
    std::string account(arg);
    b.link(account);
    s_.offered.clear();
    step.replies.push_back(say(t("bot.linked", {{"account", service::mask_account(account)}})));
    s_.account = account;
    auto meters = b.meters(account);
    if (meters.size() == 1) {
      auto next = begin_meter(meters.front(), b);
      for (auto& r : next.replies) step.replies.push_back(std::move(r));
      return step;
    }
    return to(Stage::idle, b, std::move(step));
  }
  if (action == "acct" && stage_is({Stage::choose_account})) {
    auto linked = b.linked();
    if (std::find(linked.begin(), linked.end(), arg) == linked.end()) return to(s_.stage, b);
    s_.account = std::string(arg);
    auto meters = b.meters(s_.account);
    if (meters.empty()) {
      step.replies.push_back(say(t("bot.no_meter")));
      return to(Stage::idle, b, std::move(step));
    }
    if (meters.size() == 1) return begin_meter(meters.front(), b);
    return to(Stage::choose_meter, b);
  }
  if (action == "meter" && stage_is({Stage::choose_meter})) {
    if (auto m = b.meter(s_.account, arg)) return begin_meter(*m, b);
    return to(Stage::choose_meter, b);
  }
  if (action == "same" && stage_is({Stage::zone})) {
    auto last = b.last_reading(s_.account, s_.serial);
    if (!last) return to(Stage::zone, b);
    s_.values.clear();
    for (auto v : last->values) s_.values.push_back(std::to_string(v));
    s_.zone_index = s_.values.size();
    return check(b);
  }
  if (action == "confirm" && stage_is({Stage::confirm_high})) {
    s_.high_confirmed = true;
    return to(Stage::confirm_all, b);
  }
  if (action == "reenter" && stage_is({Stage::confirm_high, Stage::confirm_all})) {
    s_.values.clear();
    s_.zone_index = 0;
    s_.high_confirmed = false;
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

Step Conversation::identify_account(const std::string& text, Backend& b) {
  Step step;
  auto now = b.now().time_since_epoch().count();
  if (s_.locked_until > now) {
    auto until = domain::Instant{std::chrono::seconds{s_.locked_until}};
    step.replies.push_back(
        say(t("bot.locked", {{"time", domain::format_kyiv(until).substr(11, 5)}})));
    return to(Stage::ask_account, b, std::move(step));
  }
  std::string account = text;
  std::erase(account, ' ');
  if (!service::valid_account_number(account, b.account_digits())) {
    step.replies.push_back(
        say(t("account_format", {{"digits", std::to_string(b.account_digits())}})));
    return identification_failed(b, std::move(step));
  }
  // The serial is asked whether or not the account exists: the bot must not confirm accounts.
  s_.account = account;
  return to(Stage::ask_serial, b, std::move(step));
}

Step Conversation::identify_serial(const std::string& text, Backend& b) {
  Step step;
  // Before the serial is looked at: a refused try must not tell whether it was right.
  if (auto until = b.identification_refused(s_.account)) {
    step.replies.push_back(
        say(t("bot.account_attempts", {{"time", domain::format_kyiv(*until).substr(11, 5)}})));
    return to(Stage::ask_account, b, std::move(step));
  }
  auto m = b.meter(s_.account, text);
  if (!m) {
    step.replies.push_back(say(t("not_found")));
    return identification_failed(b, std::move(step));
  }
  b.link(m->account);
  s_.tries = 0;
  step.replies.push_back(say(t("bot.linked", {{"account", service::mask_account(m->account)}})));
  auto next = begin_meter(*m, b);
  for (auto& r : next.replies) step.replies.push_back(std::move(r));
  return step;
}

Step Conversation::identification_failed(Backend& b, Step step) {
  s_.tries += 1;
  if (s_.tries >= kTries) {
    s_.tries = 0;
    s_.locked_until = b.now().time_since_epoch().count() + kLockSeconds;
    step.replies.push_back(say(t("bot.other_channels")));
  }
  return to(Stage::ask_account, b, std::move(step));
}

Step Conversation::start_submission(Backend& b) {
  auto linked = b.linked();
  if (linked.empty()) {
    Step step;
    step.replies.push_back(say(t("bot.need_account")));
    return to(Stage::ask_account, b, std::move(step));
  }
  if (linked.size() > 1) return to(Stage::choose_account, b);
  s_.account = linked.front();
  auto meters = b.meters(s_.account);
  if (meters.empty()) {
    Step step;
    step.replies.push_back(say(t("bot.no_meter")));
    return to(Stage::idle, b, std::move(step));
  }
  if (meters.size() > 1) return to(Stage::choose_meter, b);
  return begin_meter(meters.front(), b);
}

Step Conversation::begin_meter(const MeterInfo& m, Backend& b) {
  s_.account = m.account;
  s_.serial = m.serial;
  s_.zones = std::clamp(m.zones, 1, 3);
  s_.zone_index = 0;
  s_.values.clear();
  s_.tries = 0;
  s_.high_confirmed = false;
  s_.photo.clear();
  return to(Stage::zone, b);
}

service::SubmitRequest Conversation::request(Backend& b) const {
  (void)b;
  service::SubmitRequest req;
  req.channel = party_.channel;
  req.account = s_.account;
  req.meter_serial = s_.serial;
  req.lang = lang;
  req.confirmed = s_.high_confirmed;
  json raw{{"conversation", party_.conversation_id}, {"values", s_.values}};
  for (std::size_t i = 0; i < s_.values.size(); ++i)
    req.values.emplace_back(zone_of(s_.zones, i), s_.values[i]);
  if (!s_.photo.empty()) raw["photo"] = s_.photo;
  req.raw_input = raw.dump(-1, ' ', false, json::error_handler_t::replace);
  return req;
}

Step Conversation::check(Backend& b) {
  Outcome o = b.submit(request(b), true);
  Step step;
  switch (o.status) {
    case Outcome::Status::accepted:
    case Outcome::Status::replayed:
      return to(Stage::confirm_all, b);
    case Outcome::Status::needs_confirmation: {
      s_.high_confirmed = false;
      std::string lines;
      for (const auto& reg : o.validation.registers) {
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
      step.replies.push_back(say(values_text(s_.values) + lines));
      return to(Stage::confirm_high, b, std::move(step));
    }
    default:
      break;
  }
  return not_taken(o, b);
}

Step Conversation::store(Backend& b) {
  service::SubmitRequest req = request(b);
  req.idempotency_key = party_.conversation_id + ":" + std::to_string(s_.seq);
  Outcome o = b.submit(req, false);
  Step step;
  switch (o.status) {
    case Outcome::Status::accepted:
    case Outcome::Status::replayed: {
      s_.seq += 1;
      s_.values.clear();
      s_.zone_index = 0;
      s_.high_confirmed = false;
      step.photo = std::move(s_.photo);
      s_.photo.clear();
      s_.tries = 0;
      step.receipt = o.receipt_id;
      if (step.receipt.empty())
        step.receipt = json::parse(o.receipt_json, nullptr, false).value("receipt", "");
      step.replies.push_back(say(receipt_text(lang, o.receipt_json)));
      return to(Stage::idle, b, std::move(step));
    }
    case Outcome::Status::needs_confirmation:
      return check(b);
    default:
      break;
  }
  return not_taken(o, b);
}

// A reading that was not taken: rejected (say why), gone (the meter), or the service busy.
Step Conversation::not_taken(const Outcome& o, Backend& b) {
  if (o.status == Outcome::Status::rejected) return rejected(o, b);
  Step step;
  if (o.status == Outcome::Status::not_found) {
    step.replies.push_back(say(t("not_found")));
    return to(Stage::idle, b, std::move(step));
  }
  step.replies.push_back(say(t("unavailable")));
  return to(Stage::confirm_all, b, std::move(step));
}

Step Conversation::rejected(const Outcome& o, Backend& b) {
  Step step;
  const auto& rej = *o.rejection;
  auto params = rej.params;
  if (rej.zone) params["zone"] = std::string(domain::zone_name(*rej.zone));
  std::string msg = t(rej.code, params);
  if (rej.suggestion) msg += " " + t("suggestion", {{"value", std::to_string(*rej.suggestion)}});
  step.replies.push_back(say(msg));
  s_.tries += 1;
  s_.high_confirmed = false;
  if (s_.tries >= kTries) {
    s_.tries = 0;
    s_.values.clear();
    s_.zone_index = 0;
    step.replies.push_back(say(t("bot.other_channels")));
    return to(Stage::idle, b, std::move(step));
  }
  std::size_t index = 0;
  if (rej.zone) {
    auto names = domain::zones_of(s_.zones);
    auto it = std::find(names.begin(), names.end(), *rej.zone);
    if (it != names.end()) index = static_cast<std::size_t>(it - names.begin());
  }
  s_.zone_index = index;
  s_.values.resize(index);
  return to(Stage::zone, b, std::move(step));
}

std::string receipt_text(Lang lang, std::string_view receipt_json) {
  json r = json::parse(receipt_json, nullptr, false);
  if (!r.is_object()) return message(lang, "accepted", {{"receipt", "?"}});
  auto zone_list = [&](const char* key) {
    std::string out;
    if (r.contains(key) && r[key].is_object())
      for (const auto& [zone, v] : r[key].items())
        if (v.is_number_integer())
          out += (out.empty() ? "" : ", ") + zone_label(lang, zone) + " " +
                 std::to_string(v.get<std::int64_t>());
    return out;
  };
  std::string text = message(lang, "accepted", {{"receipt", r.value("receipt", "")}});
  std::string received = r.value("received_at", "");
  if (auto at = domain::parse_instant(received)) {
    auto kyiv = domain::format_kyiv(*at);  // 2026-11-30T10:00:00+02:00
    auto day = domain::kyiv_date(*at);
    received = domain::format_date_dmy(day) + " " + kyiv.substr(11, 5);
  }
  text += "\n" + message(lang, "bot.receipt_meta",
                         {{"time", received},
                          {"account", r.value("account", "")},
                          {"serial", r.value("meter_serial", "")}});
  text += "\n" + message(lang, "bot.receipt_values", {{"values", zone_list("readings")}});
  if (auto c = zone_list("consumption"); !c.empty())
    text += "\n" + message(lang, "bot.receipt_consumption",
                           {{"values", c + (lang == Lang::en ? " kWh" : " кВт·год")}});
  if (r.contains("counts_as") && r["counts_as"].is_object()) {
    const auto& counts = r["counts_as"];
    if (counts.contains("period") && counts["period"].is_string()) {
      if (auto m = domain::YearMonth::parse(counts["period"].get<std::string>()))
        text += "\n" + message(lang, "bot.receipt_period", {{"month", month_name(lang, *m)}});
    } else if (auto d = domain::parse_date(counts.value("date", ""))) {
      text +=
          "\n" + message(lang, "bot.receipt_off_cycle", {{"date", domain::format_date_dmy(*d)}});
    }
  }
  if (auto d = domain::parse_date(r.value("correction_deadline", "")))
    text += "\n" + message(lang, "bot.receipt_deadline", {{"date", domain::format_date_dmy(*d)}});
  return text;
}

}  // namespace md::dialog
