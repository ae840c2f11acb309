// The lead in a background role (the outbox sender, the close scheduler) among the nodes that
// share one database: asked for again whenever it is not held, shown as meterdesk_leader{role}.
#pragma once

#include <memory>
#include <string>

#include "obs/metrics.hpp"
#include "store/store.hpp"

namespace md::service {

class Leadership {
 public:
  Leadership(store::Store& store, std::string role, obs::Metrics* metrics)
      : store_(store), role_(std::move(role)), metrics_(metrics) {}

  // True while this node leads; may throw a StoreError when the database is unreachable.
  bool leading() {
    if (!lease_ || !lease_->held()) {
      lease_.reset();
      lease_ = store_.try_lead(role_);
    }
    if (metrics_) metrics_->leader(role_, lease_ != nullptr);
    return lease_ != nullptr;
  }

 private:
  store::Store& store_;
  std::string role_;
  obs::Metrics* metrics_;
  std::unique_ptr<store::Lease> lease_;
};

}  // namespace md::service
