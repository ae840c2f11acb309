#include "service/stored_estimate.hpp"

#include <cmath>

#include "i18n/explain.hpp"

namespace md::service {

using nlohmann::json;

namespace {

std::string_view basis_kind(domain::RateBasis::Kind k) {
  switch (k) {
    case domain::RateBasis::Kind::same_month_last_year:
      return "same_month_last_year";
    case domain::RateBasis::Kind::last_known_rate:
      return "last_known_rate";
    case domain::RateBasis::Kind::class_default:
      return "class_default";
    case domain::RateBasis::Kind::blend:
      return "blend";
  }
  return "class_default";
}

}  // namespace

std::string stored_estimate(const domain::Estimate& e) {
  json segments = json::array();
  for (const auto& s : e.segments) {
    json seg{
        {"month", s.month.str()},           {"days", s.days}, {"basis", basis_kind(s.basis.kind)},
        {"rate_kwh_per_day", s.basis.rate}, {"k", s.basis.k}, {"k_outage", s.basis.k_outage},
        {"seasonal", s.basis.seasonal}};
    if (s.basis.kind == domain::RateBasis::Kind::same_month_last_year) {
      seg["basis_month"] = s.basis.basis_month.str();
      seg["basis_kwh"] = s.basis.volume;
      seg["basis_days"] = s.basis.days;
    } else if (s.basis.kind == domain::RateBasis::Kind::last_known_rate) {
      seg["basis_from"] = domain::format_date(s.basis.from);
      seg["basis_to"] = domain::format_date(s.basis.to);
      seg["basis_kwh"] = s.basis.volume;
      seg["basis_days"] = s.basis.days;
    } else if (s.basis.kind == domain::RateBasis::Kind::blend) {
      // Four decimals say what they are (17 digits per number made the volume rows of a
      // month's estimates a third longer to write); the rate itself is kept whole above.
      auto r4 = [](double x) { return std::round(x * 1e4) / 1e4; };
      const auto& in = s.basis.inputs;
      seg["step"] = domain::step_name(s.basis.step);
      seg["signal"] = r4(s.basis.signal);
      if (!s.basis.signal_area.empty()) seg["signal_area"] = s.basis.signal_area;
      json inputs{{"recent_kwh_per_day", r4(in.recent)},
                  {"recent_from", domain::format_date(in.recent_from)},
                  {"recent_to", domain::format_date(in.recent_to)},
                  {"earlier_kwh_per_day", r4(in.earlier)},
                  {"after_estimate", in.after_estimate}};
      if (in.step != domain::BlendStep::recent) inputs["season"] = r4(in.season);
      if (in.step == domain::BlendStep::full) {
        inputs["year_ago_kwh_per_day"] = r4(in.year_ago);
        inputs["last_year_kwh_per_day"] = r4(in.last_year);
        inputs["quarter_year_ago_kwh_per_day"] = r4(in.quarter_year_ago);
      }
      seg["inputs"] = std::move(inputs);
    }
    if (s.basis.class_scale != 1.0) seg["class_scale"] = s.basis.class_scale;
    if (!s.basis.fallback.empty()) seg["fallback"] = s.basis.fallback;
    segments.push_back(std::move(seg));
  }
  return json{{"method", domain::method_name(e.method)}, {"kwh", e.kwh}, {"segments", segments}}
      .dump();
}

namespace {

std::optional<domain::RateBasis::Kind> kind_of(const std::string& name) {
  using K = domain::RateBasis::Kind;
  for (K k : {K::same_month_last_year, K::last_known_rate, K::class_default, K::blend})
    if (basis_kind(k) == name) return k;
  return std::nullopt;
}

domain::BlendStep step_of(const std::string& name) {
  for (auto s : {domain::BlendStep::full, domain::BlendStep::season, domain::BlendStep::recent})
    if (domain::step_name(s) == name) return s;
  return domain::BlendStep::recent;
}

domain::Day day_of(const json& j, const char* key) {
  return domain::parse_date(j.value(key, "")).value_or(domain::Day{});
}

}  // namespace

std::optional<domain::Estimate> estimate_of(std::string_view stored) {
  if (stored.empty()) return std::nullopt;
  const json j = json::parse(stored, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  auto method = domain::parse_method(j.value("method", ""));
  if (!method || !j.contains("segments") || !j["segments"].is_array()) return std::nullopt;
  domain::Estimate e;
  e.method = *method;
  e.kwh = j.value("kwh", std::int64_t{0});
  for (const auto& s : j["segments"]) {
    auto kind = kind_of(s.value("basis", ""));
    auto month = domain::YearMonth::parse(s.value("month", ""));
    if (!kind || !month) return std::nullopt;
    domain::EstimateSegment seg;
    seg.month = *month;
    seg.days = s.value("days", 0);
    domain::RateBasis& b = seg.basis;
    b.kind = *kind;
    b.rate = s.value("rate_kwh_per_day", 0.0);
    b.k = s.value("k", 1.0);
    b.k_outage = s.value("k_outage", 1.0);
    b.seasonal = s.value("seasonal", 1.0);
    b.class_scale = s.value("class_scale", 1.0);
    b.fallback = s.value("fallback", "");
    b.volume = s.value("basis_kwh", std::int64_t{0});
    b.days = s.value("basis_days", 0);
    if (*kind == domain::RateBasis::Kind::same_month_last_year) {
      b.basis_month = domain::YearMonth::parse(s.value("basis_month", "")).value_or(*month);
    } else if (*kind == domain::RateBasis::Kind::last_known_rate) {
      b.from = day_of(s, "basis_from");
      b.to = day_of(s, "basis_to");
    } else if (*kind == domain::RateBasis::Kind::blend) {
      b.step = step_of(s.value("step", ""));
      b.signal = s.value("signal", 1.0);
      b.signal_area = s.value("signal_area", "");
      const json in = s.value("inputs", json::object());
      b.inputs.step = b.step;
      b.inputs.recent = in.value("recent_kwh_per_day", 0.0);
      b.inputs.recent_from = day_of(in, "recent_from");
      b.inputs.recent_to = day_of(in, "recent_to");
      b.inputs.earlier = in.value("earlier_kwh_per_day", 0.0);
      b.inputs.after_estimate = in.value("after_estimate", false);
      b.inputs.season = in.value("season", 1.0);
      b.inputs.year_ago = in.value("year_ago_kwh_per_day", 0.0);
      b.inputs.last_year = in.value("last_year_kwh_per_day", 0.0);
      b.inputs.quarter_year_ago = in.value("quarter_year_ago_kwh_per_day", 0.0);
      b.from = b.inputs.recent_from;
      b.to = b.inputs.recent_to;
    }
    e.segments.push_back(std::move(seg));
  }
  return e;
}

json estimate_for_reading(std::string_view stored) {
  if (stored.empty()) return nullptr;
  json j = json::parse(stored, nullptr, false);
  if (!j.is_object()) return nullptr;
  if (!j.contains("explanation"))
    if (auto e = estimate_of(stored))
      j["explanation"] = {{"uk", i18n::explain_estimate(i18n::Lang::uk, *e)},
                          {"en", i18n::explain_estimate(i18n::Lang::en, *e)}};
  return j;
}

std::string estimate_explanation(std::string_view stored, i18n::Lang lang) {
  if (stored.empty()) return {};
  const json j = json::parse(stored, nullptr, false);
  if (j.is_object() && j.contains("explanation") && j["explanation"].is_object())
    return j["explanation"].value(std::string(i18n::lang_code(lang)), "");
  auto e = estimate_of(stored);
  return e ? i18n::explain_estimate(lang, *e) : std::string();
}

}  // namespace md::service
