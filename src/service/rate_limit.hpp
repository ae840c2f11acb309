// Attempt limits (per client address, per account): at most `limit` in any `window`, counted
// with a sliding-window estimate (the previous window's count weighted by its overlap), in
// bounded memory. Per process: several nodes each enforce it (the PostgreSQL issue moves it).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "domain/calendar.hpp"

namespace md::service {

class RateLimiter {
 public:
  RateLimiter(int limit, std::chrono::seconds window, std::size_t max_keys = 100000)
      : limit_(limit), window_(window), max_keys_(max_keys) {}

  // Counts an attempt for `key`; false (not counted) when the key is over its limit.
  bool allow(std::string_view key, domain::Instant now);
  // When the key may try again (now if it may).
  domain::Instant retry_at(std::string_view key, domain::Instant now);
  [[nodiscard]] int limit() const { return limit_; }

 private:
  struct Slot {
    std::int64_t window_index = 0;
    int current = 0, previous = 0;
  };
  double estimate(Slot& s, domain::Instant now);
  int limit_;
  std::chrono::seconds window_;
  std::size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Slot> slots_;
};

}  // namespace md::service
