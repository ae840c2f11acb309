// Group commit: submissions from every channel queue here; a writer thread validates and stores
// them in batches, one durable transaction per batch, and answers each only after its commit.
// One writer per connection the store can write on (SQLite one, PostgreSQL several): a meter's
// readings always go to the same writer, a conversation's steps too, so each keeps its order.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

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
  // the batch's transaction, isolated from the batch's other items; `done(true)` after the
  // commit, `done(false)` when it threw or the batch failed. False when the queue is full or
  // stopping.
  struct Task {
    std::function<void(store::WriteTx&, domain::Instant now)> work;
    std::function<void(bool committed)> done;
    std::string key;  // what must stay in order (a conversation); "" for none
    // `work` changes nothing outside the transaction, so it may run again after a rollback.
    bool repeatable = false;
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
  struct Lane {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Item> queue;
    bool stopping = false;
    std::thread thread;
  };
  bool enqueue(std::string_view key, Item item);
  void run(Lane& lane);
  void write_batch(std::vector<Item>& batch);

  store::Store& store_;
  Submissions& submissions_;
  const Clock& clock_;
  obs::Metrics* metrics_;
  IngestOptions options_;
  std::vector<std::unique_ptr<Lane>> lanes_;
};

}  // namespace md::service
