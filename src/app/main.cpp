// The `meterdesk` command line: wiring of configuration, store, service and channels.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>
#include <zlib.h>
#include <CLI/CLI.hpp>

#include "app/config.hpp"
#include "app/notify.hpp"
#include "channels/http/api.hpp"
#include "channels/http/server.hpp"
#include "channels/http/web.hpp"
#include "channels/http/webhooks.hpp"
#include "channels/ivr/ivr.hpp"
#include "channels/telegram/telegram.hpp"
#include "channels/viber/viber.hpp"
#include "dialog/phone_call.hpp"
#include "service/accounts.hpp"
#include "service/backtest.hpp"
#include "service/demo_data.hpp"
#include "service/exchange.hpp"
#include "service/handover.hpp"
#include "service/ingestor.hpp"
#include "service/messenger.hpp"
#include "service/outbox.hpp"
#include "service/people.hpp"
#include "service/period_close.hpp"
#include "service/prices.hpp"
#include "service/rate_limit.hpp"
#include "service/scheduler.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace {

using namespace md;

struct Common {
  std::string db = "meterdesk.db";
  std::string now;
  std::string config;
};

void add_common(CLI::App* cmd, Common& c) {
  cmd->add_option("--db", c.db,
                  "database: a SQLite file path, or a postgresql:// URL (env METERDESK_DB)")
      ->envname("METERDESK_DB")
      ->capture_default_str();
  cmd->add_option("--now", c.now,
                  "fix the business clock at this ISO-8601 instant (tests and demos)");
  cmd->add_option("--config", c.config, "TOML configuration file")->check(CLI::ExistingFile);
}

struct Context {
  app::Config config;
  service::Clock clock;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<service::Submissions> submissions;
};

Context open(const Common& c, bool migrate = true) {
  Context ctx{app::load_config(c.config.empty() ? std::nullopt : std::optional(c.config)),
              service::Clock{}, nullptr, nullptr};
  if (!c.now.empty()) {
    auto t = domain::parse_instant(c.now);
    if (!t)
      throw std::runtime_error("--now must be an ISO-8601 instant, e.g. 2026-11-30T10:00:00+02:00");
    ctx.clock = service::Clock{*t};
  }
  ctx.store = store::open_store(c.db, ctx.config.ingest_writers);
  if (migrate) ctx.store->migrate();
  ctx.submissions = std::make_unique<service::Submissions>(service::ServiceConfig{
      ctx.config.rules, ctx.config.account_digits, ctx.config.estimation, ctx.config.prices});
  return ctx;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int report(const service::ImportReport& r, const char* what) {
  if (r.ok()) {
    std::printf("imported %d %s", r.imported, what);
    if (r.replayed) std::printf(" (%d already imported earlier, skipped)", r.replayed);
    std::printf("\n");
    return 0;
  }
  std::fprintf(stderr, "nothing imported: %zu problem(s)\n", r.errors.size());
  for (const auto& e : r.errors) std::fprintf(stderr, "  %s\n", e.c_str());
  return 1;
}

// The message as a JSON string's contents: quotes, backslashes and control characters escaped,
// so every line of a JSON log parses whatever a message holds (a path, an exception's text).
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(c);
      } else if (u < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", u);
        dest.append(buf, buf + 6);
      } else {
        dest.push_back(c);
      }
    }
  }
  [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

void setup_logging(const app::Config& config) {
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  if (config.log_json) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<JsonEscapedMessage>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":"%*"})");
    spdlog::set_formatter(std::move(formatter));
  }
}

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

