// The operators' console: search, the account view with every reading and its audit, inspector
// readings, the review queue, period close, users. Every action is audited with who and why.
#include <nlohmann/json.hpp>

#include "channels/http/web/web_internal.hpp"
#include "dialog/messenger.hpp"
#include "domain/whole_number.hpp"
#include "service/audit.hpp"
#include "service/exchange.hpp"
#include "service/outages.hpp"
#include "service/period_close.hpp"
#include "service/prices.hpp"
#include "service/review.hpp"

namespace md::http::web {
namespace {

constexpr const char* kCookie = "md_staff";

int rank(const std::string& role) {
  return role == "admin" ? 3 : role == "supervisor" ? 2 : role == "operator" ? 1 : 0;
}

// Register values as typed by staff: "12600 6250", "12600/6250" or "12600, 6250".
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

// What an action has to say on the page it renders again: one template field.
Data said(const char* field, const std::string& words) {
  Data d;
  d.set(field, words);
  return d;
}

// The service's refusals in words.
TextKey refusal(service::ResetCode::Status status) {
  using S = service::ResetCode::Status;
  return status == S::no_reason  ? TextKey("reason_required")
         : status == S::disabled ? TextKey("user_is_disabled")
                                 : TextKey("no_cabinet");
}
TextKey refusal(service::StaffChange change, bool of_role) {
  using C = service::StaffChange;
  return change == C::no_reason      ? TextKey("reason_required")
         : change == C::unknown_role ? TextKey("unknown_role")
         : change == C::own_login
             ? (of_role ? TextKey("cannot_change_own_role") : TextKey("cannot_disable_self"))
         : change == C::last_admin ? TextKey("cannot_disable_last_admin")
                                   : TextKey("no_such_page");
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

TextKey role_name(const std::string& role) {
  return role == "admin"        ? TextKey("role_admin")
         : role == "supervisor" ? TextKey("role_supervisor")
                                : TextKey("role_operator");
}

}  // namespace

void Site::operator_page(const PagePtr& page, const Respond& respond) {
  Page& p = *page;
  const std::string& path = p.req.path;
  const bool post = p.req.method == "POST";
  const auto now = ctx.clock.now();
  std::optional<Form> form;
  if (auto refused = open_area(p, true, form)) return respond(std::move(*refused));
  if (path == "/operator/sign-in") return respond(sign_in(p, form, true));
  if (path == "/operator/reset") return respond(reset_page(p, form, true));
  if (!p.who) return respond(redirect(p, "/operator/sign-in"));
  const auto& user = p.who->user;
  const std::string actor = service::actor_of(user);
  auto refuse = [&] { return message(p, 403, "403", text(p.lang, "role_forbids"), "alert"); };

  if (path == "/operator/sign-out" && post) {
    service::sign_out(ctx.store, cookie(p.req, kCookie), p.who->user, now, p.req.request_id);
    set_cookie(p, kCookie, "", "/operator", std::chrono::seconds(0));
    return respond(redirect(p, "/operator/sign-in"));
  }
  if (path == "/operator" || path == "/operator/" || path == "/operator/search") {
    Data d;
    std::string q = p.req.query_param("q").substr(0, 100);
    d.set("q", q);
    if (!q.empty()) {
      d.set("searched", true);
      Data results(Data::type::list);
      for (const auto& a : ctx.store.search_accounts(q, 50)) {
        Data r;
        r.set("number", a.number);
        r.set("holder", a.holder);
        r.set("address", a.address);
        r.set("phone", a.phone);
        results.push_back(r);
      }
      d.set("results", results);
    } else {
      // The current (or last) window, per day and channel.
      const auto& rules = ctx.config.rules.window;
      domain::Day today = domain::kyiv_date(now);
      auto m =
          domain::window_containing(today, rules).value_or(domain::YearMonth::of(today).prev());
      auto w = domain::window(m, rules);
      auto hours =
          ctx.store.channel_hours(domain::start_of_day(w.first), domain::end_of_day(w.last));
      std::vector<std::string> channels;
      for (const auto& h : hours)
        if (std::find(channels.begin(), channels.end(), h.channel) == channels.end())
          channels.push_back(h.channel);
      std::sort(channels.begin(), channels.end());
      Data stats;
      Data days(Data::type::list);
      Data channel_list(Data::type::list);
      std::vector<std::string> legend;
      for (const auto& c : channels) {
        legend.push_back(i18n::label(p.lang, "channel", c));
        channel_list.push_back(Data(legend.back()));
      }
      std::vector<Bar> bars;
      for (domain::Day day = w.first; day <= w.last; day += date::days(1)) {
        Data row;
        row.set("day", format_day(day));
        Data counts(Data::type::list);
        Bar bar{format_day(day).substr(0, 5), 0, "actual", {}};
        for (const auto& c : channels) {
          std::int64_t n = 0;
          for (const auto& h : hours)
            if (h.channel == c && domain::kyiv_date(h.hour) == day) n += h.count;
          counts.push_back(Data(format_number(n, p.lang)));
          bar.parts.push_back(n);
          bar.value += n;
        }
        row.set("counts", counts);
        days.push_back(row);
        bars.push_back(std::move(bar));
      }
      stats.set("channels", channel_list);
      stats.set("days", days);
      stats.set("chart", bar_chart(bars, text(p.lang, "chart_per_day"), legend));
      stats.set("backlog", format_number(ctx.store.review_backlog(), p.lang));
      if (auto last = ctx.store.last_closed_period()) {
        if (auto period = ctx.store.period(*last)) {
          const auto s = nlohmann::json::parse(period->summary, nullptr, false);
          auto count = [&](const char* key) -> std::int64_t {
            if (!s.is_object() || !s.contains(key)) return 0;
            return domain::whole_number<std::int64_t>(s[key]).value_or(0);
          };
          if (const auto chains = count("chains"); chains > 0)
            stats.set("estimated_share",
                      format_tenths(count("estimated") * 1000 / chains, p.lang) + "%");
        }
      }
      d.set("stats", stats);
    }
    return respond(html(p, text(p.lang, "console"), "op_home", d));
  }
  if (path.starts_with("/operator/accounts/")) {
    std::string_view rest = std::string_view(path).substr(19);
    std::string number(rest.substr(0, rest.find('/')));
    auto account = ctx.store.account(number);
    if (!account)
      return respond(message(p, 404, "404", i18n::message(p.lang, "not_found"), "alert"));
    // `d` brings what the last action has to say: entry_error, entry_confirm, exchange_error,
    // reset_error or reset_code.
    auto render_account = [this, &p, account](int status, Data d = Data()) {
      d.set("account", account->number);
      d.set("holder", account->holder);
      d.set("phone", account->phone);
      d.set("email", account->email);
      d.set("active", account->active);
      d.set("form_key", service::random_token());
      d.set("today", domain::format_date(domain::kyiv_date(ctx.clock.now())));
      if (auto person = ctx.store.find_user(account->number); person && person->account_id)
        d.set("cabinet_user", true);
      Data meters(Data::type::list);
      for (const auto& m : ctx.store.account_meters(account->id)) {
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
      // The latest first and a few of them, the rest one click away: the forms below stay in
      // reach on an account with years of readings.
      const bool all = p.req.query_param("all") == "1";
      const int shown_readings = all ? 1000 : 12, shown_audit = all ? 1000 : 20;
      auto readings = ctx.store.account_readings(account->id, shown_readings + 1);
      const bool more = static_cast<int>(readings.size()) > shown_readings;
      if (more) readings.pop_back();
      d.set("readings", history_rows(p.lang, readings, true));
      d.set("volumes", volume_rows(p.lang, ctx.store.account_volumes(account->id)));
      auto entries = ctx.store.account_audit(account->id, shown_audit + 1);
      const bool more_audit = static_cast<int>(entries.size()) > shown_audit;
      if (more_audit) entries.pop_back();
      if (more || more_audit) d.set("show_all", "/operator/accounts/" + account->number + "?all=1");
      d.set("audit", audit_rows(p.lang, entries));
      return html(p, account->number, "op_account", d, status);
    };
    if (rest.ends_with("/readings") && post) {
      std::string reason = form->get("reason").substr(0, 500);
      if (reason.find_first_not_of(" \t") == std::string::npos)
        return respond(render_account(422, said("entry_error", text(p.lang, "reason_required"))));
      service::SubmitRequest req;
      req.channel = "operator_console";
      req.type = form->get("type") == "operator" ? "operator" : "inspector";
      req.actor = actor;
      req.account = account->number;
      req.meter_serial = form->get("serial").substr(0, 32);
      req.taken_on = domain::parse_date(form->get("taken_on"));
      req.confirmed = form->get("confirm") == "1";
      req.idempotency_key = form->get("key").substr(0, 64);
      req.lang = p.lang;
      req.request_id = p.req.request_id;
      req.raw_input = "values=" + form->get("values").substr(0, 200) + " reason=" + reason;
      auto meter = ctx.store.find_meter(req.account, req.meter_serial);
      if (!meter)
        return respond(
            render_account(422, said("entry_error", i18n::message(p.lang, "not_found"))));
      auto zones = domain::zones_of(meter->zones);
      auto values = values_of(form->get("values").substr(0, 200));
      for (std::size_t i = 0; i < values.size(); ++i)
        req.values.emplace_back(i < zones.size() ? std::string(domain::zone_name(zones[i]))
                                                 : "extra" + std::to_string(i),
                                values[i]);
      auto shared_render = std::make_shared<decltype(render_account)>(render_account);
      bool queued = ctx.ingestor.submit_async(
          std::move(req),
          [this, page, respond, shared_render, number](const service::SubmitOutcome& o) {
            Page& pg = *page;
            using S = service::SubmitOutcome::Status;
            if (o.status == S::accepted || o.status == S::replayed)
              return respond(redirect(pg, "/operator/accounts/" + number));
            if (o.status == S::needs_confirmation)
              return respond(
                  (*shared_render)(409, said("entry_confirm", i18n::message(pg.lang, "high"))));
            if (o.status == S::rejected || o.status == S::not_found) {
              auto params = o.rejection->params;
              if (o.rejection->zone)
                params["zone"] = std::string(domain::zone_name(*o.rejection->zone));
              return respond((*shared_render)(
                  422, said("entry_error", i18n::message(pg.lang, o.rejection->code, params))));
            }
            respond(message(pg, 503, "503", i18n::message(pg.lang, "unavailable"), "alert"));
          });
      if (!queued)
        return respond(message(p, 503, "503", i18n::message(p.lang, "unavailable"), "alert"));
      return;
    }
    if (rest.ends_with("/exchange") && post) {
      service::ExchangeRequest ex;
      ex.account = account->number;
      ex.old_serial = form->get("old_serial").substr(0, 32);
      ex.new_serial = form->get("new_serial").substr(0, 32);
      ex.old_final = values_of(form->get("final").substr(0, 200));
      ex.new_initial = values_of(form->get("initial").substr(0, 200));
      ex.zones = std::clamp(std::atoi(form->get("zones").c_str()), 0, 9);
      ex.digits = std::clamp(std::atoi(form->get("digits").c_str()), 0, 99);
      ex.actor = actor;
      ex.channel = "operator_console";
      ex.reason = form->get("reason").substr(0, 500);
      auto date = domain::parse_date(form->get("date"));
      std::string error;
      if (!date)
        error = text(p.lang, "exchange_date_required");
      else if (ex.reason.find_first_not_of(" \t") == std::string::npos)
        error = text(p.lang, "exchange_reason_required");
      if (error.empty()) {
        ex.date = *date;
        try {
          service::exchange_meter(ctx.store, ctx.submissions, ex, now);
          return respond(redirect(p, "/operator/accounts/" + number));
        } catch (const service::ExchangeRefused& e) {
          error = e.what();
        }
      }
      return respond(render_account(422, said("exchange_error", error)));
    }
    if (rest.ends_with("/password-reset") && post) {
      auto code = service::issue_password_reset(
          ctx.store, account->number, service::Side::customer, actor, "operator_console",
          form->get("reason").substr(0, 500), std::chrono::hours(24), now, p.req.request_id);
      if (code.status != service::ResetCode::Status::issued)
        return respond(
            render_account(422, said("reset_error", text(p.lang, refusal(code.status)))));
      // Shown on this answer only (never in a URL, never stored): the operator reads it out.
      Data d = said("reset_code", code.code);
      d.set("reset_valid",
            text(p.lang, "reset_code_valid", {{"time", format_time(code.expires_at)}}));
      return respond(render_account(200, std::move(d)));
    }
    // Who looked at whose personal data is part of the audit too.
    service::record_account_view(ctx.store, actor, account->number, now, p.req.request_id);
    return respond(render_account(200));
  }
  if (path == "/operator/review" || path.starts_with("/operator/review/")) {
    std::string error;
    if (post) {
      std::int64_t id = std::atoll(path.substr(17).c_str());
      std::string decision = form->get("decision");
      auto result = service::decide_review(
          ctx.store, id,
          decision == "reject" ? service::ReviewDecision::reject : service::ReviewDecision::accept,
          actor, form->get("reason").substr(0, 500), now, p.req.request_id,
          [this, now](store::WriteTx& tx, std::int64_t account_id, std::string_view receipt,
                      bool accepted, const std::string& reason) {
            if (ctx.messenger)
              ctx.messenger->notify_account(
                  tx, account_id, accepted ? "notice.review_accepted" : "notice.review_rejected",
                  {{"receipt", std::string(receipt)}, {"reason", reason}}, now);
          });
      if (result == service::ReviewResult::decided) return respond(redirect(p, "/operator/review"));
      error = result == service::ReviewResult::reason_required
                  ? text(p.lang, "reject_reason_required")
                  : text(p.lang, "already_decided");
    }
    Data d;
    if (!error.empty()) d.set("error", error);
    Data items(Data::type::list);
    for (const auto& r : ctx.store.review_queue(100)) {
      Data item;
      item.set("id", std::to_string(r.reading.id));
      item.set("account", r.account_number);
      item.set("serial", r.reading.meter_serial);
      item.set("received", format_time(r.reading.received_at));
      item.set("reason", i18n::label(p.lang, "flag", r.reason));
      // A rate a day, beside the usual one, is what tells a real jump from a long gap.
      const auto f = service::review_figures(r, ctx.config.rules);
      if (f.previous_on)
        item.set("since",
                 text(p.lang, "since_previous",
                      {{"date", format_day(*f.previous_on)}, {"days", std::to_string(f.days)}}));
      Data values(Data::type::list);
      auto zones = domain::zones_of(r.reading.zones);
      for (std::size_t i = 0; i < zones.size() && i < r.reading.values.size(); ++i) {
        Data v;
        v.set("label", i18n::zone_label(p.lang, domain::zone_name(zones[i])));
        v.set("value", format_number(r.reading.values[i], p.lang));
        if (i < f.kwh.size() && f.kwh[i]) {
          v.set("previous", format_number(r.earlier.front().values.at(i), p.lang));
          v.set("consumption", format_number(*f.kwh[i], p.lang));
          if (f.days > 0) v.set("per_day", format_tenths(*f.kwh[i] * 10 / f.days, p.lang));
        }
        if (i < f.usual_per_day.size())
          v.set("usual", format_tenths(std::llround(f.usual_per_day[i] * 10), p.lang));
        values.push_back(v);
      }
      item.set("values", values);
      if (r.reading.has_photo)
        item.set("photo", "/operator/photos/" + std::to_string(r.reading.id));
      items.push_back(item);
    }
    d.set("items", items);
    return respond(html(p, text(p.lang, "review"), "op_review", d, error.empty() ? 200 : 422));
  }
  if (path.starts_with("/operator/photos/")) {
    auto photo = ctx.store.photo(std::atoll(path.substr(17).c_str()));
    if (!photo) return respond(message(p, 404, "404", "-", "alert"));
    Response r;
    r.content_type = photo->content_type;
    r.body = std::move(photo->bytes);
    r.route = "/operator/photos";
    r.headers.emplace_back("Cache-Control", "private, no-store");
    return respond(std::move(r));
  }
  if (path == "/operator/password") return respond(password_page(p, form, true));
  if (path == "/operator/inspections") {
    auto month = domain::YearMonth::parse(p.req.query_param("period"));
    if (!month) month = ctx.store.last_closed_period();
    Data d;
    Data orders(Data::type::list);
    if (month) {
      d.set("period", month->str());
      for (const auto& o : ctx.store.inspection_order_list(*month, 1000)) {
        Data row;
        row.set("account", o.account_number);
        row.set("eic", o.eic);
        row.set("address", o.address);
        row.set("reason", o.reason);
        row.set("created", format_time(o.created_at));
        if (o.inspected_at) row.set("inspected", format_time(*o.inspected_at));
        orders.push_back(row);
      }
    }
    d.set("orders", orders);
    return respond(html(p, text(p.lang, "inspections"), "op_inspections", d));
  }
  if (path == "/operator/periods" || path == "/operator/periods/close") {
    Data d;
    std::string error;
    auto next = service::next_closable(ctx.store, now, ctx.config.rules.window);
    if (path == "/operator/periods/close" && post) {
      if (rank(user.role) < 2) return respond(refuse());
      auto month = domain::YearMonth::parse(form->get("period"));
      std::string reason = form->get("reason").substr(0, 500);
      if (!month || !next || *month != *next ||
          reason.find_first_not_of(' ') == std::string::npos) {
        error = text(p.lang, "cannot_close");
      } else {
        const auto started = std::chrono::steady_clock::now();
        auto seconds = [&] {
          return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        };
        try {
          auto r = service::close_period(ctx.store, *month, now, ctx.config, actor,
                                         "operator_console", reason);
          ctx.metrics.close_run("console", r.already_closed ? "already_closed" : "closed",
                                seconds());
          return respond(redirect(p, "/operator/periods"));
        } catch (const service::CloseRefused& e) {
          ctx.metrics.close_run("console", "refused", seconds());
          error = e.what();
        } catch (const std::exception& e) {
          ctx.metrics.close_run("console", "failed", seconds());
          error = e.what();
        }
      }
    }
    if (!error.empty()) d.set("error", error);
    Data periods(Data::type::list);
    if (auto last = ctx.store.last_closed_period()) {
      domain::YearMonth m = *last;
      for (int i = 0; i < 12; ++i, m = m.prev()) {
        auto row = ctx.store.period(m);
        if (!row) break;
        Data item;
        item.set("period", m.str());
        item.set("closed_at", format_time(row->closed_at));
        auto text = service::period_summary_text(row->summary);
        item.set("summary", text.counts);
        if (!text.model.empty()) item.set("model", text.model);
        periods.push_back(item);
      }
    }
    d.set("periods", periods);
    // Reads every reading of the store: on request, one month at a time.
    if (auto month = domain::YearMonth::parse(p.req.query_param("evidence"));
        month && ctx.store.period(*month)) {
      auto e = service::estimation_evidence(ctx.store, *month, ctx.config);
      auto one = [](double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f", v);
        return std::string(buf);
      };
      Data evidence;
      evidence.set("month", month->str());
      evidence.set("estimated", std::to_string(e.estimated));
      evidence.set("known", std::to_string(e.known));
      Data methods(Data::type::list);
      for (const auto& m : e.methods) {
        Data row;
        row.set("name", std::string(domain::method_name(m.method)));
        row.set("current", m.method == ctx.config.estimation.method);
        row.set("median", one(m.median_ape));
        row.set("p90", one(m.p90_ape));
        row.set("signed", (m.mean_signed >= 0 ? "+" : "") + one(m.mean_signed));
        methods.push_back(row);
      }
      evidence.set("methods", methods);
      d.set("evidence", evidence);
    }
    if (next) d.set("next", next->str());
    d.set("can_close", rank(user.role) >= 2);
    return respond(html(p, text(p.lang, "periods"), "op_periods", d, error.empty() ? 200 : 422));
  }
  if (path == "/operator/prices") {
    Data d;
    int status = 200;
    if (post) {
      if (rank(user.role) < 2) return respond(refuse());
      auto result = service::change_price(
          ctx.store, form->get("item"), form->get("from"), form->get("value").substr(0, 20), actor,
          form->get("reason").substr(0, 500), now, p.req.request_id);
      if (result == service::PriceChangeResult::changed)
        return respond(redirect(p, "/operator/prices"));
      status = 422;
      d.set("error", result == service::PriceChangeResult::bad_date
                         ? text(p.lang, "price_date_too_early")
                     : result == service::PriceChangeResult::reason_required
                         ? text(p.lang, "price_reason_required")
                         : text(p.lang, "price_wrong"));
    }
    const auto prices = service::effective_prices(ctx.store, ctx.config.prices);
    Data list(Data::type::list);
    for (auto [name, entries] :
         {std::pair{"household", &prices.household}, std::pair{"heating", &prices.heating}}) {
      for (const auto& e : *entries) {
        Data row;
        row.set("item", name);
        row.set("from", format_day(e.from));
        row.set("until", e.until ? format_day(*e.until) : "—");
        row.set("value", domain::format_uah(e.kop_per_kwh));
        list.push_back(row);
      }
    }
    d.set("prices", list);
    const auto c = prices.coefficients_on(domain::kyiv_date(now));
    auto thousandths = [](int v) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%d.%03d", v / 1000, v % 1000);
      return std::string(buf);
    };
    Data names(Data::type::list), rows(Data::type::list);
    for (const char* n : {"1", "2", "3"}) names.push_back(Data(std::string(n)));
    Data r1, r2, r3;
    r1.set("label", text(p.lang, "coefficient_single"));
    Data v1(Data::type::list), v2(Data::type::list), v3(Data::type::list);
    v1.push_back(Data(thousandths(c.total)));
    v1.push_back(Data(thousandths(c.day)));
    v1.push_back(Data(thousandths(c.peak)));
    v2.push_back(Data(std::string("—")));
    v2.push_back(Data(thousandths(c.night)));
    v2.push_back(Data(thousandths(c.half_peak)));
    v3.push_back(Data(std::string("—")));
    v3.push_back(Data(std::string("—")));
    v3.push_back(Data(thousandths(c.night3)));
    r1.set("values", v1);
    r2.set("label", text(p.lang, "coefficient_night_half_peak"));
    r2.set("values", v2);
    r3.set("label", text(p.lang, "coefficient_night3"));
    r3.set("values", v3);
    rows.push_back(r1);
    rows.push_back(r2);
    rows.push_back(r3);
    d.set("coefficient_names", names);
    d.set("coefficient_rows", rows);
    Data changes(Data::type::list);
    for (const auto& ch : ctx.store.price_changes()) {
      Data row;
      row.set("at", format_time(ch.created_at));
      row.set("actor", ch.actor);
      row.set("item", ch.change.item);
      row.set("from", format_day(ch.change.from));
      row.set("value", domain::is_coefficient(ch.change.item)
                           ? thousandths(static_cast<int>(ch.change.value))
                           : domain::format_uah(ch.change.value));
      row.set("reason", ch.reason);
      changes.push_back(row);
    }
    d.set("changes", changes);
    d.set("can_change", rank(user.role) >= 2);
    Data items(Data::type::list);
    for (const char* i :
         {"household", "heating", "coefficient.total", "coefficient.day", "coefficient.night",
          "coefficient.peak", "coefficient.half_peak", "coefficient.night3"})
      items.push_back(Data(std::string(i)));
    d.set("items", items);
    return respond(html(p, text(p.lang, "prices"), "op_prices", d, status));
  }
  if (path == "/operator/outages") {
    Data d;
    int status = 200;
    if (post) {
      if (rank(user.role) < 2) return respond(refuse());
      using R = service::OutageChangeResult;
      auto result = service::set_outage_coefficient(
          ctx.store, form->get("area").substr(0, 64), form->get("month").substr(0, 10),
          form->get("k").substr(0, 12), actor, form->get("reason").substr(0, 500), now,
          "operator_console", p.req.request_id);
      if (result == R::changed) return respond(redirect(p, "/operator/outages"));
      status = 422;
      d.set("error", result == R::unknown_area      ? text(p.lang, "outage_unknown_area")
                     : result == R::bad_month       ? text(p.lang, "outage_wrong_month")
                     : result == R::reason_required ? text(p.lang, "price_reason_required")
                                                    : text(p.lang, "outage_wrong_value"));
    }
    Data entries(Data::type::list);
    for (const auto& e : ctx.store.outage_coefficients()) {
      Data row;
      row.set("at", format_time(e.created_at));
      row.set("actor", e.actor);
      row.set("area", e.area.empty() ? text(p.lang, "every_area") : e.area);
      row.set("month", e.period.str());
      row.set("k", service::format_thousandths(e.k_milli));
      row.set("reason", e.reason);
      entries.push_back(row);
    }
    d.set("entries", entries);
    Data areas(Data::type::list);
    for (const auto& a : ctx.store.account_areas()) areas.push_back(Data(a));
    d.set("areas", areas);
    if (auto next = service::next_closable(ctx.store, now, ctx.config.rules.window))
      d.set("month", next->str());
    d.set("can_change", rank(user.role) >= 2);
    return respond(html(p, text(p.lang, "outages"), "op_outages", d, status));
  }
  if (path == "/operator/audit") {
    // Who did what, for supervisors and admins: by person, action or what it was about.
    if (rank(user.role) < 2) return respond(refuse());
    service::AuditSearch q{p.req.query_param("who"), p.req.query_param("action"),
                           p.req.query_param("about"),
                           std::atoll(p.req.query_param("before").c_str())};
    auto found = service::search_audit(ctx.store, q, actor, now, p.req.request_id);
    Data d;
    d.set("who", q.who);
    d.set("action", q.action);
    d.set("about", q.about);
    d.set("any", !found.rows.empty());
    d.set("rows", audit_rows(p.lang, found.rows));
    if (found.next_before > 0) d.set("older", std::to_string(found.next_before));
    if (found.rows.empty() && found.next_before > 0)
      d.set("none_yet",
            text(p.lang, "audit_none_yet", {{"id", std::to_string(found.next_before)}}));
    return respond(html(p, text(p.lang, "audit"), "op_audit", d));
  }
  if (path == "/operator/users" || (path.starts_with("/operator/users/") && post)) {
    if (rank(user.role) < 3) return respond(refuse());
    Data d;
    int status = 200;
    if (path != "/operator/users") {
      // /operator/users/{login}/{password-reset|disable|enable|role}, each with a reason.
      std::string_view rest = std::string_view(path).substr(16);
      const std::string login(rest.substr(0, rest.find('/')));
      const std::string_view act = rest.substr(std::min(rest.size(), login.size() + 1));
      const std::string reason = form->get("reason").substr(0, 500);
      // No such staff member or action is a 404, any other refusal a 422.
      auto say_no = [&](bool found, TextKey why) {
        status = found ? 422 : 404;
        d.set("error", text(p.lang, found ? why : TextKey("no_such_page")));
      };
      if (act == "password-reset") {
        // A staff member who has forgotten the password gets a code from an admin.
        auto code = service::issue_password_reset(ctx.store, login, service::Side::staff, actor,
                                                  "operator_console", reason,
                                                  std::chrono::hours(24), now, p.req.request_id);
        if (code.status == service::ResetCode::Status::issued) {
          d.set("reset_for", login);
          d.set("reset_code", code.code);
          d.set("reset_valid",
                text(p.lang, "reset_code_valid", {{"time", format_time(code.expires_at)}}));
        } else {
          say_no(code.status != service::ResetCode::Status::no_such_person, refusal(code.status));
        }
      } else if (act == "disable" || act == "enable" || act == "role") {
        auto r =
            act == "role"
                ? service::set_staff_role(ctx.store, login, form->get("role"), actor,
                                          "operator_console", reason, now, p.req.request_id)
                : service::set_staff_enabled(ctx.store, login, act == "enable", actor,
                                             "operator_console", reason, now, p.req.request_id);
        if (r == service::StaffChange::done) return respond(redirect(p, "/operator/users"));
        say_no(r != service::StaffChange::no_such_person, refusal(r, act == "role"));
      } else {
        say_no(false, "no_such_page");
      }
    } else if (post) {
      try {
        service::add_staff_user(ctx.store, form->get("login"), form->get("role"),
                                form->get("password"), now, actor);
        return respond(redirect(p, "/operator/users"));
      } catch (const service::LoginTaken&) {
        d.set("error", text(p.lang, "login_taken"));
        status = 422;
      } catch (const std::invalid_argument& e) {
        d.set("error", std::string(e.what()));
        status = 422;
      }
    }
    Data users(Data::type::list);
    for (const auto& u : ctx.store.staff_users()) {
      Data item;
      item.set("login", u.login);
      item.set("role", text(p.lang, role_name(u.role)));
      Data roles(Data::type::list);
      for (const std::string r : {"operator", "supervisor", "admin"}) {
        Data option;
        option.set("value", r);
        option.set("name", text(p.lang, role_name(r)));
        option.set("selected", r == u.role);
        roles.push_back(option);
      }
      item.set("roles", roles);
      item.set("self", u.login == user.login);
      if (u.disabled_at) item.set("disabled", format_time(*u.disabled_at));
      users.push_back(item);
    }
    d.set("users", users);
    return respond(html(p, text(p.lang, "users"), "op_users", d, status));
  }
  return respond(message(p, 404, "404", text(p.lang, "no_such_page"), "alert"));
}

}  // namespace md::http::web
