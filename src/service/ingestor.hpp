// Group commit: submissions from every channel queue here; a writer thread validates and stores
// them in batches, one durable transaction per batch, and answers each only after its commit.
// One writer per connection the store can write on (SQLite one, PostgreSQL several): a meter's
// readings always go to the same writer, a conversation's steps too, so each keeps its order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
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
  // What submit_async would answer, with nothing stored: the web form's review of the whole
  // reading before it is sent. A refused value still leaves the audit record of the attempt.
  // `done` gets `accepted` (with the receipt it would give), `needs_confirmation`, `replayed`
  // (the key was stored already), `rejected` or `not_found`.
  bool preview_async(SubmitRequest req, Done done);
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
  // Why the store refused the last write (a full disk, the database away), while that was less
  // than `kWriteFailureHold` ago and no write has gone through since: the node is then not ready,
  // so a load balancer sends its traffic to another node and tries this one again later.
  [[nodiscard]] std::optional<std::string> write_failure();
  static constexpr std::chrono::seconds kWriteFailureHold{5};

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
  void note_write(const std::string& failure);  // "": the batch went through

  store::Store& store_;
  Submissions& submissions_;
  const Clock& clock_;
  obs::Metrics* metrics_;
  IngestOptions options_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  // Write failures come by the thousand when the disk is full: the log gets the first, then one
  // line every kLogEvery with how many there were meanwhile.
  static constexpr std::chrono::seconds kLogEvery{10};
  std::mutex health_mutex_;
  std::string last_failure_;
  std::chrono::steady_clock::time_point failed_at_{}, logged_at_{};
  std::size_t failures_ = 0, unlogged_ = 0;
};

}  // namespace md::service
