// Group commit: submissions from every channel queue here; one writer thread validates and stores
// them in batches, one durable transaction per batch, and answers each only after its commit.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "obs/metrics.hpp"
#include "service/clock.hpp"
#include "service/submission.hpp"
#include "store/store.hpp"

namespace md::service {

struct IngestOptions {
  std::size_t max_batch = 512;    // ingest.max_batch
  std::size_t max_queue = 50000;  // ingest.max_queue: beyond it submissions are refused (503)
};

class Ingestor {
 public:
  using Done = std::function<void(SubmitOutcome)>;

  Ingestor(store::Store& store, Submissions& submissions, const Clock& clock, obs::Metrics* metrics,
           IngestOptions options = {});
  ~Ingestor();
  Ingestor(const Ingestor&) = delete;
  Ingestor& operator=(const Ingestor&) = delete;

  // Queues a submission; `done` runs on the writer thread after the commit. False when the queue
  // is full or the ingestor is stopping (then `done` is never called).
  bool submit_async(SubmitRequest req, Done done);
  // Any other write that must share the one writer (the messengers' steps): `work` runs inside
  // the batch's transaction in a savepoint of its own; `done(true)` after the commit, `done(false)`
  // when it threw or the batch failed. False when the queue is full or stopping.
  struct Task {
    std::function<void(store::WriteTx&, domain::Instant now)> work;
    std::function<void(bool committed)> done;
  };
  bool run_async(Task task);
  // Blocking form for command-line tools.
  SubmitOutcome submit(SubmitRequest req);
  // Finishes what is queued, then stops the writer.
  void stop();
  [[nodiscard]] std::size_t queue_depth();

 private:
  struct Item {
    SubmitRequest req;
    Done done;
    Task task;  // set instead of req/done
  };
  void run();
  void write_batch(std::vector<Item>& batch);

  store::Store& store_;
  Submissions& submissions_;
  const Clock& clock_;
  obs::Metrics* metrics_;
  IngestOptions options_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace md::service
