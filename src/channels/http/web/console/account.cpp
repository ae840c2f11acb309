// One account in the console: its meters, readings, volumes and audit; an inspector's or an
// operator's reading entered for it, a meter exchange, a reset code for the customer's password.
// Looking at it is audited too.
#include "channels/http/web/console/console.hpp"
#include "dialog/messenger.hpp"
#include "service/account_views.hpp"
#include "service/audit.hpp"
#include "service/console_views.hpp"
#include "service/exchange.hpp"

namespace md::http::web::console {
namespace {

// `d` brings what the last action has to say: entry_error, entry_confirm, exchange_error,
// reset_error or reset_code.
Response render(Site& site, Page& p, const store::AccountRow& account, int status,
                Data d = Data()) {
  d.set("account", account.number);
  d.set("holder", account.holder);
  d.set("phone", account.phone);
  d.set("email", account.email);
  d.set("active", account.active);
  d.set("form_key", service::random_token());
  d.set("today", domain::format_date(domain::kyiv_date(site.ctx.clock.now())));
  // The latest first and a few of them, the rest one click away: the forms below stay in reach
  // on an account with years of readings.
  const bool all = p.req.query_param("all") == "1";
  const auto o =
      service::account_overview(site.ctx.store, account, all ? 1000 : 12, all ? 1000 : 20);
  if (o.has_cabinet) d.set("cabinet_user", true);
  Data meters(Data::type::list);
  for (const auto& m : o.meters) {
    Data item;
    item.set("serial", m.serial);
    item.set("eic", m.eic);
    item.set("digits", std::to_string(m.digits));
    item.set("installed", format_day(m.installed_on));
    std::string zones;
    for (auto z : domain::zones_of(m.zones))
      zones += (zones.empty() ? "" : " / ") + i18n::zone_label(p.lang, domain::zone_name(z));
    item.set("zones_label", zones);
    meters.push_back(item);
  }
  d.set("meters", meters);
  d.set("readings", history_rows(p.lang, o.readings, true));
  d.set("volumes", volume_rows(p.lang, o.volumes));
  if (o.more_readings || o.more_audit)
    d.set("show_all", "/operator/accounts/" + account.number + "?all=1");
  d.set("audit", audit_rows(p.lang, o.audit));
  return site.html(p, account.number, "op_account", d, status);
}

// An inspector's or operator's reading, with the reason it is entered: queued like every
// submission; the answer comes when it is stored.
void enter_reading(Request& r, const store::AccountRow& account) {
  Site& site = r.site;
  Page& p = r.p;
  std::string reason = r.field("reason", 500);
  if (reason.find_first_not_of(" \t") == std::string::npos)
    return r.respond(
        render(site, p, account, 422, said("entry_error", text(p.lang, "reason_required"))));
  service::SubmitRequest req;
  req.channel = "operator_console";
  req.type = r.form->get("type") == "operator" ? "operator" : "inspector";
  req.actor = r.actor;
  req.account = account.number;
  req.meter_serial = r.field("serial", 32);
  req.taken_on = domain::parse_date(r.form->get("taken_on"));
  req.confirmed = r.form->get("confirm") == "1";
  req.idempotency_key = r.field("key", 64);
  req.lang = p.lang;
  req.request_id = p.req.request_id;
  req.raw_input = "values=" + r.field("values", 200) + " reason=" + reason;
  auto meter = service::find_meter(site.ctx.store, req.account, req.meter_serial);
  if (!meter)
    return r.respond(
        render(site, p, account, 422, said("entry_error", i18n::message(p.lang, "not_found"))));
  auto zones = domain::zones_of(meter->zones);
  auto values = values_of(r.field("values", 200));
  for (std::size_t i = 0; i < values.size(); ++i)
    req.values.emplace_back(
        i < zones.size() ? std::string(domain::zone_name(zones[i])) : "extra" + std::to_string(i),
        values[i]);
  bool queued = site.ctx.ingestor.submit_async(
      std::move(req),
      [&site, page = r.page, respond = r.respond, account](const service::SubmitOutcome& o) {
        Page& pg = *page;
        using S = service::SubmitOutcome::Status;
        if (o.status == S::accepted || o.status == S::replayed)
          return respond(site.redirect(pg, "/operator/accounts/" + account.number));
        if (o.status == S::needs_confirmation)
          return respond(render(site, pg, account, 409,
                                said("entry_confirm", i18n::message(pg.lang, "high"))));
        if (o.status == S::rejected || o.status == S::not_found) {
          auto params = o.rejection->params;
          if (o.rejection->zone)
            params["zone"] = std::string(domain::zone_name(*o.rejection->zone));
          return respond(
              render(site, pg, account, 422,
                     said("entry_error", i18n::message(pg.lang, o.rejection->code, params))));
        }
        respond(site.message(pg, 503, "503", i18n::message(pg.lang, "unavailable"), "alert"));
      });
  if (!queued)
    r.respond(site.message(p, 503, "503", i18n::message(p.lang, "unavailable"), "alert"));
}

void exchange(Request& r, const store::AccountRow& account) {
  Page& p = r.p;
  service::ExchangeRequest ex;
  ex.account = account.number;
  ex.old_serial = r.field("old_serial", 32);
  ex.new_serial = r.field("new_serial", 32);
  ex.old_final = values_of(r.field("final", 200));
  ex.new_initial = values_of(r.field("initial", 200));
  ex.zones = std::clamp(std::atoi(r.form->get("zones").c_str()), 0, 9);
  ex.digits = std::clamp(std::atoi(r.form->get("digits").c_str()), 0, 99);
  ex.actor = r.actor;
  ex.channel = "operator_console";
  ex.reason = r.field("reason", 500);
  auto date = domain::parse_date(r.form->get("date"));
  std::string error;
  if (!date)
    error = text(p.lang, "exchange_date_required");
  else if (ex.reason.find_first_not_of(" \t") == std::string::npos)
    error = text(p.lang, "exchange_reason_required");
  if (error.empty()) {
    ex.date = *date;
    try {
      service::exchange_meter(r.site.ctx.store, r.site.ctx.submissions, ex, r.now);
      return r.respond(r.site.redirect(p, "/operator/accounts/" + account.number));
    } catch (const service::ExchangeRefused& e) {
      error = e.what();
    }
  }
  r.respond(render(r.site, p, account, 422, said("exchange_error", error)));
}

void password_reset(Request& r, const store::AccountRow& account) {
  Page& p = r.p;
  auto code = service::issue_password_reset(
      r.site.ctx.store, account.number, service::Side::customer, r.actor, "operator_console",
      r.field("reason", 500), std::chrono::hours(24), r.now, p.req.request_id);
  if (code.status != service::ResetCode::Status::issued)
    return r.respond(
        render(r.site, p, account, 422, said("reset_error", text(p.lang, refusal(code.status)))));
  // Shown on this answer only (never in a URL, never stored): the operator reads it out.
  Data d = said("reset_code", code.code);
  d.set("reset_valid", text(p.lang, "reset_code_valid", {{"time", format_time(code.expires_at)}}));
  r.respond(render(r.site, p, account, 200, std::move(d)));
}

}  // namespace

void account(Request& r) {
  std::string_view rest = std::string_view(r.path()).substr(19);
  auto account = service::find_account(r.site.ctx.store, rest.substr(0, rest.find('/')));
  if (!account) return r.not_found(i18n::message(r.p.lang, "not_found"));
  if (r.post && rest.ends_with("/readings")) return enter_reading(r, *account);
  if (r.post && rest.ends_with("/exchange")) return exchange(r, *account);
  if (r.post && rest.ends_with("/password-reset")) return password_reset(r, *account);
  // Who looked at whose personal data is part of the audit too.
  service::record_account_view(r.site.ctx.store, r.actor, account->number, r.now,
                               r.p.req.request_id);
  r.respond(render(r.site, r.p, *account, 200));
}

}  // namespace md::http::web::console
