// The writes of a transaction that are plain statements, by what they write: the bots' chats,
// updates, outbox and attempt counters (bot_writes.cpp); people, sessions, reset codes, tokens
// and what staff decide (people_writes.cpp). SqlWriteTx (write_tx.cpp) calls them with its
// connection; the same SQL runs on SQLite and PostgreSQL.
#pragma once

#include "store/sql/rows.hpp"

namespace md::store::detail {

namespace bots {
bool record_update(SqlConn& c, std::string_view channel, std::string_view key, Instant at);
std::optional<ChatRow> chat(SqlConn& c, std::string_view channel, std::string_view chat_id);
void save_chat(SqlConn& c, const ChatRow& r, Instant at);
std::vector<std::string> chat_accounts(SqlConn& c, std::string_view channel,
                                       std::string_view chat_id);
void link_account(SqlConn& c, std::string_view channel, std::string_view chat_id,
                  std::int64_t account_id, Instant at);
void unlink_account(SqlConn& c, std::string_view channel, std::string_view chat_id,
                    std::int64_t account_id);
std::int64_t enqueue(SqlConn& c, const OutboxMessage& m, Instant at);
bool claim_run(SqlConn& c, std::string_view kind, std::string_view key, std::int64_t messages,
               Instant at);
}  // namespace bots
namespace attempts {
bool count(SqlConn& c, std::string_view name, std::int64_t start, int below);
std::int64_t prune(SqlConn& c, std::int64_t before);
}  // namespace attempts
namespace bots {
void outbox_sent(SqlConn& c, std::int64_t id, Instant at);
void outbox_retry(SqlConn& c, std::int64_t id, int attempts, Instant not_before,
                  std::string_view error);
void outbox_failed(SqlConn& c, std::int64_t id, int attempts, std::string_view error, Instant at);
void outbox_forget_body(SqlConn& c, std::int64_t id);
std::int64_t prune_updates(SqlConn& c, Instant before);
std::int64_t prune_outbox(SqlConn& c, Instant done_before);
}  // namespace bots

namespace people {

void insert_photo(SqlConn& c, std::int64_t submission_id, const Photo& photo, Instant at);
std::int64_t insert_user(SqlConn& c, const NewUser& u, Instant at);
void set_password(SqlConn& c, std::int64_t user_id, std::string_view hash);
void set_disabled(SqlConn& c, std::int64_t user_id, std::optional<Instant> at);
void set_role(SqlConn& c, std::int64_t user_id, std::string_view role);
int lock_active_admins(SqlConn& c);
std::string keep_secret(SqlConn& c, std::string_view name, std::string_view candidate, Instant at);
void set_reminders(SqlConn& c, std::int64_t user_id, bool on);
void set_contact(SqlConn& c, std::int64_t user_id, std::string_view email, std::string_view phone);
void insert_session(SqlConn& c, std::string_view token_hash, const SessionRow& s, Instant at);
void delete_session(SqlConn& c, std::string_view token_hash);
void delete_sessions_of(SqlConn& c, std::int64_t user_id);
void insert_password_reset(SqlConn& c, std::string_view code_hash, std::int64_t user_id,
                           std::string_view issued_by, Instant at, Instant expires_at);
void expire_password_resets(SqlConn& c, std::int64_t user_id, Instant at);
bool use_password_reset(SqlConn& c, std::string_view code_hash, std::int64_t user_id, Instant at);
bool decide_review(SqlConn& c, std::int64_t submission_id, std::string_view decision,
                   std::string_view actor, std::string_view reason, Instant at);
void insert_price_change(SqlConn& c, const domain::PriceChange& change, std::string_view actor,
                         std::string_view reason, Instant at);
void insert_outage_coefficient(SqlConn& c, const OutageCoefficientRow& row);
bool revoke_token(SqlConn& c, std::int64_t id, Instant at);

}  // namespace people

}  // namespace md::store::detail
