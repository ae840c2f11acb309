// Commands that need no database: the estimators' backtest, the configuration check and the
// phone line's prompt list.
#include <zlib.h>

#include <cstdio>

#include "app/commands/command.hpp"
#include "dialog/phone_call.hpp"
#include "service/backtest.hpp"

namespace md::app {
namespace {

// Reads household_id,date,kwh rows from a CSV file, gzip-compressed or not.
void read_daily(const std::string& path, service::Backtest& backtest, std::size_t max_households) {
  gzFile in = gzopen(path.c_str(), "rb");
  if (!in) throw std::runtime_error("cannot read " + path);
  char line[512];
  std::size_t n = 0, bad = 0;
  std::string current;
  std::size_t households = 0;
  while (gzgets(in, line, sizeof line)) {
    ++n;
    std::string_view row(line);
    while (!row.empty() && (row.back() == '\n' || row.back() == '\r')) row.remove_suffix(1);
    auto c1 = row.find(','), c2 = row.find(',', c1 + 1);
    if (c1 == std::string_view::npos || c2 == std::string_view::npos) {
      ++bad;
      continue;
    }
    auto id = row.substr(0, c1);
    auto day = domain::parse_date(row.substr(c1 + 1, c2 - c1 - 1));
    if (!day) {
      if (n > 1) ++bad;  // the header
      continue;
    }
    if (id != current) {
      if (++households > max_households) break;
      current = std::string(id);
    }
    char* end = nullptr;
    std::string kwh(row.substr(c2 + 1));
    double v = std::strtod(kwh.c_str(), &end);
    if (end == kwh.c_str()) {
      ++bad;
      continue;
    }
    backtest.add_row(id, *day, v);
  }
  gzclose(in);
  if (bad) std::fprintf(stderr, "%zu malformed rows skipped\n", bad);
}

struct BacktestArgs {
  std::string daily, method = "all";
  service::BacktestOptions options;
  std::size_t households = 1000000;
};

int backtest(const Common& common, BacktestArgs& a) {
  auto config = load(common);
  a.options.window = config.rules.window;
  a.options.default_rate = config.rules.default_rates.total;
  service::Backtest backtest(a.options);
  read_daily(a.daily, backtest, a.households);
  std::printf(
      "| estimator | households | closed months | estimated months | median APE %% | "
      "P90 APE %% | mean signed error %% | WAPE %% | months with Δ≠0 | median |Δ| kWh | "
      "P90 |Δ| kWh | mean Δ kWh |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (auto method : {domain::EstimationMethod::regulatory, domain::EstimationMethod::recent,
                      domain::EstimationMethod::seasonal}) {
    if (a.method != "all" && a.method != domain::method_name(method)) continue;
    domain::EstimationRules rules = config.estimation;
    rules.method = method;
    auto r = backtest.run(rules);
    std::printf(
        "| %s | %lld | %lld | %lld | %.1f | %.1f | %+.1f | %.1f | %lld | %.0f | %.0f | %+.2f "
        "|\n",
        r.method.c_str(), static_cast<long long>(r.households),
        static_cast<long long>(r.closed_months), static_cast<long long>(r.estimated_months),
        r.median_ape, r.p90_ape, r.mean_signed, r.wape, static_cast<long long>(r.corrections),
        r.median_abs_delta, r.p90_abs_delta, r.mean_delta);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

void add_tool_commands(CLI::App& app, Common& common, Commands& out) {
  auto* cmd = app.add_subcommand(
      "backtest", "measure the estimators on real daily consumption (household_id,date,kwh)");
  add_common(cmd, common);
  auto a = std::make_shared<BacktestArgs>();
  cmd->add_option("--daily", a->daily, "CSV (.gz) of household_id,date,kwh")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--method", a->method, "regulatory, recent, seasonal or all")
      ->check(CLI::IsMember({"regulatory", "recent", "seasonal", "all"}))
      ->capture_default_str();
  cmd->add_option("--seed", a->options.seed, "random seed")->capture_default_str();
  cmd->add_option("--drop", a->options.drop_probability,
                  "probability that a month's reading is not sent")
      ->check(CLI::Range(0.0, 0.95))
      ->capture_default_str();
  cmd->add_option("--runs", a->options.run_probability,
                  "probability that a month starts a run of 2-3 missed months")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  cmd->add_option("--households", a->households, "use at most this many");
  out.push_back({cmd, [&common, a] { return backtest(common, *a); }});

  auto* config = app.add_subcommand(
      "config", "check the configuration; list every key, its variable, default and value");
  add_common(config, common);
  out.push_back({config, [&common] {
                   for (const auto& k : config_keys(load(common)))
                     std::printf("%-42s %-52s default %-24s now %s\n", k.name.c_str(),
                                 k.env.c_str(), k.default_value.c_str(), k.value.c_str());
                   return 0;
                 }});

  auto* prompts = app.add_subcommand(
      "prompts", "list the phone line's prompts: name, Ukrainian and English text (for recording)");
  out.push_back({prompts, [] {
                   for (const auto& p : dialog::phone_prompts())
                     std::printf("%s\t%s\t%s\n", p.name.c_str(), p.uk.c_str(), p.en.c_str());
                   return 0;
                 }});
}

}  // namespace md::app
