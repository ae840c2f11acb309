// The personal account's first page: each meter with its last reading and whether this window
// has one, the last closed month with its bill, reminders and contacts.
#include "channels/http/web/cabinet/cabinet.hpp"
#include "service/account_views.hpp"

namespace md::http::web::cabinet {
namespace {

// A meter's zone fields for the reading sent from the overview (issue 33: three screens from
// sign-in), each with its last value for the live consumption (submit.js).
Data quick_zones(i18n::Lang lang, const store::MeterRow& m,
                 const std::optional<store::ReadingRow>& last) {
  Data list(Data::type::list);
  auto names = domain::zones_of(m.zones);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string name(domain::zone_name(names[i]));
    Data z;
    z.set("name", name);
    z.set("id", m.serial + "-" + name);
    z.set("label", i18n::zone_label(lang, name));
    if (last && i < last->values.size()) z.set("last_raw", std::to_string(last->values[i]));
    list.push_back(z);
  }
  return list;
}

// The last closed month at a glance: its volume, its bill, and whether it was estimated (the
// customer can still send an actual reading; the next month carries the difference).
std::optional<Data> last_month(i18n::Lang lang, const std::vector<service::AccountMonth>& months) {
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

void overview(Request& rq, const std::string& contact_error) {
  Page& p = rq.p;
  auto& ctx = rq.site.ctx;
  const auto o = service::customer_overview(ctx.store, rq.account_id(), ctx.config.prices);
  const auto& account = o.account;
  const domain::Day today = domain::kyiv_date(rq.now);
  auto open = domain::window_containing(today, ctx.config.rules.window);
  Data d;
  d.set("holder", account.holder);
  d.set("account", account.number);
  d.set("reminders", rq.user().reminders);
  // What the switch does here: e-mails when mail is on; the bots have their own (/reminders).
  if (ctx.options.mail)
    d.set("reminders_how", rq.user().email.empty()
                               ? text(p.lang, "reminders_need_email")
                               : text(p.lang, "reminders_by_email", {{"email", rq.user().email}}));
  d.set("email", rq.user().email);
  d.set("phone", rq.user().phone);
  if (!contact_error.empty()) d.set("contact_error", contact_error);
  Data list(Data::type::list);
  for (const auto& [m, r] : o.meters) {
    Data item;
    item.set("serial", m.serial);
    item.set("eic", m.eic);
    item.set("address", account.address);
    if (r) {
      Data last;
      last.set("date", format_day(r->taken_on));
      last.set("channel", i18n::label(p.lang, "channel", r->channel));
      last.set("values", reading_values(p.lang, *r));
      item.set("last", last);
      if (open && r->period == *open) item.set("this_month", text(p.lang, "this_month_in"));
    }
    if (open && !item.get("this_month")) item.set("missing", text(p.lang, "this_month_missing"));
    item.set("zones", quick_zones(p.lang, m,
                                  service::compared_reading(ctx.store, m.meter_id, rq.now,
                                                            ctx.config.rules.window)));
    item.set("form_key", service::random_token());
    list.push_back(item);
  }
  d.set("meters", list);
  if (auto last = last_month(p.lang, o.months)) d.set("last_month", *last);
  return rq.respond(
      rq.site.html(p, text(p.lang, "overview"), "overview", d, contact_error.empty() ? 200 : 422));
}

}  // namespace md::http::web::cabinet
