#include "app/config.hpp"

#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>

#include <toml++/toml.h>

namespace md::app {
namespace {

struct Key {
  const char* name;
  const char* description;
  // Reads a value from text (env) or TOML node; returns false if it does not fit.
  std::function<bool(Config&, const std::string&)> set;
  std::function<std::string(const Config&)> get;
  bool month_map = false;  // a TOML table of "YYYY-MM" = number
};

template <typename T>
bool parse_number(const std::string& text, T& out, double lo, double hi) {
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used != text.size() || v < lo || v > hi) return false;
    if constexpr (std::is_integral_v<T>) {
      if (v != static_cast<double>(static_cast<long long>(v))) return false;
    }
    out = static_cast<T>(v);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

template <typename T>
Key number(const char* name, const char* description, T Config::*field, double lo, double hi) {
  return Key{name, description,
             [=](Config& c, const std::string& t) { return parse_number(t, c.*field, lo, hi); },
             [=](const Config& c) {
               std::ostringstream s;
               s << c.*field;
               return s.str();
             }};
}

template <typename T>
Key rule(const char* name, const char* description, T domain::ValidationRules::*field, double lo,
         double hi) {
  return Key{
      name, description,
      [=](Config& c, const std::string& t) { return parse_number(t, c.rules.*field, lo, hi); },
      [=](const Config& c) {
        std::ostringstream s;
        s << c.rules.*field;
        return s.str();
      }};
}

Key window_key(const char* name, const char* description, int domain::WindowRules::*field) {
  return Key{name, description,
             [=](Config& c, const std::string& t) {
               return parse_number(t, c.rules.window.*field, 1, 10);
             },
             [=](const Config& c) { return std::to_string(c.rules.window.*field); }};
}

Key rate_key(const char* name, double domain::PerZone<double>::*field) {
  return Key{name, "class default daily consumption of the zone, kWh/day (rules §7 step 3)",
             [=](Config& c, const std::string& t) {
               return parse_number(t, c.rules.default_rates.*field, 0, 1000);
             },
             [=](const Config& c) {
               std::ostringstream s;
               s << c.rules.default_rates.*field;
               return s.str();
             }};
}

// Calls `entry(key, value)` for each "key=value" of a comma-separated list; false on a malformed
// entry or when `entry` says so.
bool for_each_entry(std::string_view text,
                    const std::function<bool(std::string_view, std::string_view)>& entry) {
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    auto eq = item.find('=');
    if (eq == std::string_view::npos || !entry(item.substr(0, eq), item.substr(eq + 1)))
      return false;
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return true;
}

// Per-month coefficients: "2025-11=1.05,2025-12=0.9" (env) or a TOML table {"2025-11" = 1.05}.
Key month_map_key(const char* name, const char* description,
                  std::map<domain::YearMonth, double> domain::EstimationRules::*field) {
  return Key{name, description,
             [=](Config& c, const std::string& text) {
               std::map<domain::YearMonth, double> values;
               bool ok = for_each_entry(text, [&](std::string_view key, std::string_view value) {
                 auto month = domain::YearMonth::parse(key);
                 double v = 0;
                 if (!month || !parse_number(std::string(value), v, 0, 10)) return false;
                 values[*month] = v;
                 return true;
               });
               if (!ok) return false;
               c.estimation.*field = std::move(values);
               return true;
             },
             [=](const Config& c) {
               std::string out;
               for (const auto& [m, v] : c.estimation.*field) {
                 std::ostringstream s;
                 s << v;
                 out += (out.empty() ? "" : ",") + m.str() + "=" + s.str();
               }
               return out.empty() ? std::string("(1.0 for every month)") : out;
             },
             true};
}

// Effective-dated prices: "2024-06-01..2026-04-30=4.32,2026-05-01=4.80" (UAH/kWh incl. VAT), or a
// TOML table {"2024-06-01..2026-04-30" = 4.32}.
Key price_key(const char* name, const char* description,
              std::vector<domain::DatedPrice> domain::PriceList::*field) {
  return Key{name, description,
             [=](Config& c, const std::string& text) {
               std::vector<domain::DatedPrice> list;
               bool ok = for_each_entry(text, [&](std::string_view span, std::string_view value) {
                 auto dots = span.find("..");
                 domain::DatedPrice p;
                 auto from = domain::parse_date(span.substr(0, dots));
                 if (!from) return false;
                 p.from = *from;
                 if (dots != std::string_view::npos && dots + 2 < span.size()) {
                   p.until = domain::parse_date(span.substr(dots + 2));
                   if (!p.until || *p.until < p.from) return false;
                 }
                 double uah = 0;
                 if (!parse_number(std::string(value), uah, 0, 1000)) return false;
                 p.kop_per_kwh = std::llround(uah * 100);
                 list.push_back(p);
                 return true;
               });
               if (!ok) return false;
               c.prices.*field = std::move(list);
               return true;
             },
             [=](const Config& c) {
               std::string out;
               for (const auto& p : c.prices.*field) {
                 out += (out.empty() ? "" : ",") + domain::format_date(p.from) + ".." +
                        (p.until ? domain::format_date(*p.until) : "") + "=" +
                        domain::format_uah(p.kop_per_kwh);
               }
               return out;
             },
             true};
}

// Zone price coefficients (rules §10), e.g. 0.5 for the night of a two-zone meter.
Key coefficient_key(const char* name, int domain::PerZone<int>::*field) {
  return Key{name, "zone coefficient of the household price (rules §10)",
             [=](Config& c, const std::string& t) {
               double v = 0;
               if (!parse_number(t, v, 0, 10)) return false;
               c.prices.coefficients.*field = static_cast<int>(std::lround(v * 1000));
               return true;
             },
             [=](const Config& c) {
               std::ostringstream s;
               s << (c.prices.coefficients.*field) / 1000.0;
               return s.str();
             }};
}

Key text_key(const char* name, const char* description, std::string Config::*field) {
  return Key{name, description,
             [=](Config& c, const std::string& t) {
               c.*field = t;
               return true;
             },
             [=](const Config& c) { return c.*field; }};
}

// true or false, nothing else: "yes" or "1" in a config file is an error, not a guess.
Key flag(const char* name, const char* description, bool Config::*field) {
  return Key{name, description,
             [=](Config& c, const std::string& t) {
               if (t != "true" && t != "false") return false;
               c.*field = t == "true";
               return true;
             },
             [=](const Config& c) { return std::string(c.*field ? "true" : "false"); }};
}

// Every configuration key in one table (its environment variable, words and default), long on
// purpose: `meterdesk config` prints it in this order.
const std::vector<Key>& keys() {
  static const std::vector<Key> all = {
      window_key("window.days_before_end", "days at the end of month M that belong to window(M)",
                 &domain::WindowRules::days_before_end),
      window_key("window.last_day", "last day of month M+1 that belongs to window(M)",
                 &domain::WindowRules::last_day),
      rule("rollover.max_factor", "a wrap is a rollover if it is at most this × expected",
           &domain::ValidationRules::rollover_max_factor, 0, 100),
      rule("physical.max_kw", "the largest household load, kW: more is impossible",
           &domain::ValidationRules::physical_max_kw, 1, 1000),
      rule("high.factor", "an advance above this × expected may be flagged high",
           &domain::ValidationRules::high_factor, 1, 100),
      rule("high.min_kwh", "...and only when it exceeds expected by more than this many kWh",
           &domain::ValidationRules::high_min_kwh, 0, 100000),
      rate_key("estimation.default_kwh_per_day.total", &domain::PerZone<double>::total),
      rate_key("estimation.default_kwh_per_day.day", &domain::PerZone<double>::day),
      rate_key("estimation.default_kwh_per_day.night", &domain::PerZone<double>::night),
      rate_key("estimation.default_kwh_per_day.peak", &domain::PerZone<double>::peak),
      rate_key("estimation.default_kwh_per_day.half_peak", &domain::PerZone<double>::half_peak),
      rate_key("estimation.default_kwh_per_day.night3", &domain::PerZone<double>::night3),
      number("account.digits", "digits of an account number", &Config::account_digits, 6, 16),
      text_key("server.listen", "HOST:PORT to serve HTTP on", &Config::listen),
      text_key("server.trusted_proxies",
               "comma-separated proxy addresses whose X-Forwarded-For names the client",
               &Config::trusted_proxies),
      number("server.threads", "HTTP threads (0: one per core)", &Config::threads, 0, 256),
      number("server.body_limit", "largest request body, bytes", &Config::body_limit, 1024,
             64.0 * 1024 * 1024),
      number("server.header_limit", "largest request head, bytes", &Config::header_limit, 1024,
             1024 * 1024),
      number("server.request_timeout", "seconds to receive one whole request",
             &Config::request_timeout_s, 1, 3600),
      number("server.idle_timeout", "seconds a keep-alive connection may stay idle",
             &Config::idle_timeout_s, 1, 3600),
      number("server.max_connections", "open connections beyond which new ones are closed",
             &Config::max_connections, 1, 1000000),
      number("server.json_max_depth", "deepest nesting accepted in a JSON body",
             &Config::json_max_depth, 2, 256),
      number("ingest.max_batch", "submissions per group commit at most", &Config::ingest_max_batch,
             1, 100000),
      number("ingest.max_queue", "queued submissions beyond which new ones get 503",
             &Config::ingest_max_queue, 1, 10000000),
      number("ingest.writers",
             "group-commit writers, each on its own connection (0: SQLite 1, PostgreSQL 4)",
             &Config::ingest_writers, 0, 64),
      Key{"estimation.method", "regulatory, recent, seasonal or blend (rules §7)",
          [](Config& c, const std::string& t) {
            auto m = domain::parse_method(t);
            if (m) c.estimation.method = *m;
            return m.has_value();
          },
          [](const Config& c) { return std::string(domain::method_name(c.estimation.method)); }},
      Key{"estimation.max_consecutive", "estimated months in a row that raise an inspection order",
          [](Config& c, const std::string& t) {
            return parse_number(t, c.estimation.max_consecutive, 1, 120);
          },
          [](const Config& c) { return std::to_string(c.estimation.max_consecutive); }},
      month_map_key("estimation.k", "K(M), the growth/reduction coefficient per month",
                    &domain::EstimationRules::k),
      month_map_key("estimation.k_outage",
                    "K_outage(M), NEURC 1603/2022 outage coefficient per month",
                    &domain::EstimationRules::k_outage),
      price_key("prices.household", "household price, UAH/kWh incl. VAT, by dates (rules §10)",
                &domain::PriceList::household),
      price_key("prices.heating", "electric-heating price for the monthly block, by dates",
                &domain::PriceList::heating),
      coefficient_key("prices.coefficient.day", &domain::PerZone<int>::day),
      coefficient_key("prices.coefficient.night", &domain::PerZone<int>::night),
      coefficient_key("prices.coefficient.peak", &domain::PerZone<int>::peak),
      coefficient_key("prices.coefficient.half_peak", &domain::PerZone<int>::half_peak),
      coefficient_key("prices.coefficient.night3", &domain::PerZone<int>::night3),
      Key{"prices.heating_block_kwh", "kWh a month at the electric-heating price (1 Oct – 30 Apr)",
          [](Config& c, const std::string& t) {
            return parse_number(t, c.prices.heating_block_kwh, 0, 1e6);
          },
          [](const Config& c) { return std::to_string(c.prices.heating_block_kwh); }},
      flag("close.automatic", "true: the server closes each month itself once its window has ended",
           &Config::close_automatic),
      number("close.check_interval", "seconds between the server's checks for a month to close",
             &Config::close_check_interval_s, 1, 86400),
      flag("web.secure_cookies", "true: cookies only over HTTPS (set it behind a TLS proxy)",
           &Config::web_secure_cookies),
      number("web.photo_max_bytes", "largest meter photo accepted, bytes",
             &Config::web_photo_max_bytes, 1024, 64.0 * 1024 * 1024),
      number("web.account_attempts_per_hour",
             "tries at one account per hour: form posts, bot and phone"
             " identifications (policy: 10)",
             &Config::web_account_attempts_per_hour, 1, 100000),
      number("web.address_attempts_per_hour", "form posts and sign-ins per client address per hour",
             &Config::web_address_attempts_per_hour, 1, 1000000),
      number("web.customer_session_hours", "how long a personal-account sign-in lasts",
             &Config::web_customer_session_hours, 1, 24 * 365),
      number("web.staff_session_hours", "how long a console sign-in lasts",
             &Config::web_staff_session_hours, 1, 24 * 31),
      text_key("telegram.bot_token", "the Telegram bot's token (empty: the bot is off)",
               &Config::telegram_bot_token),
      text_key("telegram.secret_token",
               "the secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (setWebhook)",
               &Config::telegram_secret_token),
      text_key("telegram.api_base", "the Bot API's address", &Config::telegram_api_base),
      number("telegram.per_second", "messages a second to Telegram at most (its limit: ~30)",
             &Config::telegram_per_second, 1, 1000),
      number("telegram.per_chat_interval_ms", "milliseconds between two messages to one chat",
             &Config::telegram_per_chat_interval_ms, 0, 60000),
      text_key("viber.auth_token", "the Viber bot's auth token (empty: the bot is off)",
               &Config::viber_auth_token),
      text_key("viber.api_base", "the Viber REST API's address", &Config::viber_api_base),
      text_key("viber.bot_name", "the sender name shown in Viber", &Config::viber_bot_name),
      number("viber.per_user_hour", "messages a user gets per hour without writing (Viber: 100)",
             &Config::viber_per_user_hour, 1, 100000),
      number("outbox.max_attempts", "deliveries tried before a message is given up",
             &Config::outbox_max_attempts, 1, 1000),
      number("outbox.drain_seconds", "seconds the outbox keeps sending after SIGTERM",
             &Config::outbox_drain_seconds, 0, 600),
      number("outbox.keep_days", "days a sent or given-up message is kept, then forgotten",
             &Config::outbox_keep_days, 1, 3650),
      text_key("ivr.listen", "HOST:PORT for the phone line's SIP over UDP (empty: off)",
               &Config::ivr_listen),
      text_key("ivr.prompts", "directory of the rendered prompts (uk/, en/)", &Config::ivr_prompts),
      text_key("ivr.prompts_override", "directory of recorded prompts replacing rendered ones",
               &Config::ivr_prompts_override),
      text_key("ivr.menu_key", "the key that chooses readings in the greeting (empty: no menu)",
               &Config::ivr_menu_key),
      text_key("ivr.transfer", "SIP address of the operators after three failures (empty: none)",
               &Config::ivr_transfer),
      number("ivr.timeout", "seconds without a digit before the prompt is repeated",
             &Config::ivr_timeout_s, 2, 120),
      number("ivr.max_calls", "calls answered at once", &Config::ivr_max_calls, 1, 10000),
      flag("ivr.trust_caller_number",
           "true: a caller whose number is on file gets the account without the serial (false: the "
           "serial's last four digits are asked too)",
           &Config::ivr_trust_caller_number),
      flag("ivr.inband_dtmf", "true: also hear DTMF tones in the caller's audio (spandsp)",
           &Config::ivr_inband_dtmf),
      text_key("mail.smtp_url",
               "the mail server, smtp://HOST:587 (STARTTLS when offered) or smtps://HOST:465 "
               "(empty: no e-mail; customers get reset codes from the call centre only)",
               &Config::mail_smtp_url),
      text_key("mail.from",
               "the sender of meterdesk's e-mails, e.g. \"Обленерго <noreply@dso.ua>\"",
               &Config::mail_from),
      text_key("mail.username", "SMTP AUTH user (empty: no AUTH)", &Config::mail_username),
      text_key("mail.password", "SMTP AUTH password", &Config::mail_password),
      flag("mail.require_tls", "true: never hand a mail to the server without TLS",
           &Config::mail_require_tls),
      text_key("web.public_url",
               "the site's address as customers know it, e.g. https://dso.example (for links in "
               "e-mails; empty: none)",
               &Config::web_public_url),
      text_key("log.level", "trace, debug, info, warn, error", &Config::log_level),
      flag("log.json", "true: one JSON object per log line", &Config::log_json),
  };
  return all;
}

// Secrets are never printed: only whether they are set.
std::string shown(const std::string& name, std::string value) {
  if ((name.ends_with("_token") || name.ends_with("password")) && !value.empty()) return "(set)";
  return value;
}

std::string env_name(const std::string& name) {
  std::string out = "METERDESK_";
  for (char c : name)
    out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::string> node_text(const toml::node& n) {
  if (auto s = n.value<std::string>(); s && n.is_string()) return *s;
  if (n.is_integer()) return std::to_string(*n.value<std::int64_t>());
  if (n.is_floating_point()) {
    std::ostringstream s;
    s.precision(17);
    s << *n.value<double>();
    return s.str();
  }
  if (n.is_boolean()) return *n.value<bool>() ? "true" : "false";
  return std::nullopt;
}

}  // namespace

Config load_config(const std::optional<std::string>& file) {
  Config c;
  if (file) {
    toml::table table;
    try {
      table = toml::parse_file(*file);
    } catch (const toml::parse_error& e) {
      std::ostringstream s;
      s << *file << ": " << e.description() << " (line " << e.source().begin.line << ")";
      throw std::runtime_error(s.str());
    }
    // Unknown keys are errors: a misspelt key silently ignored is a wrong setting in production.
    std::function<void(const toml::table&, const std::string&)> walk =
        [&](const toml::table& t, const std::string& prefix) {
          for (const auto& [k, node] : t) {
            std::string name =
                prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
            const Key* map_key = nullptr;
            for (const auto& candidate : keys())
              if (candidate.month_map && name == candidate.name) map_key = &candidate;
            if (auto sub = node.as_table(); sub && map_key) {
              std::string text;
              for (const auto& [month, value] : *sub) {
                auto v = node_text(value);
                if (!v) throw std::runtime_error(*file + ": " + name + " has an invalid value");
                text += (text.empty() ? "" : ",") + std::string(month.str()) + "=" + *v;
              }
              if (!map_key->set(c, text))
                throw std::runtime_error(*file + ": " + name +
                                         " needs entries like \"YYYY-MM\" = number (coefficients)"
                                         " or \"YYYY-MM-DD..YYYY-MM-DD\" = UAH (prices)");
              continue;
            }
            if (auto sub = node.as_table()) {
              walk(*sub, name);
              continue;
            }
            const Key* key = nullptr;
            for (const auto& candidate : keys())
              if (name == candidate.name) key = &candidate;
            if (!key) throw std::runtime_error(*file + ": unknown key " + name);
            auto text = node_text(node);
            if (!text || !key->set(c, *text))
              throw std::runtime_error(*file + ": " + name + " has an invalid value");
          }
        };
    walk(table, "");
  }
  for (const auto& key : keys()) {
    std::string var = env_name(key.name);
    if (const char* v = std::getenv(var.c_str())) {
      if (!key.set(c, v)) throw std::runtime_error(var + " has an invalid value: " + v);
    }
  }
  if (c.rules.window.days_before_end + c.rules.window.last_day > 20)
    throw std::runtime_error("window.days_before_end + window.last_day is too long");
  if (!c.mail_smtp_url.empty() && c.mail_from.find('@') == std::string::npos)
    throw std::runtime_error("mail.from must be an e-mail address when mail.smtp_url is set");
  if (!c.mail_smtp_url.starts_with("smtp://") && !c.mail_smtp_url.starts_with("smtps://") &&
      !c.mail_smtp_url.empty())
    throw std::runtime_error("mail.smtp_url must start with smtp:// or smtps://");
  while (c.web_public_url.ends_with('/')) c.web_public_url.pop_back();
  return c;
}

std::vector<ConfigKey> config_keys(const Config& effective) {
  std::vector<ConfigKey> out;
  Config defaults;
  for (const auto& k : keys())
    out.push_back(ConfigKey{k.name, env_name(k.name), k.description, k.get(defaults),
                            shown(k.name, k.get(effective))});
  return out;
}

}  // namespace md::app
