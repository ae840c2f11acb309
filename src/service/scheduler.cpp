#include "service/scheduler.hpp"

#include <spdlog/spdlog.h>

#include "service/period_close.hpp"

namespace md::service {

CloseScheduler::CloseScheduler(store::Store& store, const ServiceConfig& config, const Clock& clock,
                               std::chrono::seconds interval, obs::Metrics* metrics)
    : store_(store), config_(config), clock_(clock), interval_(interval), metrics_(metrics) {
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    do {
      lock.unlock();
      try {
        run_once();
      } catch (const std::exception& e) {
        spdlog::error("scheduled close failed, retrying later: {}", e.what());
      }
      lock.lock();
    } while (!cv_.wait_for(lock, interval_, [this] { return stopping_; }));
  });
}

CloseScheduler::~CloseScheduler() {
  stop();
}

void CloseScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int CloseScheduler::run_once() {
  int closed = 0;
  if (!leadership_.leading()) return 0;  // another node closes the months
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
    }
    auto month = next_closable(store_, clock_.now(), config_.rules.window);
    if (!month) break;
    const auto started = std::chrono::steady_clock::now();
    CloseReport r = close_period(store_, *month, clock_.now(), config_, "system:scheduler",
                                 "scheduler", "its window has ended");
    if (metrics_)
      metrics_->close_run(
          "scheduler", r.already_closed ? "already_closed" : "closed",
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (r.already_closed) break;  // another process closed it: it will go on from there
    spdlog::info("closed {}: {} chains, {} estimated, {} kWh, {} inspection orders", month->str(),
                 r.chains, r.estimated, r.volume_kwh, r.inspections);
    ++closed;
  }
  return closed;
}

}  // namespace md::service