int serve(const Common& c, const std::string& listen_override) {
  Context ctx = open(c);
  setup_logging(ctx.config);
  auto [host, port] =
      http::split_host_port(listen_override.empty() ? ctx.config.listen : listen_override);
  obs::Metrics metrics;
  service::Ingestor ingestor(
      *ctx.store, *ctx.submissions, ctx.clock, &metrics,
      service::IngestOptions{ctx.config.ingest_max_batch, ctx.config.ingest_max_queue});
  http::Api api(http::ApiContext{*ctx.store, ingestor, *ctx.submissions, metrics,
                                 ctx.submissions->config(), ctx.clock, ctx.config.json_max_depth,
                                 ctx.config.ingest_max_queue});
  http::WebOptions web_options;
  web_options.secure_cookies = ctx.config.web_secure_cookies;
  web_options.photo_max_bytes = ctx.config.web_photo_max_bytes;
  web_options.account_attempts_per_hour = ctx.config.web_account_attempts_per_hour;
  web_options.address_attempts_per_hour = ctx.config.web_address_attempts_per_hour;
  web_options.customer_session = std::chrono::hours(ctx.config.web_customer_session_hours);
  web_options.staff_session = std::chrono::hours(ctx.config.web_staff_session_hours);
  // Messengers: each bot is on when its token is configured.
  service::Messenger messenger(*ctx.store, ingestor, *ctx.submissions, &metrics);
  auto account_attempts =
      service::account_attempts(*ctx.store, ctx.config.web_account_attempts_per_hour);
  messenger.limit_identifications(account_attempts.get());
  service::OutboxOptions outbox_options;
  outbox_options.max_attempts = ctx.config.outbox_max_attempts;
  outbox_options.photo_max_bytes = ctx.config.web_photo_max_bytes;
  service::OutboxWorker outbox(*ctx.store, service::curl_transport(), &metrics, outbox_options);
  const auto& cfg = ctx.config;
  if (!cfg.telegram_bot_token.empty()) {
    if (cfg.telegram_secret_token.empty())
      throw std::runtime_error(
          "telegram.secret_token must be set when telegram.bot_token is (the webhook checks it)");
    messenger.add_channel("telegram", &telegram::render);
    outbox.add(service::telegram_platform(
        cfg.telegram_api_base, cfg.telegram_bot_token, cfg.telegram_per_second,
        std::chrono::milliseconds(cfg.telegram_per_chat_interval_ms)));
  }
  if (!cfg.viber_auth_token.empty()) {
    viber::RenderOptions viber_render{cfg.viber_bot_name};
    messenger.add_channel("viber", [viber_render](const service::Inbound*, std::string_view chat,
                                                  const dialog::Step& step) {
      return viber::render(viber_render, chat, step);
    });
    outbox.add(
        service::viber_platform(cfg.viber_api_base, cfg.viber_auth_token, cfg.viber_per_user_hour));
  }
  messenger.on_enqueued([&outbox] { outbox.wake(); });
  outbox.on_tick(
      [&messenger, &ctx, last_prune = std::chrono::steady_clock::time_point{}]() mutable {
        messenger.queue_notices(ctx.clock.now());
        if (std::chrono::steady_clock::now() - last_prune > std::chrono::hours{1}) {
          // Platforms redeliver for a day at most; a week of update ids is plenty.
          {
            auto tx = ctx.store->begin_write();
            tx->prune_updates(ctx.clock.now() - std::chrono::hours{24 * 7});
            tx->commit();
          }  // its writer connection is free again before the next transaction asks for one
          service::prune_attempts(*ctx.store, ctx.clock.now());
          last_prune = std::chrono::steady_clock::now();
        }
      });
  // Webhook bodies are held to server.body_limit like every other request.
  const http::TelegramWebhook telegram_hook{cfg.telegram_secret_token};
  const http::ViberWebhook viber_hook{cfg.viber_auth_token, cfg.viber_bot_name};
  http::Web web(http::WebContext{*ctx.store, ingestor, *ctx.submissions, ctx.submissions->config(),
                                 ctx.clock, metrics, web_options, &messenger,
                                 account_attempts.get()});
  http::ServerOptions options;
  options.upload_limit = ctx.config.web_photo_max_bytes + std::size_t{64} * 1024;
  options.takes_uploads = &http::Web::takes_uploads;
  options.address = host;
  {
    std::istringstream proxies(ctx.config.trusted_proxies);
    for (std::string proxy; std::getline(proxies, proxy, ',');) {
      proxy.erase(0, proxy.find_first_not_of(' '));
      proxy.erase(proxy.find_last_not_of(' ') + 1);
      if (!proxy.empty()) options.trusted_proxies.push_back(proxy);
    }
  }
  options.port = port;
  options.threads = ctx.config.threads;
  options.body_limit = ctx.config.body_limit;
  options.header_limit = ctx.config.header_limit;
  options.request_timeout = std::chrono::seconds(ctx.config.request_timeout_s);
  options.idle_timeout = std::chrono::seconds(ctx.config.idle_timeout_s);
  options.max_connections = ctx.config.max_connections;
  http::Server server(
      options,
      [&](http::Request&& r, http::Respond done) {
        if (http::Web::serves(r)) return web.handle(std::move(r), done);
        if (r.path == "/webhooks/telegram" && messenger.has_channel("telegram"))
          return http::telegram_webhook(messenger, telegram_hook, std::move(r), done, &metrics);
        if (r.path == "/webhooks/viber" && messenger.has_channel("viber"))
          return http::viber_webhook(messenger, viber_hook, std::move(r), done, &metrics);
        api.handle(std::move(r), std::move(done));
      },
      &metrics);
  std::uint16_t bound = server.listen();
  outbox.start();
  std::unique_ptr<ivr::Ivr> phone;
  if (!cfg.ivr_listen.empty()) {
    ivr::IvrOptions io;
    io.listen = cfg.ivr_listen;
    io.prompts = cfg.ivr_prompts;
    if (io.prompts.empty()) {
      auto here = std::filesystem::canonical("/proc/self/exe").parent_path() / "prompts";
      io.prompts = std::filesystem::exists(here) ? here.string() : "/usr/share/meterdesk/prompts";
    }
    io.prompts_override = cfg.ivr_prompts_override;
    io.data_dir = (std::filesystem::absolute(c.db).parent_path() / "ivr").string();
    io.timeout_seconds = cfg.ivr_timeout_s;
    io.max_calls = cfg.ivr_max_calls;
    io.inband_dtmf = cfg.ivr_inband_dtmf;
    io.call.menu_key = cfg.ivr_menu_key.empty() ? '\0' : cfg.ivr_menu_key[0];
    io.call.transfer = cfg.ivr_transfer;
    io.call.trust_caller = cfg.ivr_trust_caller_number;
    phone = std::make_unique<ivr::Ivr>(io, messenger);
    phone->start();
  }
  std::unique_ptr<service::CloseScheduler> scheduler;
  if (ctx.config.close_automatic)
    scheduler = std::make_unique<service::CloseScheduler>(
        *ctx.store, ctx.submissions->config(), ctx.clock,
        std::chrono::seconds(ctx.config.close_check_interval_s), &metrics);
  spdlog::info("meterdesk {} serving http://{}:{} (db {}, schema {}{})", "0.1.0", host, bound, c.db,
               ctx.store->schema_version(),
               ctx.clock.fixed() ? ", clock fixed at " + domain::format_kyiv(ctx.clock.now()) : "");
  std::fflush(stdout);
  app::notify_systemd("READY=1");
  server.run();
  app::notify_systemd("STOPPING=1");
  if (phone) phone->stop();
  if (scheduler) scheduler->stop();
  spdlog::info("stopping: finishing queued submissions");
  ingestor.stop();
  spdlog::info("stopping: sending due messages for up to {} s", cfg.outbox_drain_seconds);
  outbox.stop(std::chrono::seconds(cfg.outbox_drain_seconds));
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"meterdesk: meter readings for an electricity distribution system operator"};
  app.require_subcommand(1);
  Common common;

  auto* serve_cmd = app.add_subcommand("serve", "serve the HTTP API (and channels)");
  add_common(serve_cmd, common);
  std::string listen;
  serve_cmd->add_option("--listen", listen,
                        "HOST:PORT (default from server.listen, 127.0.0.1:8080)");

  auto* migrate_cmd = app.add_subcommand("migrate", "apply pending schema migrations");
  add_common(migrate_cmd, common);

  auto* accounts_cmd = app.add_subcommand("import-accounts", "import accounts and meters from CSV");
  add_common(accounts_cmd, common);
  std::string accounts_file;
  accounts_cmd
      ->add_option("FILE", accounts_file,
                   std::string("CSV with the header ") + std::string(service::kAccountsHeader))
      ->required();

  auto* readings_cmd = app.add_subcommand("import-readings", "import readings from CSV");
  add_common(readings_cmd, common);
  std::string readings_file;
  readings_cmd
      ->add_option("FILE", readings_file,
                   std::string("CSV with the header ") + std::string(service::kReadingsHeader))
      ->required();

  auto* demo_cmd = app.add_subcommand("demo-data", "create synthetic accounts with history");
  add_common(demo_cmd, common);
  int demo_accounts = 1000;
  demo_cmd->add_option("--accounts", demo_accounts, "how many accounts")
      ->check(CLI::Range(1, 10000000))
      ->capture_default_str();
  std::uint64_t seed = 2026;
  demo_cmd->add_option("--seed", seed, "random seed")->capture_default_str();
  int demo_examples = 6;
  demo_cmd->add_option("--examples", demo_examples, "accounts to suggest a reading for")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));

  auto* close_cmd = app.add_subcommand(
      "close-period", "close a month: volumes, estimates and corrections (after its window)");
  add_common(close_cmd, common);
  std::string close_month;
  close_cmd->add_option("MONTH", close_month, "YYYY-MM")->required();
  std::string close_reason = "closed by hand from the command line";
  close_cmd->add_option("--reason", close_reason, "why, for the audit")->capture_default_str();

  auto* export_cmd = app.add_subcommand("export", "the supplier hand-over of a closed month");
  add_common(export_cmd, common);
  std::string export_what, export_month, export_format = "csv", export_output;
  export_cmd->add_option("WHAT", export_what, "volumes or bills")
      ->required()
      ->check(CLI::IsMember({"volumes", "bills"}));
  export_cmd->add_option("MONTH", export_month, "YYYY-MM")->required();
  export_cmd->add_option("--format", export_format, "csv, json or cim (IEC 61968-9 XML, volumes)")
      ->check(CLI::IsMember({"csv", "json", "cim"}))
      ->capture_default_str();
  export_cmd->add_option("--output", export_output, "write here instead of standard output");

  auto* token_cmd = app.add_subcommand("token", "API tokens");
  auto* token_create = token_cmd->add_subcommand("create", "create a token (shown once)");
  add_common(token_create, common);
  std::string token_role, token_name;
  token_create->add_option("--role", token_role, "supplier, operator, supervisor or admin")
      ->required()
      ->check(CLI::IsMember({"supplier", "operator", "supervisor", "admin"}));
  token_create->add_option("--name", token_name, "who holds it, e.g. the supplier's name")
      ->required();
  auto* token_list = token_cmd->add_subcommand("list", "list tokens (never the secrets)");
  add_common(token_list, common);
  auto* token_revoke = token_cmd->add_subcommand("revoke", "revoke a token at once");
  add_common(token_revoke, common);
  std::int64_t token_id = 0;
  token_revoke->add_option("ID", token_id, "the id shown by token list")->required();
  token_cmd->require_subcommand(1);

  auto* user_cmd = app.add_subcommand("user", "staff users of the operators' console");
  auto* user_add = user_cmd->add_subcommand(
      "add", "add a staff user; the password is read from standard input (one line)");
  add_common(user_add, common);
  std::string user_login, user_role;
  user_add->add_option("--login", user_login, "the login, e.g. ivanenko")->required();
  user_add->add_option("--role", user_role, "operator, supervisor or admin")
      ->required()
      ->check(CLI::IsMember({"operator", "supervisor", "admin"}));
  user_cmd->require_subcommand(1);

  auto* exchange_cmd = app.add_subcommand(
      "exchange-meter", "enter a meter exchange act: old final and new initial readings, date");
  add_common(exchange_cmd, common);
  service::ExchangeRequest exchange;
  std::string exchange_final, exchange_initial, exchange_date;
  exchange_cmd->add_option("--account", exchange.account, "account number")->required();
  exchange_cmd->add_option("--old-serial", exchange.old_serial, "the removed meter")->required();
  exchange_cmd->add_option("--final", exchange_final, "its final reading, zones separated by /")
      ->required();
  exchange_cmd->add_option("--new-serial", exchange.new_serial, "the installed meter")->required();
  exchange_cmd->add_option("--zones", exchange.zones, "zones of the new meter (1, 2 or 3)")
      ->required();
  exchange_cmd->add_option("--digits", exchange.digits, "integer digits of the new meter")
      ->required();
  exchange_cmd->add_option("--initial", exchange_initial, "its initial reading, zones by /")
      ->required();
  exchange_cmd->add_option("--date", exchange_date, "YYYY-MM-DD of the exchange act")->required();
  exchange_cmd->add_option("--reason", exchange.reason, "why (kept in the audit)");

  auto* backup_cmd = app.add_subcommand(
      "backup", "copy the database to a new file, consistently, while the service runs");
  add_common(backup_cmd, common);
  std::string backup_output;
  backup_cmd->add_option("--output", backup_output, "the new file")->required();
  auto* restore_cmd = app.add_subcommand(
      "restore", "make a database at --db from a backup (the service must be stopped)");
  add_common(restore_cmd, common);
  std::string restore_input;
  restore_cmd->add_option("FILE", restore_input, "a file made by meterdesk backup")->required();

  auto* backtest_cmd = app.add_subcommand(
      "backtest", "measure the estimators on real daily consumption (household_id,date,kwh)");
  add_common(backtest_cmd, common);
  std::string daily_file, backtest_method = "all";
  service::BacktestOptions backtest_options;
  std::size_t backtest_households = 1000000;
  backtest_cmd->add_option("--daily", daily_file, "CSV (.gz) of household_id,date,kwh")
      ->required()
      ->check(CLI::ExistingFile);
  backtest_cmd->add_option("--method", backtest_method, "regulatory, recent, seasonal or all")
      ->check(CLI::IsMember({"regulatory", "recent", "seasonal", "all"}))
      ->capture_default_str();
  backtest_cmd->add_option("--seed", backtest_options.seed, "random seed")->capture_default_str();
  backtest_cmd
      ->add_option("--drop", backtest_options.drop_probability,
                   "probability that a month's reading is not sent")
      ->check(CLI::Range(0.0, 0.95))
      ->capture_default_str();
  backtest_cmd
      ->add_option("--runs", backtest_options.run_probability,
                   "probability that a month starts a run of 2-3 missed months")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  backtest_cmd->add_option("--households", backtest_households, "use at most this many");

  auto* config_cmd = app.add_subcommand(
      "config", "check the configuration; list every key, its variable, default and value");
  add_common(config_cmd, common);

  auto* prompts_cmd = app.add_subcommand(
      "prompts", "list the phone line's prompts: name, Ukrainian and English text (for recording)");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*serve_cmd) return serve(common, listen);
    if (*prompts_cmd) {
      for (const auto& p : dialog::phone_prompts())
        std::printf("%s\t%s\t%s\n", p.name.c_str(), p.uk.c_str(), p.en.c_str());
      return 0;
    }
    if (*migrate_cmd) {
      Context ctx = open(common, false);
      int before = ctx.store->schema_version();
      int after = ctx.store->migrate();
      std::printf("schema version %d (was %d)\n", after, before);
      return 0;
    }
    if (*accounts_cmd) {
      Context ctx = open(common);
      return report(service::import_accounts(*ctx.store, *ctx.submissions, read_file(accounts_file),
                                             ctx.clock.now()),
                    "accounts");
    }
    if (*readings_cmd) {
      Context ctx = open(common);
      return report(service::import_readings(*ctx.store, *ctx.submissions, read_file(readings_file),
                                             ctx.clock.now()),
                    "readings");
    }
    if (*demo_cmd) {
      Context ctx = open(common);
      auto s = service::generate_demo_data(*ctx.store, *ctx.submissions, demo_accounts,
                                           ctx.clock.now(), seed, demo_examples);
      std::printf("created %d accounts with %d readings\n", s.accounts, s.readings);
      for (const auto& e : s.examples)
        std::printf("  account %s  meter %s  (%d zone%s)  try: %s\n", e.account.c_str(),
                    e.meter_serial.c_str(), e.zones, e.zones > 1 ? "s" : "",
                    e.next_reading.c_str());
      return 0;
    }
    if (*close_cmd) {
      auto month = domain::YearMonth::parse(close_month);
      if (!month) throw std::runtime_error("MONTH must be YYYY-MM, e.g. 2025-11");
      Context ctx = open(common);
      auto r = service::close_period(*ctx.store, *month, ctx.clock.now(), ctx.submissions->config(),
                                     "operator:cli", "cli", close_reason);
      if (r.already_closed) {
        std::printf("%s was closed before; nothing changed\n", month->str().c_str());
        return 0;
      }
      std::printf(
          "closed %s: %d chains (%d actual, %d derived, %d estimated), %lld kWh, "
          "corrections %lld kWh, %d inspection orders\n",
          month->str().c_str(), r.chains, r.actual, r.derived, r.estimated,
          static_cast<long long>(r.volume_kwh), static_cast<long long>(r.correction_kwh),
          r.inspections);
      return 0;
    }
    if (*export_cmd) {
      auto month = domain::YearMonth::parse(export_month);
      if (!month) throw std::runtime_error("MONTH must be YYYY-MM, e.g. 2025-11");
      Context ctx = open(common);
      std::string text = service::export_period(
          *ctx.store, ctx.submissions->config().prices, *month,
          export_what == "bills" ? service::ExportWhat::bills : service::ExportWhat::volumes,
          export_format == "json"  ? service::ExportFormat::json
          : export_format == "cim" ? service::ExportFormat::cim
                                   : service::ExportFormat::csv,
          "operator:cli", "cli", export_output.empty() ? "stdout" : export_output, ctx.clock.now());
      if (export_format == "json") text += "\n";
      if (export_output.empty()) {
        std::fwrite(text.data(), 1, text.size(), stdout);
      } else {
        std::ofstream out(export_output, std::ios::binary);
        out << text;
        if (!out) throw std::runtime_error("cannot write " + export_output);
      }
      return 0;
    }
    if (*token_list) {
      Context ctx = open(common);
      for (const auto& t : ctx.store->tokens())
        std::printf("%lld\t%s\t%s\t%s\n", static_cast<long long>(t.id), t.role.c_str(),
                    t.name.c_str(), t.revoked ? "revoked" : "active");
      return 0;
    }
    if (*token_revoke) {
      Context ctx = open(common);
      if (!service::revoke_token(*ctx.store, token_id, "admin:cli", ctx.clock.now()))
        throw std::runtime_error("no active token " + std::to_string(token_id));
      std::fprintf(stderr, "token %lld revoked\n", static_cast<long long>(token_id));
      return 0;
    }
    if (*token_cmd) {
      Context ctx = open(common);
      std::string token =
          service::create_token(*ctx.store, token_role, token_name, ctx.clock.now());
      std::printf("%s\n", token.c_str());
      std::fprintf(stderr, "a %s token for %s; it is shown only now\n", token_role.c_str(),
                   token_name.c_str());
      return 0;
    }
    if (*user_cmd) {
      Context ctx = open(common);
      std::string password;
      std::getline(std::cin, password);
      if (!password.empty() && password.back() == '\r') password.pop_back();
      service::add_staff_user(*ctx.store, user_login, user_role, password, ctx.clock.now());
      std::fprintf(stderr, "added %s as %s\n", user_login.c_str(), user_role.c_str());
      return 0;
    }
    if (*exchange_cmd) {
      auto date = domain::parse_date(exchange_date);
      if (!date) throw std::runtime_error("--date must be YYYY-MM-DD");
      exchange.date = *date;
      exchange.old_final = service::split_values(exchange_final);
      exchange.new_initial = service::split_values(exchange_initial);
      exchange.actor = "operator:cli";
      Context ctx = open(common);
      try {
        auto r = service::exchange_meter(*ctx.store, *ctx.submissions, exchange, ctx.clock.now());
        std::printf("exchanged %s for %s on %s: receipts %s (final) and %s (initial); %s\n",
                    exchange.old_serial.c_str(), exchange.new_serial.c_str(), exchange_date.c_str(),
                    r.final_receipt.c_str(), r.initial_receipt.c_str(),
                    r.counter_continues ? "the counter continues"
                                        : "the zones changed: new register chains begin");
      } catch (const service::ExchangeRefused& e) {
        std::fprintf(stderr, "meterdesk: not exchanged: %s\n", e.what());
        return 1;
      }
      return 0;
    }
    if (*backup_cmd) {
      auto store = store::open_store(common.db);
      store->backup_to(backup_output);
      std::printf("backed up %s to %s (schema %d)\n", common.db.c_str(), backup_output.c_str(),
                  store->schema_version());
      return 0;
    }
    if (*restore_cmd) {
      store::sqlite_restore(restore_input, common.db);
      auto store = store::open_store(common.db);
      int version = store->migrate();  // an older backup is brought up to this version
      auto c = store->counts();
      std::printf("restored %s into %s: schema %d, %lld accounts, %lld submissions\n",
                  restore_input.c_str(), common.db.c_str(), version,
                  static_cast<long long>(c.accounts), static_cast<long long>(c.submissions));
      return 0;
    }
    if (*backtest_cmd) {
      auto config =
          app::load_config(common.config.empty() ? std::nullopt : std::optional(common.config));
      backtest_options.window = config.rules.window;
      backtest_options.default_rate = config.rules.default_rates.total;
      service::Backtest backtest(backtest_options);
      read_daily(daily_file, backtest, backtest_households);
      std::printf(
          "| estimator | households | closed months | estimated months | median APE %% | "
          "P90 APE %% | mean signed error %% | WAPE %% | months with Δ≠0 | median |Δ| kWh | "
          "P90 |Δ| kWh | mean Δ kWh |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
      for (auto method : {domain::EstimationMethod::regulatory, domain::EstimationMethod::recent,
                          domain::EstimationMethod::seasonal}) {
        if (backtest_method != "all" && backtest_method != domain::method_name(method)) continue;
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
    if (*config_cmd) {
      auto config =
          app::load_config(common.config.empty() ? std::nullopt : std::optional(common.config));
      for (const auto& k : app::config_keys(config))
        std::printf("%-42s %-52s default %-24s now %s\n", k.name.c_str(), k.env.c_str(),
                    k.default_value.c_str(), k.value.c_str());
      return 0;
    }
  } catch (const service::CloseRefused& e) {
    std::fprintf(stderr, "meterdesk: not closed: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "meterdesk: %s\n", e.what());
    return 1;
  }
  return 0;
}
