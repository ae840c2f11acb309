// K_outage per area and month (rules.md §7): what supervisors entered, with who and why, and the
// form for the next month to close.
#include "service/outages.hpp"
#include "channels/http/web/console/console.hpp"
#include "service/console_views.hpp"
#include "service/period_close.hpp"

namespace md::http::web::console {

void outages(Request& r) {
  auto& ctx = r.site.ctx;
  Page& p = r.p;
  Data d;
  int status = 200;
  if (r.post && supervisor_change(r, d, status, "/operator/outages", [&]() -> std::string {
        using R = service::OutageChangeResult;
        auto result = service::set_outage_coefficient(
            ctx.store, r.field("area", 64), r.field("month", 10), r.field("k", 12), r.actor,
            r.field("reason", 500), r.now, "operator_console", p.req.request_id);
        return result == R::changed           ? ""
               : result == R::unknown_area    ? text(p.lang, "outage_unknown_area")
               : result == R::bad_month       ? text(p.lang, "outage_wrong_month")
               : result == R::reason_required ? text(p.lang, "price_reason_required")
                                              : text(p.lang, "outage_wrong_value");
      }))
    return;
  const auto k = service::outage_coefficients(ctx.store);
  Data entries(Data::type::list);
  for (const auto& e : k.entries) {
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
  for (const auto& a : k.areas) areas.push_back(Data(a));
  d.set("areas", areas);
  if (auto next = service::next_closable(ctx.store, r.now, ctx.config.rules.window))
    d.set("month", next->str());
  d.set("can_change", r.may(2));
  r.respond(r.site.html(p, text(p.lang, "outages"), "op_outages", d, status));
}

}  // namespace md::http::web::console
