// The customer's personal account: sign-up, sign-in, overview, submit, history, volumes with
// their explanations, bills, a download of all one's data, reminders, password change.
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "channels/http/web/web_internal.hpp"
#include "channels/mail/mail.hpp"
#include "service/handover.hpp"
#include "service/prices.hpp"
#include "service/stored_estimate.hpp"

namespace md::http::web {
namespace {

using i18n::Lang;
using json = nlohmann::ordered_json;

constexpr const char* kCookie = "md_session";

Data reading_values(Lang lang, const store::ReadingRow& r) {
  Data values(Data::type::list);
  auto zones = domain::zones_of(r.zones);
  for (std::size_t i = 0; i < zones.size() && i < r.values.size(); ++i) {
    Data v;
    v.set("label", i18n::zone_label(lang, domain::zone_name(zones[i])));
    v.set("value", format_number(r.values[i], lang));
    values.push_back(v);
  }
  return values;
}

std::string explanation(Lang lang, const std::string& estimate) {
  return service::estimate_explanation(estimate, lang);
}

// The last closed month at a glance: its volume, its bill, and whether it was estimated (the
// customer can still send an actual reading; the next month carries the difference).
std::optional<Data> last_month(Lang lang, const std::vector<service::AccountMonth>& months) {
  if (months.empty()) return std::nullopt;
  const auto& m = months.back();
  Data d;
  d.set("period", i18n::month_name(lang, m.period));
  d.set("kwh", format_number(m.kwh, lang));
  d.set("estimated", m.estimated);
  // No bill yet (a price is missing): the bills page says so; here the volume is enough.
  if (m.bill) d.set("total", format_money(m.bill->total_kop, lang));
  return d;
}

}  // namespace

std::string flag_labels(Lang lang, const std::vector<std::string>& flags) {
  std::string out;
  for (const auto& f : flags) out += (out.empty() ? "" : ", ") + i18n::label(lang, "flag", f);
  return out;
}

// Reading rows for the history tables (cabinet and console).
Data history_rows(Lang lang, const std::vector<store::ReadingRow>& readings, bool staff) {
  Data rows(Data::type::list);
  for (const auto& r : readings) {
    Data row;
    row.set("received", format_time(r.received_at));
    row.set("receipt", r.receipt);
    row.set("serial", r.meter_serial);
    row.set("type", i18n::label(lang, "type", r.type));
    row.set("values", reading_values(lang, r));
    row.set("channel", i18n::label(lang, "channel", r.channel));
    row.set("status", i18n::label(lang, "status", r.status));
    if (!r.flags.empty()) row.set("flags", flag_labels(lang, r.flags));
    if (!r.review.empty()) {
      row.set("review", i18n::label(lang, "review", r.review));
      row.set("review_class", r.review);
    }
    if (!r.review_reason.empty()) row.set("review_reason", r.review_reason);
    if (staff && r.has_photo) row.set("photo", "/operator/photos/" + std::to_string(r.id));
    rows.push_back(row);
  }
  return rows;
}

Data volume_rows(Lang lang, const std::vector<store::VolumeRow>& volumes) {
  Data rows(Data::type::list);
  for (const auto& v : volumes) {
    Data row;
    row.set("period", i18n::month_name(lang, v.period));
    row.set("serial", v.serial);
    row.set("zone", i18n::zone_label(lang, v.zone));
    row.set("start", format_number(v.start_shown, lang));
    row.set("start_kind", v.start_kind);
    row.set("start_kind_label", i18n::label(lang, "kind", v.start_kind));
    row.set("end", format_number(v.end_shown, lang));
    row.set("end_kind", v.end_kind);
    row.set("end_kind_label", i18n::label(lang, "kind", v.end_kind));
    row.set("volume", format_number(v.volume, lang));
    row.set("correction", v.correction == 0 ? "" : format_number(v.correction, lang));
    row.set("method", v.method);
    row.set("method_label", i18n::label(lang, "kind", v.method));
    if (auto e = explanation(lang, v.estimate); !e.empty()) row.set("explanation", e);
    rows.push_back(row);
  }
  return rows;
}

std::optional<Response> Site::open_area(Page& p, bool staff, std::optional<Form>& form) {
  if (p.req.method == "POST") {
    std::string error;
    form = parse_form(p.req, error);
    if (!form) return message(p, 400, "400", error, "alert");
  }
  auto s = service::resume_session(ctx.store, cookie(p.req, staff ? "md_staff" : kCookie),
                                   ctx.clock.now());
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
  auto result = service::sign_in(ctx.store, login, form->get("password").substr(0, 1024), staff,
                                 now, p.req.request_id);
  ctx.metrics.signin(staff ? "operator" : "account",
                     result.status == service::SignIn::Status::ok       ? "ok"
                     : result.status == service::SignIn::Status::locked ? "locked"
                                                                        : "wrong");
  if (result.status == service::SignIn::Status::ok) {
    // A new session on every sign-in: a token planted before cannot be carried over.
    const char* name = staff ? "md_staff" : kCookie;
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
  auto r = service::reset_password(ctx.store, login, form->get("code").substr(0, 64),
                                   form->get("new").substr(0, 1024), staff, now, p.req.request_id);
  using S = service::PasswordReset::Status;
  if (r.status == S::reset) {
    // Every session was signed out; this browser gets a fresh one.
    auto ttl = staff ? ctx.options.staff_session : ctx.options.customer_session;
    auto s = service::open_session(ctx.store, r.user->id, ttl, now);
    set_cookie(p, staff ? "md_staff" : kCookie, s.token, home, ttl);
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
    set_cookie(p, staff ? "md_staff" : kCookie, s.token, home, ttl);
    return redirect(p, home);
  }
  d.set("error", text(p.lang, r == service::PasswordChange::wrong_password
                                  ? TextKey("wrong_current_password")
                                  : TextKey("new_password_short")));
  return html(p, text(p.lang, "change_password"), "password", d, 422);
}

void Site::account_page(const PagePtr& page, const Respond& respond) {
  Page& p = *page;
  const std::string& path = p.req.path;
  const bool post = p.req.method == "POST";
  const auto now = ctx.clock.now();
  std::optional<Form> form;
  if (auto refused = open_area(p, false, form)) return respond(std::move(*refused));
  if (path == "/account/sign-in") return respond(sign_in(p, form, false));
  if (path == "/account/reset") return respond(reset_page(p, form, false));
  if (path == "/account/reset/mail") {
    if (!form) return respond(redirect(p, "/account/reset"));
    return respond(reset_page(p, form, false, true));
  }
  if (path == "/account/sign-up") {
    if (p.who) return respond(redirect(p, "/account"));
    Data d;
    if (!post) return respond(html(p, text(p.lang, "sign_up"), "signup", d));
    service::SignUp su{form->get("account").substr(0, 32),    form->get("serial").substr(0, 32),
                       form->get("password").substr(0, 1024), form->get("email").substr(0, 254),
                       form->get("phone").substr(0, 32),      p.req.request_id};
    d.set("account", su.account);
    d.set("serial", su.meter_serial);
    d.set("email", su.email);
    d.set("phone", su.phone);
    auto too_many_attempts = [&] {
      d.set("error", i18n::message(p.lang, "too_many_attempts"));
      return html(p, text(p.lang, "sign_up"), "signup", d, 429);
    };
    if (service::address_refused(*per_address, p.req.remote, now) ||
        service::account_refused(*per_account, su.account, now))
      return respond(too_many_attempts());
    std::int64_t user_id = 0;
    auto result = service::sign_up(ctx.store, su, now, &user_id);
    if (result == service::SignUpResult::not_found) {
      auto by_address = service::count_wrong_pair_from(*per_address, p.req.remote, now);
      if (service::count_wrong_serial(*per_account, su.account, now) || by_address)
        return respond(too_many_attempts());
    }
    if (result == service::SignUpResult::created) {
      auto s = service::open_session(ctx.store, user_id, ctx.options.customer_session, now);
      set_cookie(p, kCookie, s.token, "/account", ctx.options.customer_session);
      return respond(redirect(p, "/account"));
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
    return respond(html(p, text(p.lang, "sign_up"), "signup", d, 422));
  }
  if (!p.who) return respond(redirect(p, "/account/sign-in"));
  const auto& user = p.who->user;
  const std::int64_t account_id = *user.account_id;
  std::string contact_error;

  if (path == "/account/sign-out" && post) {
    service::sign_out(ctx.store, cookie(p.req, kCookie), p.who->user, now, p.req.request_id);
    set_cookie(p, kCookie, "", "/account", std::chrono::seconds(0));
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
    contact_error =
        text(p.lang, r == service::ContactChange::email_taken ? TextKey("email_taken")
                                                              : TextKey("contact_wrong"));
  }
  if (path == "/account/password") return respond(password_page(p, form, false));
  if (path == "/account/submit") {
    ReadingForm f;
    f.cabinet = true;
    f.account = user.login;
    if (!post) {
      f.key = service::random_token();
      f.serial = p.req.query_param("serial");
      return respond(reading_form(p, f, 200));
    }
    f.serial = form->get("serial");
    f.key = form->get("key").size() == 64 ? form->get("key") : service::random_token();
    f.tries = std::clamp(std::atoi(form->get("tries").c_str()), 0, 99);
    f.step2 = true;
    return post_reading(page, *form, std::move(f), "cabinet", respond);
  }
  if (path == "/account/history") {
    Data d;
    d.set("rows", history_rows(p.lang, ctx.store.account_readings(account_id, 200), false));
    return respond(html(p, text(p.lang, "history"), "history", d));
  }
  if (path == "/account/volumes") {
    auto volumes = ctx.store.account_volumes(account_id);
    // The chart: a bar a month, the last two years (the table below has them all).
    std::vector<Bar> bars;
    std::vector<domain::YearMonth> months;
    for (const auto& v : volumes) {
      if (months.empty() || months.back() != v.period) {
        months.push_back(v.period);
        bars.push_back(Bar{i18n::month_short(p.lang, v.period), 0, "actual", {}, {}});
      }
      bars.back().value += v.volume;
      if (v.method == "estimated") bars.back().kind = "estimated";
    }
    constexpr std::size_t kChartMonths = 24;
    if (bars.size() > kChartMonths) {
      bars.erase(bars.begin(), bars.end() - kChartMonths);
      months.erase(months.begin(), months.end() - kChartMonths);
    }
    for (std::size_t i = 0; i < bars.size(); ++i)
      if (i == 0 || months[i].month == 1) bars[i].sublabel = std::to_string(months[i].year);
    Data d;
    d.set("chart", bar_chart(bars, text(p.lang, "chart_title"), {}, ChartWidth::narrow));
    d.set("rows", volume_rows(p.lang, volumes));
    return respond(html(p, text(p.lang, "volumes"), "volumes", d));
  }
  if (path == "/account/bills") {
    auto volumes = ctx.store.account_volumes(account_id);
    const auto prices = service::effective_prices(ctx.store, ctx.config.prices);
    Data d;
    Data bills(Data::type::list);
    for (const auto& month : service::account_months(volumes, prices)) {
      if (!month.bill) {
        // The customer needs to know the bill is pending, not which price list lacks an entry.
        spdlog::warn("no bill for a closed month: {}", month.missing_price);
        d.set("bill_error",
              text(p.lang, "bill_not_ready", {{"month", i18n::month_name(p.lang, month.period)}}));
        continue;
      }
      const domain::Bill& bill = *month.bill;
      Data b;
      b.set("period", i18n::month_name(p.lang, bill.period));
      Data lines(Data::type::list);
      for (const auto& l : bill.lines) {
        Data line;
        line.set("zone", i18n::zone_label(p.lang, domain::zone_name(l.zone)));
        line.set("kind",
                 l.kind == "correction" ? text(p.lang, "correction") : text(p.lang, "volume"));
        line.set("kwh", format_number(l.kwh, p.lang));
        line.set("price", format_money(l.price_kop, p.lang));
        line.set("amount", format_money(l.amount_kop, p.lang));
        lines.push_back(line);
      }
      b.set("lines", lines);
      b.set("total", format_money(bill.total_kop, p.lang));
      // An estimated volume is billed with the words it was estimated by.
      Data estimates(Data::type::list);
      for (const auto& v : volumes) {
        if (v.period != bill.period || v.method != "estimated") continue;
        if (auto e = explanation(p.lang, v.estimate); !e.empty()) {
          Data row;
          row.set("zone", i18n::zone_label(p.lang, v.zone));
          row.set("explanation", e);
          estimates.push_back(row);
        }
      }
      if (!estimates.is_empty_list()) b.set("estimates", estimates);
      bills.push_back(b);
    }
    d.set("bills", bills);
    return respond(html(p, text(p.lang, "bills"), "bills", d));
  }
  if (path == "/account/data.json" || path == "/account/data.csv") {
    auto account = ctx.store.account_by_id(account_id);
    auto readings = ctx.store.account_readings(account_id, 100000);
    auto volumes = ctx.store.account_volumes(account_id);
    Response r;
    r.route = "/account/data";
    if (path.ends_with(".json")) {
      json j;
      j["account"] = {{"number", account->number},
                      {"holder", account->holder},
                      {"address", account->address},
                      {"phone", account->phone},
                      {"email", account->email}};
      j["cabinet"] = {{"email", user.email}, {"phone", user.phone}, {"reminders", user.reminders}};
      json rs = json::array();
      for (const auto& x : readings)
        rs.push_back({{"receipt", x.receipt},
                      {"meter_serial", x.meter_serial},
                      {"taken_on", domain::format_date(x.taken_on)},
                      {"received_at", domain::format_kyiv(x.received_at)},
                      {"channel", x.channel},
                      {"type", x.type},
                      {"status", x.status},
                      {"flags", x.flags},
                      {"values", x.values},
                      {"review", x.review},
                      {"review_reason", x.review_reason}});
      j["readings"] = rs;
      j["volumes"] = json::parse(service::volumes_json(volumes));
      r.body = j.dump(2, ' ', false, json::error_handler_t::replace);
      r.content_type = "application/json";
      r.headers.emplace_back("Content-Disposition",
                             "attachment; filename=\"meterdesk-" + account->number + ".json\"");
    } else {
      std::string out =
          "receipt,meter_serial,taken_on,received_at,channel,type,status,flags,value1,value2,"
          "value3\n";
      for (const auto& x : readings) {
        out += x.receipt + "," + x.meter_serial + "," + domain::format_date(x.taken_on) + "," +
               domain::format_kyiv(x.received_at) + "," + x.channel + "," + x.type + "," +
               x.status + "," + store::join_flags(x.flags);
        for (std::size_t i = 0; i < 3; ++i)
          out += "," + (i < x.values.size() ? std::to_string(x.values[i]) : std::string());
        out += "\n";
      }
      out += "\n" + service::volumes_csv(volumes);
      r.body = std::move(out);
      r.content_type = "text/csv; charset=utf-8";
      r.headers.emplace_back("Content-Disposition",
                             "attachment; filename=\"meterdesk-" + account->number + ".csv\"");
    }
    r.headers.emplace_back("Cache-Control", "no-store");
    return respond(std::move(r));
  }
  if (path == "/account" || path == "/account/" || path == "/account/contact") {
    auto account = ctx.store.account_by_id(account_id);
    auto meters = ctx.store.account_meters(account_id);
    const domain::Day today = domain::kyiv_date(now);
    auto open = domain::window_containing(today, ctx.config.rules.window);
    Data d;
    d.set("holder", account->holder);
    d.set("account", account->number);
    d.set("reminders", user.reminders);
    // What the switch does here: e-mails when mail is on; the bots have their own (/reminders).
    if (ctx.options.mail)
      d.set("reminders_how", user.email.empty()
                                 ? text(p.lang, "reminders_need_email")
                                 : text(p.lang, "reminders_by_email", {{"email", user.email}}));
    d.set("email", user.email);
    d.set("phone", user.phone);
    if (!contact_error.empty()) d.set("contact_error", contact_error);
    Data list(Data::type::list);
    for (const auto& m : meters) {
      Data item;
      item.set("serial", m.serial);
      item.set("eic", m.eic);
      item.set("address", account->address);
      if (auto r = ctx.store.latest_accepted(m.meter_id)) {
        Data last;
        last.set("date", format_day(r->taken_on));
        last.set("channel", i18n::label(p.lang, "channel", r->channel));
        last.set("values", reading_values(p.lang, *r));
        item.set("last", last);
        if (open && r->period == *open) item.set("this_month", text(p.lang, "this_month_in"));
      }
      if (open && !item.get("this_month")) item.set("missing", text(p.lang, "this_month_missing"));
      list.push_back(item);
    }
    d.set("meters", list);
    if (auto last = last_month(
            p.lang,
            service::account_months(ctx.store.account_volumes(account_id),
                                    service::effective_prices(ctx.store, ctx.config.prices))))
      d.set("last_month", *last);
    return respond(
        html(p, text(p.lang, "overview"), "overview", d, contact_error.empty() ? 200 : 422));
  }
  return respond(message(p, 404, "404", text(p.lang, "no_such_page"), "alert"));
}

}  // namespace md::http::web
