// Closed months: the close of the next one (supervisors, with a reason), the last twelve with
// their summaries, each month's estimation evidence on request, and the inspection orders a
// close made.
#include "channels/http/web/console/console.hpp"
#include "service/console_views.hpp"
#include "service/period_close.hpp"

namespace md::http::web::console {
namespace {

std::string one_decimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

Data evidence_data(const service::MonthEvidence& e, domain::EstimationMethod current) {
  Data evidence;
  evidence.set("month", e.month.str());
  evidence.set("estimated", std::to_string(e.estimated));
  evidence.set("known", std::to_string(e.known));
  Data methods(Data::type::list);
  for (const auto& m : e.methods) {
    Data row;
    row.set("name", std::string(domain::method_name(m.method)));
    row.set("current", m.method == current);
    row.set("median", one_decimal(m.median_ape));
    row.set("p90", one_decimal(m.p90_ape));
    row.set("signed", (m.mean_signed >= 0 ? "+" : "") + one_decimal(m.mean_signed));
    methods.push_back(row);
  }
  evidence.set("methods", methods);
  return evidence;
}

// Closes `month` if it is the next closable one; the error in words otherwise.
std::string close(Request& r, const std::optional<domain::YearMonth>& next) {
  auto& ctx = r.site.ctx;
  auto month = domain::YearMonth::parse(r.form->get("period"));
  std::string reason = r.field("reason", 500);
  if (!month || !next || *month != *next || reason.find_first_not_of(' ') == std::string::npos)
    return text(r.p.lang, "cannot_close");
  const auto started = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  try {
    auto report = service::close_period(ctx.store, *month, r.now, ctx.config, r.actor,
                                        "operator_console", reason);
    ctx.metrics.close_run("console", report.already_closed ? "already_closed" : "closed",
                          seconds());
    return {};
  } catch (const service::CloseRefused& e) {
    ctx.metrics.close_run("console", "refused", seconds());
    return e.what();
  } catch (const std::exception& e) {
    ctx.metrics.close_run("console", "failed", seconds());
    return e.what();
  }
}

}  // namespace

void periods(Request& r) {
  auto& ctx = r.site.ctx;
  Page& p = r.p;
  Data d;
  int status = 200;
  auto next = service::next_closable(ctx.store, r.now, ctx.config.rules.window);
  if (r.path() == "/operator/periods/close" && r.post &&
      supervisor_change(r, d, status, "/operator/periods", [&] { return close(r, next); }))
    return;
  Data periods(Data::type::list);
  for (const auto& period : service::closed_periods(ctx.store, 12)) {
    Data item;
    item.set("period", period.period.str());
    item.set("closed_at", format_time(period.closed_at));
    item.set("summary", period.summary.counts);
    if (!period.summary.model.empty()) item.set("model", period.summary.model);
    periods.push_back(item);
  }
  d.set("periods", periods);
  // Reads every reading of the store: on request, one month at a time.
  if (auto month = domain::YearMonth::parse(p.req.query_param("evidence"));
      month && service::is_closed(ctx.store, *month))
    d.set("evidence", evidence_data(service::estimation_evidence(ctx.store, *month, ctx.config),
                                    ctx.config.estimation.method));
  if (next) d.set("next", next->str());
  d.set("can_close", r.may(2));
  r.respond(r.site.html(p, text(p.lang, "periods"), "op_periods", d, status));
}

void inspections(Request& r) {
  auto list = service::inspection_orders(
      r.site.ctx.store, domain::YearMonth::parse(r.p.req.query_param("period")), 1000);
  Data d;
  Data orders(Data::type::list);
  if (list.period) d.set("period", list.period->str());
  for (const auto& o : list.orders) {
    Data row;
    row.set("account", o.account_number);
    row.set("eic", o.eic);
    row.set("address", o.address);
    row.set("reason", o.reason);
    row.set("created", format_time(o.created_at));
    if (o.inspected_at) row.set("inspected", format_time(*o.inspected_at));
    orders.push_back(row);
  }
  d.set("orders", orders);
  r.respond(r.site.html(r.p, text(r.p.lang, "inspections"), "op_inspections", d));
}

}  // namespace md::http::web::console
