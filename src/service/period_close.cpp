#include "service/period_close.hpp"

#include <map>

#include <nlohmann/json.hpp>

#include "dialog/explain.hpp"
#include "domain/close.hpp"

namespace md::service {

using domain::YearMonth;
using json = nlohmann::ordered_json;

std::string CloseReport::summary_json() const {
  return json{{"period", period.str()},   {"chains", chains},
              {"actual", actual},         {"derived", derived},
              {"estimated", estimated},   {"inspections", inspections},
              {"volume_kwh", volume_kwh}, {"correction_kwh", correction_kwh}}
      .dump();
}

namespace {

std::vector<domain::Chain> chains_of(const store::PointHistory& p,
                                     const domain::ValidationRules& rules) {
  auto zones = domain::zones_of(p.zones);
  std::vector<domain::Chain> chains(zones.size());
  for (size_t z = 0; z < zones.size(); ++z) {
    chains[z].default_rate = rules.default_rates.of(zones[z], p.zones);
    chains[z].points.reserve(p.readings.size());
  }
  for (const auto& r : p.readings) {
    domain::Day day = domain::kyiv_date(r.as_of);
    bool installation = r.type.starts_with("exchange_");
    for (size_t z = 0; z < zones.size() && z < r.unwrapped.size(); ++z)
      chains[z].points.push_back(domain::ChainPoint{day, r.unwrapped[z], installation});
  }
  for (auto& c : chains) c.normalize();
  return chains;
}

std::string basis_kind(domain::RateBasis::Kind k) {
  switch (k) {
    case domain::RateBasis::Kind::same_month_last_year:
      return "same_month_last_year";
    case domain::RateBasis::Kind::last_known_rate:
      return "last_known_rate";
    case domain::RateBasis::Kind::class_default:
      return "class_default";
  }
  return "class_default";
}

std::string estimate_json(const domain::Estimate& e) {
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
    }
    segments.push_back(std::move(seg));
  }
  return json{{"method", domain::method_name(e.method)},
              {"kwh", e.kwh},
              {"segments", segments},
              {"explanation",
               {{"uk", dialog::explain_estimate(dialog::Lang::uk, e)},
                {"en", dialog::explain_estimate(dialog::Lang::en, e)}}}}
      .dump();
}

}  // namespace

std::optional<YearMonth> next_closable(store::Store& store, domain::Instant now,
                                       const domain::WindowRules& window) {
  YearMonth candidate;
  if (auto last = store.last_closed_period()) {
    candidate = last->next();
  } else {
    candidate = YearMonth::of(domain::kyiv_date(now)).prev();
    while (now < domain::window_closes(candidate, window)) candidate = candidate.prev();
  }
  if (now < domain::window_closes(candidate, window)) return std::nullopt;
  return candidate;
}

domain::SeasonalIndex seasonal_index(store::Store& store, YearMonth month,
                                     const ServiceConfig& config) {
  std::map<YearMonth, std::vector<double>> rates;
  YearMonth from = month.plus(-25);
  store.scan_points([&](store::PointHistory&& p) {
    auto chains = chains_of(p, config.rules);
    // A household's level is the sum over its zones: the index describes households.
    for (YearMonth m = from; m < month; m = m.next()) {
      std::int64_t total = 0;
      bool all = !chains.empty();
      for (const auto& c : chains) {
        auto v = domain::actual_volume(c, m);
        if (!v) {
          all = false;
          break;
        }
        total += *v;
      }
      if (all) rates[m].push_back(static_cast<double>(total) / m.days());
    }
  });
  domain::SeasonalIndex index;
  for (auto& [m, r] : rates) index.add(m, std::move(r));
  return index;
}

CloseReport close_period(store::Store& store, YearMonth month, domain::Instant now,
                         const ServiceConfig& config, const std::string& actor) {
  CloseReport report;
  report.period = month;
  const domain::Instant closes = domain::window_closes(month, config.rules.window);
  auto last = store.last_closed_period();
  if (last && month <= *last) {
    report.already_closed = true;
    return report;
  }
  if (now < closes)
    throw CloseRefused("the window of " + month.str() + " is open until " +
                       domain::format_kyiv(closes) + "; the month can be closed after that");
  if (last && month != last->next())
    throw CloseRefused("periods close in order: close " + last->next().str() + " first (" +
                       last->str() + " is the last closed)");

  std::map<std::pair<std::int64_t, std::string>, domain::PriorPosition> prior;
  if (last) {
    for (const auto& v : store.volumes(*last))
      prior[{v.point_id, v.zone}] = domain::PriorPosition{v.position, v.estimated_run};
  }
  domain::SeasonalIndex index;
  const domain::SeasonalIndex* seasonal = nullptr;
  if (config.estimation.method == domain::EstimationMethod::seasonal) {
    index = seasonal_index(store, month, config);
    seasonal = &index;
  }

  std::vector<store::VolumeRow> rows;
  std::vector<std::int64_t> inspections;
  store.scan_points([&](store::PointHistory&& p) {
    auto chains = chains_of(p, config.rules);
    auto zones = domain::zones_of(p.zones);
    bool inspection = false;
    for (size_t z = 0; z < chains.size(); ++z) {
      std::string zone(domain::zone_name(zones[z]));
      auto found = prior.find({p.point_id, zone});
      std::optional<domain::PriorPosition> before;
      if (found != prior.end()) before = found->second;
      domain::ChainClose c =
          domain::close_chain(chains[z], month, before, config.estimation, seasonal);
      if (!c.exists) continue;
      store::VolumeRow v;
      v.period = month;
      v.point_id = p.point_id;
      v.meter_id = p.meter_id;
      v.zone = zone;
      v.zone_index = static_cast<int>(z);
      v.start_value = c.start_value;
      v.start_kind = std::string(domain::kind_name(c.start_kind));
      v.end_value = c.end_value;
      v.end_kind = std::string(domain::kind_name(c.end_kind));
      v.volume = c.volume;
      v.correction = c.correction;
      v.position = c.position;
      v.method = std::string(c.method());
      v.estimated_run = c.estimated_run;
      if (c.estimate) v.estimate = estimate_json(*c.estimate);
      inspection = inspection || c.inspection_due;
      ++report.chains;
      report.actual += c.end_kind == domain::ValueKind::actual;
      report.derived += c.end_kind == domain::ValueKind::derived;
      report.estimated += c.end_kind == domain::ValueKind::estimated;
      report.volume_kwh += c.volume;
      report.correction_kwh += c.correction;
      rows.push_back(std::move(v));
    }
    if (inspection) inspections.push_back(p.point_id);
  });
  report.inspections = static_cast<int>(inspections.size());

  auto tx = store.begin_write();
  // Another closer may have finished first (a second node, a second command): then this one
  // writes nothing.
  if (auto now_last = tx->last_closed_period(); now_last != last) {
    report = CloseReport{};
    report.period = month;
    report.already_closed = now_last && month <= *now_last;
    if (!report.already_closed) throw CloseRefused("another close ran at the same time; retry");
    return report;
  }
  for (const auto& v : rows) tx->insert_volume(v);
  for (auto point : inspections)
    tx->insert_inspection_order(
        point, month,
        std::to_string(config.estimation.max_consecutive) + " consecutive estimated months", now);
  tx->insert_period(month, now, report.summary_json());
  tx->append_audit(store::AuditEntry{now, actor, "operator_console", "close_period", "", "",
                                     "closed " + month.str(), report.summary_json(), std::nullopt});
  tx->commit();
  return report;
}

}  // namespace md::service
