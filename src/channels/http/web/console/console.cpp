// The operators' console: search, the account view with every reading and its audit, inspector
// readings, the review queue, period close, prices, outages, audit and users. This file is the
// route table; each page lives in a file of its own. Every action is audited with who and why.
#include "channels/http/web/console/console.hpp"

#include <array>

namespace md::http::web {
namespace console {

bool Request::may(int needed) const {
  return rank(user.role) >= needed;
}

void Request::refuse() const {
  respond(site.message(p, 403, "403", text(p.lang, "role_forbids"), "alert"));
}

void Request::not_found(const std::string& words) const {
  respond(site.message(p, 404, "404", words, "alert"));
}

bool supervisor_change(Request& r, Data& d, int& status, const std::string& page,
                       const std::function<std::string()>& change) {
  if (!r.may(2)) {
    r.refuse();
    return true;
  }
  auto error = change();
  if (error.empty()) {
    r.respond(r.site.redirect(r.p, page));
    return true;
  }
  status = 422;
  d.set("error", error);
  return false;
}

int rank(const std::string& role) {
  return role == "admin" ? 3 : role == "supervisor" ? 2 : role == "operator" ? 1 : 0;
}

std::vector<std::string> values_of(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find_first_of(" ,;/", pos);
    if (end == std::string_view::npos) end = text.size();
    if (end > pos) out.emplace_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

Data said(const char* field, const std::string& words) {
  Data d;
  d.set(field, words);
  return d;
}

Data audit_rows(i18n::Lang lang, const std::vector<store::AuditRow>& entries) {
  Data rows(Data::type::list);
  for (const auto& a : entries) {
    Data row;
    row.set("at", format_time(a.at));
    row.set("actor", a.actor);
    row.set("channel", i18n::label(lang, "channel", a.channel));
    row.set("action", a.action);
    row.set("identity", a.identity);
    row.set("result", a.result);
    row.set("reason", a.reason);
    rows.push_back(row);
  }
  return rows;
}

TextKey refusal(service::ResetCode::Status status) {
  using S = service::ResetCode::Status;
  return status == S::no_reason  ? TextKey("reason_required")
         : status == S::disabled ? TextKey("user_is_disabled")
                                 : TextKey("no_cabinet");
}

namespace {

// A path the console serves: the whole path, or (`prefix`) everything under it.
struct Route {
  std::string_view path;
  bool prefix;
  void (*page)(Request&);
};
constexpr std::array kRoutes{
    Route{"/operator", false, home},
    Route{"/operator/", false, home},
    Route{"/operator/search", false, home},
    Route{"/operator/accounts/", true, account},
    Route{"/operator/review", false, review},
    Route{"/operator/review/", true, review},
    Route{"/operator/photos/", true, photo},
    Route{"/operator/inspections", false, inspections},
    Route{"/operator/periods", false, periods},
    Route{"/operator/periods/close", false, periods},
    Route{"/operator/prices", false, prices},
    Route{"/operator/outages", false, outages},
    Route{"/operator/audit", false, audit},
    Route{"/operator/users", false, users},
    Route{"/operator/users/", true, users},
};

}  // namespace
}  // namespace console

void Site::operator_page(const PagePtr& page, const Respond& respond) {
  constexpr const char* kCookie = session_cookie(true);
  Page& p = *page;
  const std::string& path = p.req.path;
  const bool post = p.req.method == "POST";
  const auto now = ctx.clock.now();
  std::optional<Form> form;
  if (auto refused = open_area(p, true, form)) return respond(std::move(*refused));
  if (path == "/operator/sign-in") return respond(sign_in(p, form, true));
  if (path == "/operator/reset") return respond(reset_page(p, form, true));
  if (!p.who) return respond(redirect(p, "/operator/sign-in"));
  if (path == "/operator/sign-out" && post) {
    service::sign_out(ctx.store, cookie(p.req, kCookie), p.who->user, now, p.req.request_id);
    set_cookie(p, kCookie, "", "/operator", std::chrono::seconds(0));
    return respond(redirect(p, "/operator/sign-in"));
  }
  if (path == "/operator/password") return respond(password_page(p, form, true));
  for (const auto& route : console::kRoutes) {
    if (route.prefix ? !path.starts_with(route.path) : path != route.path) continue;
    console::Request r{
        {*this, page, p, form, now, post, respond}, p.who->user, service::actor_of(p.who->user)};
    return route.page(r);
  }
  return respond(message(p, 404, "404", text(p.lang, "no_such_page"), "alert"));
}

}  // namespace md::http::web
