// `meterdesk serve`: the HTTP server with the API, the pages and the webhooks, the ingest queue,
// the outbox, the phone line and the automatic close, wired from the configuration.
#include <algorithm>
#include <filesystem>
#include <sstream>

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include "app/commands/command.hpp"
#include "app/notify.hpp"
#include "channels/http/api.hpp"
#include "channels/http/server.hpp"
#include "channels/http/web.hpp"
#include "channels/http/webhooks.hpp"
#include "channels/ivr/ivr.hpp"
#include "channels/mail/mail.hpp"
#include "channels/telegram/telegram.hpp"
#include "channels/viber/viber.hpp"
#include "dialog/messenger.hpp"
#include "service/audit.hpp"
#include "service/ingestor.hpp"
#include "service/mail.hpp"
#include "service/outbox.hpp"
#include "service/rate_limit.hpp"
#include "service/scheduler.hpp"

namespace md::app {
namespace {

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

void setup_logging(const Config& config) {
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  if (config.log_json) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<JsonEscapedMessage>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":"%*"})");
    spdlog::set_formatter(std::move(formatter));
  }
}

http::WebOptions web_options(const Config& cfg) {
  http::WebOptions o;
  o.secure_cookies = cfg.web_secure_cookies;
  o.photo_max_bytes = cfg.web_photo_max_bytes;
  o.account_attempts_per_hour = cfg.web_account_attempts_per_hour;
  o.address_attempts_per_hour = cfg.web_address_attempts_per_hour;
  o.customer_session = std::chrono::hours(cfg.web_customer_session_hours);
  o.staff_session = std::chrono::hours(cfg.web_staff_session_hours);
  o.mail = !cfg.mail_smtp_url.empty();
  o.public_url = cfg.web_public_url;
  return o;
}

http::ServerOptions server_options(const Config& cfg, std::string host, std::uint16_t port) {
  http::ServerOptions o;
  o.upload_limit = cfg.web_photo_max_bytes + std::size_t{64} * 1024;
  o.takes_uploads = &http::Web::takes_uploads;
  o.address = std::move(host);
  std::istringstream proxies(cfg.trusted_proxies);
  for (std::string proxy; std::getline(proxies, proxy, ',');) {
    proxy.erase(0, proxy.find_first_not_of(' '));
    proxy.erase(proxy.find_last_not_of(' ') + 1);
    if (!proxy.empty()) o.trusted_proxies.push_back(proxy);
  }
  o.port = port;
  o.threads = cfg.threads;
  o.body_limit = cfg.body_limit;
  o.header_limit = cfg.header_limit;
  o.request_timeout = std::chrono::seconds(cfg.request_timeout_s);
  o.idle_timeout = std::chrono::seconds(cfg.idle_timeout_s);
  o.max_connections = cfg.max_connections;
  return o;
}

// Each bot is on when its token is configured: its replies rendered, its platform in the outbox.
void add_bots(const Config& cfg, dialog::Messenger& messenger, service::OutboxWorker& outbox) {
  if (!cfg.telegram_bot_token.empty()) {
    if (cfg.telegram_secret_token.empty())
      throw std::runtime_error(
          "telegram.secret_token must be set when telegram.bot_token is (the webhook checks it)");
    messenger.add_channel("telegram", &telegram::render);
    outbox.add(telegram::platform(cfg.telegram_api_base, cfg.telegram_bot_token,
                                  cfg.telegram_per_second,
                                  std::chrono::milliseconds(cfg.telegram_per_chat_interval_ms)));
  }
  if (!cfg.viber_auth_token.empty()) {
    viber::RenderOptions viber_render{cfg.viber_bot_name};
    messenger.add_channel("viber", [viber_render](const dialog::Inbound*, std::string_view chat,
                                                  const dialog::Step& step) {
      return viber::render(viber_render, chat, step);
    });
    outbox.add(viber::platform(cfg.viber_api_base, cfg.viber_auth_token, cfg.viber_per_user_hour));
  }
  if (!cfg.mail_smtp_url.empty())
    outbox.add(service::mail_platform(service::MailOptions{cfg.mail_smtp_url, cfg.mail_from,
                                                           cfg.mail_username, cfg.mail_password,
                                                           cfg.mail_require_tls}));
}

