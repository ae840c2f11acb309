// The server's own period close: every `interval` it closes, in order, each month whose window has
// ended (catching up after downtime). Exactly once, across restarts and several processes: the
// close records the month in the same transaction as its volumes, and checks it there.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "obs/metrics.hpp"
#include "service/clock.hpp"
#include "service/leadership.hpp"
#include "service/submission.hpp"
#include "store/store.hpp"

namespace md::service {

class CloseScheduler {
 public:
  CloseScheduler(store::Store& store, const ServiceConfig& config, const Clock& clock,
                 std::chrono::seconds interval, obs::Metrics* metrics = nullptr);
  ~CloseScheduler();
  CloseScheduler(const CloseScheduler&) = delete;
  CloseScheduler& operator=(const CloseScheduler&) = delete;

  // Closes whatever is due now; returns how many months it closed.
  int run_once();
  void stop();

 private:
  store::Store& store_;
  const ServiceConfig& config_;
  const Clock& clock_;
  std::chrono::seconds interval_;
  obs::Metrics* metrics_;
  Leadership leadership_{store_, "close", metrics_};  // one node closes; the others stand by
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace md::service
