// The messengers' use case (Telegram, Viber): one platform update in, one transaction out. The
// transaction records the update (so a redelivery does nothing), runs the conversation step (with
// the submission it may make), saves the conversation and queues the replies in the outbox. The
// platform is answered only after it commits: a crash before that makes the platform redeliver.
// Also here: the reminders and notices, queued once per run.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dialog/conversation.hpp"
#include "domain/calendar.hpp"
#include "obs/metrics.hpp"
#include "service/ingestor.hpp"
#include "service/rate_limit.hpp"
#include "service/reminders.hpp"
#include "store/store.hpp"

namespace md::dialog {

// One platform update, parsed by its channel.
struct Inbound {
  enum class Action { dialog, subscribe, unsubscribe };
  std::string channel;     // telegram, viber
  std::string update_key;  // the platform's id of the update, for dedupe; empty: none
  std::string chat_id;
  Action action = Action::dialog;
  Event event;
  std::string lang_hint;    // the person's app language, for a new conversation
  std::string callback_id;  // a button press to answer (Telegram)
};

// How a channel turns replies into platform API calls. `in` is null for notices.
using Render = std::function<std::vector<store::OutboxMessage>(
    const Inbound* in, std::string_view chat_id, const Step& step)>;

class Messenger {
 public:
  Messenger(store::Store& store, service::Ingestor& ingestor, service::Submissions& submissions,
            obs::Metrics* metrics);

  void add_channel(std::string channel, Render render);
  // The limit on guesses at an account (the public form's, shared with it); none when unset.
  void limit_identifications(service::AttemptLimit* per_account) { per_account_ = per_account; }
  [[nodiscard]] bool has_channel(std::string_view channel) const;

  enum class Result { processed, duplicate, failed, busy };
  // `done` runs after the commit (on the writer thread). False: the writer's queue is full.
  bool handle_async(Inbound in, std::function<void(Result)> done);
  Result handle(Inbound in);  // blocking form, for tools and tests

  // Runs `work` with the conversation backend inside the writer's transaction (the phone line's
  // steps, whose state lives in the call): lookups and submissions commit with it; `done(true)`
  // after the commit. False: the writer's queue is full.
  bool run_async(std::string channel, std::string conversation, std::function<void(Backend&)> work,
                 std::function<void(bool)> done);
  bool run(std::string channel, std::string conversation,
           const std::function<void(Backend&)>& work);  // blocking

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
  // Whether this chat's replies are held back now (more than kBurst messages this minute);
  // `first` when this message is the one that crossed it.
  bool flooding(const Inbound& in, domain::Instant now, bool& first);
  void share_receipt(store::WriteTx& tx, std::int64_t account_id, const std::string& receipt_json,
                     domain::Instant now);
  void apologise(store::WriteTx& tx, const Inbound& in, domain::Instant now, bool& duplicate);
  // `each`, when given, adds a target's own parameters (in its language) to `params`.
  using TargetParams =
      std::function<void(const store::ChatLink&, i18n::Lang, std::map<std::string, std::string>&)>;
  int queue_run(std::string_view kind, std::string_view key,
                const std::vector<store::ChatLink>& targets, std::string_view message_key,
                const std::map<std::string, std::string>& params, domain::Instant now,
                const TargetParams& each = {});

  store::Store& store_;
  service::Ingestor& ingestor_;
  service::Submissions& submissions_;
  obs::Metrics* metrics_;
  service::AttemptLimit* per_account_ = nullptr;
  std::map<std::string, Render, std::less<>> renderers_;
  std::function<void()> wake_;
  struct Burst {
    domain::Instant start{};
    int count = 0;
  };
  std::mutex bursts_mutex_;
  std::map<std::string, Burst, std::less<>> bursts_;  // by channel + chat, this minute's
};

}  // namespace md::dialog
