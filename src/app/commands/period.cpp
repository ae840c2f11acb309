// A month's commands: the close, the supplier hand-over, and a meter exchange act.
#include <cstdio>
#include <fstream>

#include "app/commands/command.hpp"
#include "service/accounts.hpp"
#include "service/exchange.hpp"
#include "service/handover.hpp"
#include "service/outages.hpp"
#include "service/period_close.hpp"

namespace md::app {
namespace {

domain::YearMonth month_of(const std::string& text) {
  auto month = domain::YearMonth::parse(text);
  if (!month) throw std::runtime_error("MONTH must be YYYY-MM, e.g. 2025-11");
  return *month;
}

void add_close(CLI::App& app, Common& common, Commands& out) {
  auto* cmd = app.add_subcommand(
      "close-period", "close a month: volumes, estimates and corrections (after its window)");
  add_common(cmd, common);
  struct Options {
    std::string month, reason = "closed by hand from the command line";
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("MONTH", o->month, "YYYY-MM")->required();
  cmd->add_option("--reason", o->reason, "why, for the audit")->capture_default_str();
  out.push_back({cmd, [&common, o] {
                   const auto month = month_of(o->month);
                   Context ctx = open(common);
                   try {
                     auto r = service::close_period(*ctx.store, month, ctx.clock.now(),
                                                    ctx.submissions->config(), "operator:cli",
                                                    "cli", o->reason);
                     if (r.already_closed) {
                       std::printf("%s was closed before; nothing changed\n", month.str().c_str());
                       return 0;
                     }
                     std::printf(
                         "closed %s: %d chains (%d actual, %d derived, %d estimated), %lld kWh, "
                         "corrections %lld kWh, %d inspection orders\n",
                         month.str().c_str(), r.chains, r.actual, r.derived, r.estimated,
                         static_cast<long long>(r.volume_kwh),
                         static_cast<long long>(r.correction_kwh), r.inspections);
                     return 0;
                   } catch (const service::CloseRefused& e) {
                     std::fprintf(stderr, "meterdesk: not closed: %s\n", e.what());
                     return 1;
                   }
                 }});
}

void add_evidence(CLI::App& app, Common& common, Commands& out) {
  auto* cmd = app.add_subcommand(
      "estimation-evidence",
      "for closed months: what each estimation method would have estimated for the chains the "
      "close estimated, against what their later readings show");
  add_common(cmd, common);
  struct Options {
    std::string month;
    int months = 1;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("MONTH", o->month, "YYYY-MM: the last month to look at")->required();
  cmd->add_option("--months", o->months, "this many closed months up to MONTH")
      ->check(CLI::Range(1, 24))
      ->capture_default_str();
  out.push_back(
      {cmd, [&common, o] {
         const auto last = month_of(o->month);
         Context ctx = open(common);
         std::printf(
             "| month | estimated | known now | method | median APE %% | P90 APE %% | "
             "mean signed %% | WAPE %% |\n|---|---|---|---|---|---|---|---|\n");
         for (auto m = last.plus(1 - o->months); m <= last; m = m.next()) {
           if (!ctx.store->period(m)) {
             std::fprintf(stderr, "%s is not closed: left out\n", m.str().c_str());
             continue;
           }
           auto e = service::estimation_evidence(*ctx.store, m, ctx.submissions->config());
           for (const auto& method : e.methods)
             std::printf("| %s | %d | %d | %s | %.1f | %.1f | %+.1f | %.1f |\n", m.str().c_str(),
                         e.estimated, e.known,
                         std::string(domain::method_name(method.method)).c_str(), method.median_ape,
                         method.p90_ape, method.mean_signed, method.wape);
         }
         return 0;
       }});
}

// K_outage(M) per area: set one (audited), or list what was entered.
void add_outage(CLI::App& app, Common& common, Commands& out) {
  auto* cmd = app.add_subcommand(
      "outage-coefficient",
      "K_outage(M) for an area or every area (NEURC 1603/2022): with MONTH and --k, enter one; "
      "without, list the entries");
  add_common(cmd, common);
  struct Options {
    std::string month, area, k, reason;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("MONTH", o->month, "YYYY-MM, a month not closed yet");
  cmd->add_option("--area", o->area, "the area as the accounts name it; none: every area");
  cmd->add_option("--k", o->k, "the coefficient, 0 to 1, e.g. 0.85");
  cmd->add_option("--reason", o->reason, "why, for the audit (required to enter one)");
  out.push_back(
      {cmd, [&common, o] {
         Context ctx = open(common);
         if (o->month.empty()) {
           std::printf(
               "| entered | by | area | month | K_outage | reason |\n"
               "|---|---|---|---|---|---|\n");
           for (const auto& r : ctx.store->outage_coefficients())
             std::printf("| %s | %s | %s | %s | %s | %s |\n",
                         domain::format_kyiv(r.created_at).c_str(), r.actor.c_str(),
                         r.area.empty() ? "every area" : r.area.c_str(), r.period.str().c_str(),
                         service::format_thousandths(r.k_milli).c_str(), r.reason.c_str());
           return 0;
         }
         using R = service::OutageChangeResult;
         auto r =
             service::set_outage_coefficient(*ctx.store, o->area, o->month, o->k, "operator:cli",
                                             o->reason, ctx.clock.now(), "cli", "");
         const char* why = r == R::unknown_area      ? "no account has this area"
                           : r == R::bad_value       ? "--k must be a number from 0 to 1"
                           : r == R::bad_month       ? "MONTH must be YYYY-MM and not closed yet"
                           : r == R::reason_required ? "--reason is required"
                                                     : nullptr;
         if (why) {
           std::fprintf(stderr, "meterdesk: not entered: %s\n", why);
           return 1;
         }
         std::printf("K_outage %s for %s: %s\n", o->month.c_str(),
                     o->area.empty() ? "every area" : o->area.c_str(), o->k.c_str());
         return 0;
       }});
}

void add_export(CLI::App& app, Common& common, Commands& out) {
  auto* cmd = app.add_subcommand("export", "the supplier hand-over of a closed month");
  add_common(cmd, common);
  struct Options {
    std::string what, month, format = "csv", output;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("WHAT", o->what, "volumes or bills")
      ->required()
      ->check(CLI::IsMember({"volumes", "bills"}));
  cmd->add_option("MONTH", o->month, "YYYY-MM")->required();
  cmd->add_option("--format", o->format, "csv, json or cim (IEC 61968-9 XML, volumes)")
      ->check(CLI::IsMember({"csv", "json", "cim"}))
      ->capture_default_str();
  cmd->add_option("--output", o->output, "write here instead of standard output");
  out.push_back(
      {cmd, [&common, o] {
         const auto month = month_of(o->month);
         Context ctx = open(common);
         std::string text = service::export_period(
             *ctx.store, ctx.submissions->config().prices, month,
             o->what == "bills" ? service::ExportWhat::bills : service::ExportWhat::volumes,
             o->format == "json"  ? service::ExportFormat::json
             : o->format == "cim" ? service::ExportFormat::cim
                                  : service::ExportFormat::csv,
             "operator:cli", "cli", o->output.empty() ? "stdout" : o->output, ctx.clock.now());
         if (o->format == "json") text += "\n";
         if (o->output.empty()) {
           std::fwrite(text.data(), 1, text.size(), stdout);
         } else {
           std::ofstream file(o->output, std::ios::binary);
           file << text;
           if (!file) throw std::runtime_error("cannot write " + o->output);
         }
         return 0;
       }});
}

void add_exchange(CLI::App& app, Common& common, Commands& out) {
  auto* cmd = app.add_subcommand(
      "exchange-meter", "enter a meter exchange act: old final and new initial readings, date");
  add_common(cmd, common);
  struct Options {
    service::ExchangeRequest exchange;
    std::string final_values, initial_values, date;
  };
  auto o = std::make_shared<Options>();
  auto& req = o->exchange;
  cmd->add_option("--account", req.account, "account number")->required();
  cmd->add_option("--old-serial", req.old_serial, "the removed meter")->required();
  cmd->add_option("--final", o->final_values, "its final reading, zones separated by /")
      ->required();
  cmd->add_option("--new-serial", req.new_serial, "the installed meter")->required();
  cmd->add_option("--zones", req.zones, "zones of the new meter (1, 2 or 3)")->required();
  cmd->add_option("--digits", req.digits, "integer digits of the new meter")->required();
  cmd->add_option("--initial", o->initial_values, "its initial reading, zones by /")->required();
  cmd->add_option("--date", o->date, "YYYY-MM-DD of the exchange act")->required();
  cmd->add_option("--reason", req.reason, "why (kept in the audit)");
  out.push_back(
      {cmd, [&common, o] {
         auto& x = o->exchange;
         auto date = domain::parse_date(o->date);
         if (!date) throw std::runtime_error("--date must be YYYY-MM-DD");
         x.date = *date;
         x.old_final = service::split_values(o->final_values);
         x.new_initial = service::split_values(o->initial_values);
         x.actor = "operator:cli";
         Context ctx = open(common);
         try {
           auto r = service::exchange_meter(*ctx.store, *ctx.submissions, x, ctx.clock.now());
           std::printf("exchanged %s for %s on %s: receipts %s (final) and %s (initial); %s\n",
                       x.old_serial.c_str(), x.new_serial.c_str(), o->date.c_str(),
                       r.final_receipt.c_str(), r.initial_receipt.c_str(),
                       r.counter_continues ? "the counter continues"
                                           : "the zones changed: new register chains begin");
         } catch (const service::ExchangeRefused& e) {
           std::fprintf(stderr, "meterdesk: not exchanged: %s\n", e.what());
           return 1;
         }
         return 0;
       }});
}

}  // namespace

void add_period_commands(CLI::App& app, Common& common, Commands& out) {
  add_close(app, common, out);
  add_evidence(app, common, out);
  add_outage(app, common, out);
  add_export(app, common, out);
  add_exchange(app, common, out);
}

}  // namespace md::app
