#include "service/ingestor.hpp"

#include <algorithm>
#include <chrono>
#include <future>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace md::service {

Ingestor::Ingestor(store::Store& store, Submissions& submissions, const Clock& clock,
                   obs::Metrics* metrics, IngestOptions options)
    : store_(store),
      submissions_(submissions),
      clock_(clock),
      metrics_(metrics),
      options_(options) {
  const int writers = std::max(1, store.writers());
  for (int i = 0; i < writers; ++i) lanes_.push_back(std::make_unique<Lane>());
  for (auto& lane : lanes_) lane->thread = std::thread([this, l = lane.get()] { run(*l); });
}

Ingestor::~Ingestor() {
  stop();
}

bool Ingestor::enqueue(std::string_view key, Item item) {
  Lane& lane = *lanes_[std::hash<std::string_view>{}(key) % lanes_.size()];
  {
    std::lock_guard lock(lane.mutex);
    if (lane.stopping || lane.queue.size() >= options_.max_queue / lanes_.size() + 1) return false;
    lane.queue.push_back(std::move(item));
  }
  lane.cv.notify_one();
  return true;
}

bool Ingestor::submit_async(SubmitRequest req, Done done) {
  std::string key = req.account + '\n' + req.meter_serial;
  return enqueue(key, Item{std::move(req), std::move(done)});
}

bool Ingestor::preview_async(SubmitRequest req, Done done) {
  auto out = std::make_shared<SubmitOutcome>();
  Task task;
  task.key = req.account + '\n' + req.meter_serial;  // the meter's lane, as submit_async
  task.repeatable = true;                            // all it changes is in the transaction
  task.work = [this, req = std::move(req), out](store::WriteTx& tx, domain::Instant now) {
    tx.savepoint();
    try {
      *out = submissions_.process(tx, req, now);
    } catch (...) {
      tx.rollback_to();
      throw;
    }
    tx.rollback_to();
    if (out->status == SubmitOutcome::Status::rejected ||
        out->status == SubmitOutcome::Status::not_found)
      *out = submissions_.process(tx, req, now);  // stores only the attempt's audit record
  };
  task.done = [out, done = std::move(done)](bool committed) {
    done(committed ? std::move(*out) : SubmitOutcome{});
  };
  return run_async(std::move(task));
}

bool Ingestor::run_async(Task task) {
  std::string key = task.key;
  return enqueue(key, Item{{}, {}, std::move(task)});
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
  for (auto& lane : lanes_) {
    {
      std::lock_guard lock(lane->mutex);
      lane->stopping = true;
    }
    lane->cv.notify_one();
  }
  for (auto& lane : lanes_)
    if (lane->thread.joinable()) lane->thread.join();
}

std::size_t Ingestor::queue_depth() {
  std::size_t depth = 0;
  for (auto& lane : lanes_) {
    std::lock_guard lock(lane->mutex);
    depth += lane->queue.size();
  }
  return depth;
}

void Ingestor::run(Lane& lane) {
  std::vector<Item> batch;
  for (;;) {
    {
      std::unique_lock lock(lane.mutex);
      lane.cv.wait(lock, [&] { return lane.stopping || !lane.queue.empty(); });
      if (lane.queue.empty()) return;  // stopping and drained
      while (!lane.queue.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(lane.queue.front()));
        lane.queue.pop_front();
      }
    }
    if (metrics_) metrics_->ingest_queue_depth(queue_depth());
    write_batch(batch);
    batch.clear();
  }
}

void Ingestor::write_batch(std::vector<Item>& batch) {
  std::vector<SubmitOutcome> outcomes(batch.size());
  std::vector<char> task_ok(batch.size(), 0);
  auto started = std::chrono::steady_clock::now();
  bool committed = false;
  std::string failure;  // what the store refused, for the log and readiness
  // Items almost never fail, so a batch is first written without a savepoint per item: on
  // PostgreSQL that saves two round trips per submission. When an item fails, that transaction
  // is rolled back and the batch written again with each item in a savepoint of its own, so it
  // fails alone. A task that cannot run twice gets its savepoint from the start.
  bool isolate = std::any_of(batch.begin(), batch.end(),
                             [](const Item& it) { return it.task.work && !it.task.repeatable; });
  for (bool again = true; again;) {
    again = false;
    try {
      auto tx = store_.begin_write();
      std::vector<const SubmitRequest*> reqs;
      for (const Item& it : batch)
        if (!it.task.work) reqs.push_back(&it.req);
      submissions_.prefetch(*tx, reqs, clock_.now());
      for (size_t i = 0; i < batch.size() && !again; ++i) {
        task_ok[i] = 0;
        if (isolate) tx->savepoint();
        try {
          if (batch[i].task.work) {
            batch[i].task.work(*tx, clock_.now());
            task_ok[i] = 1;
          } else {
            outcomes[i] = submissions_.process(*tx, batch[i].req, clock_.now());
          }
          if (isolate) tx->release();
        } catch (const std::exception& e) {
          if (!isolate) {
            isolate = again = true;  // the transaction rolls back as `tx` goes
            continue;
          }
          // Store errors name no customer data, so they can be logged as they are.
          failure =
              fmt::format("{} on channel {} failed: {}", batch[i].task.work ? "task" : "submission",
                          batch[i].req.channel, e.what());
          tx->rollback_to();  // this item fails alone; the rest of the batch goes on
          outcomes[i] = SubmitOutcome{};
        }
      }
      if (again) continue;
      if (!isolate) {
        try {
          tx->flush();  // what was held back may conflict only now
        } catch (const std::exception&) {
          isolate = again = true;
          continue;
        }
      }
      tx->commit();
      committed = true;
    } catch (const std::exception& e) {
      failure = fmt::format("group commit of {} submissions failed, none acknowledged: {}",
                            batch.size(), e.what());
      committed = false;
    }
  }
  note_write(failure);
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

void Ingestor::note_write(const std::string& failure) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(health_mutex_);
  if (failure.empty()) {
    if (failures_ > 0) spdlog::info("store writes go through again after {} failed", failures_);
    last_failure_.clear();
    failures_ = unlogged_ = 0;
    return;
  }
  if (metrics_) metrics_->store_write_failure();
  last_failure_ = failure;
  failed_at_ = now;
  if (failures_++ > 0 && now - logged_at_ < kLogEvery) {
    ++unlogged_;
    return;
  }
  if (unlogged_ > 0)
    spdlog::error("{} (and {} more failed writes in the last {} s)", failure, unlogged_,
                  std::chrono::duration_cast<std::chrono::seconds>(now - logged_at_).count());
  else
    spdlog::error("{}", failure);
  logged_at_ = now;
  unlogged_ = 0;
}

std::optional<std::string> Ingestor::write_failure() {
  std::lock_guard lock(health_mutex_);
  if (last_failure_.empty() || std::chrono::steady_clock::now() - failed_at_ >= kWriteFailureHold)
    return std::nullopt;
  return last_failure_;
}

}  // namespace md::service
