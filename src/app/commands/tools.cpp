// Commands that need no database: the estimators' backtest, the configuration check and the
// phone line's prompt list.
#include <zlib.h>

#include <cstdio>
#include <map>

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

// "2013-11:0.75,2013-12:0.8" -> the months and their factors.
std::map<domain::YearMonth, double> parse_shocks(const std::string& text) {
  std::map<domain::YearMonth, double> out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t comma = text.find(',', at);
    std::string item = text.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    at = comma == std::string::npos ? text.size() : comma + 1;
    auto colon = item.find(':');
    auto month = domain::YearMonth::parse(item.substr(0, colon));
    char* end = nullptr;
    double factor = colon == std::string::npos ? 0 : std::strtod(item.c_str() + colon + 1, &end);
    if (!month || colon == std::string::npos || end == item.c_str() + colon + 1 || *end != 0 ||
        !(factor > 0 && factor <= 10))
      throw std::runtime_error("--shock: '" + item +
                               "' is not MONTH:FACTOR (e.g. 2013-12:0.8, factor in (0, 10])");
    out[*month] = factor;
  }
  return out;
}

struct BacktestArgs {
  std::string daily, method = "all", shock;
  service::BacktestOptions options;
  std::size_t households = 1000000;
};

int backtest(const Common& common, BacktestArgs& a) {
  auto config = load(common);
  a.options.window = config.rules.window;
  a.options.default_rate = config.rules.default_rates.total;
  a.options.shocks = parse_shocks(a.shock);
  service::Backtest backtest(a.options);
  read_daily(a.daily, backtest, a.households);
  std::printf(
      "| estimator | households | closed months | estimated months | median APE %% | "
      "P90 APE %% | mean signed error %% | WAPE %% | months with Δ≠0 | median |Δ| kWh | "
      "P90 |Δ| kWh | mean Δ kWh | kWh bias %% "
      "|\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::vector<service::BacktestResult> results;
  for (auto method : {domain::EstimationMethod::regulatory, domain::EstimationMethod::recent,
                      domain::EstimationMethod::seasonal, domain::EstimationMethod::blend}) {
    if (a.method != "all" && a.method != domain::method_name(method)) continue;
    domain::EstimationRules rules = config.estimation;
    rules.method = method;
    auto r = backtest.run(rules);
    std::printf(
        "| %s | %lld | %lld | %lld | %.1f | %.1f | %+.1f | %.1f | %lld | %.0f | %.0f | %+.2f | "
        "%+.1f |\n",
        r.method.c_str(), static_cast<long long>(r.households),
        static_cast<long long>(r.closed_months), static_cast<long long>(r.estimated_months),
        r.median_ape, r.p90_ape, r.mean_signed, r.wape, static_cast<long long>(r.corrections),
        r.median_abs_delta, r.p90_abs_delta, r.mean_delta, r.volume_bias);
    std::fflush(stdout);
    results.push_back(std::move(r));
  }
  std::printf(
      "\nThe months of households with a year of readings before them:\n\n| estimator | "
      "estimated months | median APE %% | P90 APE %% | mean signed error %% |\n"
      "|---|---|---|---|---|\n");
  for (const auto& r : results)
    std::printf("| %s | %lld | %.1f | %.1f | %+.1f |\n", r.method.c_str(),
                static_cast<long long>(r.year_months), r.year_median_ape, r.year_p90_ape,
                r.year_mean_signed);
  if (!a.options.shocks.empty()) {
    std::printf(
        "\nThe shocked months only (%s):\n\n| estimator | estimated months | median APE %% | "
        "P90 APE %% | mean signed error %% |\n|---|---|---|---|---|\n",
        a.shock.c_str());
    for (const auto& r : results)
      std::printf("| %s | %lld | %.1f | %.1f | %+.1f |\n", r.method.c_str(),
                  static_cast<long long>(r.shock_months), r.shock_median_ape, r.shock_p90_ape,
                  r.shock_mean_signed);
  }
  for (const auto& r : results) {
    if (!r.last_model) continue;
    const auto& model = *r.last_model;
    std::printf(
        "\nblend, the last month's model (%s; signal %+.3f / %+.3f from %d / %d submitters; "
        "class scale %.2f):\n",
        model.month.str().c_str(), model.signal[0], model.signal[1], model.signal_households[0],
        model.signal_households[1], model.class_scale);
    for (int s = 0; s < domain::kBlendSteps; ++s) {
      for (bool est : {false, true}) {
        auto step = static_cast<domain::BlendStep>(s);
        const auto* f = model.fit(step, est);
        std::printf("  %-6s %-15s", std::string(domain::step_name(step)).c_str(),
                    est ? "after estimate" : "");
        if (!f) {
          std::printf(" not fitted: %s\n", model.failures[domain::model_index(step, est)].c_str());
          continue;
        }
        for (double w : f->weights) std::printf(" %+.3f", w);
        std::printf("  (%d rows, %d households)\n", f->rows, f->households);
      }
    }
    std::printf("  models not fitted, over all months: %lld\n",
                static_cast<long long>(r.fit_failures));
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
  cmd->add_option("--method", a->method, "regulatory, recent, seasonal, blend or all")
      ->check(CLI::IsMember({"regulatory", "recent", "seasonal", "blend", "all"}))
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
  cmd->add_option("--min-months", a->options.min_months,
                  "only households with at least this many months of data (the study the issue "
                  "cites used 16)")
      ->check(CLI::Range(4, 120))
      ->capture_default_str();
  cmd->add_option("--shock", a->shock,
                  "population-wide shocks: every household's use in MONTH × FACTOR, e.g. "
                  "2013-11:0.75,2013-12:0.8");
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
