// The customer's readings and closed months: the history, the volumes with a chart, the bills
// with each estimate in words, and a download of everything kept about the account.
#include <spdlog/spdlog.h>

#include "channels/http/web/cabinet/cabinet.hpp"
#include "service/account_views.hpp"
#include "service/stored_estimate.hpp"

namespace md::http::web::cabinet {

void history(Request& rq) {
  Page& p = rq.p;
  auto& ctx = rq.site.ctx;
  Data d;
  d.set("rows",
        history_rows(p.lang, service::account_history(ctx.store, rq.account_id(), 200), false));
  return rq.respond(rq.site.html(p, text(p.lang, "history"), "history", d));
}

void volumes(Request& rq) {
  Page& p = rq.p;
  auto& ctx = rq.site.ctx;
  auto volumes = service::account_volumes(ctx.store, rq.account_id());
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
  return rq.respond(rq.site.html(p, text(p.lang, "volumes"), "volumes", d));
}

void bills(Request& rq) {
  Page& p = rq.p;
  auto& ctx = rq.site.ctx;
  const auto [volumes, months] =
      service::account_bills(ctx.store, rq.account_id(), ctx.config.prices);
  Data d;
  Data bills(Data::type::list);
  for (const auto& month : months) {
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
      if (auto e = service::estimate_explanation(v.estimate, p.lang); !e.empty()) {
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
  return rq.respond(rq.site.html(p, text(p.lang, "bills"), "bills", d));
}

void data(Request& rq) {
  auto& ctx = rq.site.ctx;
  const bool as_json = rq.path().ends_with(".json");
  auto file = as_json ? service::account_data_json(ctx.store, rq.user())
                      : service::account_data_csv(ctx.store, rq.user());
  Response r;
  r.route = "/account/data";
  r.body = std::move(file.body);
  r.content_type = as_json ? "application/json" : "text/csv; charset=utf-8";
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + file.filename + "\"");
  r.headers.emplace_back("Cache-Control", "no-store");
  return rq.respond(std::move(r));
}

}  // namespace md::http::web::cabinet
