// Messenger tables of the SQLite store: chats and their accounts, processed updates, the outbox
// and notice runs. The write side is free functions on the writer's connection, called by the
// write transaction; the read side belongs to the store.
#include "store/sqlite/sqlite_internal.hpp"

namespace md::store {

using namespace detail;

namespace bots {

bool record_update(SqliteConn& c, std::string_view channel, std::string_view key, Instant at) {
  Query q(c,
          "INSERT INTO bot_updates (channel, update_key, received_at) VALUES (?, ?, ?)"
          " ON CONFLICT DO NOTHING");
  q.bind(channel).bind(key).bind(secs(at)).run();
  return sqlite3_changes(c.db()) == 1;
}

std::optional<ChatRow> chat(SqliteConn& c, std::string_view channel, std::string_view chat_id) {
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

void save_chat(SqliteConn& c, const ChatRow& r, Instant at) {
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

std::vector<std::string> chat_accounts(SqliteConn& c, std::string_view channel,
                                       std::string_view chat_id) {
  Query q(c,
          "SELECT a.number FROM chat_accounts l JOIN accounts a ON a.id = l.account_id"
          " WHERE l.channel = ? AND l.chat_id = ? ORDER BY l.linked_at, a.number");
  q.bind(channel).bind(chat_id);
  std::vector<std::string> out;
  while (q.step()) out.push_back(q.text(0));
  return out;
}

void link_account(SqliteConn& c, std::string_view channel, std::string_view chat_id,
                  std::int64_t account_id, Instant at) {
  Query q(c,
          "INSERT INTO chat_accounts (channel, chat_id, account_id, linked_at) VALUES (?, ?, ?, ?)"
          " ON CONFLICT DO NOTHING");
  q.bind(channel).bind(chat_id).bind(account_id).bind(secs(at)).run();
}

void unlink_account(SqliteConn& c, std::string_view channel, std::string_view chat_id,
                    std::int64_t account_id) {
  Query q(c, "DELETE FROM chat_accounts WHERE channel = ? AND chat_id = ? AND account_id = ?");
  q.bind(channel).bind(chat_id).bind(account_id).run();
}

std::int64_t enqueue(SqliteConn& c, const OutboxMessage& m, Instant at) {
  Query q(c,
          "INSERT INTO outbox (channel, chat_id, method, body, created_at, not_before)"
          " VALUES (?, ?, ?, ?, ?, ?)");
  q.bind(m.channel).bind(m.chat_id).bind(m.method).bind(m.body).bind(secs(at));
  q.bind(secs(m.not_before)).run();
  return sqlite3_last_insert_rowid(c.db());
}

bool claim_run(SqliteConn& c, std::string_view kind, std::string_view key, std::int64_t messages,
               Instant at) {
  Query q(c,
          "INSERT INTO notice_runs (kind, run_key, created_at, messages) VALUES (?, ?, ?, ?)"
          " ON CONFLICT DO NOTHING");
  q.bind(kind).bind(key).bind(secs(at)).bind(messages).run();
  return sqlite3_changes(c.db()) == 1;
}

void outbox_sent(SqliteConn& c, std::int64_t id, Instant at) {
  Query q(c,
          "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1"
          " WHERE id = ? AND status = 'pending'");
  q.bind(secs(at)).bind(id).run();
}

void outbox_retry(SqliteConn& c, std::int64_t id, int attempts, Instant not_before,
                  std::string_view error) {
  Query q(c,
          "UPDATE outbox SET attempts = ?, not_before = ?, last_error = ?"
          " WHERE id = ? AND status = 'pending'");
  q.bind(attempts).bind(secs(not_before)).bind(error.substr(0, 500)).bind(id).run();
}

void outbox_failed(SqliteConn& c, std::int64_t id, int attempts, std::string_view error,
                   Instant at) {
  Query q(c,
          "UPDATE outbox SET status = 'failed', attempts = ?, last_error = ?, sent_at = ?"
          " WHERE id = ? AND status = 'pending'");
  q.bind(attempts).bind(error.substr(0, 500)).bind(secs(at)).bind(id).run();
}

std::int64_t prune_updates(SqliteConn& c, Instant before) {
  Query q(c, "DELETE FROM bot_updates WHERE received_at < ?");
  q.bind(secs(before)).run();
  return sqlite3_changes(c.db());
}

}  // namespace bots

namespace {

ChatLink chat_link(Query& q) {
  ChatLink l;
  l.channel = q.text(0);
  l.chat_id = q.text(1);
  l.lang = q.text(2);
  l.reminders = q.i64(3) != 0;
  l.account_id = q.i64(4);
  l.account_number = q.text(5);
  return l;
}

constexpr const char* kLinkColumns = "c.channel, c.chat_id, c.lang, c.reminders, a.id, a.number";

}  // namespace

std::vector<AccountRow> SqliteStore::accounts_by_phone(std::string_view phone) {
  std::string digits;
  for (char ch : phone)
    if (ch >= '0' && ch <= '9') digits += ch;
  if (digits.size() < 9) return {};
  auto r = acquire_reader();
  Query q(*r,
          "SELECT id, number, holder, phone, email, address, active FROM accounts"
          " WHERE substr(phone, -9) = ? AND phone <> '' AND active = 1 ORDER BY number LIMIT 20");
  q.bind(std::string_view(digits).substr(digits.size() - 9));
  std::vector<AccountRow> out;
  while (q.step()) {
    AccountRow a;
    a.id = q.i64(0);
    a.number = q.text(1);
    a.holder = q.text(2);
    a.phone = q.text(3);
    a.email = q.text(4);
    a.address = q.text(5);
    a.active = q.i64(6) != 0;
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<OutboxRow> SqliteStore::outbox_due(Instant now, int limit) {
  auto r = acquire_reader();
  Query q(*r,
          "SELECT id, channel, chat_id, method, body, not_before, attempts FROM outbox"
          " WHERE status = 'pending' AND not_before <= ?"
          // A chat's messages go in order: none while an earlier one waits for its retry.
          " AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.status = 'pending'"
          " AND e.channel = outbox.channel AND e.chat_id = outbox.chat_id AND e.id < outbox.id"
          " AND e.not_before > ?) ORDER BY id LIMIT ?");
  q.bind(secs(now)).bind(secs(now)).bind(limit);
  std::vector<OutboxRow> out;
  while (q.step()) {
    OutboxRow m;
    m.id = q.i64(0);
    m.channel = q.text(1);
    m.chat_id = q.text(2);
    m.method = q.text(3);
    m.body = q.text(4);
    m.not_before = instant(q.i64(5));
    m.attempts = static_cast<int>(q.i64(6));
    out.push_back(std::move(m));
  }
  return out;
}

std::int64_t SqliteStore::outbox_pending() {
  auto r = acquire_reader();
  Query q(*r, "SELECT count(*) FROM outbox WHERE status = 'pending'");
  return q.step() ? q.i64(0) : 0;
}

std::vector<ChatLink> SqliteStore::chats_of_account(std::int64_t account_id) {
  auto r = acquire_reader();
  static const std::string sql =
      std::string("SELECT ") + kLinkColumns +
      " FROM chat_accounts l JOIN chats c ON c.channel = l.channel AND c.chat_id = l.chat_id"
      " JOIN accounts a ON a.id = l.account_id WHERE l.account_id = ? AND c.subscribed = 1"
      " ORDER BY c.channel, c.chat_id";
  Query q(*r, sql.c_str());
  q.bind(account_id);
  std::vector<ChatLink> out;
  while (q.step()) out.push_back(chat_link(q));
  return out;
}

std::vector<ChatLink> SqliteStore::reminder_targets(YearMonth period) {
  auto r = acquire_reader();
  static const std::string sql =
      std::string("SELECT ") + kLinkColumns +
      ", EXISTS (SELECT 1 FROM submissions s WHERE s.account_id = a.id AND s.period = ?"
      " AND s.status = 'accepted')"
      " FROM chat_accounts l JOIN chats c ON c.channel = l.channel AND c.chat_id = l.chat_id"
      " JOIN accounts a ON a.id = l.account_id"
      " WHERE c.subscribed = 1 AND c.reminders = 1 AND a.active = 1"
      " ORDER BY c.channel, c.chat_id, a.number";
  Query q(*r, sql.c_str());
  q.bind(period.str());
  std::vector<ChatLink> out;
  while (q.step()) {
    out.push_back(chat_link(q));
    out.back().has_reading = q.i64(6) != 0;
  }
  return out;
}

std::vector<ChatLink> SqliteStore::estimated_targets(YearMonth period) {
  auto r = acquire_reader();
  static const std::string sql =
      std::string("SELECT DISTINCT ") + kLinkColumns +
      " FROM chat_accounts l JOIN chats c ON c.channel = l.channel AND c.chat_id = l.chat_id"
      " JOIN accounts a ON a.id = l.account_id"
      " WHERE c.subscribed = 1 AND EXISTS (SELECT 1 FROM metering_points p"
      " JOIN period_volumes v ON v.metering_point_id = p.id"
      " WHERE p.account_id = a.id AND v.period = ? AND v.method = 'estimated')"
      " ORDER BY c.channel, c.chat_id, a.number";
  Query q(*r, sql.c_str());
  q.bind(period.str());
  std::vector<ChatLink> out;
  while (q.step()) out.push_back(chat_link(q));
  return out;
}

bool SqliteStore::run_claimed(std::string_view kind, std::string_view key) {
  auto r = acquire_reader();
  Query q(*r, "SELECT 1 FROM notice_runs WHERE kind = ? AND run_key = ?");
  q.bind(kind).bind(key);
  return q.step();
}

std::optional<std::pair<std::int64_t, std::string>> SqliteStore::submission_owner(
    std::int64_t submission_id) {
  auto r = acquire_reader();
  Query q(*r, "SELECT account_id, receipt FROM submissions WHERE id = ?");
  q.bind(submission_id);
  if (!q.step()) return std::nullopt;
  return std::make_pair(q.i64(0), q.text(1));
}

}  // namespace md::store