ivr::IvrOptions ivr_options(const Config& cfg, const std::string& db) {
  ivr::IvrOptions o;
  o.listen = cfg.ivr_listen;
  o.prompts = cfg.ivr_prompts;
  if (o.prompts.empty()) {
    auto here = std::filesystem::canonical("/proc/self/exe").parent_path() / "prompts";
    o.prompts = std::filesystem::exists(here) ? here.string() : "/usr/share/meterdesk/prompts";
  }
  o.prompts_override = cfg.ivr_prompts_override;
  o.data_dir = (std::filesystem::absolute(db).parent_path() / "ivr").string();
  o.timeout_seconds = cfg.ivr_timeout_s;
  o.max_calls = cfg.ivr_max_calls;
  o.inband_dtmf = cfg.ivr_inband_dtmf;
  o.call.menu_key = cfg.ivr_menu_key.empty() ? '\0' : cfg.ivr_menu_key[0];
  o.call.transfer = cfg.ivr_transfer;
  o.call.trust_caller = cfg.ivr_trust_caller_number;
  return o;
}

// The e-mail reminders due now, when mail is set up; how many were queued.
int queue_due_mail(Context& ctx, const Config& cfg) {
  if (cfg.mail_smtp_url.empty()) return 0;
  return service::queue_mail_reminders(
      *ctx.store, ctx.submissions->config().rules.window,
      [&cfg](i18n::Lang lang, bool again, const std::string& account, const std::string& window) {
        return mail::reminder(lang, again, account, window, cfg.web_public_url);
      },
      ctx.clock.now());
}

// What is kept only for a while: the platforms' update ids, the outbox, old attempt counts.
void forget_old(Context& ctx, const Config& cfg) {
  {
    auto tx = ctx.store->begin_write();
    // Platforms redeliver for a day at most; a week of update ids is plenty.
    tx->prune_updates(ctx.clock.now() - std::chrono::hours{24 * 7});
    // Chat ids, addresses and the words sent: kept for questions about them, not for ever.
    // The outbox stamps messages with real time, whatever the business clock says.
    const auto forgotten =
        tx->prune_outbox(service::Clock{}.now() - std::chrono::hours{24 * cfg.outbox_keep_days});
    tx->commit();
    if (forgotten > 0)
      spdlog::info("outbox: forgot {} messages sent or given up over {} days ago", forgotten,
                   cfg.outbox_keep_days);
  }  // its writer connection is free again before the next transaction asks for one
  service::prune_attempts(*ctx.store, ctx.clock.now());
}

