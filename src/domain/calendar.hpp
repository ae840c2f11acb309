// Kyiv civil time, billing periods and the submission window (rules.md §1–§3).
#pragma once

#include <chrono>
#include <compare>
#include <optional>
#include <string>
#include <string_view>

#include <date/date.h>

namespace md::domain {

using Day = date::local_days;       // a civil date in Europe/Kyiv
using Instant = date::sys_seconds;  // a point in time, UTC

// A billing period: the calendar month.
struct YearMonth {
  int year = 1970;
  unsigned month = 1;

  // clang-tidy 14 takes the 0 of a defaulted <=> for a null pointer.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  auto operator<=>(const YearMonth&) const = default;
  [[nodiscard]] YearMonth next() const;
  [[nodiscard]] YearMonth prev() const;
  [[nodiscard]] YearMonth plus(int months) const;
  [[nodiscard]] Day first_day() const;
  [[nodiscard]] Day last_day() const;
  [[nodiscard]] int days() const;
  [[nodiscard]] std::string str() const;  // "2026-11"
  static std::optional<YearMonth> parse(std::string_view text);
  static YearMonth of(Day d);
};

struct WindowRules {
  int days_before_end = 2;  // window.days_before_end
  int last_day = 3;         // window.last_day
};

// window(M): the last days of M and the first days of M+1, inclusive.
struct Window {
  YearMonth period;
  Day first;
  Day last;
  [[nodiscard]] bool contains(Day d) const { return first <= d && d <= last; }
};

Window window(YearMonth m, const WindowRules& rules);
// The instant the window of M closes: 00:00 Kyiv on day last_day+1 of M+1. Period M may be closed
// after it.
Instant window_closes(YearMonth m, const WindowRules& rules);
// The period whose window contains d, if any.
std::optional<YearMonth> window_containing(Day d, const WindowRules& rules);

// B(M): 00:00 Kyiv on the 1st of M, as a UTC instant.
Instant boundary(YearMonth m);
Instant start_of_day(Day d);
Instant end_of_day(Day d);  // 00:00 of d+1
Day kyiv_date(Instant t);
// The instant a Kyiv wall clock shows `time_of_day` on d (the earlier one when it shows it twice).
Instant kyiv_time(Day d, std::chrono::minutes time_of_day);
int days_between(Day from, Day to);  // calendar days; DST never changes it

// What a reading taken on a day counts as (§3).
struct AsOf {
  Instant instant;  // the register value is taken to be at this instant
  Day day;          // the civil date of that instant (always a midnight)
  std::optional<YearMonth>
      period;  // set when taken inside window(period): "the reading on the 1st"
};
// Customer, inspector and operator readings inside a window count at B(M+1); installation and
// exchange readings, and anything outside a window, at the end of the day they were taken.
AsOf as_of(Day taken_on, bool counts_in_window, const WindowRules& rules);

std::optional<Day> parse_date(std::string_view text);  // strict YYYY-MM-DD
std::string format_date(Day d);                        // 2026-11-30
std::string format_date_dmy(Day d);                    // 30.11.2026
std::string format_kyiv(Instant t);                    // 2026-11-30T10:00:00+02:00
std::string format_utc(Instant t);                     // 2026-11-30T08:00:00Z
// ISO-8601 instant: with Z or ±hh:mm, or without offset (then Kyiv local time); a bare date is
// its Kyiv midnight.
std::optional<Instant> parse_instant(std::string_view text);

}  // namespace md::domain
