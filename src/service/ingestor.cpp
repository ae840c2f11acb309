#include "service/ingestor.hpp"

#include <chrono>
#include <future>

#include <spdlog/spdlog.h>

namespace md::service {

Ingestor::Ingestor(store::Store& store, Submissions& submissions, const Clock& clock,
                   obs::Metrics* metrics, IngestOptions options)
    : store_(store),
      submissions_(submissions),
      clock_(clock),
      metrics_(metrics),
      options_(options),
      thread_([this] { run(); }) {}

Ingestor::~Ingestor() {
  stop();
}

bool Ingestor::submit_async(SubmitRequest req, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= options_.max_queue) return false;
    queue_.push_back(Item{std::move(req), std::move(done)});
  }
  cv_.notify_one();
  return true;
}

bool Ingestor::run_async(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= options_.max_queue) return false;
    queue_.push_back(Item{{}, {}, std::move(task)});
  }
  cv_.notify_one();
  return true;
}

SubmitOutcome Ingestor::submit(SubmitRequest req) {
  auto promise = std::make_shared<std::promise<SubmitOutcome>>();
  auto future = promise->get_future();
  if (!submit_async(std::move(req),
                    [promise](SubmitOutcome o) { promise->set_value(std::move(o)); }))
    return SubmitOutcome{};  // unavailable
  return future.get();
}

void Ingestor::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

std::size_t Ingestor::queue_depth() {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void Ingestor::run() {
  std::vector<Item> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (metrics_) metrics_->ingest_queue_depth(queue_.size());
    }
    write_batch(batch);
    batch.clear();
  }
}

void Ingestor::write_batch(std::vector<Item>& batch) {
  std::vector<SubmitOutcome> outcomes(batch.size());
  std::vector<char> task_ok(batch.size(), 0);
  auto started = std::chrono::steady_clock::now();
  bool committed = false;
  try {
    auto tx = store_.begin_write();
    for (size_t i = 0; i < batch.size(); ++i) {
      tx->savepoint();
      try {
        if (batch[i].task.work) {
          batch[i].task.work(*tx, clock_.now());
          task_ok[i] = 1;
        } else {
          outcomes[i] = submissions_.process(*tx, batch[i].req, clock_.now());
        }
        tx->release();
      } catch (const std::exception& e) {
        // Store errors name no customer data, so they can be logged as they are.
        spdlog::error("{} on channel {} failed: {}", batch[i].task.work ? "task" : "submission",
                      batch[i].req.channel, e.what());
        tx->rollback_to();  // this submission fails alone; the rest of the batch goes on
        outcomes[i] = SubmitOutcome{};
      }
    }
    tx->commit();
    committed = true;
  } catch (const std::exception& e) {
    spdlog::error("group commit of {} submissions failed, none acknowledged: {}", batch.size(),
                  e.what());
    committed = false;
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (metrics_) metrics_->ingest_batch(batch.size(), seconds);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].task.work) {
      if (batch[i].task.done) batch[i].task.done(committed && task_ok[i]);
      continue;
    }
    // Nothing is acknowledged unless its transaction is durable.
    SubmitOutcome out = committed ? std::move(outcomes[i]) : SubmitOutcome{};
    if (metrics_) metrics_->submission(batch[i].req.channel, status_name(out.status));
    batch[i].done(std::move(out));
  }
}

}  // namespace md::service