int serve(const Common& c, const std::string& listen_override) {
  Context ctx = open(c);
  const Config& cfg = ctx.config;
  setup_logging(cfg);
  auto [host, port] = http::split_host_port(listen_override.empty() ? cfg.listen : listen_override);
  obs::Metrics metrics;
  service::Ingestor ingestor(*ctx.store, *ctx.submissions, ctx.clock, &metrics,
                             service::IngestOptions{cfg.ingest_max_batch, cfg.ingest_max_queue});
  // One count of guesses at an account for the API, the form, sign-up, the bots and the phone;
  // one per address and per network for the API, the form and sign-up.
  auto account_attempts = service::account_attempts(*ctx.store, cfg.web_account_attempts_per_hour);
  auto address_attempts = service::address_attempts(*ctx.store, cfg.web_address_attempts_per_hour);
  auto network_attempts = service::network_attempts(*ctx.store, cfg.web_address_attempts_per_hour);
  const service::GuessLimits guesses{account_attempts.get(), address_attempts.get(),
                                     network_attempts.get()};
  http::Api api(http::ApiContext{*ctx.store, ingestor, *ctx.submissions, metrics,
                                 ctx.submissions->config(), ctx.clock, cfg.json_max_depth,
                                 cfg.ingest_max_queue, guesses});
  dialog::Messenger messenger(*ctx.store, ingestor, *ctx.submissions, &metrics);
  messenger.limit_identifications(account_attempts.get());
  service::OutboxOptions outbox_options;
  outbox_options.max_attempts = cfg.outbox_max_attempts;
  outbox_options.photo_max_bytes = cfg.web_photo_max_bytes;
  service::OutboxWorker outbox(*ctx.store, service::curl_transport(), &metrics, outbox_options);
  outbox.share_writer(ingestor);
  add_bots(cfg, messenger, outbox);
  messenger.on_enqueued([&outbox] { outbox.wake(); });
  outbox.on_tick([&messenger, &ctx, &cfg, &outbox,
                  // The first tick prunes: the steady clock may start at boot, under an hour ago.
                  last_prune = std::chrono::steady_clock::now() - std::chrono::hours{2},
                  last_anchor = std::chrono::steady_clock::now()]() mutable {
    messenger.queue_notices(ctx.clock.now());
    if (queue_due_mail(ctx, cfg) > 0) outbox.wake();
    if (std::chrono::steady_clock::now() - last_prune > std::chrono::hours{1}) {
      forget_old(ctx, cfg);
      last_prune = std::chrono::steady_clock::now();
    }
    // Daily, each node writes every chain's head into its own chain, and the log (kept apart
    // from the database) carries them: `meterdesk audit verify --published` holds the DSO to it.
    if (std::chrono::steady_clock::now() - last_anchor > std::chrono::hours{24}) {
      auto heads = service::format_heads(service::anchor_audit(*ctx.store, ctx.clock.now()));
      std::replace(heads.begin(), heads.end(), '\n', ';');
      spdlog::info("audit: chain heads anchored: {}", heads);
      last_anchor = std::chrono::steady_clock::now();
    }
  });
  // Webhook bodies are held to server.body_limit like every other request.
  const http::TelegramWebhook telegram_hook{cfg.telegram_secret_token};
  const http::ViberWebhook viber_hook{cfg.viber_auth_token, cfg.viber_bot_name};
  http::Web web(http::WebContext{*ctx.store, ingestor, *ctx.submissions, ctx.submissions->config(),
                                 ctx.clock, metrics, web_options(cfg), &messenger, guesses,
                                 [&outbox] { outbox.wake(); }});
  http::Server server(
      server_options(cfg, host, port),
      [&](http::Request&& r, const http::Respond& done) {
        if (http::Web::serves(r)) return web.handle(std::move(r), done);
        if (r.path == "/webhooks/telegram" && messenger.has_channel("telegram"))
          return http::telegram_webhook(messenger, telegram_hook, std::move(r), done, &metrics);
        if (r.path == "/webhooks/viber" && messenger.has_channel("viber"))
          return http::viber_webhook(messenger, viber_hook, std::move(r), done, &metrics);
        api.handle(std::move(r), done);
      },
      &metrics);
  std::uint16_t bound = server.listen();
  outbox.start();
  std::unique_ptr<ivr::Ivr> phone;
  if (!cfg.ivr_listen.empty()) {
    phone = std::make_unique<ivr::Ivr>(ivr_options(cfg, c.db), messenger);
    phone->start();
  }
  std::unique_ptr<service::CloseScheduler> scheduler;
  if (cfg.close_automatic)
    scheduler = std::make_unique<service::CloseScheduler>(
        *ctx.store, ctx.submissions->config(), ctx.clock,
        std::chrono::seconds(cfg.close_check_interval_s), &metrics);
  spdlog::info("meterdesk {} serving http://{}:{} (db {}, schema {}{})", METERDESK_VERSION, host,
               bound, c.db, ctx.store->schema_version(),
               ctx.clock.fixed() ? ", clock fixed at " + domain::format_kyiv(ctx.clock.now()) : "");
  std::fflush(stdout);
  notify_systemd("READY=1");
  server.run();
  notify_systemd("STOPPING=1");
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

void add_serve(CLI::App& app, Common& common, Commands& out) {
  auto* cmd = app.add_subcommand("serve", "serve the HTTP API (and channels)");
  add_common(cmd, common);
  auto listen = std::make_shared<std::string>();
  cmd->add_option("--listen", *listen, "HOST:PORT (default from server.listen, 127.0.0.1:8080)");
  out.push_back({cmd, [&common, listen] { return serve(common, *listen); }});
}

}  // namespace md::app
