// The conversation that collects a reading (channels.md "The submission flow"), independent of any
// channel: Telegram, Viber and the phone IVR translate their wire formats into Events and render
// the Replies. The state is a small JSON document the caller keeps with the conversation, written
// in the same transaction as whatever the step did, so a restart mid-conversation loses nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dialog/backend.hpp"
#include "dialog/draft.hpp"
#include "domain/calendar.hpp"
#include "i18n/messages.hpp"

namespace md::dialog {

// A choice offered to the person. `data` comes back in Event::text when it is chosen; it carries
// the conversation's version so a press on an old message is recognised.
struct Button {
  std::string data;
  std::string label;
};

struct Reply {
  std::string text;
  std::vector<Button> buttons;
  bool ask_contact = false;   // offer "share my phone number"...
  std::string contact_label;  // ...on a button labelled so
};

struct Event {
  enum class Kind { text, command, button, contact, photo, unsupported };
  Kind kind = Kind::text;
  std::string text;  // text; command name without the slash; button data
  std::string phone;
  bool own_contact = false;  // the platform vouches the phone is the sender's own
  std::string photo;         // the platform's reference to a picture
};

struct Step {
  std::vector<Reply> replies;
  std::string toast;    // a short answer to a button press
  std::string receipt;  // set when a reading was stored...
  std::string photo;    // ...with this picture (the platform's reference), to be fetched
};

// Who the conversation is with, as the channel knows it.
struct Party {
  std::string channel;          // telegram, viber, ivr
  std::string conversation_id;  // chat id, Viber user id, SIP Call-ID
};

class Conversation {
 public:
  Conversation(Party party, std::string_view state_json, i18n::Lang lang, bool reminders);

  Step handle(const Event& e, Backend& backend);
  // The prompt of the current step again (after a restart, or for a channel that repeats).
  Step prompt(Backend& backend);
  [[nodiscard]] std::string state_json() const;

  i18n::Lang lang;
  bool reminders;
  std::string phone;  // a verified phone shared in this conversation, normalised

  enum class Stage {
    start,
    ask_account,
    ask_serial,
    pick_account,  // accounts found by phone
    idle,
    choose_account,
    choose_meter,
    zone,
    confirm_high,
    confirm_all,
    language,
    reminders,
    accounts,
  };
  [[nodiscard]] Stage stage() const { return s_.stage; }

 private:
  struct State {
    Stage stage = Stage::start;
    int version = 0;
    Draft draft;
    int tries = 0;
    std::string photo;
    std::vector<std::string> offered;
    std::int64_t seq = 0;
    std::int64_t locked_until = 0;  // unix seconds; identification refused until then
  };

  Step to(Stage stage, Backend& b, Step step = {});
  Button button(std::string_view action, std::string_view label, std::string_view arg = {}) const;
  std::string t(std::string_view key, const std::map<std::string, std::string>& p = {}) const;
  Step command(std::string_view name, Backend& b);
  Step on_text(const std::string& text, Backend& b);
  Step on_button(std::string_view action, std::string_view arg, Backend& b);
  Step identify_account(const std::string& text, Backend& b);
  Step identify_serial(const std::string& text, Backend& b);
  Step identification_failed(Backend& b, Step step, Stage again);
  Step link(std::string account, Backend& b);  // by value: it may name an offered one
  Step start_submission(Backend& b);
  Step begin_meter(const MeterInfo& m, Backend& b);
  Step reading_text(const std::string& text, Backend& b);
  Step check(Backend& b);
  Step store(Backend& b);
  Step answered(const Answer& a, Backend& b);
  Step rejected(const service::SubmitOutcome& o, Backend& b);
  Step history(Backend& b);
  Step choice(std::string_view action, std::string_view arg, Backend& b);
  Reply zone_prompt(Backend& b);
  [[nodiscard]] std::string zone_names() const;
  std::string example(Backend& b) const;
  Reply accounts_prompt(Backend& b);
  [[nodiscard]] service::SubmitRequest request() const;
  std::string values_text(const std::vector<std::string>& values, int zones) const;

  Party party_;
  State s_;
};

// The receipt JSON (rules.md §11) as a message.
std::string receipt_text(i18n::Lang lang, std::string_view receipt_json);

}  // namespace md::dialog
