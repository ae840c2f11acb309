// The store's reads of the messenger tables: chats and their accounts, the outbox, notice runs.
#include "store/sql/rows.hpp"
#include "store/sql/sql_store.hpp"

namespace md::store {

using namespace detail;

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

// Links with a seventh column: whether the account sent a reading for the period.
std::vector<ChatLink> links_with_reading(Query& q) {
  std::vector<ChatLink> out;
  while (q.step()) {
    out.push_back(chat_link(q));
    out.back().has_reading = q.i64(6) != 0;
  }
  return out;
}

constexpr const char* kLinkColumns = "c.channel, c.chat_id, c.lang, c.reminders, a.id, a.number";

}  // namespace

std::vector<AccountRow> SqlStore::accounts_by_phone(std::string_view phone) {
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

std::vector<OutboxRow> SqlStore::outbox_due(Instant now, int limit) {
  auto r = acquire_reader();
  Query q(*r,
          "SELECT id, channel, chat_id, method, body, not_before, attempts, bulk FROM outbox"
          " WHERE status = 'pending' AND not_before <= ?"
          // A chat's messages go in order: none while an earlier one waits for its retry.
          " AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.status = 'pending'"
          " AND e.channel = outbox.channel AND e.chat_id = outbox.chat_id AND e.id < outbox.id"
          " AND e.not_before > ?) ORDER BY bulk, id LIMIT ?");
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
    m.bulk = q.i64(7) != 0;
    out.push_back(std::move(m));
  }
  return out;
}

std::int64_t SqlStore::outbox_pending() {
  auto r = acquire_reader();
  Query q(*r, "SELECT count(*) FROM outbox WHERE status = 'pending'");
  return q.step() ? q.i64(0) : 0;
}

std::vector<ChatLink> SqlStore::chats_of_account(std::int64_t account_id) {
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

std::vector<ChatLink> SqlStore::reminder_targets(YearMonth period) {
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
  return links_with_reading(q);
}

std::vector<ChatLink> SqlStore::mail_reminder_targets(YearMonth period) {
  auto r = acquire_reader();
  Query q(*r,
          "SELECT 'email', u.email, 'uk', u.reminders, a.id, a.number,"
          " EXISTS (SELECT 1 FROM submissions s WHERE s.account_id = a.id AND s.period = ?"
          " AND s.status = 'accepted')"
          " FROM users u JOIN accounts a ON a.id = u.account_id"
          " WHERE u.role = 'customer' AND u.reminders = 1 AND u.email IS NOT NULL"
          " AND u.email <> '' AND u.disabled_at IS NULL AND a.active = 1"
          " ORDER BY u.email, a.number");
  q.bind(period.str());
  return links_with_reading(q);
}

std::vector<ChatLink> SqlStore::estimated_targets(YearMonth period) {
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

bool SqlStore::run_claimed(std::string_view kind, std::string_view key) {
  auto r = acquire_reader();
  Query q(*r, "SELECT 1 FROM notice_runs WHERE kind = ? AND run_key = ?");
  q.bind(kind).bind(key);
  return q.step();
}

std::optional<std::pair<std::int64_t, std::string>> SqlStore::submission_owner(
    std::int64_t submission_id) {
  auto r = acquire_reader();
  Query q(*r, "SELECT account_id, receipt FROM submissions WHERE id = ?");
  q.bind(submission_id);
  if (!q.step()) return std::nullopt;
  return std::make_pair(q.i64(0), q.text(1));
}

}  // namespace md::store
