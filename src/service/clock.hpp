// The business clock: real time, or fixed by --now for tests and demos.
#pragma once
#include <chrono>
#include <optional>

#include "domain/calendar.hpp"

namespace md::service {

class Clock {
 public:
  explicit Clock(std::optional<domain::Instant> fixed = std::nullopt) : fixed_(fixed) {}
  [[nodiscard]] domain::Instant now() const {
    if (fixed_) return *fixed_;
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  }
  [[nodiscard]] bool fixed() const { return fixed_.has_value(); }

 private:
  std::optional<domain::Instant> fixed_;
};

}  // namespace md::service
