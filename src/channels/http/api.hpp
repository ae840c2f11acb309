// The JSON API and service endpoints: POST /api/v1/readings, GET /api/v1/accounts/{a}/readings,
// /healthz, /metrics. A thin adapter: decode, call the service, encode.
#pragma once

#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

#include "channels/http/server.hpp"
#include "i18n/messages.hpp"
#include "obs/metrics.hpp"
#include "service/clock.hpp"
#include "service/ingestor.hpp"
#include "service/rate_limit.hpp"
#include "service/submission.hpp"

namespace md::http {

struct ApiContext {
  store::Store& store;
  service::Ingestor& ingestor;
  service::Submissions& submissions;  // for use cases with their own transaction (exchanges)
  obs::Metrics& metrics;
  const service::ServiceConfig& config;
  const service::Clock& clock;
  int json_max_depth = 16;
  std::size_t ingest_max_queue = 50000;
  // Guesses at an account's meter serial (the public API's credential), counted with the form's
  // (per account also with the bots' and the phone line's, per address and network with the
  // form's and sign-up's): a failed lookup counts, and over a limit a request is refused (429)
  // before anything is looked up. Null ones: no limit (tools, tests of other things).
  service::GuessLimits guesses;
};

class Api {
 public:
  explicit Api(ApiContext ctx) : ctx_(ctx) {}
  void handle(Request&& req, const Respond& respond);

  struct Route {
    std::string_view method,
        path;  // path as in the OpenAPI document: /api/v1/periods/{period}/bills
  };
  // Every route handle() serves; a test holds it against docs/openapi.json and the dispatcher.
  static const std::vector<Route>& routes();

 private:
  // POST /api/v1/readings, or with `check` POST /api/v1/readings/check: the same validation and
  // answers, nothing stored (an app shows the whole reading once more before sending it).
  void submit_reading(Request&& req, const Respond& respond, bool check);
  std::optional<Response> operations(const std::string& path);
  Response reading_history(const Request& req, std::string_view account);
  Response period_export(const Request& req, std::string_view month, bool bills);
  Response meter_exchange(const Request& req);
  // The refusal when the address, its network or `account` is known to be over its limit of
  // guesses (service::guess_refused), else nullopt.
  std::optional<Response> over_guess_limit(std::string_view account, std::string_view remote,
                                           i18n::Lang lang, const char* route);
  // Counts a wrong account + serial; the refusal when that was one over a limit.
  std::optional<Response> count_failed_guess(std::string_view account, std::string_view remote,
                                             i18n::Lang lang, const char* route);
  Response too_many_attempts(const service::Refusal& refusal, i18n::Lang lang, const char* route);
  // nullopt when the bearer token has one of `roles` (and `who` names it); else the refusal.
  std::optional<Response> authorize(const Request& req,
                                    std::initializer_list<std::string_view> roles,
                                    const char* route, std::string& who);
  ApiContext ctx_;
};

// Decodes a JSON reading into `out`, or says what is wrong with it (for a 400).
std::optional<std::string> decode_reading_request(std::string_view body, int max_depth,
                                                  service::SubmitRequest& out);

// True when no array/object nests deeper than `max_depth` (checked before parsing).
bool json_depth_within(std::string_view body, int max_depth);

}  // namespace md::http
