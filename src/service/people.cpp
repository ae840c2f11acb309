#include "service/people.hpp"

#include <sodium.h>

#include <cctype>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>
#include "service/accounts.hpp"
#include "service/digest.hpp"
#include "service/rate_limit.hpp"

namespace md::service {
namespace {

void ensure_sodium() {
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium failed to initialise");
}

bool acceptable_password(std::string_view pw) {
  return pw.size() >= kMinPassword && pw.size() <= kMaxPassword;
}

bool plausible_email(std::string_view e) {
  auto at = e.find('@');
  if (e.size() > 254 || at == std::string_view::npos || at == 0 || at + 1 >= e.size()) return false;
  if (e.find('.', at) == std::string_view::npos) return false;
  for (char c : e)
    if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == '"') return false;
  return true;
}

store::AuditEntry audit_entry(std::string actor, std::string action, std::string identity,
                              std::string result, domain::Instant now,
                              std::string_view request_id) {
  store::AuditEntry e;
  e.at = now;
  e.actor = std::move(actor);
  e.channel = "web";
  e.action = std::move(action);
  e.identity = std::move(identity);
  e.result = std::move(result);
  e.request_id = std::string(request_id);
  return e;
}

std::string identity_of(const store::UserRow& u) {
  return u.role == "customer" ? "account=" + u.login : "staff=" + u.login;
}

// The key wrong sign-ins are counted under, with the address: the person, whichever of their
// logins (account number, e-mail) was typed; a login nobody has, as typed (case folded).
std::string signin_key(const std::optional<store::UserRow>& user, std::string_view login,
                       std::string_view remote) {
  std::string key;
  if (user) {
    key = "signin-user:" + std::to_string(user->id);
  } else {
    key = "signin-login:";
    for (char c : login) key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return key + "@" + std::string(remote);
}

// Until when this login may not be tried from this address; nullopt while it may.
std::optional<domain::Instant> signin_locked(const SignInFrom& from, const std::string& key,
                                             domain::Instant now) {
  auto until = from.wrong.retry_at(key, now);
  return until > now ? std::optional(until) : std::nullopt;
}

// One more wrong try; until when the next one waits, if it now must.
std::optional<domain::Instant> count_wrong_sign_in(const SignInFrom& from, const std::string& key,
                                                   domain::Instant now) {
  from.wrong.allow(key, now);
  return signin_locked(from, key, now);
}

// A try at a login that does not exist (or not on this side) is audited without one.
store::AuditEntry unknown_login_audit(const char* action, const char* result, domain::Instant now,
                                      std::string_view request_id) {
  return audit_entry("anonymous", action, "unknown", result, now, request_id);
}

// Would taking this person's admin role away leave no admin who can sign in? Asked inside the
// write that takes it, so that the answer still holds when it commits.
bool last_admin(store::WriteTx& tx, const store::UserRow& person) {
  return person.role == "admin" && !person.disabled_at && tx.lock_active_admins() <= 1;
}

// Crockford's base32: no I, L, O or U to misread over the phone.
constexpr std::string_view kResetAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kResetLength = 12;

std::string new_reset_code() {
  ensure_sodium();
  std::string code;
  for (std::size_t i = 0; i < kResetLength; ++i)
    code += kResetAlphabet[randombytes_uniform(kResetAlphabet.size())];
  return code;
}

std::string shown_reset_code(const std::string& code) {
  return code.substr(0, 4) + "-" + code.substr(4, 4) + "-" + code.substr(8);
}

}  // namespace

std::string random_token() {
  ensure_sodium();
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

std::string hash_password(std::string_view password) {
  ensure_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw std::runtime_error("out of memory hashing a password");
  return out;
}

bool verify_password(const std::string& hash, std::string_view password) {
  ensure_sodium();
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool known_staff_role(std::string_view role) {
  return role == "operator" || role == "supervisor" || role == "admin";
}

std::string actor_of(const store::UserRow& user) {
  return user.role + ":" + user.login;
}

SignUpResult sign_up(store::Store& store, const SignUp& req, domain::Instant now,
                     std::int64_t* user_id) {
  if (!acceptable_password(req.password)) return SignUpResult::weak_password;
  if (!req.email.empty() && !plausible_email(req.email)) return SignUpResult::bad_email;
  auto meter = store.find_meter(req.account, req.meter_serial);
  if (!meter || !meter->account_active) return SignUpResult::not_found;
  std::string hash = hash_password(req.password);  // before taking the writer: it is slow
  auto tx = store.begin_write();
  store::NewUser u{req.account, "customer", meter->account_id, req.email, req.phone, hash};
  try {
    std::int64_t id = tx->insert_user(u, now);
    if (user_id) *user_id = id;
  } catch (const store::ConflictError& e) {
    return e.kind == store::Conflict::email ? SignUpResult::email_taken
                                            : SignUpResult::already_registered;
  }
  tx->append_audit(
      audit_entry("customer", "sign_up", "account=" + req.account, "created", now, req.request_id));
  tx->commit();
  return SignUpResult::created;
}

std::int64_t add_staff_user(store::Store& store, const std::string& login, const std::string& role,
                            const std::string& password, domain::Instant now,
                            const std::string& actor) {
  if (!known_staff_role(role))
    throw std::invalid_argument("the role must be operator, supervisor or admin");
  if (login.empty() || login.size() > 64 || login.find_first_of(" \t@/") != std::string::npos ||
      valid_account_number(login, static_cast<int>(login.size())))
    throw std::invalid_argument(
        "a staff login is 1-64 characters without spaces, @ or /, "
        "and not all digits (those are account numbers)");
  if (!acceptable_password(password))
    throw std::invalid_argument("the password must be 10 to 256 characters");
  std::string hash = hash_password(password);
  auto tx = store.begin_write();
  std::int64_t id = 0;
  try {
    id = tx->insert_user(store::NewUser{login, role, std::nullopt, "", "", hash}, now);
  } catch (const store::ConflictError& e) {
    if (e.kind == store::Conflict::login) throw LoginTaken();
    throw;
  }
  auto e = audit_entry(actor, "user_add", "staff=" + login, "created", now, "");
  e.channel = actor.ends_with(":cli") ? "cli" : "operator_console";
  e.reason = "role " + role;
  tx->append_audit(e);
  tx->commit();
  return id;
}

StaffChange set_staff_enabled(store::Store& store, const std::string& login, bool enabled,
                              const std::string& actor, const std::string& channel,
                              std::string_view reason, domain::Instant now,
                              std::string_view request_id) {
  auto person = store.find_user(login);
  if (!person || person->role == "customer") return StaffChange::no_such_person;
  if (reason.find_first_not_of(" \t") == std::string_view::npos) return StaffChange::no_reason;
  if (!enabled && actor == actor_of(*person)) return StaffChange::own_login;
  auto tx = store.begin_write();
  if (!enabled && last_admin(*tx, *person)) return StaffChange::last_admin;
  tx->set_disabled(person->id, enabled ? std::nullopt : std::optional<domain::Instant>(now));
  if (!enabled) {
    tx->delete_sessions_of(person->id);
    tx->expire_password_resets(person->id, now);
  }
  auto e = audit_entry(actor, enabled ? "user_enable" : "user_disable", identity_of(*person),
                       enabled ? "enabled" : "disabled", now, request_id);
  e.channel = channel;
  e.reason = std::string(reason.substr(0, 500));
  tx->append_audit(e);
  tx->commit();
  return StaffChange::done;
}

StaffChange set_staff_role(store::Store& store, const std::string& login, const std::string& role,
                           const std::string& actor, const std::string& channel,
                           std::string_view reason, domain::Instant now,
                           std::string_view request_id) {
  auto person = store.find_user(login);
  if (!person || person->role == "customer") return StaffChange::no_such_person;
  if (!known_staff_role(role)) return StaffChange::unknown_role;
  if (reason.find_first_not_of(" \t") == std::string_view::npos) return StaffChange::no_reason;
  if (person->role == role) return StaffChange::done;
  if (actor == actor_of(*person)) return StaffChange::own_login;
  auto tx = store.begin_write();
  if (last_admin(*tx, *person)) return StaffChange::last_admin;
  tx->set_role(person->id, role);
  auto e = audit_entry(actor, "user_role", identity_of(*person), person->role + " -> " + role, now,
                       request_id);
  e.channel = channel;
  e.reason = std::string(reason.substr(0, 500));
  tx->append_audit(e);
  tx->commit();
  return StaffChange::done;
}

SignIn sign_in(store::Store& store, const SignInFrom& from, std::string_view login,
               std::string_view password, bool staff, domain::Instant now,
               std::string_view request_id) {
  // A fixed hash to verify against when the login is unknown: the same work, the same time.
  static const std::string dummy = hash_password("meterdesk-no-such-user");
  SignIn out;
  auto user = login.empty() ? std::nullopt : store.find_user(login);
  if (user && (user->role != "customer") != staff) user.reset();
  // Known or not, every answer takes the same path: a check of the limit, a password verified,
  // a count, an audit record written.
  auto audit = [&](const char* result) {
    auto tx = store.begin_write();
    tx->append_audit(
        user ? audit_entry(actor_of(*user), "sign_in", identity_of(*user), result, now, request_id)
             : unknown_login_audit("sign_in", result, now, request_id));
    tx->commit();
  };
  const std::string key = signin_key(user, login, from.remote);
  if (auto until = signin_locked(from, key, now)) {
    out.status = SignIn::Status::locked;
    out.retry_after = until;
    audit("locked");
    return out;
  }
  // A person who has left verifies against the dummy too: their password no longer matters.
  const bool usable = user && !user->disabled_at;
  const bool ok = verify_password(usable ? user->password_hash : dummy, password) && usable;
  if (ok) {
    out.status = SignIn::Status::ok;
    out.user = user;
    audit("ok");
    return out;
  }
  out.retry_after = count_wrong_sign_in(from, key, now);
  // The answer does not say that the person has left; the audit does.
  audit(user && user->disabled_at ? "failed:disabled" : "failed");
  return out;
}

Session open_session(store::Store& store, std::int64_t user_id, std::chrono::seconds ttl,
                     domain::Instant now) {
  Session s{random_token(), random_token(), now + ttl};
  auto tx = store.begin_write();
  tx->insert_session(digest_hex(s.token), store::SessionRow{user_id, s.csrf, s.expires_at}, now);
  tx->commit();
  return s;
}

void close_session(store::Store& store, std::string_view token) {
  auto tx = store.begin_write();
  tx->delete_session(digest_hex(token));
  tx->commit();
}

void sign_out(store::Store& store, std::string_view token, const store::UserRow& user,
              domain::Instant now, std::string_view request_id) {
  auto tx = store.begin_write();
  tx->delete_session(digest_hex(token));
  tx->append_audit(
      audit_entry(actor_of(user), "sign_out", identity_of(user), "ok", now, request_id));
  tx->commit();
}

std::optional<SignedIn> resume_session(store::Store& store, std::string_view token,
                                       domain::Instant now) {
  if (token.size() != 64) return std::nullopt;
  auto session = store.find_session(digest_hex(token));
  if (!session || session->expires_at <= now) return std::nullopt;
  auto user = store.user_by_id(session->user_id);
  if (!user || user->disabled_at) return std::nullopt;
  return SignedIn{std::move(*user), std::move(*session)};
}

PasswordChange change_password(store::Store& store, const store::UserRow& user,
                               std::string_view old_password, std::string_view new_password,
                               domain::Instant now, std::string_view request_id) {
  if (!verify_password(user.password_hash, old_password)) return PasswordChange::wrong_password;
  if (!acceptable_password(new_password)) return PasswordChange::weak_password;
  std::string hash = hash_password(new_password);
  auto tx = store.begin_write();
  tx->set_password(user.id, hash);
  tx->delete_sessions_of(user.id);
  tx->append_audit(audit_entry(actor_of(user), "password_change", identity_of(user), "changed", now,
                               request_id));
  tx->commit();
  return PasswordChange::changed;
}

std::string normalize_reset_code(std::string_view typed) {
  std::string out;
  for (char c : typed.substr(0, 64)) {
    if (c == ' ' || c == '-') continue;
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (c == 'O') c = '0';
    if (c == 'I' || c == 'L') c = '1';
    out += c;
  }
  return out;
}

ResetCode issue_password_reset(store::Store& store, std::string_view login, Side side,
                               const std::string& actor, const std::string& channel,
                               std::string_view reason, std::chrono::seconds ttl,
                               domain::Instant now, std::string_view request_id) {
  using S = ResetCode::Status;
  auto person = login.empty() ? std::nullopt : store.find_user(login);
  if (!person || (side != Side::either && (person->role == "customer") != (side == Side::customer)))
    return {S::no_such_person};
  if (reason.find_first_not_of(" \t") == std::string_view::npos) return {S::no_reason};
  if (person->disabled_at) return {S::disabled};
  const std::string code = new_reset_code();
  ResetCode out{S::issued, shown_reset_code(code), now + ttl};
  auto tx = store.begin_write();
  tx->insert_password_reset(digest_hex(code), person->id, actor, now, out.expires_at);
  auto e =
      audit_entry(actor, "password_reset_code", identity_of(*person), "issued", now, request_id);
  e.channel = channel;
  e.reason = std::string(reason.substr(0, 500));
  tx->append_audit(e);
  tx->commit();
  return out;
}

std::string mail_body(const std::string& to, const std::string& subject, const std::string& text) {
  return nlohmann::json{{"to", to}, {"subject", subject}, {"text", text}}.dump();
}

MailedReset mail_password_reset(store::Store& store, std::string_view login,
                                const ComposeResetMail& compose, AttemptLimit& per_person,
                                std::chrono::seconds ttl, domain::Instant now,
                                std::string_view request_id) {
  auto person = login.empty() ? std::nullopt : store.find_user(login);
  if (!person || person->role != "customer") return MailedReset::unknown;
  auto e = audit_entry(actor_of(*person), "password_reset_code", identity_of(*person), "", now,
                       request_id);
  e.reason = "asked for by e-mail on the reset page";
  auto tx = store.begin_write();
  MailedReset out = MailedReset::queued;
  if (person->disabled_at) {
    out = MailedReset::disabled;
  } else if (person->email.empty()) {
    out = MailedReset::no_email;
  } else if (!per_person.allow(*tx, "reset-mail:" + std::to_string(person->id), now)) {
    out = MailedReset::too_many;
  }
  if (out == MailedReset::queued) {
    const std::string code = new_reset_code();
    auto mail = compose(shown_reset_code(code), now + ttl);
    tx->insert_password_reset(digest_hex(code), person->id, e.actor, now, now + ttl);
    tx->enqueue({std::string(kMailChannel), person->email, "send",
                 mail_body(person->email, mail.subject, mail.text)},
                now);
    e.result = "mailed";
  } else {
    e.result = out == MailedReset::disabled   ? "refused:disabled"
               : out == MailedReset::no_email ? "refused:no_email"
                                              : "refused:too_many";
  }
  tx->append_audit(e);
  tx->commit();
  return out;
}

PasswordReset reset_password(store::Store& store, const SignInFrom& from, std::string_view login,
                             std::string_view code, std::string_view new_password, bool staff,
                             domain::Instant now, std::string_view request_id) {
  PasswordReset out;
  auto user = login.empty() ? std::nullopt : store.find_user(login);
  if (user && (user->role != "customer") != staff) user.reset();
  auto audit = [&](store::WriteTx& tx, const char* result) {
    tx.append_audit(user ? audit_entry(actor_of(*user), "password_reset", identity_of(*user),
                                       result, now, request_id)
                         : unknown_login_audit("password_reset", result, now, request_id));
  };
  const std::string key = signin_key(user, login, from.remote);
  if (auto until = signin_locked(from, key, now)) {
    out.status = PasswordReset::Status::locked;
    out.retry_after = until;
    auto tx = store.begin_write();
    audit(*tx, "locked");
    tx->commit();
    return out;
  }
  // Checked before the code, so a short password does not spend it.
  if (!acceptable_password(new_password)) {
    out.status = PasswordReset::Status::weak_password;
    return out;
  }
  const std::string typed = normalize_reset_code(code);
  const bool well_formed =
      typed.size() == kResetLength && typed.find_first_not_of(kResetAlphabet) == std::string::npos;
  // Only a well-formed code of a person who has not left can be used; every other try is
  // counted and answered alike, whether the login exists or not.
  const bool usable = user && !user->disabled_at && well_formed;
  std::string hash = usable ? hash_password(new_password) : std::string();
  auto tx = store.begin_write();
  if (usable && tx->use_password_reset(digest_hex(typed), user->id, now)) {
    tx->set_password(user->id, hash);
    tx->delete_sessions_of(user->id);
    out.status = PasswordReset::Status::reset;
    out.user = user;
    audit(*tx, "reset");
  } else {
    out.retry_after = count_wrong_sign_in(from, key, now);
    audit(*tx, "failed");
  }
  tx->commit();
  return out;
}

void set_reminders(store::Store& store, const store::UserRow& user, bool on, domain::Instant now) {
  auto tx = store.begin_write();
  tx->set_reminders(user.id, on);
  tx->append_audit(
      audit_entry(actor_of(user), "reminders", identity_of(user), on ? "on" : "off", now, ""));
  tx->commit();
}

ContactChange set_contact(store::Store& store, const store::UserRow& user, const std::string& email,
                          const std::string& phone, domain::Instant now) {
  if (!email.empty() && !plausible_email(email)) return ContactChange::bad_email;
  if (phone.size() > 32 || phone.find_first_not_of("+0123456789 ()-") != std::string::npos)
    return ContactChange::bad_email;
  auto tx = store.begin_write();
  try {
    tx->set_contact(user.id, email, phone);
  } catch (const store::ConflictError&) {
    return ContactChange::email_taken;
  }
  tx->append_audit(
      audit_entry(actor_of(user), "contact_change", identity_of(user), "changed", now, ""));
  tx->commit();
  return ContactChange::changed;
}

}  // namespace md::service
