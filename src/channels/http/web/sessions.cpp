// What the two signed-in areas share, the personal account (customers) and the console (staff):
// the session a request resumes with its CSRF token, sign-in, the forgotten-password page and the
// password change.
#include "channels/http/web/web_internal.hpp"
#include "channels/mail/mail.hpp"

namespace md::http::web {

std::optional<Response> Site::open_area(Page& p, bool staff, std::optional<Form>& form) {
  if (p.req.method == "POST") {
    std::string error;
    form = parse_form(p.req, error);
    if (!form) return message(p, 400, "400", error, "alert");
  }
  auto s =
      service::resume_session(ctx.store, cookie(p.req, session_cookie(staff)), ctx.clock.now());
  if (s && (s->user.role != "customer") == staff) {
    p.who = std::move(*s);
    p.csrf = p.who->session.csrf;
  }
  if (form && !csrf_ok(p, *form)) return forbidden_csrf(p);
  return std::nullopt;
}

Response Site::sign_in(Page& p, const std::optional<Form>& form, bool staff) {
  const std::string home = staff ? "/operator" : "/account";
  if (p.who) return redirect(p, home);
  const std::string title = text(p.lang, staff ? TextKey("console") : TextKey("sign_in"));
  Data d;
  d.set("action", home + "/sign-in");
  d.set("login_label", text(p.lang, staff ? TextKey("login_staff") : TextKey("login_customer")));
  if (!staff) d.set("signup_href", "/account/sign-up");
  d.set("reset_href", home + "/reset");
  if (!form) return html(p, title, "signin", d);
  const auto now = ctx.clock.now();
  std::string login = form->get("login").substr(0, 254);
  d.set("login", login);
  if (!signin_per_address->allow(service::address_key(p.req.remote), now)) {
    ctx.metrics.limited("signin_per_address");
    d.set("error", text(p.lang, "too_many_sign_ins"));
    return html(p, title, "signin", d, 429);
  }
  auto result =
      service::sign_in(ctx.store, {*wrong_sign_ins, p.req.remote}, login,
                       form->get("password").substr(0, 1024), staff, now, p.req.request_id);
  ctx.metrics.signin(staff ? "operator" : "account",
                     result.status == service::SignIn::Status::ok       ? "ok"
                     : result.status == service::SignIn::Status::locked ? "locked"
                                                                        : "wrong");
  if (result.status == service::SignIn::Status::ok) {
    // A new session on every sign-in: a token planted before cannot be carried over.
    const char* name = session_cookie(staff);
    if (auto old = cookie(p.req, name); !old.empty()) service::close_session(ctx.store, old);
    auto ttl = staff ? ctx.options.staff_session : ctx.options.customer_session;
    auto s = service::open_session(ctx.store, result.user->id, ttl, now);
    set_cookie(p, name, s.token, home, ttl);
    return redirect(p, home);
  }
  std::string err =
      text(p.lang, staff ? TextKey("wrong_staff_login") : TextKey("wrong_customer_login"));
  if (result.retry_after)
    err += " " + text(p.lang, "try_again_after", {{"time", format_time(*result.retry_after)}});
  d.set("error", err);
  return html(p, title, "signin", d, result.status == service::SignIn::Status::locked ? 429 : 401);
}

Response Site::reset_page(Page& p, const std::optional<Form>& form, bool staff, bool by_mail) {
  const std::string home = staff ? "/operator" : "/account";
  if (p.who) return redirect(p, home + "/password");
  const bool mail = !staff && ctx.options.mail;
  if (by_mail && !mail) return message(p, 404, "404", text(p.lang, "no_such_page"), "alert");
  const std::string title = text(p.lang, "reset_password");
  Data d;
  d.set("action", home + "/reset");
  d.set("login_label", text(p.lang, staff ? TextKey("login_staff") : TextKey("login_customer")));
  d.set("explain", text(p.lang, staff  ? TextKey("reset_explain_staff")
                                : mail ? TextKey("reset_explain_customer_mail")
                                       : TextKey("reset_explain_customer")));
  if (mail) d.set("mail_action", home + "/reset/mail");
  if (!form) return html(p, title, "reset", d);
  const auto now = ctx.clock.now();
  std::string login = form->get("login").substr(0, 254);
  d.set("login", login);
  d.set("code", form->get("code").substr(0, 64));
  // The same per-address budget as sign-ins: codes are guessed from the same places.
  if (!signin_per_address->allow(service::address_key(p.req.remote), now)) {
    ctx.metrics.limited("signin_per_address");
    d.set("error", text(p.lang, "too_many_sign_ins"));
    return html(p, title, "reset", d, 429);
  }
  if (by_mail) {
    const i18n::Lang lang = p.lang;
    auto status = service::mail_password_reset(
        ctx.store, login,
        [&](const std::string& code, domain::Instant expires_at) {
          return mail::reset_code(lang, code, format_time(expires_at), ctx.options.public_url);
        },
        *reset_mails, std::chrono::hours(24), now, p.req.request_id);
    if (status == service::MailedReset::queued && ctx.mail_queued) ctx.mail_queued();
    if (status == service::MailedReset::too_many) ctx.metrics.limited("reset_mail_per_person");
    // The same answer whatever happened: the page does not tell whether the account is known.
    d.set("mailed", text(p.lang, "reset_mailed"));
    return html(p, title, "reset", d);
  }
  auto r = service::reset_password(ctx.store, {*wrong_sign_ins, p.req.remote}, login,
                                   form->get("code").substr(0, 64),
                                   form->get("new").substr(0, 1024), staff, now, p.req.request_id);
  using S = service::PasswordReset::Status;
  if (r.status == S::reset) {
    // Every session was signed out; this browser gets a fresh one.
    auto ttl = staff ? ctx.options.staff_session : ctx.options.customer_session;
    auto s = service::open_session(ctx.store, r.user->id, ttl, now);
    set_cookie(p, session_cookie(staff), s.token, home, ttl);
    return redirect(p, home);
  }
  std::string err = text(p.lang, r.status == S::weak_password ? TextKey("new_password_short")
                                                              : TextKey("reset_code_wrong"));
  if (r.retry_after)
    err += " " + text(p.lang, "try_again_after", {{"time", format_time(*r.retry_after)}});
  d.set("error", err);
  return html(p, title, "reset", d, r.status == S::locked ? 429 : 422);
}

Response Site::password_page(Page& p, const std::optional<Form>& form, bool staff) {
  const std::string home = staff ? "/operator" : "/account";
  Data d;
  d.set("action", home + "/password");
  if (!form) return html(p, text(p.lang, "change_password"), "password", d);
  const auto now = ctx.clock.now();
  auto r = service::change_password(ctx.store, p.who->user, form->get("old").substr(0, 1024),
                                    form->get("new").substr(0, 1024), now, p.req.request_id);
  if (r == service::PasswordChange::changed) {
    // Every session was signed out; this browser gets a fresh one.
    auto ttl = staff ? ctx.options.staff_session : ctx.options.customer_session;
    auto s = service::open_session(ctx.store, p.who->user.id, ttl, now);
    set_cookie(p, session_cookie(staff), s.token, home, ttl);
    return redirect(p, home);
  }
  d.set("error", text(p.lang, r == service::PasswordChange::wrong_password
                                  ? TextKey("wrong_current_password")
                                  : TextKey("new_password_short")));
  return html(p, text(p.lang, "change_password"), "password", d, 422);
}

}  // namespace md::http::web
