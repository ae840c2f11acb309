// Sign-up for a personal account: the account number and a meter serial prove it is theirs,
// counted against the same attempt limits as the public form.
#include "channels/http/web/cabinet/cabinet.hpp"

namespace md::http::web::cabinet {

void sign_up(Request& rq) {
  Page& p = rq.p;
  auto& ctx = rq.site.ctx;
  if (p.who) return rq.respond(rq.site.redirect(p, "/account"));
  Data d;
  if (!rq.post) return rq.respond(rq.site.html(p, text(p.lang, "sign_up"), "signup", d));
  service::SignUp su{rq.form->get("account").substr(0, 32),    rq.form->get("serial").substr(0, 32),
                     rq.form->get("password").substr(0, 1024), rq.form->get("email").substr(0, 254),
                     rq.form->get("phone").substr(0, 32),      p.req.request_id};
  d.set("account", su.account);
  d.set("serial", su.meter_serial);
  d.set("email", su.email);
  d.set("phone", su.phone);
  auto too_many_attempts = [&] {
    d.set("error", i18n::message(p.lang, "too_many_attempts"));
    return rq.site.html(p, text(p.lang, "sign_up"), "signup", d, 429);
  };
  if (service::guess_refused(rq.site.guesses, su.account, p.req.remote, rq.now))
    return rq.respond(too_many_attempts());
  std::int64_t user_id = 0;
  auto result = service::sign_up(ctx.store, su, rq.now, &user_id);
  if (result == service::SignUpResult::not_found) {
    if (service::count_wrong_guess(rq.site.guesses, su.account, p.req.remote, rq.now))
      return rq.respond(too_many_attempts());
  }
  if (result == service::SignUpResult::created) {
    auto s = service::open_session(ctx.store, user_id, ctx.options.customer_session, rq.now);
    rq.site.set_cookie(p, session_cookie(false), s.token, "/account", ctx.options.customer_session);
    return rq.respond(rq.site.redirect(p, "/account"));
  }
  std::string err;
  switch (result) {
    case service::SignUpResult::weak_password:
      err = text(p.lang, "password_short");
      break;
    case service::SignUpResult::bad_email:
      err = text(p.lang, "email_wrong");
      break;
    case service::SignUpResult::email_taken:
    case service::SignUpResult::already_registered:
      err = text(p.lang, "already_registered");
      break;
    default:
      err = i18n::message(p.lang, "not_found");
  }
  d.set("error", err);
  return rq.respond(rq.site.html(p, text(p.lang, "sign_up"), "signup", d, 422));
}

}  // namespace md::http::web::cabinet
