#include "obs/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace md::obs {

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter()
          .Name("meterdesk_http_requests_total")
          .Help("HTTP requests by route, method and status code")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& latency =
      prometheus::BuildHistogram()
          .Name("meterdesk_http_request_duration_seconds")
          .Help("Time from a complete request to its response being handed to the socket")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& submissions =
      prometheus::BuildCounter()
          .Name("meterdesk_submissions_total")
          .Help("Submission attempts by channel and result")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& batch_size = prometheus::BuildHistogram()
                                                              .Name("meterdesk_ingest_batch_size")
                                                              .Help("Submissions per group commit")
                                                              .Register(*registry);
  prometheus::Family<prometheus::Histogram>& commit_latency =
      prometheus::BuildHistogram()
          .Name("meterdesk_ingest_commit_seconds")
          .Help("Duration of one group commit, from BEGIN to durable COMMIT")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& gauges =
      prometheus::BuildGauge().Name("meterdesk_state").Help("Current levels").Register(*registry);
  prometheus::Family<prometheus::Counter>& rejected_conns =
      prometheus::BuildCounter()
          .Name("meterdesk_http_connections_refused_total")
          .Help("Connections closed at once because the connection limit was reached")
          .Register(*registry);

  prometheus::Family<prometheus::Counter>& write_failures =
      prometheus::BuildCounter()
          .Name("meterdesk_store_write_failures_total")
          .Help("Batches the store refused to write (disk full, database away): none acknowledged")
          .Register(*registry);

  prometheus::Family<prometheus::Counter>& close_runs =
      prometheus::BuildCounter()
          .Name("meterdesk_close_runs_total")
          .Help("Period close runs by trigger and result")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& close_duration =
      prometheus::BuildHistogram()
          .Name("meterdesk_close_duration_seconds")
          .Help("How long a period close took")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& signins =
      prometheus::BuildCounter()
          .Name("meterdesk_web_signins_total")
          .Help("Sign-in attempts on the web by area and result")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& limited =
      prometheus::BuildCounter()
          .Name("meterdesk_web_limited_total")
          .Help("Web attempts refused by a rate limit, by limit")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& bot_updates =
      prometheus::BuildCounter()
          .Name("meterdesk_bot_updates_total")
          .Help("Messenger webhook updates by channel and result")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& outbox_sends =
      prometheus::BuildCounter()
          .Name("meterdesk_outbox_sends_total")
          .Help("Outbox deliveries to messenger platforms by channel and result")
          .Register(*registry);
  prometheus::Gauge& outbox_waiting = prometheus::BuildGauge()
                                          .Name("meterdesk_outbox_pending")
                                          .Help("Messages waiting in the outbox")
                                          .Register(*registry)
                                          .Add({});
  prometheus::Family<prometheus::Gauge>& leader =
      prometheus::BuildGauge()
          .Name("meterdesk_leader")
          .Help(
              "1 on the node that leads the role (outbox, close) among those sharing the database")
          .Register(*registry);
  prometheus::Histogram::BucketBoundaries close_buckets{1, 5, 15, 30, 60, 120, 300, 600, 1800};
  prometheus::Histogram::BucketBoundaries latency_buckets{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  prometheus::Histogram::BucketBoundaries size_buckets{1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  prometheus::Histogram& batch_hist = batch_size.Add({}, size_buckets);
  prometheus::Histogram& commit_hist = commit_latency.Add({}, latency_buckets);
  prometheus::Gauge& queue = gauges.Add({{"what", "ingest_queue_depth"}});
  prometheus::Gauge& conns = gauges.Add({{"what", "http_connections_open"}});
  prometheus::Gauge& backlog = gauges.Add({{"what", "review_backlog"}});
  prometheus::Counter& refused = rejected_conns.Add({});
  prometheus::Counter& write_failed = write_failures.Add({});
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

void Metrics::http_request(std::string_view route, std::string_view method, int status,
                           double seconds) {
  impl_->requests
      .Add({{"route", std::string(route)},
            {"method", std::string(method)},
            {"code", std::to_string(status)}})
      .Increment();
  impl_->latency.Add({{"route", std::string(route)}}, impl_->latency_buckets).Observe(seconds);
}

void Metrics::submission(std::string_view channel, std::string_view result) {
  impl_->submissions.Add({{"channel", std::string(channel)}, {"result", std::string(result)}})
      .Increment();
}

void Metrics::ingest_batch(std::size_t size, double commit_seconds) {
  impl_->batch_hist.Observe(static_cast<double>(size));
  impl_->commit_hist.Observe(commit_seconds);
}

void Metrics::ingest_queue_depth(std::size_t depth) {
  impl_->queue.Set(static_cast<double>(depth));
}
void Metrics::connections(std::int64_t open) {
  impl_->conns.Set(static_cast<double>(open));
}
void Metrics::rejected_connection() {
  impl_->refused.Increment();
}
void Metrics::store_write_failure() {
  impl_->write_failed.Increment();
}
void Metrics::review_backlog(std::int64_t n) {
  impl_->backlog.Set(static_cast<double>(n));
}
void Metrics::close_run(std::string_view trigger, std::string_view result, double seconds) {
  impl_->close_runs.Add({{"trigger", std::string(trigger)}, {"result", std::string(result)}})
      .Increment();
  if (result == "closed") impl_->close_duration.Add({}, impl_->close_buckets).Observe(seconds);
}
void Metrics::signin(std::string_view area, std::string_view result) {
  impl_->signins.Add({{"area", std::string(area)}, {"result", std::string(result)}}).Increment();
}
void Metrics::limited(std::string_view limit) {
  impl_->limited.Add({{"limit", std::string(limit)}}).Increment();
}

void Metrics::bot_update(std::string_view channel, std::string_view result) {
  impl_->bot_updates.Add({{"channel", std::string(channel)}, {"result", std::string(result)}})
      .Increment();
}

void Metrics::outbox_send(std::string_view channel, std::string_view result) {
  impl_->outbox_sends.Add({{"channel", std::string(channel)}, {"result", std::string(result)}})
      .Increment();
}

void Metrics::outbox_pending(std::int64_t n) {
  impl_->outbox_waiting.Set(static_cast<double>(n));
}

void Metrics::leader(const std::string& role, bool leading) {
  impl_->leader.Add({{"role", role}}).Set(leading ? 1 : 0);
}

std::string Metrics::render() {
  return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

}  // namespace md::obs
