#include "service/rate_limit.hpp"

namespace md::service {

double RateLimiter::estimate(Slot& s, domain::Instant now) {
  const std::int64_t w = window_.count();
  const std::int64_t t = now.time_since_epoch().count();
  const std::int64_t index = t / w;
  if (index != s.window_index) {
    s.previous = index == s.window_index + 1 ? s.current : 0;
    s.current = 0;
    s.window_index = index;
  }
  const double into = static_cast<double>(t - index * w) / static_cast<double>(w);
  return s.current + s.previous * (1.0 - into);
}

bool RateLimiter::allow(std::string_view key, domain::Instant now) {
  std::lock_guard lock(mutex_);
  if (slots_.size() >= max_keys_ && !slots_.count(std::string(key))) {
    // Forget keys idle for two windows; if all are busy, the table is under attack: refuse.
    const std::int64_t index = now.time_since_epoch().count() / window_.count();
    std::erase_if(slots_, [&](const auto& kv) { return kv.second.window_index + 1 < index; });
    if (slots_.size() >= max_keys_) return false;
  }
  Slot& s = slots_[std::string(key)];
  if (estimate(s, now) + 1 > limit_) return false;
  ++s.current;
  return true;
}

domain::Instant RateLimiter::retry_at(std::string_view key, domain::Instant now) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(std::string(key));
  if (it == slots_.end()) return now;
  Slot copy = it->second;
  for (std::int64_t step = 0; step <= window_.count() * 2; step += 60) {
    Slot probe = copy;
    auto at = now + std::chrono::seconds(step);
    if (estimate(probe, at) + 1 <= limit_) return at;
  }
  return now + window_ * 2;
}

}  // namespace md::service
