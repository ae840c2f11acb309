// The web channel: the public reading form, the customer's personal account and the operators'
// console, as server-rendered HTML (uk default, en) that works without JavaScript.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "channels/http/server.hpp"
#include "obs/metrics.hpp"
#include "service/clock.hpp"
#include "service/ingestor.hpp"
#include "service/rate_limit.hpp"
#include "service/submission.hpp"

namespace md::dialog {
class Messenger;
}

namespace md::http {
namespace web {
struct Site;
}

struct WebOptions {
  bool secure_cookies = false;                         // web.secure_cookies: behind TLS
  std::size_t photo_max_bytes = std::size_t{5} << 20;  // web.photo_max_bytes
  int account_attempts_per_hour = 10;                  // web.account_attempts_per_hour
  int address_attempts_per_hour = 120;                 // web.address_attempts_per_hour
  std::chrono::seconds customer_session{std::chrono::hours(24 * 14)};  // web.customer_session_hours
  std::chrono::seconds staff_session{std::chrono::hours(12)};          // web.staff_session_hours
  bool mail = false;       // mail.smtp_url is set: customers may get a reset code by e-mail
  std::string public_url;  // web.public_url: the site's address, for links in e-mails
};

struct WebContext {
  store::Store& store;
  service::Ingestor& ingestor;
  service::Submissions& submissions;  // for use cases with their own transaction (exchanges)
  const service::ServiceConfig& config;
  const service::Clock& clock;
  obs::Metrics& metrics;
  WebOptions options;
  dialog::Messenger* messenger = nullptr;  // tells customers in messengers of decisions
  // Guesses at an account: per account (counted with the messengers' and the phone line's), per
  // client address and per network, shared with the JSON API (each made here when none is given).
  service::GuessLimits guesses;
  std::function<void()> mail_queued;  // an e-mail is in the outbox: send it now
};

class Web {
 public:
  explicit Web(WebContext ctx);
  ~Web();
  Web(const Web&) = delete;
  Web& operator=(const Web&) = delete;

  // The paths the web serves: pages, static files, and "/" when the client asks for HTML.
  [[nodiscard]] static bool serves(const Request& req);
  // Paths whose requests may carry a meter photo (a larger body limit).
  [[nodiscard]] static bool takes_uploads(std::string_view target);
  void handle(Request&& req, const Respond& respond);

 private:
  std::unique_ptr<web::Site> site_;
};

}  // namespace md::http
