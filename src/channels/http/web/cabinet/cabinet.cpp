// The customer's personal account: sign-up, sign-in, overview, submit, history, volumes with
// their explanations, bills, a download of all one's data, reminders, contacts, password change.
// This file is the route table and the small actions; the pages live in files of their own.
#include "channels/http/web/cabinet/cabinet.hpp"

#include <array>

namespace md::http::web {
namespace cabinet {
namespace {

// The cabinet's reading form for one of the customer's meters: the same steps as the public form,
// the account already known.
void submit(Request& rq) {
  Site& site = rq.site;
  Page& p = rq.p;
  Site::ReadingForm f;
  f.cabinet = true;
  f.account = rq.user().login;
  if (!rq.post) {
    f.key = service::random_token();
    f.serial = p.req.query_param("serial");
    return rq.respond(site.reading_form(p, f, 200));
  }
  f.serial = rq.form->get("serial");
  f.key = rq.form->get("key").size() == 64 ? rq.form->get("key") : service::random_token();
  f.tries = std::clamp(std::atoi(rq.form->get("tries").c_str()), 0, 99);
  f.step2 = true;
  site.post_reading(rq.page, *rq.form, std::move(f), "cabinet", rq.respond);
}

void overview_page(Request& rq) {
  overview(rq);
}

struct Route {
  std::string_view path;
  void (*page)(Request&);
};
constexpr std::array kRoutes{
    Route{"/account", overview_page},         Route{"/account/", overview_page},
    Route{"/account/contact", overview_page}, Route{"/account/submit", submit},
    Route{"/account/history", history},       Route{"/account/volumes", volumes},
    Route{"/account/bills", bills},           Route{"/account/data.json", data},
    Route{"/account/data.csv", data},
};

}  // namespace
}  // namespace cabinet

void Site::account_page(const PagePtr& page, const Respond& respond) {
  Page& p = *page;
  const std::string& path = p.req.path;
  const bool post = p.req.method == "POST";
  const auto now = ctx.clock.now();
  std::optional<Form> form;
  if (auto refused = open_area(p, false, form)) return respond(std::move(*refused));
  cabinet::Request rq{{*this, page, p, form, now, post, respond}};
  if (path == "/account/sign-in") return respond(sign_in(p, form, false));
  if (path == "/account/reset") return respond(reset_page(p, form, false));
  if (path == "/account/reset/mail")
    return respond(form ? reset_page(p, form, false, true) : redirect(p, "/account/reset"));
  if (path == "/account/sign-up") return cabinet::sign_up(rq);
  if (!p.who) return respond(redirect(p, "/account/sign-in"));
  const auto& user = p.who->user;
  if (path == "/account/sign-out" && post) {
    service::sign_out(ctx.store, cookie(p.req, session_cookie(false)), user, now, p.req.request_id);
    set_cookie(p, session_cookie(false), "", "/account", std::chrono::seconds(0));
    return respond(redirect(p, "/account/sign-in"));
  }
  if (path == "/account/reminders" && post) {
    service::set_reminders(ctx.store, user, form->get("on") == "1", now);
    return respond(redirect(p, "/account"));
  }
  if (path == "/account/contact" && post) {
    auto r = service::set_contact(ctx.store, user, form->get("email").substr(0, 254),
                                  form->get("phone").substr(0, 32), now);
    if (r == service::ContactChange::changed) return respond(redirect(p, "/account"));
    return cabinet::overview(
        rq, text(p.lang, r == service::ContactChange::email_taken ? TextKey("email_taken")
                                                                  : TextKey("contact_wrong")));
  }
  if (path == "/account/password") return respond(password_page(p, form, false));
  for (const auto& route : cabinet::kRoutes)
    if (path == route.path) return route.page(rq);
  return respond(message(p, 404, "404", text(p.lang, "no_such_page"), "alert"));
}

}  // namespace md::http::web
