// The reading a conversation is collecting, and the one way it is checked and stored, for the
// messengers' conversation and the phone line alike: values typed zone by zone, a dry run that
// finds what the service would say, the person's confirmation of an unusual consumption, then the
// submission that stores it. Each channel only words the answer (a message, recorded prompts).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dialog/backend.hpp"
#include "i18n/messages.hpp"

namespace md::dialog {

struct Draft {
  std::string account, serial;
  int zones = 1;
  std::vector<std::string> values;  // one per zone, in zone order; "" for one not given yet
  bool confirmed = false;           // the person confirmed an unusual consumption

  // A new reading of `m`: nothing typed, nothing confirmed.
  void begin(const MeterInfo& m);
  // Every zone missing again, nothing confirmed (the meter stays).
  void restart();
  // The value of the first zone still missing; true when every zone has one.
  bool enter(std::string value);
  [[nodiscard]] bool complete() const;
  [[nodiscard]] bool empty() const;  // no zone given yet
  // The first zone still missing (`zones` when none is).
  [[nodiscard]] std::size_t zone_index() const;
  // A zone's name as the rules call it ("total", "day", "peak", …).
  [[nodiscard]] std::string zone_name(std::size_t index) const;
  [[nodiscard]] std::string zone_name() const { return zone_name(zone_index()); }

  // The submission of the values typed. `raw` is what the channel keeps of the exchange for the
  // audit (the values are added to it). A store sets the idempotency key.
  [[nodiscard]] service::SubmitRequest request(std::string_view channel, i18n::Lang lang,
                                               nlohmann::json raw) const;
};

// What the service said of a draft, with the draft already moved to where the person goes next.
struct Answer {
  enum class Kind {
    ready,        // passes: ask for the final "send" (or send at once)
    incomplete,   // the values given so far pass: the missing zones are asked
    unusual,      // passes only if the person confirms the consumption (the draft is unconfirmed)
    rejected,     // the zone the rejection names is missing again, the others kept
    not_found,    // the meter is gone (removed, the account closed) since it was chosen
    unavailable,  // the service is busy: nothing was stored, the draft is kept
    stored,       // the draft is cleared for the next reading
  };
  Kind kind = Kind::unavailable;
  service::SubmitOutcome outcome;  // the details: the flags' figures, the rejection, the receipt
  std::string receipt;             // stored: the receipt's number
};

// A dry run: the reading is validated, nothing is stored (a rejection's audit record is). A draft
// still missing zones has the values given so far judged (incomplete, or rejected).
Answer check(Draft& d, const service::SubmitRequest& req, Backend& b);
// Stores the reading; one that no longer passes answers as check() would.
Answer store(Draft& d, const service::SubmitRequest& req, Backend& b);

}  // namespace md::dialog
