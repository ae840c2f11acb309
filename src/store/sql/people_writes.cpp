// Who people are and what staff decide: users, sessions, reset codes, API tokens, review
// decisions, price changes, K_outage entries, and a reading's photo.
#include "store/sql/writes.hpp"

namespace md::store::detail::people {

void insert_photo(SqlConn& c, std::int64_t submission_id, const Photo& photo, Instant at) {
  Query q(c,
          "INSERT INTO submission_photos (submission_id, content_type, bytes, created_at)"
          " VALUES (?, ?, ?, ?)");
  q.bind(submission_id).bind(photo.content_type).bind_blob(photo.bytes).bind(secs(at));
  q.run();
}

std::int64_t insert_user(SqlConn& c, const NewUser& u, Instant at) {
  Query q(c,
          "INSERT INTO users (login, role, account_id, email, phone, password_hash, created_at)"
          " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id");
  q.bind(u.login).bind(u.role).bind(u.account_id);
  if (u.email.empty())
    q.bind_null();
  else
    q.bind(u.email);
  q.bind(u.phone).bind(u.password_hash).bind(secs(at));
  return returning_id(q);
}

std::string keep_secret(SqlConn& c, std::string_view name, std::string_view candidate, Instant at) {
  Query insert(c,
               "INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?)"
               " ON CONFLICT (name) DO NOTHING");
  insert.bind(name).bind(candidate).bind(secs(at)).run();
  Query q(c, "SELECT value FROM server_secrets WHERE name = ?");
  q.bind(name);
  if (!q.step()) throw StoreError("the secret just kept is not there");
  return q.text(0);
}

void set_password(SqlConn& c, std::int64_t user_id, std::string_view hash) {
  Query q(c, "UPDATE users SET password_hash = ? WHERE id = ?");
  q.bind(hash).bind(user_id).run();
}

void set_disabled(SqlConn& c, std::int64_t user_id, std::optional<Instant> at) {
  Query q(c, "UPDATE users SET disabled_at = ? WHERE id = ?");
  if (at)
    q.bind(secs(*at));
  else
    q.bind_null();
  q.bind(user_id).run();
}

void set_role(SqlConn& c, std::int64_t user_id, std::string_view role) {
  Query q(c, "UPDATE users SET role = ? WHERE id = ?");
  q.bind(role).bind(user_id).run();
}

int lock_active_admins(SqlConn& c) {
  static const std::string sql =
      "SELECT id FROM users WHERE role = 'admin' AND disabled_at IS NULL";
  static const std::string locking = sql + " FOR UPDATE";
  Query q(c, c.dialect().row_locks ? locking.c_str() : sql.c_str());
  int n = 0;
  while (q.step()) ++n;
  return n;
}

void set_reminders(SqlConn& c, std::int64_t user_id, bool on) {
  Query q(c, "UPDATE users SET reminders = ? WHERE id = ?");
  q.bind(on ? 1 : 0).bind(user_id).run();
}

void set_contact(SqlConn& c, std::int64_t user_id, std::string_view email, std::string_view phone) {
  Query q(c, "UPDATE users SET email = ?, phone = ? WHERE id = ?");
  if (email.empty())
    q.bind_null();
  else
    q.bind(email);
  q.bind(phone).bind(user_id).run();
}

void insert_session(SqlConn& c, std::string_view token_hash, const SessionRow& s, Instant at) {
  Query q(c,
          "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at)"
          " VALUES (?, ?, ?, ?, ?)");
  q.bind(token_hash).bind(s.user_id).bind(s.csrf).bind(secs(at)).bind(secs(s.expires_at)).run();
}

void delete_session(SqlConn& c, std::string_view token_hash) {
  Query q(c, "DELETE FROM sessions WHERE token_hash = ?");
  q.bind(token_hash).run();
}

void delete_sessions_of(SqlConn& c, std::int64_t user_id) {
  Query q(c, "DELETE FROM sessions WHERE user_id = ?");
  q.bind(user_id).run();
}

void insert_password_reset(SqlConn& c, std::string_view code_hash, std::int64_t user_id,
                           std::string_view issued_by, Instant at, Instant expires_at) {
  expire_password_resets(c, user_id, at);
  Query q(c,
          "INSERT INTO password_resets (code_hash, user_id, issued_by, created_at, expires_at)"
          " VALUES (?, ?, ?, ?, ?)");
  q.bind(code_hash).bind(user_id).bind(issued_by).bind(secs(at)).bind(secs(expires_at)).run();
}

void expire_password_resets(SqlConn& c, std::int64_t user_id, Instant at) {
  Query q(c,
          "UPDATE password_resets SET expires_at = ? WHERE user_id = ? AND used_at IS NULL"
          " AND expires_at > ?");
  q.bind(secs(at)).bind(user_id).bind(secs(at)).run();
}

bool use_password_reset(SqlConn& c, std::string_view code_hash, std::int64_t user_id, Instant at) {
  // One statement decides: two browsers racing with the same code cannot both spend it.
  Query q(c,
          "UPDATE password_resets SET used_at = ? WHERE code_hash = ? AND user_id = ?"
          " AND used_at IS NULL AND expires_at > ?");
  q.bind(secs(at)).bind(code_hash).bind(user_id).bind(secs(at)).run();
  return q.changes() == 1;
}

bool decide_review(SqlConn& c, std::int64_t submission_id, std::string_view decision,
                   std::string_view actor, std::string_view reason, Instant at) {
  Query q(c,
          "UPDATE review_items SET decision = ?, decided_by = ?, decision_reason = ?,"
          " decided_at = ? WHERE submission_id = ? AND decision IS NULL");
  q.bind(decision).bind(actor).bind(reason).bind(secs(at)).bind(submission_id).run();
  return q.changes() == 1;
}

void insert_price_change(SqlConn& c, const domain::PriceChange& change, std::string_view actor,
                         std::string_view reason, Instant at) {
  Query q(c,
          "INSERT INTO price_changes (item, valid_from, value, actor, reason, created_at)"
          " VALUES (?, ?, ?, ?, ?, ?)");
  q.bind(change.item)
      .bind(day_text(change.from))
      .bind(change.value)
      .bind(actor)
      .bind(reason)
      .bind(secs(at));
  q.run();
}

void insert_outage_coefficient(SqlConn& c, const OutageCoefficientRow& row) {
  Query q(c,
          "INSERT INTO outage_coefficients (area, period, k_milli, actor, reason, created_at)"
          " VALUES (?, ?, ?, ?, ?, ?)");
  q.bind(row.area).bind(row.period.str()).bind(row.k_milli).bind(row.actor).bind(row.reason);
  q.bind(secs(row.created_at)).run();
}

bool revoke_token(SqlConn& c, std::int64_t id, Instant at) {
  Query q(c, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
  q.bind(secs(at)).bind(id).run();
  return q.changes() == 1;
}

}  // namespace md::store::detail::people
