#include "domain/calendar.hpp"

#include <charconv>
#include <cstdio>
#include <stdexcept>

#include <date/tz.h>

namespace md::domain {
namespace {

const date::time_zone* kyiv() {
  static const date::time_zone* zone = [] {
    try {
      return date::locate_zone("Europe/Kyiv");
    } catch (const std::exception&) {
      return date::locate_zone("Europe/Kiev");  // tz databases older than 2022b
    }
  }();
  return zone;
}

bool parse_int(std::string_view s, int& out) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

}  // namespace

YearMonth YearMonth::plus(int months) const {
  int index = year * 12 + static_cast<int>(month) - 1 + months;
  int y = index >= 0 ? index / 12 : (index - 11) / 12;
  return YearMonth{y, static_cast<unsigned>(index - y * 12 + 1)};
}
YearMonth YearMonth::next() const {
  return plus(1);
}
YearMonth YearMonth::prev() const {
  return plus(-1);
}

Day YearMonth::first_day() const {
  return Day{date::year{year} / date::month{month} / date::day{1}};
}
Day YearMonth::last_day() const {
  return Day{date::year{year} / date::month{month} / date::last};
}
int YearMonth::days() const {
  return days_between(first_day(), last_day()) + 1;
}

std::string YearMonth::str() const {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u", year, month);
  return buf;
}

std::optional<YearMonth> YearMonth::parse(std::string_view text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  int y = 0, m = 0;
  if (!parse_int(text.substr(0, 4), y) || !parse_int(text.substr(5, 2), m)) return std::nullopt;
  if (m < 1 || m > 12 || y < 1900) return std::nullopt;
  return YearMonth{y, static_cast<unsigned>(m)};
}

YearMonth YearMonth::of(Day d) {
  date::year_month_day ymd{d};
  return YearMonth{static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month())};
}

Window window(YearMonth m, const WindowRules& rules) {
  Day first = m.last_day() - date::days{rules.days_before_end - 1};
  Day last = m.next().first_day() + date::days{rules.last_day - 1};
  return Window{m, first, last};
}

Instant window_closes(YearMonth m, const WindowRules& rules) {
  return end_of_day(window(m, rules).last);
}

std::optional<YearMonth> window_containing(Day d, const WindowRules& rules) {
  YearMonth own = YearMonth::of(d);
  // Windows never overlap with sane configuration; the earlier period wins if they did.
  for (YearMonth m : {own.prev(), own}) {
    if (window(m, rules).contains(d)) return m;
  }
  return std::nullopt;
}

Instant start_of_day(Day d) {
  // Midnight always exists in Kyiv (transitions happen at 03:00 and 04:00); earliest is a guard.
  return date::floor<std::chrono::seconds>(
      kyiv()->to_sys(date::local_seconds{d.time_since_epoch()}, date::choose::earliest));
}
Instant boundary(YearMonth m) {
  return start_of_day(m.first_day());
}
Instant end_of_day(Day d) {
  return start_of_day(d + date::days{1});
}

Instant kyiv_time(Day d, std::chrono::minutes time_of_day) {
  return date::floor<std::chrono::seconds>(kyiv()->to_sys(
      date::local_seconds{d.time_since_epoch()} + time_of_day, date::choose::earliest));
}

Day kyiv_date(Instant t) {
  auto local = kyiv()->to_local(t);
  return date::floor<date::days>(local);
}

int days_between(Day from, Day to) {
  return static_cast<int>((to - from).count());
}

AsOf as_of(Day taken_on, bool counts_in_window, const WindowRules& rules) {
  if (counts_in_window) {
    if (auto m = window_containing(taken_on, rules)) {
      YearMonth next = m->next();
      return AsOf{boundary(next), next.first_day(), m};
    }
  }
  return AsOf{end_of_day(taken_on), taken_on + date::days{1}, std::nullopt};
}

std::optional<Day> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int y = 0, m = 0, d = 0;
  if (!parse_int(text.substr(0, 4), y) || !parse_int(text.substr(5, 2), m) ||
      !parse_int(text.substr(8, 2), d))
    return std::nullopt;
  date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(m)},
                           date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || y < 1900) return std::nullopt;
  return Day{ymd};
}

std::string format_date(Day d) {
  date::year_month_day ymd{d};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string format_date_dmy(Day d) {
  date::year_month_day ymd{d};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02u.%02u.%04d", static_cast<unsigned>(ymd.day()),
                static_cast<unsigned>(ymd.month()), static_cast<int>(ymd.year()));
  return buf;
}

std::string format_kyiv(Instant t) {
  auto info = kyiv()->get_info(t);
  auto local = date::local_seconds{t.time_since_epoch() + info.offset};
  Day d = date::floor<date::days>(local);
  date::hh_mm_ss<std::chrono::seconds> hms{local - d};
  long off = info.offset.count();
  char sign = off < 0 ? '-' : '+';
  off = off < 0 ? -off : off;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%sT%02ld:%02ld:%02ld%c%02ld:%02ld", format_date(d).c_str(),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()), sign, off / 3600, (off % 3600) / 60);
  return buf;
}

std::string format_utc(Instant t) {
  auto d = date::floor<date::days>(t);
  date::hh_mm_ss<std::chrono::seconds> hms{t - d};
  char buf[96];
  std::snprintf(buf, sizeof buf, "%sT%02ld:%02ld:%02ldZ",
                format_date(Day{d.time_since_epoch()}).c_str(),
                static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                static_cast<long>(hms.seconds().count()));
  return buf;
}

std::optional<Instant> parse_instant(std::string_view text) {
  auto day = parse_date(text.substr(0, 10));
  if (!day) return std::nullopt;
  if (text.size() == 10) return start_of_day(*day);
  if (text.size() < 19 || (text[10] != 'T' && text[10] != ' ') || text[13] != ':' ||
      text[16] != ':')
    return std::nullopt;
  int h = 0, mi = 0, s = 0;
  if (!parse_int(text.substr(11, 2), h) || !parse_int(text.substr(14, 2), mi) ||
      !parse_int(text.substr(17, 2), s) || h > 23 || mi > 59 || s > 60)
    return std::nullopt;
  std::string_view rest = text.substr(19);
  if (!rest.empty() && rest[0] == '.') {  // fractional seconds are dropped
    size_t i = 1;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
    rest = rest.substr(i);
  }
  auto clock = std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{s};
  if (rest.empty()) {
    auto local = date::local_seconds{day->time_since_epoch()} + clock;
    // A local time skipped by the spring transition names no instant; an autumn one that occurs
    // twice is taken at its first occurrence.
    if (kyiv()->get_info(local).result == date::local_info::nonexistent) return std::nullopt;
    return date::floor<std::chrono::seconds>(kyiv()->to_sys(local, date::choose::earliest));
  }
  Instant utc = Instant{day->time_since_epoch()} + clock;
  if (rest == "Z") return utc;
  int oh = 0, om = 0;
  if (rest.size() != 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':' ||
      !parse_int(rest.substr(1, 2), oh) || !parse_int(rest.substr(4, 2), om))
    return std::nullopt;
  auto offset = std::chrono::hours{oh} + std::chrono::minutes{om};
  return rest[0] == '+' ? utc - offset : utc + offset;
}

}  // namespace md::domain
