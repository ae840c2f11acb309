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

#include "domain/calendar.hpp"
#include "i18n/messages.hpp"
#include "service/submission.hpp"

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

struct MeterInfo {
  std::string account, serial;
  int zones = 1;
};

struct LastReading {
  domain::Day taken_on{};
  std::vector<std::int64_t> values;  // zone order
};

struct HistoryLine {
  std::string receipt, serial, channel, status;
  domain::Day taken_on{};
  int zones = 1;
  std::vector<std::int64_t> values;
};

// What the conversation needs of the rest of the system: lookups and the one submission path.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::vector<std::string> linked() = 0;  // accounts linked to this conversation
  virtual void link(std::string_view account) = 0;
  virtual void unlink(std::string_view account) = 0;
  virtual std::vector<std::string> accounts_by_phone(std::string_view phone) = 0;
  virtual std::optional<MeterInfo> meter(std::string_view account, std::string_view serial) = 0;
  virtual std::vector<MeterInfo> meters(std::string_view account) = 0;  // installed now
  virtual std::optional<LastReading> last_reading(std::string_view account,
                                                  std::string_view serial) = 0;
  virtual std::vector<HistoryLine> history(std::string_view account, int limit) = 0;
  // dry_run: validate only; nothing is stored.
  virtual service::SubmitOutcome submit(const service::SubmitRequest& req, bool dry_run) = 0;
  virtual domain::Instant now() = 0;
  virtual const domain::WindowRules& window_rules() = 0;
  virtual int account_digits() = 0;
  // Counts an attempt to reach `account` with something a stranger could guess (its meter's
  // serial), shared with every channel; when the account has had too many lately, nothing is
  // counted and the answer is when it may try again.
  virtual std::optional<domain::Instant> identification_refused(std::string_view account) = 0;
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
    std::string account, serial;
    int zones = 1;
    std::size_t zone_index = 0;
    std::vector<std::string> values;
    int tries = 0;
    bool high_confirmed = false;
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
  Step identification_failed(Backend& b, Step step);
  Step start_submission(Backend& b);
  Step begin_meter(const MeterInfo& m, Backend& b);
  Step check(Backend& b);
  Step store(Backend& b);
  Step rejected(const service::SubmitOutcome& o, Backend& b);
  Step not_taken(const service::SubmitOutcome& o, Backend& b);
  service::SubmitRequest request(Backend& b) const;
  std::string values_text(const std::vector<std::string>& values) const;

  Party party_;
  State s_;
};

// The receipt JSON (rules.md §11) as a message.
std::string receipt_text(i18n::Lang lang, std::string_view receipt_json);

}  // namespace md::dialog
