#include "service/reminders.hpp"

namespace md::service {

std::optional<ReminderRound> reminder_round(domain::Instant now, const domain::WindowRules& rules) {
  auto m = domain::window_containing(domain::kyiv_date(now), rules);
  if (!m) return std::nullopt;
  auto opening = domain::kyiv_time(domain::window(*m, rules).first, std::chrono::hours{10});
  auto day2 = domain::kyiv_time(m->next().first_day() + date::days{1}, std::chrono::hours{10});
  if (now >= opening && now < day2) return ReminderRound{*m, false};
  if (now >= day2 && now < domain::window_closes(*m, rules)) return ReminderRound{*m, true};
  return std::nullopt;
}

bool claim_notice_round(store::WriteTx& tx, std::string_view kind, std::string_view key, int queued,
                        domain::Instant now) {
  // Claimed in the same transaction as the messages: the round happens once, wholly or not at all.
  if (!tx.claim_run(kind, key, queued, now)) return false;
  store::AuditEntry e;
  e.at = now;
  e.actor = "system";
  e.channel = "outbox";
  e.action = "notices";
  e.identity = std::string(kind) + " " + std::string(key);
  e.result = "queued:" + std::to_string(queued);
  tx.append_audit(e);
  tx.commit();
  return true;
}

}  // namespace md::service
