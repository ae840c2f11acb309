// Prometheus metrics of every subsystem, rendered in the text exposition format on /metrics.
#pragma once
#include <memory>
#include <string>
#include <string_view>

namespace prometheus {
class Registry;
}

namespace md::obs {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void http_request(std::string_view route, std::string_view method, int status, double seconds);
  void submission(std::string_view channel, std::string_view result);
  void ingest_batch(std::size_t size, double commit_seconds);
  void ingest_queue_depth(std::size_t depth);
  void connections(std::int64_t open);
  void rejected_connection();
  void store_write_failure();  // a batch the store refused
  void review_backlog(std::int64_t n);
  // trigger: scheduler, console, cli; result: closed, already_closed, refused, failed.
  void close_run(std::string_view trigger, std::string_view result, double seconds);
  void signin(std::string_view area, std::string_view result);  // area: account, operator
  void limited(std::string_view limit);  // an attempt refused by a rate limit
  // Messengers: updates by channel and result (processed, duplicate, ignored, refused, failed);
  // outbox sends by channel and result (sent, retried, failed); messages waiting.
  void bot_update(std::string_view channel, std::string_view result);
  void outbox_send(std::string_view channel, std::string_view result);
  void outbox_pending(std::int64_t n);
  void leader(const std::string& role, bool leading);
  std::string render();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace md::obs
