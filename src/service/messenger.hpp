// The messengers' use case (Telegram, Viber): one platform update in, one transaction out. The
// transaction records the update (so a redelivery does nothing), runs the conversation step (with
// the submission it may make), saves the conversation and queues the replies in the outbox. The
// platform is answered only after it commits: a crash before that makes the platform redeliver.
// Also here: the reminders and notices, queued once per run.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dialog/conversation.hpp"
#include "domain/calendar.hpp"
#include "obs/metrics.hpp"
#include "service/ingestor.hpp"
#include "service/rate_limit.hpp"
#include "store/store.hpp"

namespace md::service {

// One platform update, parsed by its channel.
struct Inbound {
  enum class Action { dialog, subscribe, unsubscribe };
  std::string channel;     // telegram, viber
  std::string update_key;  // the platform's id of the update, for dedupe; empty: none
  std::string chat_id;
  Action action = Action::dialog;
  dialog::Event event;
  std::string lang_hint;    // the person's app language, for a new conversation
  std::string callback_id;  // a button press to answer (Telegram)
};

// The outbox method that fetches a reading's photo from the platform and stores it with the
// reading (body: {"photo": reference, "receipt": id}).
inline constexpr std::string_view kFetchPhoto = "fetch_photo";

// How a channel turns replies into platform API calls. `in` is null for notices.
using Render = std::function<std::vector<store::OutboxMessage>(
    const Inbound* in, std::string_view chat_id, const dialog::Step& step)>;

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

class Messenger {
 public:
  Messenger(store::Store& store, Ingestor& ingestor, Submissions& submissions,
            obs::Metrics* metrics);

  void add_channel(std::string channel, Render render);
  // The limit on guesses at an account (the public form's, shared with it); none when unset.
  void limit_identifications(AttemptLimit* per_account) { per_account_ = per_account; }
  [[nodiscard]] bool has_channel(std::string_view channel) const;

  enum class Result { processed, duplicate, failed, busy };
  // `done` runs after the commit (on the writer thread). False: the writer's queue is full.
  bool handle_async(Inbound in, std::function<void(Result)> done);
  Result handle(Inbound in);  // blocking form, for tools and tests

  // Runs `work` with the conversation backend inside the writer's transaction (the phone line's
  // steps, whose state lives in the call): lookups and submissions commit with it; `done(true)`
  // after the commit. False: the writer's queue is full.
  bool run_async(std::string channel, std::string conversation,
                 std::function<void(dialog::Backend&)> work, std::function<void(bool)> done);
  bool run(std::string channel, std::string conversation,
           const std::function<void(dialog::Backend&)>& work);  // blocking

  // Runs inside a write transaction: queues `reply` to every chat linked to the account.
  // Used for the operators' decisions.
  int notify_account(store::WriteTx& tx, std::int64_t account_id, std::string_view key,
                     const std::map<std::string, std::string>& params, domain::Instant now);

  // Queues what is due at `now` and was not queued before: the window-opening reminder (10:00
  // Kyiv on the window's first day), the day-2 reminder to those who sent nothing, the notice of
  // estimated volumes after a close. Returns the number of messages queued.
  int queue_notices(domain::Instant now);

  // Called after something was queued (the outbox worker wakes up).
  void on_enqueued(std::function<void()> wake) { wake_ = std::move(wake); }

 private:
  void step(store::WriteTx& tx, const Inbound& in, domain::Instant now, bool& duplicate);
  void apologise(store::WriteTx& tx, const Inbound& in, domain::Instant now, bool& duplicate);
  // `each`, when given, adds a target's own parameters (in its language) to `params`.
  using TargetParams = std::function<void(const store::ChatLink&, dialog::Lang,
                                          std::map<std::string, std::string>&)>;
  int queue_run(std::string_view kind, std::string_view key,
                const std::vector<store::ChatLink>& targets, std::string_view message_key,
                const std::map<std::string, std::string>& params, domain::Instant now,
                const TargetParams& each = {});

  store::Store& store_;
  Ingestor& ingestor_;
  Submissions& submissions_;
  obs::Metrics* metrics_;
  AttemptLimit* per_account_ = nullptr;
  std::map<std::string, Render, std::less<>> renderers_;
  std::function<void()> wake_;
};

}  // namespace md::service
