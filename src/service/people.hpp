// People who sign in: customers in their personal account and staff in the operators' console.
// Passwords are argon2id (libsodium); sessions are random tokens of which only a hash is stored.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "service/rate_limit.hpp"
#include "store/store.hpp"

namespace md::service {

class AttemptLimit;

inline constexpr std::size_t kMinPassword = 10;
inline constexpr std::size_t kMaxPassword = 256;

std::string hash_password(std::string_view password);
bool verify_password(const std::string& hash, std::string_view password);
bool known_staff_role(std::string_view role);  // operator, supervisor, admin
// "operator:ivanenko" or "customer:0123456789": who did it, for the audit.
std::string actor_of(const store::UserRow& user);

struct SignUp {
  std::string account, meter_serial, password, email, phone;
  std::string request_id;
};
enum class SignUpResult {
  created,
  not_found,
  already_registered,
  email_taken,
  weak_password,
  bad_email
};
// Proves the account by its meter serial, as the public form does; one cabinet per account.
SignUpResult sign_up(store::Store& store, const SignUp& req, domain::Instant now,
                     std::int64_t* user_id = nullptr);

// A staff login someone already has.
struct LoginTaken : std::runtime_error {
  LoginTaken() : std::runtime_error("the login is taken") {}
};
// Throws std::invalid_argument on an unknown role or a weak password, LoginTaken.
std::int64_t add_staff_user(store::Store& store, const std::string& login, const std::string& role,
                            const std::string& password, domain::Instant now,
                            const std::string& actor = "admin:cli");

// A staff member who has left is disabled: their sessions and reset codes end, they cannot sign in
// or be given a reset code, and their row stays (the audit names them). Enabling undoes it. An
// admin cannot disable themselves, nor the last admin who can still sign in.
enum class StaffChange { done, no_such_person, no_reason, own_login, last_admin, unknown_role };
StaffChange set_staff_enabled(store::Store& store, const std::string& login, bool enabled,
                              const std::string& actor, const std::string& channel,
                              std::string_view reason, domain::Instant now,
                              std::string_view request_id = "");

// Another role for a staff member (operator, supervisor, admin); it applies from their next
// request, their sessions go on. Not one's own role (another admin changes it), nor the last
// enabled admin's. The same role again changes and records nothing.
StaffChange set_staff_role(store::Store& store, const std::string& login, const std::string& role,
                           const std::string& actor, const std::string& channel,
                           std::string_view reason, domain::Instant now,
                           std::string_view request_id = "");

// Wrong passwords (and reset codes) are counted per login *and client address*: 3 in any 15
// minutes, then that address waits for that login. A login that does not exist is counted and
// answered the same way, so the answers do not tell which logins exist; and nobody can lock a
// person out from elsewhere (OWASP: lock-outs are a denial of service when keyed by login alone).
// The per-address limit of every sign-in (the web's) stops one address trying many logins.
inline constexpr int kWrongSignIns = 3;
inline constexpr std::chrono::minutes kWrongSignInWindow{15};
inline std::unique_ptr<AttemptLimit> wrong_sign_ins(store::Store& store) {
  return attempt_limit(store, "signin-login", kWrongSignIns, kWrongSignInWindow);
}
// Where a sign-in comes from, and the count of wrong ones it is held to.
struct SignInFrom {
  AttemptLimit& wrong;
  std::string_view remote;
};

struct SignIn {
  enum class Status { ok, wrong, locked } status = Status::wrong;
  std::optional<store::UserRow> user;          // ok
  std::optional<domain::Instant> retry_after;  // wrong (when delayed), locked
};
// `staff`: only staff may sign in to the console, only customers to the cabinet.
SignIn sign_in(store::Store& store, const SignInFrom& from, std::string_view login,
               std::string_view password, bool staff, domain::Instant now,
               std::string_view request_id);

struct Session {
  std::string token;  // for the cookie; never stored
  std::string csrf;   // for forms
  domain::Instant expires_at{};
};
Session open_session(store::Store& store, std::int64_t user_id, std::chrono::seconds ttl,
                     domain::Instant now);
void close_session(store::Store& store, std::string_view token);
// Signing out: the session ends and the audit says who left.
void sign_out(store::Store& store, std::string_view token, const store::UserRow& user,
              domain::Instant now, std::string_view request_id);
struct SignedIn {
  store::UserRow user;
  store::SessionRow session;
};
std::optional<SignedIn> resume_session(store::Store& store, std::string_view token,
                                       domain::Instant now);

enum class PasswordChange { changed, wrong_password, weak_password };
// Signs every session of the person out (the caller opens a fresh one).
PasswordChange change_password(store::Store& store, const store::UserRow& user,
                               std::string_view old_password, std::string_view new_password,
                               domain::Instant now, std::string_view request_id);

// A forgotten password: staff give the person a one-time code (after making sure who is asking,
// by the call centre's procedure), and the person sets a new password with it. A code is 12
// characters of Crockford's base32 (60 random bits), shown as XXXX-XXXX-XXXX; a person has one
// code at a time.
struct ResetCode {
  enum class Status { issued, no_such_person, no_reason, disabled } status = Status::no_such_person;
  std::string code;  // issued: to tell the person; only its hash is stored
  domain::Instant expires_at{};
};
// Whose codes a place may give: the console's account view a customer's, its users page a staff
// member's, the command line either.
enum class Side { customer, staff, either };
// `login` is a staff login or a customer's account number; `actor` is who gives the code
// ("operator:x", "admin:cli"), `channel` where ("operator_console", "cli"), `reason` how the
// person was identified (required).
ResetCode issue_password_reset(store::Store& store, std::string_view login, Side side,
                               const std::string& actor, const std::string& channel,
                               std::string_view reason, std::chrono::seconds ttl,
                               domain::Instant now, std::string_view request_id = "");

struct PasswordReset {
  enum class Status { reset, wrong_code, weak_password, locked } status = Status::wrong_code;
  std::optional<store::UserRow> user;          // reset
  std::optional<domain::Instant> retry_after;  // wrong_code (when delayed), locked
};
// `staff` as in sign_in. A wrong code counts as a wrong sign-in of the login from that address
// (the same limit, unknown logins too); a good one is spent, sets the password and signs every
// session out.
PasswordReset reset_password(store::Store& store, const SignInFrom& from, std::string_view login,
                             std::string_view code, std::string_view new_password, bool staff,
                             domain::Instant now, std::string_view request_id);
// E-mail goes out through the outbox: channel "email", the address as its chat, the body from
// mail_body (service/mail.hpp sends it over SMTP).
inline constexpr std::string_view kMailChannel = "email";
std::string mail_body(const std::string& to, const std::string& subject, const std::string& text);

// A customer's own request for a reset code by e-mail (the reset page): the code is written to
// the e-mail on file, never shown on the page, and replaces any earlier one. `per_person` limits
// the mails one person gets (a stranger cannot flood their mailbox). The page answers the same
// whatever happened, so nobody learns whether an account or e-mail is known; the status is for
// the audit, metrics and tests. `compose` words the mail in the page's language.
enum class MailedReset { queued, unknown, no_email, disabled, too_many };
struct MailText {
  std::string subject, text;
};
using ComposeResetMail =
    std::function<MailText(const std::string& code, domain::Instant expires_at)>;
MailedReset mail_password_reset(store::Store& store, std::string_view login,
                                const ComposeResetMail& compose, AttemptLimit& per_person,
                                std::chrono::seconds ttl, domain::Instant now,
                                std::string_view request_id);

// The code as typed, as issued: capitals, no spaces or dashes, O read as 0 and I, L as 1.
std::string normalize_reset_code(std::string_view typed);

void set_reminders(store::Store& store, const store::UserRow& user, bool on, domain::Instant now);
enum class ContactChange { changed, bad_email, email_taken };
ContactChange set_contact(store::Store& store, const store::UserRow& user, const std::string& email,
                          const std::string& phone, domain::Instant now);

std::string random_token();  // 32 random bytes, hex

}  // namespace md::service
