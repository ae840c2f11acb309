// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <algorithm>
#include <utility>

#include "channels/http/server.hpp"

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <charconv>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "obs/metrics.hpp"

namespace md::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {
// A client's id is kept if it is short and plain (it goes into logs and the audit); otherwise,
// or without one, a new random one is made.
std::string request_id_for(std::string_view given) {
  bool sane = !given.empty() && given.size() <= 64;
  for (char c : given)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      sane = false;
  if (sane) return std::string(given);
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(rng()));
  return id;
}
}  // namespace

std::pair<std::string, std::uint16_t> split_host_port(std::string_view listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string_view::npos) throw std::invalid_argument("listen must be HOST:PORT");
  std::string host(listen.substr(0, colon));
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  auto p = listen.substr(colon + 1);
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc{} || end != p.data() + p.size() || port > 65535 || host.empty())
    throw std::invalid_argument("listen must be HOST:PORT with a port up to 65535");
  return {host, static_cast<std::uint16_t>(port)};
}

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  obs::Metrics* metrics;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  asio::signal_set signals{ioc};
  std::atomic<std::int64_t> open{0};
  std::atomic<bool> stopping{false};
  // Sockets of sessions waiting for their next request: on stop they are shut down at once, so an
  // idle keep-alive connection does not delay the exit. shutdown(2) is safe from any thread, and a
  // session leaves this set (under the mutex) before its socket is closed.
  std::mutex idle_mutex;
  std::unordered_set<int> idle;

  void set_idle(int fd, bool waiting) {
    std::lock_guard lock(idle_mutex);
    if (!waiting) {
      idle.erase(fd);
    } else if (stopping) {
      ::shutdown(fd, SHUT_RDWR);
    } else {
      idle.insert(fd);
    }
  }
  void shut_idle() {
    std::lock_guard lock(idle_mutex);
    for (int fd : idle) ::shutdown(fd, SHUT_RDWR);
  }

  Impl(ServerOptions o, Handler h, obs::Metrics* m)
      : options(std::move(o)), handler(std::move(h)), metrics(m), ioc(threads()) {}

  int threads() const {
    if (options.threads > 0) return options.threads;
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }

  // Hands the request to the handler and suspends until it answers, on whatever thread.
  template <typename Token>
  auto async_handle(Request req, Token&& token) {
    return asio::async_initiate<Token, void(Response)>(
        [this](auto completion, Request&& r) {
          auto ex = asio::get_associated_executor(completion);
          auto shared = std::make_shared<decltype(completion)>(std::move(completion));
          handler(std::move(r), [shared, ex](Response resp) {
            asio::post(ex,
                       [shared, resp = std::move(resp)]() mutable { (*shared)(std::move(resp)); });
          });
        },
        token, std::move(req));
  }

  static Response error(int status, std::string_view reason) {
    Response r;
    r.status = status;
    r.body = std::string(R"({"status":"error","code":"bad_request","message":")") +
             std::string(reason) + "\"}";
    return r;
  }

  asio::awaitable<void> write(beast::tcp_stream& stream, const Response& r, unsigned version,
                              bool keep_alive, beast::error_code& ec) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
    res.set(bhttp::field::server, "meterdesk");
    res.set(bhttp::field::content_type, r.content_type);
    res.set(bhttp::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    for (const auto& [k, v] : r.headers) res.set(k, v);
    res.keep_alive(keep_alive);
    res.body() = r.body;
    res.prepare_payload();
    stream.expires_after(options.request_timeout);
    co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
  }

  // After refusing a request whose body is still arriving, read and discard what the client
  // sends for a moment: closing with unread data would reset the connection and could destroy
  // our answer before the client reads it.
  asio::awaitable<void> drain(beast::tcp_stream& stream) {
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.expires_after(std::chrono::seconds(3));
    std::array<char, 16384> sink;
    std::size_t total = 0;
    while (!ec && total < (std::size_t{64} << 20)) {
      total += co_await stream.async_read_some(asio::buffer(sink),
                                               asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // What a handler sees of a parsed request: the path decoded, header names in lower case, the
  // client's address (the forwarded one only from a trusted proxy), a request id.
  Request request_of(bhttp::request<bhttp::string_body>& msg, const std::string& remote) const {
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    auto qmark = req.target.find('?');
    req.path = percent_decode(std::string_view(req.target).substr(0, qmark), false);
    if (qmark != std::string::npos) req.query = req.target.substr(qmark + 1);
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    req.remote =
        options.trusted_proxies.empty()
            ? remote
            : client_address(remote, req.header("x-forwarded-for"), options.trusted_proxies);
    req.request_id = request_id_for(req.header("x-request-id"));
    return req;
  }

  asio::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    std::string remote;
    {
      beast::error_code ignored;
      auto ep = stream.socket().remote_endpoint(ignored);
      remote = ignored ? "" : ep.address().to_string();
    }
    beast::error_code ec;
    bool first = true;
    while (!stopping) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
      // Beast checks Content-Length against the limit as the header arrives, before the target
      // is known: the largest limit of any target until then, the target's own after it.
      const std::size_t largest = options.takes_uploads
                                      ? std::max(options.upload_limit, options.body_limit)
                                      : options.body_limit;
      parser.body_limit(largest);
      // The first byte of a request may take the keep-alive time; the rest of it must come
      // within the request timeout, so a slow sender cannot hold a connection open.
      stream.expires_after(first ? options.request_timeout : options.idle_timeout);
      const int fd = stream.socket().native_handle();
      set_idle(fd, true);
      co_await bhttp::async_read_header(stream, buffer, parser,
                                        asio::redirect_error(asio::use_awaitable, ec));
      set_idle(fd, false);
      first = false;
      if (!ec) {
        const bool upload = options.takes_uploads &&
                            options.takes_uploads(std::string_view(parser.get().target().data(),
                                                                   parser.get().target().size()));
        const std::size_t limit = upload ? largest : options.body_limit;
        if (parser.content_length() && *parser.content_length() > limit)
          ec = bhttp::error::body_limit;  // answered before any of the body is read
        else
          parser.body_limit(limit);  // a chunked body is held to it as it arrives
      }
      if (!ec && !parser.is_done()) {
        stream.expires_after(options.request_timeout);
        co_await bhttp::async_read(stream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
          ec == beast::error::timeout || ec == asio::error::operation_aborted ||
          ec == asio::error::connection_reset)
        break;
      if (ec) {
        int status = ec == bhttp::error::body_limit     ? 413
                     : ec == bhttp::error::header_limit ? 431
                                                        : 400;
        Response r = error(status, status == 413   ? "the body is too large"
                                   : status == 431 ? "the headers are too large"
                                                   : "malformed HTTP request");
        beast::error_code wec;
        co_await write(stream, r, 11, false, wec);
        if (metrics) metrics->http_request("invalid", "-", status, 0);
        co_await drain(stream);
        break;
      }
      auto started = std::chrono::steady_clock::now();
      auto& msg = parser.get();
      Request req = request_of(msg, remote);
      bool keep_alive = msg.keep_alive();
      unsigned version = msg.version();
      std::string method = req.method;
      std::string request_id = req.request_id;
      Response res = co_await async_handle(std::move(req), asio::use_awaitable);
      res.headers.emplace_back("X-Request-Id", request_id);
      if (stopping) keep_alive = false;
      co_await write(stream, res, version, keep_alive, ec);
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      if (metrics) metrics->http_request(res.route, method, res.status, seconds);
      // The route template, never the target: paths and queries can hold account numbers.
      spdlog::debug("request {} {} {} {} {:.1f}ms", request_id, method, res.route, res.status,
                    seconds * 1000);
      if (ec || !keep_alive) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(
          asio::make_strand(ioc), asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) continue;  // e.g. EMFILE: keep serving those already connected
      if (open.load() >= options.max_connections) {
        if (metrics) metrics->rejected_connection();
        beast::error_code ignored;
        socket.close(ignored);
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto ex = socket.get_executor();
      ++open;
      if (metrics) metrics->connections(open.load());
      asio::co_spawn(ex, session(std::move(socket)), [this](const std::exception_ptr&) {
        --open;
        if (metrics) metrics->connections(open.load());
      });
    }
  }
};

Server::Server(ServerOptions options, Handler handler, obs::Metrics* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), metrics)) {}

