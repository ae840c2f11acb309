#include "dialog/messenger.hpp"
#include "service/stored_estimate.hpp"

#include <future>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "i18n/explain.hpp"
#include "service/outbox.hpp"
#include "service/receipt.hpp"

namespace md::dialog {

using service::AttemptLimit;
using service::claim_notice_round;
using service::estimate_explanation;
using service::Ingestor;
using service::kFetchPhoto;
using service::mask_account;
using service::reminder_round;
using service::Submissions;
using service::SubmitOutcome;
using service::SubmitRequest;

namespace {

// What the close estimated for an account's month, in the words the estimate was stored with:
// "212 kWh = 6.84 kWh/day (your average …) × 31 days", each zone named when there are several.
std::string estimate_words(const std::vector<store::VolumeRow>& volumes, domain::YearMonth month,
                           i18n::Lang lang) {
  std::string out;
  for (const auto& v : volumes) {
    if (v.period != month || v.method != "estimated") continue;
    const std::string words = estimate_explanation(v.estimate, lang);
    if (words.empty()) continue;
    if (!out.empty()) out += "; ";
    if (v.zones > 1) out += i18n::zone_label(lang, v.zone) + ": ";
    out += words;
  }
  if (out.empty())  // no estimate that can be read
    out = lang == i18n::Lang::en ? "from average consumption" : "за середнім споживанням";
  return out;
}

using i18n::Lang;

// The conversation's view of the system, inside the step's write transaction.
class TxBackend final : public Backend {
 public:
  TxBackend(store::WriteTx& tx, store::Store& store, Submissions& submissions, const Inbound& in,
            domain::Instant now, AttemptLimit* per_account, obs::Metrics* metrics)
      : tx_(tx),
        store_(store),
        submissions_(submissions),
        in_(in),
        now_(now),
        per_account_(per_account),
        metrics_(metrics) {}

  std::vector<std::string> linked() override { return tx_.chat_accounts(in_.channel, in_.chat_id); }
  void link(std::string_view account) override {
    if (auto id = tx_.find_account(account)) {
      tx_.link_account(in_.channel, in_.chat_id, *id, now_);
      audit("link_account", account, "linked");
    }
  }
  void unlink(std::string_view account) override {
    if (auto id = tx_.find_account(account)) {
      tx_.unlink_account(in_.channel, in_.chat_id, *id);
      audit("unlink_account", account, "unlinked");
    }
  }
  // Who reached which account from which chat: the audit keeps it (never the logs).
  void audit(std::string_view action, std::string_view account, std::string_view result) {
    store::AuditEntry e;
    e.at = now_;
    e.actor = "customer";
    e.channel = in_.channel;
    e.action = std::string(action);
    e.identity = "account=" + std::string(account) + " chat=" + in_.chat_id;
    e.result = std::string(result);
    e.request_id = in_.update_key;
    tx_.append_audit(e);
  }
  std::vector<std::string> accounts_by_phone(std::string_view phone) override {
    std::vector<std::string> out;
    for (const auto& a : store_.accounts_by_phone(phone)) out.push_back(a.number);
    return out;
  }
  std::vector<dialog::MeterInfo> meters(std::string_view account) override {
    std::vector<dialog::MeterInfo> out;
    auto a = store_.account(account);
    if (!a || !a->active) return out;
    for (const auto& m : store_.account_meters(a->id))
      out.push_back(dialog::MeterInfo{a->number, m.serial, m.zones});
    return out;
  }
  std::optional<dialog::LastReading> last_reading(std::string_view account,
                                                  std::string_view serial) override {
    auto m = tx_.find_meter(account, serial);
    if (!m) return std::nullopt;
    auto last = submissions_.last_readings(tx_, *m, now_);
    if (!last.compared_with) return std::nullopt;
    dialog::LastReading out{last.compared_with->taken_on, last.compared_with->values, {}, {}};
    if (last.replaced) {
      out.replaced_on = last.replaced->taken_on;
      out.replaced_values = last.replaced->values;
    }
    return out;
  }
  std::vector<dialog::HistoryLine> history(std::string_view account, int limit) override {
    std::vector<dialog::HistoryLine> out;
    auto a = store_.account(account);
    if (!a) return out;
    for (const auto& r : store_.account_readings(a->id, limit))
      out.push_back(dialog::HistoryLine{r.receipt, r.meter_serial, r.channel, r.status, r.taken_on,
                                        r.zones, r.values});
    return out;
  }
  SubmitOutcome submit(const SubmitRequest& req, bool dry_run) override {
    tx_.savepoint();
    SubmitOutcome out;
    try {
      out = submissions_.process(tx_, req, now_);
    } catch (...) {
      tx_.rollback_to();
      throw;
    }
    if (!dry_run) {
      tx_.release();
      if (out.status == SubmitOutcome::Status::accepted && after_store)
        if (auto m = tx_.find_meter(req.account, req.meter_serial))
          after_store(m->account_id, out.receipt_json);
      return out;
    }
    tx_.rollback_to();
    // A rejected value is an attempt the audit keeps; running it again stores only that record.
    if (out.status == SubmitOutcome::Status::rejected) return submissions_.process(tx_, req, now_);
    return out;
  }
  std::optional<domain::Rejection> judge_given(const SubmitRequest& req) override {
    return submissions_.judge_given(tx_, req, now_);
  }
  // A reading stored: the channels other than this conversation's own are told (the phone line's
  // receipt goes to the account's linked chats too).
  std::function<void(std::int64_t account_id, const std::string& receipt_json)> after_store;

