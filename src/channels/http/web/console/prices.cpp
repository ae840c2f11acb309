// The price list and the zone coefficients in force, every change made with who and why, and the
// form by which supervisors add one.
#include "service/prices.hpp"
#include "channels/http/web/console/console.hpp"
#include "service/console_views.hpp"
#include "service/outages.hpp"

namespace md::http::web::console {
namespace {

// The coefficients in force today as a table: a row per zone position, a column per meter kind.
Data coefficient_rows(i18n::Lang lang, const domain::PerZone<int>& c) {
  auto row = [&](TextKey label, std::initializer_list<std::string> values) {
    Data r;
    r.set("label", text(lang, label));
    Data list(Data::type::list);
    for (const auto& v : values) list.push_back(Data(v));
    r.set("values", list);
    return r;
  };
  Data rows(Data::type::list);
  rows.push_back(row("coefficient_single",
                     {service::format_thousandths(c.total), service::format_thousandths(c.day),
                      service::format_thousandths(c.peak)}));
  rows.push_back(row("coefficient_night_half_peak", {"—", service::format_thousandths(c.night),
                                                     service::format_thousandths(c.half_peak)}));
  rows.push_back(row("coefficient_night3", {"—", "—", service::format_thousandths(c.night3)}));
  return rows;
}

}  // namespace

void prices(Request& r) {
  auto& ctx = r.site.ctx;
  Page& p = r.p;
  Data d;
  int status = 200;
  if (r.post && supervisor_change(r, d, status, "/operator/prices", [&]() -> std::string {
        using R = service::PriceChangeResult;
        auto result = service::change_price(ctx.store, r.form->get("item"), r.form->get("from"),
                                            r.field("value", 20), r.actor, r.field("reason", 500),
                                            r.now, p.req.request_id);
        return result == R::changed           ? ""
               : result == R::bad_date        ? text(p.lang, "price_date_too_early")
               : result == R::reason_required ? text(p.lang, "price_reason_required")
                                              : text(p.lang, "price_wrong");
      }))
    return;
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
  Data names(Data::type::list);
  for (const char* n : {"1", "2", "3"}) names.push_back(Data(std::string(n)));
  d.set("coefficient_names", names);
  d.set("coefficient_rows",
        coefficient_rows(p.lang, prices.coefficients_on(domain::kyiv_date(r.now))));
  Data changes(Data::type::list);
  for (const auto& ch : service::price_changes(ctx.store)) {
    Data row;
    row.set("at", format_time(ch.created_at));
    row.set("actor", ch.actor);
    row.set("item", ch.change.item);
    row.set("from", format_day(ch.change.from));
    row.set("value", domain::is_coefficient(ch.change.item)
                         ? service::format_thousandths(static_cast<int>(ch.change.value))
                         : domain::format_uah(ch.change.value));
    row.set("reason", ch.reason);
    changes.push_back(row);
  }
  d.set("changes", changes);
  d.set("can_change", r.may(2));
  Data items(Data::type::list);
  for (const char* i :
       {"household", "heating", "coefficient.total", "coefficient.day", "coefficient.night",
        "coefficient.peak", "coefficient.half_peak", "coefficient.night3"})
    items.push_back(Data(std::string(i)));
  d.set("items", items);
  r.respond(r.site.html(p, text(p.lang, "prices"), "op_prices", d, status));
}

}  // namespace md::http::web::console