Server::~Server() = default;

std::string client_address(const std::string& peer, std::string_view forwarded_for,
                           const std::vector<std::string>& trusted_proxies) {
  if (forwarded_for.empty() ||
      std::find(trusted_proxies.begin(), trusted_proxies.end(), peer) == trusted_proxies.end())
    return peer;
  // The proxy appends the address it saw last; earlier entries are the client's own claims.
  auto comma = forwarded_for.rfind(',');
  std::string_view last =
      comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1);
  while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
  while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
  if (last.empty() || last.size() > 45 ||
      last.find_first_not_of("0123456789abcdefABCDEF.:") != std::string_view::npos)
    return peer;
  return std::string(last);
}

std::uint16_t Server::listen() {
  auto& a = impl_->acceptor;
  const std::string where = impl_->options.address + ":" + std::to_string(impl_->options.port);
  try {
    tcp::endpoint ep{asio::ip::make_address(impl_->options.address), impl_->options.port};
    a.open(ep.protocol());
    a.set_option(asio::socket_base::reuse_address(true));
    a.bind(ep);
    a.listen(asio::socket_base::max_listen_connections);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot listen on " + where + ": " + e.code().message() +
                             " (server.listen or --listen)");
  }
  return a.local_endpoint().port();
}

void Server::stop() {
  asio::post(impl_->ioc, [impl = impl_.get()] {
    {
      std::lock_guard lock(impl->idle_mutex);
      if (impl->stopping.exchange(true)) return;
    }
    impl->shut_idle();
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    impl->signals.cancel(ignored);
    // Let in-flight requests finish, then stop: bounded by a few seconds.
    asio::co_spawn(
        impl->ioc,
        [impl]() -> asio::awaitable<void> {
          asio::steady_timer timer(impl->ioc);
          for (int i = 0; i < 50 && impl->open.load() > 0; ++i) {
            timer.expires_after(std::chrono::milliseconds(100));
            beast::error_code ec;
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
          }
          impl->ioc.stop();
        },
        asio::detached);
  });
}

void Server::run() {
  if (impl_->options.handle_signals) {
    impl_->signals.add(SIGINT);
    impl_->signals.add(SIGTERM);
    impl_->signals.async_wait([this](beast::error_code ec, int) {
      if (!ec) stop();
    });
  }
  asio::co_spawn(impl_->ioc, impl_->accept_loop(), asio::detached);
  std::vector<std::thread> pool;
  for (int i = 1; i < impl_->threads(); ++i) pool.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : pool) t.join();
}

}  // namespace md::http
