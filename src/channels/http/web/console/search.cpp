// The console's first page: accounts found by number, name, address or phone; without a query,
// the current window (or the last) per day and channel, the review backlog and the share of the
// last close that was estimated.
#include "channels/http/web/console/console.hpp"
#include "service/console_views.hpp"

namespace md::http::web::console {
namespace {

Data window_data(i18n::Lang lang, const service::WindowStats& s) {
  Data stats;
  Data days(Data::type::list);
  Data channel_list(Data::type::list);
  std::vector<std::string> legend;
  for (const auto& c : s.channels) {
    legend.push_back(i18n::label(lang, "channel", c));
    channel_list.push_back(Data(legend.back()));
  }
  std::vector<Bar> bars;
  for (const auto& day : s.days) {
    Data row;
    row.set("day", format_day(day.day));
    Data counts(Data::type::list);
    Bar bar{format_day(day.day).substr(0, 5), 0, "actual", {}};
    for (const auto n : day.counts) {
      counts.push_back(Data(format_number(n, lang)));
      bar.parts.push_back(n);
      bar.value += n;
    }
    row.set("counts", counts);
    days.push_back(row);
    bars.push_back(std::move(bar));
  }
  stats.set("channels", channel_list);
  stats.set("days", days);
  stats.set("chart", bar_chart(bars, text(lang, "chart_per_day"), legend));
  stats.set("backlog", format_number(s.review_backlog, lang));
  if (s.estimated_per_mille)
    stats.set("estimated_share", format_tenths(*s.estimated_per_mille, lang) + "%");
  return stats;
}

}  // namespace

void home(Request& r) {
  auto& ctx = r.site.ctx;
  Data d;
  std::string q = r.p.req.query_param("q").substr(0, 100);
  d.set("q", q);
  if (!q.empty()) {
    d.set("searched", true);
    Data results(Data::type::list);
    for (const auto& a : service::search_accounts(ctx.store, q, 50)) {
      Data row;
      row.set("number", a.number);
      row.set("holder", a.holder);
      row.set("address", a.address);
      row.set("phone", a.phone);
      results.push_back(row);
    }
    d.set("results", results);
  } else {
    d.set("stats",
          window_data(r.p.lang, service::window_stats(ctx.store, r.now, ctx.config.rules.window)));
  }
  r.respond(r.site.html(r.p, text(r.p.lang, "console"), "op_home", d));
}

}  // namespace md::http::web::console
