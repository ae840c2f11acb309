#include "domain/validation.hpp"

#include <algorithm>
#include <cmath>

#include "domain/boundary.hpp"
#include "domain/reading_value.hpp"

namespace md::domain {

std::string_view flag_name(Flag f) {
  switch (f) {
    case Flag::zero:
      return "zero";
    case Flag::high:
      return "high";
    case Flag::rollover:
      return "rollover";
    case Flag::off_cycle:
      return "off_cycle";
    case Flag::photo:
      return "photo";
  }
  return "zero";
}

bool Validation::has(Flag f) const {
  return std::find(flags.begin(), flags.end(), f) != flags.end();
}

double usual_daily_rate(const ValidationInput& in, size_t i, const ValidationRules& rules) {
  Zone zone = zones_of(in.meter.zones)[i];
  if (in.previous && in.before_previous && i < in.previous->unwrapped.size() &&
      i < in.before_previous->unwrapped.size())
    if (auto rate = rate_between(in.before_previous->as_of.day, in.before_previous->unwrapped[i],
                                 in.previous->as_of.day, in.previous->unwrapped[i]))
      return *rate;
  return rules.default_rates.of(zone, in.meter.zones);
}

std::optional<std::int64_t> typo_hint(const std::string& typed, std::int64_t previous,
                                      double expected, int digits) {
  std::vector<std::string> candidates;
  for (size_t i = 0; i + 1 < typed.size(); ++i) {
    if (typed[i] == typed[i + 1]) continue;
    std::string s = typed;
    std::swap(s[i], s[i + 1]);
    candidates.push_back(std::move(s));
  }
  if (typed.size() > 1) {
    for (size_t i = 0; i < typed.size(); ++i) {
      std::string s = typed;
      s.erase(i, 1);
      candidates.push_back(std::move(s));
    }
  }
  std::optional<std::int64_t> best;
  double best_distance = 0;
  for (const auto& s : candidates) {
    if (s.size() > 18) continue;
    std::int64_t v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    if (v >= register_modulus(digits) || s == typed) continue;
    auto advance = static_cast<double>(v - previous);
    if (advance < 0 || advance > 2 * expected) continue;
    double distance = std::abs(advance - expected);
    if (!best || distance < best_distance || (distance == best_distance && v < *best)) {
      best = v;
      best_distance = distance;
    }
  }
  return best;
}

namespace {

Rejection reject(std::string code, std::optional<Zone> zone = std::nullopt,
                 std::map<std::string, std::string> params = {}) {
  return Rejection{std::move(code), zone, std::move(params), std::nullopt};
}

std::optional<Rejection> check_format(const ValidationInput& in, std::vector<std::string>& typed,
                                      Validation& out) {
  auto zones = zones_of(in.meter.zones);
  // Completeness first for unknown names, so "dya" is reported as unknown, not as missing day.
  for (const auto& [name, text] : in.entries) {
    auto z = parse_zone(name);
    if (!z || std::find(zones.begin(), zones.end(), *z) == zones.end())
      return reject("unknown_zone", std::nullopt, {{"zone", name}});
  }
  typed.assign(zones.size(), {});
  out.registers.clear();
  for (Zone z : zones) {
    const std::string* text = nullptr;
    int seen = 0;
    for (const auto& [name, value] : in.entries) {
      if (name == zone_name(z)) {
        text = &value;
        ++seen;
      }
    }
    if (seen > 1) return reject("duplicate_zone", z);
    if (!text) return reject("missing_zone", z);
    ParsedValue v = parse_reading_value(*text, in.meter.digits);
    std::map<std::string, std::string> params{{"digits", std::to_string(in.meter.digits)}};
    switch (v.error) {
      case ParsedValue::Error::none:
        break;
      case ParsedValue::Error::empty:
        return reject("empty_value", z, params);
      case ParsedValue::Error::not_a_number:
        return reject("not_a_number", z, params);
      case ParsedValue::Error::negative:
        return reject("negative", z, params);
      case ParsedValue::Error::too_many_digits:
        return reject("too_many_digits", z, params);
      case ParsedValue::Error::red_digits: {
        auto r = reject("red_digits", z, params);
        std::string trimmed = v.digits;
        trimmed.pop_back();
        std::int64_t s = 0;
        for (char c : trimmed) s = s * 10 + (c - '0');
        r.suggestion = s;
        return r;
      }
    }
    if (v.decimal_ignored &&
        std::find(out.notes.begin(), out.notes.end(), "decimal_ignored") == out.notes.end())
      out.notes.emplace_back("decimal_ignored");
    typed[out.registers.size()] = v.digits;
    out.registers.push_back(RegisterResult{z, v.value, v.value, std::nullopt, std::nullopt, {}});
  }
  return std::nullopt;
}

std::optional<Rejection> check_dates(const ValidationInput& in, const AsOf& as_of) {
  if (in.taken_on > in.today)
    return reject("future_date", std::nullopt, {{"date", format_date_dmy(in.taken_on)}});
  if (in.taken_on < in.meter.installed_on)
    return reject("before_installation", std::nullopt,
                  {{"date", format_date_dmy(in.meter.installed_on)}});
  if (in.previous && in.taken_on < in.previous->taken_on)
    return reject("before_last_reading", std::nullopt,
                  {{"date", format_date_dmy(in.previous->taken_on)}});
  if (in.last_closed && as_of.instant <= boundary(in.last_closed->next()))
    return reject("period_closed", std::nullopt, {{"period", in.last_closed->str()}});
  return std::nullopt;
}

void add_flag(Validation& v, Flag f) {
  if (!v.has(f)) v.flags.push_back(f);
}

}  // namespace

Validation validate(const ValidationInput& in, const ValidationRules& rules) {
  Validation out;
  std::vector<std::string> typed;
  if (auto r = check_format(in, typed, out)) {
    out.rejection = std::move(r);
    return out;
  }
  out.as_of = as_of(in.taken_on, in.counts_in_window, rules.window);
  if (auto r = check_dates(in, out.as_of)) {
    out.rejection = std::move(r);
    return out;
  }
  if (in.counts_in_window && !out.as_of.period) add_flag(out, Flag::off_cycle);
  if (!in.previous) return out;  // nothing to compare with: the first reading of a meter

  const PriorReading& prev = *in.previous;
  int days = std::max(1, days_between(prev.as_of.day, out.as_of.day));
  double physical_max = rules.physical_max_kw * 24.0 * days;
  const int digits = in.meter.digits;
  for (size_t i = 0; i < out.registers.size(); ++i) {
    RegisterResult& reg = out.registers[i];
    const std::int64_t p = i < prev.values.size() ? prev.values[i] : 0;
    const std::int64_t pu = i < prev.unwrapped.size() ? prev.unwrapped[i] : p;
    const double expected = usual_daily_rate(in, i, rules) * days;
    reg.expected = expected;
    std::int64_t a = reg.value - p;
    if (a < 0) {
      std::int64_t wrap = register_modulus(digits) - p + reg.value;
      if (static_cast<double>(wrap) <= rules.rollover_max_factor * expected) {
        a = wrap;
        add_flag(out, Flag::rollover);
      } else {
        Rejection r = reject("lower_than_previous", reg.zone,
                             {{"previous", std::to_string(p)},
                              {"date", format_date_dmy(prev.taken_on)},
                              {"previous_date", format_date(prev.taken_on)}});
        r.suggestion = typo_hint(typed[i], p, expected, digits);
        out.rejection = std::move(r);
        return out;
      }
    }
    reg.advance = a;
    reg.unwrapped = pu + a;
    if (a == 0) {
      add_flag(out, Flag::zero);
      continue;
    }
    if (static_cast<double>(a) > physical_max) {
      Rejection r = reject("impossible", reg.zone,
                           {{"consumption", std::to_string(a)},
                            {"days", std::to_string(days)},
                            {"digits", std::to_string(digits)}});
      r.suggestion = typo_hint(typed[i], p, expected, digits);
      out.rejection = std::move(r);
      return out;
    }
    if (static_cast<double>(a) > rules.high_factor * expected &&
        static_cast<double>(a) - expected > rules.high_min_kwh) {
      add_flag(out, Flag::high);
      reg.suggestion = typo_hint(typed[i], p, expected, digits);
    }
  }
  out.needs_confirmation = out.has(Flag::high) && !in.confirmed;
  return out;
}

std::optional<Rejection> reject_given(const ValidationInput& in, const ValidationRules& rules) {
  ValidationInput filled = in;
  auto zones = zones_of(in.meter.zones);
  for (std::size_t i = 0; i < zones.size(); ++i) {
    const std::string name(zone_name(zones[i]));
    bool given = std::any_of(in.entries.begin(), in.entries.end(),
                             [&](const auto& e) { return e.first == name; });
    if (given) continue;
    const auto& prev = in.previous;
    std::int64_t same = prev && i < prev->values.size() ? prev->values[i] : 0;
    filled.entries.emplace_back(name, std::to_string(same));
  }
  filled.confirmed = true;  // an unusual consumption is asked about when the reading is whole
  Validation v = validate(filled, rules);
  if (!v.rejection) return std::nullopt;
  // A rejection of the whole reading (its date, a closed month) waits for the whole reading.
  if (!v.rejection->zone) return std::nullopt;
  return v.rejection;
}

}  // namespace md::domain
