// The rounds of reminders and notices every channel that reaches customers (bots, e-mail) takes
// part in: when each round is due, and claiming a round once.
#pragma once

#include <optional>
#include <string_view>

#include "domain/calendar.hpp"
#include "store/store.hpp"

namespace md::service {

// The reminder rounds' schedule, shared by the bots and e-mail: at 10:00 Kyiv on the window's
// first day (`second` false), and at 10:00 on the 2nd of the new month until the window closes
// (`second`: to those who have still sent nothing).
struct ReminderRound {
  domain::YearMonth month;
  bool second = false;
};
std::optional<ReminderRound> reminder_round(domain::Instant now, const domain::WindowRules& rules);

// Ends a round of notices in the transaction that queued its messages: claims it (false when it
// was claimed before: nothing is committed) and audits it; commits.
bool claim_notice_round(store::WriteTx& tx, std::string_view kind, std::string_view key, int queued,
                        domain::Instant now);

}  // namespace md::service
