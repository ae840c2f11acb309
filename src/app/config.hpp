// Configuration: defaults are the values of rules.md; a TOML file (--config) overrides them and
// METERDESK_<SECTION>_<KEY> environment variables override both. See docs/configuration.md.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "domain/bill.hpp"
#include "domain/estimation.hpp"
#include "domain/validation.hpp"

namespace md::app {

struct Config {
  domain::ValidationRules rules;
  domain::EstimationRules estimation;
  domain::PriceList prices;
  int account_digits = 10;

  std::string listen = "127.0.0.1:8080";
  std::string trusted_proxies;  // comma-separated addresses
  int threads = 0;
  std::size_t body_limit = std::size_t{64} * 1024;
  std::size_t header_limit = std::size_t{8} * 1024;
  int request_timeout_s = 15;
  int idle_timeout_s = 60;
  int max_connections = 10000;
  int json_max_depth = 16;

  bool close_automatic = true;
  int close_check_interval_s = 300;

  std::size_t ingest_max_batch = 512;
  std::size_t ingest_max_queue = 50000;
  int ingest_writers = 0;  // 0: the engine's choice

  bool web_secure_cookies = false;
  std::size_t web_photo_max_bytes = std::size_t{5} << 20;
  int web_account_attempts_per_hour = 10;
  int web_address_attempts_per_hour = 120;
  int web_customer_session_hours = 24 * 14;
  int web_staff_session_hours = 12;

  // Messengers: a bot whose token is empty is off (its webhook answers 404).
  std::string telegram_bot_token;
  std::string telegram_secret_token;
  std::string telegram_api_base = "https://api.telegram.org";
  int telegram_per_second = 30;
  int telegram_per_chat_interval_ms = 1000;
  std::string viber_auth_token;
  std::string viber_api_base = "https://chatapi.viber.com/pa";
  std::string viber_bot_name = "meterdesk";
  int viber_per_user_hour = 100;
  int outbox_max_attempts = 12;
  int outbox_drain_seconds = 5;
  int outbox_keep_days = 90;

  // The phone line: off while ivr.listen is empty.
  std::string ivr_listen;
  std::string ivr_prompts;           // "" : next to the binary, else /usr/share/meterdesk/prompts
  std::string ivr_prompts_override;  // studio recordings with the same names
  std::string ivr_menu_key = "2";
  std::string ivr_transfer;
  int ivr_timeout_s = 10;
  int ivr_max_calls = 200;
  bool ivr_inband_dtmf = false;
  bool ivr_trust_caller_number = true;

  std::string mail_smtp_url;  // "": no e-mail (reset codes only by the call centre)
  std::string mail_from;
  std::string mail_username;
  std::string mail_password;
  bool mail_require_tls = false;
  std::string web_public_url;

  std::string log_level = "info";
  bool log_json = false;
};

struct ConfigKey {
  std::string name;  // "window.last_day"
  std::string env;   // "METERDESK_WINDOW_LAST_DAY"
  std::string description;
  std::string default_value;
  std::string value;  // in the configuration given to config_keys
};

// Throws std::runtime_error naming the file, key or variable that is wrong.
Config load_config(const std::optional<std::string>& file);
// Every key with its default and its value in `effective`.
std::vector<ConfigKey> config_keys(const Config& effective = Config{});

}  // namespace md::app
