// A small HTTP/1.1 server on Boost.Beast with C++20 coroutines. Boost stays inside server.cpp;
// routes see plain structs and answer through a callback that may run on any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace md::obs {
class Metrics;
}

namespace md::http {

struct Request {
  std::string method;
  std::string target;                                        // as sent: path and query
  std::string path;                                          // percent-decoded path
  std::string query;                                         // raw query string without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote;      // client address
  std::string request_id;  // X-Request-Id if the client sent a sane one, else a new one
  [[nodiscard]] std::string_view header(std::string_view name) const;
  [[nodiscard]] std::string query_param(std::string_view name) const;  // decoded, "" if absent
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string route = "other";  // low-cardinality label for metrics
};

using Respond = std::function<void(Response)>;
// Must call `respond` exactly once, from any thread.
using Handler = std::function<void(Request&&, Respond)>;

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port
  int threads = 0;            // 0: one per core
  std::size_t body_limit = std::size_t{64} * 1024;
  std::size_t header_limit = std::size_t{8} * 1024;
  // Requests whose target `takes_uploads` accepts may carry up to `upload_limit` (a meter photo).
  std::size_t upload_limit = std::size_t{6} << 20;
  std::function<bool(std::string_view target)> takes_uploads;
  std::chrono::seconds request_timeout{15};  // to receive one whole request, headers and body
  std::chrono::seconds idle_timeout{60};     // keep-alive between requests
  int max_connections = 10000;
  bool handle_signals = true;  // SIGINT/SIGTERM stop the server gracefully
  // Peers (a TLS proxy, a balancer) whose X-Forwarded-For names the real client; from anyone
  // else the header is ignored, so a client cannot pick the address its limits count against.
  std::vector<std::string> trusted_proxies;
};

class Server {
 public:
  Server(ServerOptions options, Handler handler, obs::Metrics* metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; returns the bound port.
  std::uint16_t listen();
  // Serves until stop() or a signal; returns after in-flight requests finish (bounded wait).
  void run();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string percent_decode(std::string_view s, bool plus_is_space);
// Splits "host:port"; throws std::invalid_argument on nonsense.
std::pair<std::string, std::uint16_t> split_host_port(std::string_view listen);
// The client's address: `peer`, or the last X-Forwarded-For hop when `peer` is a trusted proxy.
std::string client_address(const std::string& peer, std::string_view forwarded_for,
                           const std::vector<std::string>& trusted_proxies);

}  // namespace md::http
