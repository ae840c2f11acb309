// The phone IVR's digit flow (channels.md "Phone IVR"), on the same Backend as the messengers'
// conversation: the menu key, the caller's number or account + `#` and the last four digits of
// the meter's serial + `#`, the last reading told, each zone + `#` (judged as it comes), the
// whole reading read back once for a 1 (an unusual one with its consumption, a suggested value
// taken with a 1), the receipt once (9 to hear it again). It hears DTMF digits and time-outs and
// answers with the prompts to play (names of recorded files: "ivr.menu", "digit.7", "letter.K") and
// what to do after them. A call's state lives only as long as the call: a hang-up mid-way stores
// nothing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dialog/backend.hpp"
#include "dialog/draft.hpp"

namespace md::dialog {

struct CallSettings {
  char menu_key = '2';   // 0: no menu, the call starts at the identification
  std::string transfer;  // the operator's SIP address after three failures ("" : none)
  // false: the caller's number only offers its account; the serial's last four digits are still
  // asked, for a line whose callers' numbers are not set by a trusted switch.
  bool trust_caller = true;
};

struct CallStep {
  std::vector<std::string> play;  // prompts, in order; a digit pressed meanwhile stops them
  enum class Then { listen, hang_up, transfer };
  Then then = Then::listen;
  std::string receipt;  // set when a reading was stored
};

class PhoneCall {
 public:
  PhoneCall(std::string call_id, std::string caller, CallSettings settings);

  CallStep start(Backend& b);
  CallStep digit(char d, Backend& b);  // 0-9, *, #
  CallStep timeout(Backend& b);        // no digit for ivr.timeout seconds

  i18n::Lang lang = i18n::Lang::uk;

  enum class Stage {
    menu,
    caller_choice,
    account,
    serial,
    zone,
    suggest,  // a rejected value has a likely fix: 1 takes it, 2 enters the zone again
    confirm,  // the whole reading read back: 1 sends, 2 enters it again
    receipt,  // stored and said once: 9 says it again
    done,
  };
  [[nodiscard]] Stage stage() const { return stage_; }

 private:
  CallStep ask(Stage stage, CallStep step = {});
  CallStep goodbye(CallStep step);
  CallStep decided(char d, Backend& b);
  CallStep rejected(const domain::Rejection& rej, Backend& b);
  CallStep fail(Backend& b, std::vector<std::string> why, Stage again);
  CallStep entered(Backend& b);
  CallStep identify(Backend& b);
  CallStep begin(const MeterInfo& m, Backend& b);
  CallStep validate(Backend& b);
  CallStep store(Backend& b);
  CallStep answered(const Answer& a, Backend& b);
  CallStep refused();
  [[nodiscard]] service::SubmitRequest request() const;
  void say_number(std::vector<std::string>& play, std::string_view digits) const;
  void say_values(std::vector<std::string>& play, const std::vector<std::string>& values) const;

  std::string call_id_, caller_;
  CallSettings settings_;
  Stage stage_ = Stage::menu;
  std::string buffer_;   // digits typed since the last prompt
  std::string offered_;  // the caller's account found by their number
  Draft draft_;
  std::vector<std::string> question_;  // the prompts of the question asked last
  std::vector<std::string> flags_;     // an unusual reading's consumption, said at the read-back
  std::optional<std::pair<std::size_t, std::string>> suggested_;  // zone index, value
  std::string receipt_;
  int failures_ = 0;
  int timeouts_ = 0;
};

// Every prompt name the flow may play, with its text in each language (the build renders them
// with espeak-ng; recorded files with the same names replace them).
struct PromptText {
  std::string name, uk, en;
};
std::vector<PromptText> phone_prompts();

}  // namespace md::dialog
