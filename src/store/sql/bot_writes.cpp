// The bots' writes: updates seen, chats and their accounts, the outbox, rate-limit attempts.
#include "store/sql/writes.hpp"

namespace md::store::detail {

namespace bots {

bool record_update(SqlConn& c, std::string_view channel, std::string_view key, Instant at) {
  Query q(c,
          "INSERT INTO bot_updates (channel, update_key, received_at) VALUES (?, ?, ?)"
          " ON CONFLICT DO NOTHING");
  q.bind(channel).bind(key).bind(secs(at)).run();
  return q.changes() == 1;
}

std::optional<ChatRow> chat(SqlConn& c, std::string_view channel, std::string_view chat_id) {
  Query q(c,
          "SELECT lang, state, reminders, subscribed, phone FROM chats"
          " WHERE channel = ? AND chat_id = ?");
  q.bind(channel).bind(chat_id);
  if (!q.step()) return std::nullopt;
  ChatRow r;
  r.channel = channel;
  r.chat_id = chat_id;
  r.lang = q.text(0);
  r.state = q.text(1);
  r.reminders = q.i64(2) != 0;
  r.subscribed = q.i64(3) != 0;
  r.phone = q.text(4);
  return r;
}

void save_chat(SqlConn& c, const ChatRow& r, Instant at) {
  Query q(c,
          "INSERT INTO chats (channel, chat_id, lang, state, reminders, subscribed, phone,"
          " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
          " ON CONFLICT (channel, chat_id) DO UPDATE SET lang = excluded.lang,"
          " state = excluded.state, reminders = excluded.reminders,"
          " subscribed = excluded.subscribed, phone = excluded.phone,"
          " updated_at = excluded.updated_at");
  q.bind(r.channel).bind(r.chat_id).bind(r.lang).bind(r.state);
  q.bind(r.reminders ? 1 : 0).bind(r.subscribed ? 1 : 0).bind(r.phone);
  q.bind(secs(at)).bind(secs(at)).run();
}

std::vector<std::string> chat_accounts(SqlConn& c, std::string_view channel,
                                       std::string_view chat_id) {
  Query q(c,
          "SELECT a.number FROM chat_accounts l JOIN accounts a ON a.id = l.account_id"
          " WHERE l.channel = ? AND l.chat_id = ? ORDER BY l.linked_at, a.number");
  q.bind(channel).bind(chat_id);
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.text(0));
  return out;
}

void link_account(SqlConn& c, std::string_view channel, std::string_view chat_id,
                  std::int64_t account_id, Instant at) {
  Query q(c,
          "INSERT INTO chat_accounts (channel, chat_id, account_id, linked_at) VALUES (?, ?, ?, ?)"
          " ON CONFLICT DO NOTHING");
  q.bind(channel).bind(chat_id).bind(account_id).bind(secs(at)).run();
}

void unlink_account(SqlConn& c, std::string_view channel, std::string_view chat_id,
                    std::int64_t account_id) {
  Query q(c, "DELETE FROM chat_accounts WHERE channel = ? AND chat_id = ? AND account_id = ?");
  q.bind(channel).bind(chat_id).bind(account_id).run();
}

std::int64_t enqueue(SqlConn& c, const OutboxMessage& m, Instant at) {
  Query q(c,
          "INSERT INTO outbox (channel, chat_id, method, body, created_at, not_before, bulk)"
          " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id");
  q.bind(m.channel).bind(m.chat_id).bind(m.method).bind(m.body).bind(secs(at));
  q.bind(secs(m.not_before)).bind(std::int64_t{m.bulk ? 1 : 0});
  return returning_id(q);
}

bool claim_run(SqlConn& c, std::string_view kind, std::string_view key, std::int64_t messages,
               Instant at) {
  Query q(c,
          "INSERT INTO notice_runs (kind, run_key, created_at, messages) VALUES (?, ?, ?, ?)"
          " ON CONFLICT DO NOTHING");
  q.bind(kind).bind(key).bind(secs(at)).bind(messages).run();
  return q.changes() == 1;
}

}  // namespace bots

namespace attempts {

bool count(SqlConn& c, std::string_view name, std::int64_t start, int below) {
  if (below <= 0) return false;
  Query q(c,
          "INSERT INTO attempt_counts (name, window_start, n) VALUES (?, ?, 1)"
          " ON CONFLICT (name, window_start) DO UPDATE SET n = attempt_counts.n + 1"
          " WHERE attempt_counts.n < ?");
  q.bind(name).bind(start).bind(below).run();
  return q.changes() == 1;
}

std::int64_t prune(SqlConn& c, std::int64_t before) {
  Query q(c, "DELETE FROM attempt_counts WHERE window_start < ?");
  q.bind(before).run();
  return q.changes();
}

}  // namespace attempts

namespace bots {

void outbox_sent(SqlConn& c, std::int64_t id, Instant at) {
  Query q(c,
          "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1"
          " WHERE id = ? AND status = 'pending'");
  q.bind(secs(at)).bind(id).run();
}

void outbox_retry(SqlConn& c, std::int64_t id, int attempts, Instant not_before,
                  std::string_view error) {
  Query q(c,
          "UPDATE outbox SET attempts = ?, not_before = ?, last_error = ?"
          " WHERE id = ? AND status = 'pending'");
  q.bind(attempts).bind(secs(not_before)).bind(error.substr(0, 500)).bind(id).run();
}

void outbox_failed(SqlConn& c, std::int64_t id, int attempts, std::string_view error, Instant at) {
  Query q(c,
          "UPDATE outbox SET status = 'failed', attempts = ?, last_error = ?, sent_at = ?"
          " WHERE id = ? AND status = 'pending'");
  q.bind(attempts).bind(error.substr(0, 500)).bind(secs(at)).bind(id).run();
}

void outbox_forget_body(SqlConn& c, std::int64_t id) {
  Query q(c, "UPDATE outbox SET body = '' WHERE id = ? AND status <> 'pending'");
  q.bind(id).run();
}

std::int64_t prune_updates(SqlConn& c, Instant before) {
  Query q(c, "DELETE FROM bot_updates WHERE received_at < ?");
  q.bind(secs(before)).run();
  return q.changes();
}

std::int64_t prune_outbox(SqlConn& c, Instant done_before) {
  Query q(c, "DELETE FROM outbox WHERE status <> 'pending' AND sent_at < ?");
  q.bind(secs(done_before)).run();
  return q.changes();
}

}  // namespace bots

}  // namespace md::store::detail
