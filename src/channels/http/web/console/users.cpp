// Staff and what they did: the audit search (supervisors and admins), and the users page
// (admins): add a member of staff, change a role, disable or enable, issue a reset code.
#include "channels/http/web/console/console.hpp"
#include "service/audit.hpp"
#include "service/console_views.hpp"

namespace md::http::web::console {
namespace {

TextKey role_name(const std::string& role) {
  return role == "admin"        ? TextKey("role_admin")
         : role == "supervisor" ? TextKey("role_supervisor")
                                : TextKey("role_operator");
}

TextKey staff_refusal(service::StaffChange change, bool of_role) {
  using C = service::StaffChange;
  return change == C::no_reason      ? TextKey("reason_required")
         : change == C::unknown_role ? TextKey("unknown_role")
         : change == C::own_login
             ? (of_role ? TextKey("cannot_change_own_role") : TextKey("cannot_disable_self"))
         : change == C::last_admin ? TextKey("cannot_disable_last_admin")
                                   : TextKey("no_such_page");
}

Data users_data(i18n::Lang lang, const std::vector<store::UserRow>& staff,
                const std::string& self) {
  Data users(Data::type::list);
  for (const auto& u : staff) {
    Data item;
    item.set("login", u.login);
    item.set("role", text(lang, role_name(u.role)));
    Data roles(Data::type::list);
    for (const std::string role : {"operator", "supervisor", "admin"}) {
      Data option;
      option.set("value", role);
      option.set("name", text(lang, role_name(role)));
      option.set("selected", role == u.role);
      roles.push_back(option);
    }
    item.set("roles", roles);
    item.set("self", u.login == self);
    if (u.disabled_at) item.set("disabled", format_time(*u.disabled_at));
    users.push_back(item);
  }
  return users;
}

// /operator/users/{login}/{password-reset|disable|enable|role}, each with a reason; true when it
// was done and the list is shown afresh, else `d` and `status` say why not.
bool act_on(Request& r, Data& d, int& status) {
  auto& store = r.site.ctx.store;
  Page& p = r.p;
  std::string_view rest = std::string_view(r.path()).substr(16);
  const std::string login(rest.substr(0, rest.find('/')));
  const std::string_view act = rest.substr(std::min(rest.size(), login.size() + 1));
  const std::string reason = r.field("reason", 500);
  // No such staff member or action is a 404, any other refusal a 422.
  auto say_no = [&](bool found, TextKey why) {
    status = found ? 422 : 404;
    d.set("error", text(p.lang, found ? why : TextKey("no_such_page")));
    return false;
  };
  if (act == "password-reset") {
    // A staff member who has forgotten the password gets a code from an admin.
    auto code = service::issue_password_reset(store, login, service::Side::staff, r.actor,
                                              "operator_console", reason, std::chrono::hours(24),
                                              r.now, p.req.request_id);
    if (code.status != service::ResetCode::Status::issued)
      return say_no(code.status != service::ResetCode::Status::no_such_person,
                    refusal(code.status));
    d.set("reset_for", login);
    d.set("reset_code", code.code);
    d.set("reset_valid",
          text(p.lang, "reset_code_valid", {{"time", format_time(code.expires_at)}}));
    return false;
  }
  if (act != "disable" && act != "enable" && act != "role") return say_no(false, "no_such_page");
  auto change =
      act == "role"
          ? service::set_staff_role(store, login, r.form->get("role"), r.actor, "operator_console",
                                    reason, r.now, p.req.request_id)
          : service::set_staff_enabled(store, login, act == "enable", r.actor, "operator_console",
                                       reason, r.now, p.req.request_id);
  if (change == service::StaffChange::done) return true;
  return say_no(change != service::StaffChange::no_such_person,
                staff_refusal(change, act == "role"));
}

}  // namespace

void audit(Request& r) {
  // Who did what, for supervisors and admins: by person, action or what it was about.
  if (!r.may(2)) return r.refuse();
  const auto& req = r.p.req;
  service::AuditSearch q{req.query_param("who"), req.query_param("action"),
                         req.query_param("about"), std::atoll(req.query_param("before").c_str())};
  auto found = service::search_audit(r.site.ctx.store, q, r.actor, r.now, req.request_id);
  Data d;
  d.set("who", q.who);
  d.set("action", q.action);
  d.set("about", q.about);
  d.set("any", !found.rows.empty());
  d.set("rows", audit_rows(r.p.lang, found.rows));
  if (found.next_before > 0) d.set("older", std::to_string(found.next_before));
  if (found.rows.empty() && found.next_before > 0)
    d.set("none_yet",
          text(r.p.lang, "audit_none_yet", {{"id", std::to_string(found.next_before)}}));
  r.respond(r.site.html(r.p, text(r.p.lang, "audit"), "op_audit", d));
}

void users(Request& r) {
  const bool list_page = r.path() == "/operator/users";
  if (!list_page && !r.post) return r.not_found(text(r.p.lang, "no_such_page"));
  if (!r.may(3)) return r.refuse();
  Page& p = r.p;
  Data d;
  int status = 200;
  if (!list_page) {
    if (act_on(r, d, status)) return r.respond(r.site.redirect(p, "/operator/users"));
  } else if (r.post) {
    try {
      service::add_staff_user(r.site.ctx.store, r.form->get("login"), r.form->get("role"),
                              r.form->get("password"), r.now, r.actor);
      return r.respond(r.site.redirect(p, "/operator/users"));
    } catch (const service::LoginTaken&) {
      d.set("error", text(p.lang, "login_taken"));
      status = 422;
    } catch (const std::invalid_argument& e) {
      d.set("error", std::string(e.what()));
      status = 422;
    }
  }
  d.set("users", users_data(p.lang, service::staff_users(r.site.ctx.store), r.user.login));
  r.respond(r.site.html(p, text(p.lang, "users"), "op_users", d, status));
}

}  // namespace md::http::web::console
