// The conversation's stored state: a small JSON document kept with the chat and written in the
// step's transaction. Read leniently: a state another version wrote, or one that cannot be read,
// starts the conversation over rather than failing the chat.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "dialog/conversation.hpp"
#include "domain/whole_number.hpp"

namespace md::dialog {

using domain::whole_number;
using i18n::Lang;

namespace {

using json = nlohmann::json;

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

}  // namespace

Conversation::Conversation(Party party, std::string_view state_json, Lang lang_, bool reminders_)
    : lang(lang_), reminders(reminders_), party_(std::move(party)) {
  json j = json::parse(state_json, nullptr, false);
  if (!j.is_object()) return;  // a fresh conversation
  try {
    s_.stage = stage_of(j.value("stage", "start"));
    s_.version = whole(j, "version", 0);
    s_.draft.account = j.value("account", "");
    s_.draft.serial = j.value("serial", "");
    s_.draft.zones = std::clamp(whole(j, "zones", 1), 1, 3);
    s_.draft.values = j.value("values", std::vector<std::string>{});
    // States written before the draft kept the zone asked apart from the values typed.
    s_.draft.values.resize(
        std::min(s_.draft.values.size(), whole(j, "zone_index", s_.draft.values.size())));
    s_.tries = whole(j, "tries", 0);
    s_.draft.confirmed = j.value("high_confirmed", false);
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
  if (s_.draft.values.size() > static_cast<std::size_t>(s_.draft.zones)) s_.draft.values.clear();
  s_.draft.values.resize(static_cast<std::size_t>(s_.draft.zones));
}

std::string Conversation::state_json() const {
  json j{{"stage", stage_name(s_.stage)}, {"version", s_.version}, {"seq", s_.seq}};
  const Draft& d = s_.draft;
  if (!d.account.empty()) j["account"] = d.account;
  if (!d.serial.empty()) j["serial"] = d.serial;
  if (d.zones != 1) j["zones"] = d.zones;
  if (!d.empty()) j["values"] = d.values;
  if (s_.tries) j["tries"] = s_.tries;
  if (d.confirmed) j["high_confirmed"] = true;
  if (!s_.photo.empty()) j["photo"] = s_.photo;
  if (!s_.offered.empty()) j["offered"] = s_.offered;
  if (s_.locked_until) j["locked_until"] = s_.locked_until;
  if (!phone.empty()) j["phone"] = phone;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace md::dialog