  domain::Instant now() override { return now_; }
  const domain::WindowRules& window_rules() override { return submissions_.config().rules.window; }
  int account_digits() override { return submissions_.config().account_digits; }
  Identified identify(std::string_view account, std::string_view serial,
                      service::SerialForm form) override {
    auto id = service::identify_meter(tx_, store_, per_account_, account, serial, now_, form);
    Identified out;
    out.retry_at = id.retry_at;
    switch (id.status) {
      case service::Identification::Status::found:
        out.status = Identified::Status::found;
        out.meter = MeterInfo{id.meter->account_number, id.meter->serial, id.meter->zones};
        break;
      case service::Identification::Status::refused:
        out.status = Identified::Status::refused;
        if (metrics_) metrics_->limited("per_account");
        audit("identify", account, "refused: too many attempts for the account");
        break;
      case service::Identification::Status::not_found:
        break;
    }
    return out;
  }

 private:
  store::WriteTx& tx_;
  store::Store& store_;
  Submissions& submissions_;
  const Inbound& in_;
  domain::Instant now_;
  AttemptLimit* per_account_;
  obs::Metrics* metrics_;
};

}  // namespace

Messenger::Messenger(store::Store& store, Ingestor& ingestor, Submissions& submissions,
                     obs::Metrics* metrics)
    : store_(store), ingestor_(ingestor), submissions_(submissions), metrics_(metrics) {}

void Messenger::add_channel(std::string channel, Render render) {
  renderers_[std::move(channel)] = std::move(render);
}

bool Messenger::has_channel(std::string_view channel) const {
  return renderers_.find(channel) != renderers_.end();
}

void Messenger::step(store::WriteTx& tx, const Inbound& in, domain::Instant now, bool& duplicate) {
  if (!in.update_key.empty() && !tx.record_update(in.channel, in.update_key, now)) {
    duplicate = true;
    return;
  }
  auto render = renderers_.find(in.channel);
  if (render == renderers_.end()) throw std::logic_error("no renderer for " + in.channel);
  auto chat = tx.chat(in.channel, in.chat_id);
  bool fresh = !chat;
  if (fresh) {
    chat = store::ChatRow{};
    chat->channel = in.channel;
    chat->chat_id = in.chat_id;
    chat->lang = std::string(i18n::lang_code(i18n::parse_lang(in.lang_hint)));
    // A first message may already link an account (a shared phone): the chat must exist first.
    tx.save_chat(*chat, now);
  }
  dialog::Conversation conv({in.channel, in.chat_id}, chat->state, i18n::parse_lang(chat->lang),
                            chat->reminders);
  TxBackend backend(tx, store_, submissions_, in, now, per_account_, metrics_);
  dialog::Step step;
  switch (in.action) {
    case Inbound::Action::unsubscribe:
      chat->subscribed = false;
      tx.save_chat(*chat, now);
      return;
    case Inbound::Action::subscribe:
      chat->subscribed = true;
      step =
          conv.handle(dialog::Event{dialog::Event::Kind::command, "start", {}, false, {}}, backend);
      break;
    case Inbound::Action::dialog:
      chat->subscribed = true;  // whoever writes wants answers, also after blocking the bot once
      step = conv.handle(in.event, backend);
      break;
  }
  if (conv.reminders != chat->reminders)
    for (const auto& account : tx.chat_accounts(in.channel, in.chat_id))
      backend.audit("reminders", account, conv.reminders ? "on" : "off");
  chat->state = conv.state_json();
  chat->lang = std::string(i18n::lang_code(conv.lang));
  chat->reminders = conv.reminders;
  if (!conv.phone.empty()) chat->phone = conv.phone;
  tx.save_chat(*chat, now);
  bool first = false;
  if (flooding(in, now, first) && step.receipt.empty()) {
    // Handled, and held back: only a receipt (and the notice, once) is sent in a flood.
    step.replies.clear();
    if (first) step.replies.push_back(dialog::Reply{i18n::message(conv.lang, "bot.flood")});
  }
  for (const auto& m : render->second(&in, in.chat_id, step)) tx.enqueue(m, now);
  if (!step.receipt.empty() && !step.photo.empty()) {
    // The picture itself is fetched by the outbox worker and stored with the reading.
    store::OutboxMessage fetch;
    fetch.channel = in.channel;
    fetch.chat_id = in.chat_id;
    fetch.method = std::string(kFetchPhoto);
    fetch.body = nlohmann::json{{"photo", step.photo}, {"receipt", step.receipt}}.dump();
    tx.enqueue(fetch, now);
  }
}

void Messenger::apologise(store::WriteTx& tx, const Inbound& in, domain::Instant now,
                          bool& duplicate) {
  if (!in.update_key.empty() && !tx.record_update(in.channel, in.update_key, now)) {
    duplicate = true;
    return;
  }
  auto render = renderers_.find(in.channel);
  if (render == renderers_.end()) return;
  auto chat = tx.chat(in.channel, in.chat_id);
  dialog::Step step;
  dialog::Reply reply;
  reply.text = i18n::message(i18n::parse_lang(chat ? chat->lang : in.lang_hint), "unavailable");
  step.replies.push_back(std::move(reply));
  for (const auto& m : render->second(&in, in.chat_id, step)) tx.enqueue(m, now);
}

bool Messenger::handle_async(Inbound in, std::function<void(Result)> done) {
  auto shared = std::make_shared<Inbound>(std::move(in));
  auto duplicate = std::make_shared<bool>(false);
  Ingestor::Task task;
  task.work = [this, shared, duplicate](store::WriteTx& tx, domain::Instant now) {
    *duplicate = false;  // the work may run again after its batch rolled back
    tx.savepoint();
    try {
      step(tx, *shared, now, *duplicate);
      tx.release();
    } catch (const store::StoreError&) {
      tx.rollback_to();
      throw;  // the store: the platform delivers it again later
    } catch (const std::exception& e) {
      tx.rollback_to();
      // A bug on one update must not make the platform redeliver it for ever: it is recorded as
      // handled, and the person gets an apology.
      spdlog::error("{} update {} could not be handled: {}", shared->channel, shared->update_key,
                    e.what());
      apologise(tx, *shared, now, *duplicate);
    }
  };
  task.done = [this, shared, duplicate, done = std::move(done)](bool committed) {
    Result r = !committed ? Result::failed : *duplicate ? Result::duplicate : Result::processed;
    if (metrics_)
      metrics_->bot_update(shared->channel, r == Result::processed   ? "processed"
                                            : r == Result::duplicate ? "duplicate"
                                                                     : "failed");
    if (r == Result::processed && wake_) wake_();
    done(r);
  };
  task.key = shared->channel + '\n' + shared->chat_id;
  task.repeatable = true;  // all it changes is in the transaction
  return ingestor_.run_async(std::move(task));
}

bool Messenger::run_async(std::string channel, std::string conversation,
                          std::function<void(dialog::Backend&)> work,
                          std::function<void(bool)> done) {
  auto in = std::make_shared<Inbound>();
  in->channel = std::move(channel);
  in->chat_id = std::move(conversation);
  Ingestor::Task task;
  task.work = [this, in, work = std::move(work)](store::WriteTx& tx, domain::Instant now) {
    TxBackend backend(tx, store_, submissions_, *in, now, per_account_, metrics_);
    backend.after_store = [&](std::int64_t account_id, const std::string& receipt_json) {
      share_receipt(tx, account_id, receipt_json, now);
    };
    work(backend);
  };
  task.done = [this, done = std::move(done)](bool ok) {
    if (ok && wake_) wake_();  // a stored reading may have queued its receipt for linked chats
    done(ok);
  };
  task.key = in->channel + '\n' + in->chat_id;
  return ingestor_.run_async(std::move(task));
}

bool Messenger::run(std::string channel, std::string conversation,
                    const std::function<void(dialog::Backend&)>& work) {
  auto promise = std::make_shared<std::promise<bool>>();
  auto future = promise->get_future();
  if (!run_async(std::move(channel), std::move(conversation), work,
                 [promise](bool ok) { promise->set_value(ok); }))
    return false;
  return future.get();
}

Messenger::Result Messenger::handle(Inbound in) {
  auto promise = std::make_shared<std::promise<Result>>();
  auto future = promise->get_future();
  if (!handle_async(std::move(in), [promise](Result r) { promise->set_value(r); }))
    return Result::busy;
  return future.get();
}

namespace {
constexpr int kBurst = 20;  // messages a minute from one chat that are answered one by one
}  // namespace

// A chat sending more than kBurst messages a minute (a stuck key, a script): every message is
// still handled, a reading in it stored and its receipt sent, but the other replies are held back
// after one notice until the minute is over: answering each would queue minutes of stale
// messages behind the platform's one a second per chat.
bool Messenger::flooding(const Inbound& in, domain::Instant now, bool& first) {
  std::lock_guard lock(bursts_mutex_);
  if (bursts_.size() > 10000)
    std::erase_if(bursts_,
                  [&](const auto& b) { return now - b.second.start >= std::chrono::minutes(1); });
  Burst& b = bursts_[in.channel + '\n' + in.chat_id];
  if (now - b.start >= std::chrono::minutes(1)) b = Burst{now, 0};
  ++b.count;
  first = b.count == kBurst + 1;
  return b.count > kBurst;
}

// The receipt of a reading given on the phone, written to the account's linked chats: the caller
// heard it once and may not have written it down.
void Messenger::share_receipt(store::WriteTx& tx, std::int64_t account_id,
                              const std::string& receipt_json, domain::Instant now) {
  for (const auto& link : store_.chats_of_account(account_id)) {
    auto render = renderers_.find(link.channel);
    if (render == renderers_.end()) continue;
    const Lang lang = i18n::parse_lang(link.lang);
    dialog::Step step;
    dialog::Reply reply;
    reply.text = i18n::message(lang, "bot.by_phone") + "\n" + receipt_text(lang, receipt_json);
    step.replies.push_back(std::move(reply));
    for (const auto& m : render->second(nullptr, link.chat_id, step)) tx.enqueue(m, now);
  }
}

int Messenger::notify_account(store::WriteTx& tx, std::int64_t account_id, std::string_view key,
                              const std::map<std::string, std::string>& params,
                              domain::Instant now) {
  int queued = 0;
  for (const auto& link : store_.chats_of_account(account_id)) {
    auto render = renderers_.find(link.channel);
    if (render == renderers_.end()) continue;
    auto p = params;
    p["account"] = mask_account(link.account_number);
    dialog::Step step;
    dialog::Reply reply;
    reply.text = i18n::message(i18n::parse_lang(link.lang), key, p);
    step.replies.push_back(std::move(reply));
    for (const auto& m : render->second(nullptr, link.chat_id, step)) {
      tx.enqueue(m, now);
      ++queued;
    }
  }
  return queued;
}

int Messenger::queue_run(std::string_view kind, std::string_view key,
                         const std::vector<store::ChatLink>& targets, std::string_view message_key,
                         const std::map<std::string, std::string>& params, domain::Instant now,
                         const TargetParams& each) {
  auto tx = store_.begin_write();
  int queued = 0;
  for (const auto& link : targets) {
    auto render = renderers_.find(link.channel);
    if (render == renderers_.end()) continue;
    Lang lang = i18n::parse_lang(link.lang);
    auto p = params;
    p["account"] = mask_account(link.account_number);
    if (p.count("window"))
      p["window"] =
          i18n::window_text(lang, domain::kyiv_date(now), submissions_.config().rules.window);
    if (p.count("month"))
      if (auto m = domain::YearMonth::parse(p["month"])) p["month"] = i18n::month_name(lang, *m);
    if (each) each(link, lang, p);
    dialog::Step step;
    dialog::Reply reply;
    reply.text = i18n::message(lang, message_key, p);
    step.replies.push_back(std::move(reply));
    for (auto& m : render->second(nullptr, link.chat_id, step)) {
      m.bulk = true;
      tx->enqueue(m, now);
      ++queued;
    }
  }
  if (!claim_notice_round(*tx, kind, key, queued, now)) return 0;
  if (queued && wake_) wake_();
  spdlog::info("queued {} {} notices for {}", queued, kind, key);
  return queued;
}

int Messenger::queue_notices(domain::Instant now) {
  int queued = 0;
  if (auto round = reminder_round(now, submissions_.config().rules.window)) {
    const char* kind = round->second ? "window_day2" : "window_open";
    if (!store_.run_claimed(kind, round->month.str())) {
      std::vector<store::ChatLink> targets;
      for (auto& t : store_.reminder_targets(round->month))
        if (!t.has_reading) targets.push_back(std::move(t));
      queued += queue_run(kind, round->month.str(), targets,
                          round->second ? "notice.window_day2" : "notice.window_open",
                          {{"window", ""}}, now);
    }
  }
  if (auto closed = store_.last_closed_period()) {
    auto period = store_.period(*closed);
    // Only a recent close: a first start on an old database does not announce old months.
    if (period && now - period->closed_at < std::chrono::hours{24 * 7} &&
        !store_.run_claimed("estimated", closed->str()))
      queued += queue_run(
          "estimated", closed->str(), store_.estimated_targets(*closed), "notice.estimated",
          {{"month", closed->str()}}, now,
          [&](const store::ChatLink& link, Lang lang, std::map<std::string, std::string>& p) {
            p["estimate"] = estimate_words(store_.account_volumes(link.account_id), *closed, lang);
          });
  }
  return queued;
}

}  // namespace md::dialog
