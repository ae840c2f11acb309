#include "service/period_close.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <tuple>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "dialog/explain.hpp"
#include "domain/close.hpp"

namespace md::service {

using domain::YearMonth;
using json = nlohmann::ordered_json;

std::string CloseReport::summary_json() const {
  json j{{"period", period.str()},   {"chains", chains},
         {"actual", actual},         {"derived", derived},
         {"estimated", estimated},   {"inspections", inspections},
         {"volume_kwh", volume_kwh}, {"correction_kwh", correction_kwh}};
  if (model) j["blend"] = blend_model_json(*model);
  return j.dump();
}

json blend_model_json(const domain::BlendModel& model) {
  static constexpr std::array<const char*, domain::kBlendTerms> kTerms = {
      "constant", "recent", "earlier", "season", "year_ago", "last_year", "quarter_year_ago"};
  json models = json::object();
  for (int s = 0; s < domain::kBlendSteps; ++s) {
    for (bool est : {false, true}) {
      auto step = static_cast<domain::BlendStep>(s);
      json j;
      if (const auto* f = model.fit(step, est)) {
        json weights = json::object();
        for (size_t i = 0; i < f->weights.size(); ++i) weights[kTerms[i]] = f->weights[i];
        j = json{{"weights", weights}, {"rows", f->rows}, {"households", f->households}};
      } else {
        j = json{{"failed", model.failures[domain::model_index(step, est)]}};
      }
      models[std::string(domain::step_name(step)) + (est ? "_after_estimate" : "")] = std::move(j);
    }
  }
  return json{{"month", model.month.str()},
              {"models", models},
              {"signal", model.signal},
              {"signal_households", model.signal_households},
              {"class_scale", model.class_scale}};
}

namespace {

// One register chain of a metering point: a zone of one zone configuration. Meters exchanged
// for meters with the same zones continue the chain; a change of zones ends it (rules.md §4).
struct ChainSpec {
  std::int64_t id = 0;  // the first meter of the configuration
  int zone_index = 0;
  int zones = 1;
  domain::Chain chain;
  std::vector<const store::PointHistory::Meter*> meters;

  // The meter installed at day d (its installation reading counts as of the next day).
  [[nodiscard]] const store::PointHistory::Meter& meter_at(domain::Day d) const {
    const store::PointHistory::Meter* m = meters.front();
    for (const auto* candidate : meters)
      if (candidate->installed_on + date::days{1} <= d) m = candidate;
    return *m;
  }
  [[nodiscard]] std::int64_t shown(std::int64_t value, domain::Day d) const {
    const auto& m = meter_at(d);
    auto zi = static_cast<size_t>(zone_index);
    std::int64_t offset = zi < m.counter_offsets.size() ? m.counter_offsets[zi] : 0;
    std::int64_t mod = domain::register_modulus(m.digits);
    return (((value - offset) % mod) + mod) % mod;
  }
};

// As-of instants repeat: most are month boundaries. Looking them up in the time-zone database
// 22 million times took seconds of a million-point close; a small per-thread memo does not.
domain::Day kyiv_day(domain::Instant t) {
  thread_local std::unordered_map<std::int64_t, domain::Day> memo;
  auto key = t.time_since_epoch().count();
  if (auto it = memo.find(key); it != memo.end()) return it->second;
  if (memo.size() > 100000) memo.clear();
  return memo.emplace(key, domain::kyiv_date(t)).first->second;
}

std::vector<ChainSpec> chains_of(const store::PointHistory& p,
                                 const domain::ValidationRules& rules) {
  std::vector<ChainSpec> out;
  size_t era_begin = 0;
  for (size_t i = 0; i <= p.meters.size(); ++i) {
    bool boundary = i == p.meters.size() || p.meters[i].zones != p.meters[era_begin].zones;
    if (!boundary) continue;
    const auto& first = p.meters[era_begin];
    auto zones = domain::zones_of(first.zones);
    std::vector<ChainSpec> era(zones.size());
    auto in_era = [&](std::int64_t meter) {
      for (size_t k = era_begin; k < i; ++k)
        if (p.meters[k].id == meter) return true;
      return false;
    };
    for (size_t z = 0; z < zones.size(); ++z) {
      era[z].id = first.id;
      era[z].zone_index = static_cast<int>(z);
      era[z].zones = first.zones;
      era[z].chain.default_rate = rules.default_rates.of(zones[z], first.zones);
      for (size_t k = era_begin; k < i; ++k) era[z].meters.push_back(&p.meters[k]);
      const auto& last_meter = p.meters[i - 1];
      if (i < p.meters.size() && last_meter.removed_on)
        era[z].chain.ended = *last_meter.removed_on + date::days{1};
    }
    for (auto& c : era) c.chain.points.reserve(p.readings.size());
    for (const auto& r : p.readings) {
      if (!in_era(r.meter_id)) continue;
      domain::Day day = kyiv_day(r.as_of);
      // The value was read at the end of the day it was taken (the as-of rule of off-cycle ones).
      domain::Day read = r.taken_on == domain::Day{} ? day : r.taken_on + date::days{1};
      for (size_t z = 0; z < zones.size(); ++z)
        era[z].chain.points.push_back(
            domain::ChainPoint{day, r.unwrapped[z], r.installation, read});
    }
    for (auto& c : era) {
      c.chain.normalize();
      out.push_back(std::move(c));
    }
    era_begin = i;
  }
  return out;
}

std::string basis_kind(domain::RateBasis::Kind k) {
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
    } else if (s.basis.kind == domain::RateBasis::Kind::blend) {
      const auto& in = s.basis.inputs;
      seg["step"] = domain::step_name(s.basis.step);
      seg["signal"] = s.basis.signal;
      json inputs{{"recent_kwh_per_day", in.recent},
                  {"recent_from", domain::format_date(in.recent_from)},
                  {"recent_to", domain::format_date(in.recent_to)},
                  {"earlier_kwh_per_day", in.earlier},
                  {"after_estimate", in.after_estimate}};
      if (in.step != domain::BlendStep::recent) inputs["season"] = in.season;
      if (in.step == domain::BlendStep::full) {
        inputs["year_ago_kwh_per_day"] = in.year_ago;
        inputs["last_year_kwh_per_day"] = in.last_year;
        inputs["quarter_year_ago_kwh_per_day"] = in.quarter_year_ago;
      }
      seg["inputs"] = std::move(inputs);
    }
    if (!s.basis.fallback.empty()) seg["fallback"] = s.basis.fallback;
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

// Reads points on a second thread while this one closes them: SQLite stepping and the close's
// arithmetic take about the same time, and the machine has two cores.
void scan_pipelined(store::Store& store, const std::function<void(store::PointHistory&)>& visit) {
  constexpr size_t kBatch = 256, kMaxQueued = 16;
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<std::vector<store::PointHistory>> queue;
  bool finished = false;
  std::exception_ptr error;
  std::thread reader([&] {
    try {
      std::vector<store::PointHistory> batch;
      batch.reserve(kBatch);
      auto push = [&] {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return queue.size() < kMaxQueued; });
        queue.push_back(std::move(batch));
        cv.notify_all();
        batch = {};
        batch.reserve(kBatch);
      };
      store.scan_points([&](store::PointHistory&& p) {
        batch.push_back(std::move(p));
        if (batch.size() == kBatch) push();
      });
      if (!batch.empty()) push();
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard lock(mutex);
    finished = true;
    cv.notify_all();
  });
  try {
    for (;;) {
      std::vector<store::PointHistory> batch;
      {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return !queue.empty() || finished; });
        if (queue.empty()) break;
        batch = std::move(queue.front());
        queue.pop_front();
        cv.notify_all();
      }
      for (auto& p : batch) visit(p);
    }
  } catch (...) {
    // Let the reader finish (it may be waiting for room in the queue) before rethrowing.
    {
      std::lock_guard lock(mutex);
      queue.clear();
    }
    for (bool done = false; !done;) {
      std::unique_lock lock(mutex);
      queue.clear();
      cv.notify_all();
      done = cv.wait_for(lock, std::chrono::milliseconds(10), [&] { return finished; });
    }
    reader.join();
    throw;
  }
  reader.join();
  if (error) std::rethrow_exception(error);
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

domain::Population learn_population(store::Store& store, YearMonth month,
                                    const ServiceConfig& config) {
  // Enough chains for a fit of seven terms many times over; a million would take memory and
  // time and teach it nothing more. A reservoir, seeded by the month: the same store and month
  // give the same sample, so a close can be reproduced.
  constexpr size_t kSample = 40000;
  const bool blend = config.estimation.method == domain::EstimationMethod::blend;
  std::map<YearMonth, std::vector<double>> rates;
  std::vector<std::pair<std::int64_t, domain::Chain>> sample;
  std::mt19937_64 rng(static_cast<std::uint64_t>(month.year) * 100 + month.month);
  std::uint64_t seen = 0;
  YearMonth from = month.plus(-25);
  store.scan_points([&](store::PointHistory&& p) {
    auto chains = chains_of(p, config.rules);
    // A household's level is the sum over its zones: the index describes households.
    for (YearMonth m = from; m < month; m = m.next()) {
      std::int64_t total = 0;
      bool all = !chains.empty();
      for (const auto& c : chains) {
        if (c.chain.ended) continue;
        auto v = domain::actual_volume(c.chain, m);
        if (!v) {
          all = false;
          break;
        }
        total += *v;
      }
      if (all) rates[m].push_back(static_cast<double>(total) / m.days());
    }
    if (!blend) return;
    for (auto& c : chains) {
      if (c.chain.ended || c.chain.points.size() < 3) continue;
      ++seen;
      if (sample.size() < kSample) {
        sample.emplace_back(p.point_id, std::move(c.chain));
      } else if (auto j = rng() % seen; j < kSample) {
        sample[j] = {p.point_id, std::move(c.chain)};
      }
    }
  });
  domain::Population population;
  for (auto& [m, r] : rates) population.seasonal.add(m, std::move(r));
  if (!blend) return population;
  std::vector<domain::BlendRow> rows, submitters;
  for (const auto& [point, chain] : sample) {
    domain::blend_rows(chain, point, month.plus(-12), month.prev(), month.first_day(),
                       &population.seasonal, rows);
    domain::blend_rows(chain, point, month, month, month.next().first_day(), &population.seasonal,
                       submitters);
  }
  population.blend = domain::fit_blend(rows);
  population.blend->month = month;
  domain::set_signal(*population.blend, submitters);
  return population;
}

CloseReport close_period(store::Store& store, YearMonth month, domain::Instant now,
                         const ServiceConfig& config, const std::string& actor,
                         const std::string& channel, const std::string& why) {
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

  auto phase_started = std::chrono::steady_clock::now();
  auto lap = [&phase_started](double& into) {
    auto now_t = std::chrono::steady_clock::now();
    into = std::chrono::duration<double>(now_t - phase_started).count();
    phase_started = now_t;
  };
  struct Key {
    std::int64_t point, chain;
    int zone;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return std::hash<std::int64_t>{}(k.point * 1000003 + k.chain * 7 + k.zone);
    }
  };
  std::unordered_map<Key, domain::PriorPosition, KeyHash> prior;
  if (last) {
    store.positions(*last, [&](const store::Store::Position& p) {
      prior[{p.point_id, p.chain, p.zone_index}] =
          domain::PriorPosition{p.position, p.estimated_run};
    });
  }
  lap(report.seconds_prior);
  domain::Population population;
  const domain::Population* learned = nullptr;
  if (config.estimation.method == domain::EstimationMethod::seasonal ||
      config.estimation.method == domain::EstimationMethod::blend) {
    population = learn_population(store, month, config);
    learned = &population;
    report.model = population.blend;
  }
  lap(report.seconds_learn);

  // A closed chain, compactly: a million metering points' worth is held until the write.
  struct Closed {
    std::int64_t point = 0, chain = 0, meter = 0;
    std::int64_t start_value = 0, start_shown = 0, end_value = 0, end_shown = 0;
    std::int64_t volume = 0, correction = 0, position = 0;
    std::uint8_t zone_index = 0, zones = 1;
    domain::ValueKind start_kind{}, end_kind{};
    std::int32_t run = 0;
    std::string estimate;  // JSON, only for estimated chains
  };
  std::vector<Closed> rows;
  std::vector<std::int64_t> inspections;
  const domain::Day start_day = month.first_day(), end_day = month.next().first_day();
  scan_pipelined(store, [&](store::PointHistory& p) {
    bool inspection = false;
    for (const auto& spec : chains_of(p, config.rules)) {
      auto found = prior.find({p.point_id, spec.id, spec.zone_index});
      std::optional<domain::PriorPosition> before;
      if (found != prior.end()) before = found->second;
      domain::ChainClose c =
          domain::close_chain(spec.chain, month, before, config.estimation, learned);
      if (!c.exists) continue;
      domain::Day end_at =
          spec.chain.ended && *spec.chain.ended <= end_day ? *spec.chain.ended : end_day;
      Closed v;
      v.point = p.point_id;
      v.chain = spec.id;
      v.meter = spec.meter_at(end_at).id;
      v.zone_index = static_cast<std::uint8_t>(spec.zone_index);
      v.zones = static_cast<std::uint8_t>(spec.zones);
      v.start_value = c.start_value;
      v.start_shown = spec.shown(c.start_value, std::max(start_day, spec.chain.first()->day));
      v.start_kind = c.start_kind;
      v.end_value = c.end_value;
      v.end_shown = spec.shown(c.end_value, end_at);
      v.end_kind = c.end_kind;
      v.volume = c.volume;
      v.correction = c.correction;
      v.position = c.position;
      v.run = c.estimated_run;
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
  lap(report.seconds_compute);

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
  std::vector<store::VolumeRow> chunk;
  chunk.reserve(4096);
  for (size_t i = 0; i < rows.size(); ++i) {
    const Closed& v = rows[i];
    store::VolumeRow row;
    row.period = month;
    row.point_id = v.point;
    row.chain = v.chain;
    row.meter_id = v.meter;
    row.zone_index = v.zone_index;
    row.zone = domain::zone_name(domain::zones_of(v.zones)[v.zone_index]);
    row.start_value = v.start_value;
    row.start_shown = v.start_shown;
    row.start_kind = domain::kind_name(v.start_kind);
    row.end_value = v.end_value;
    row.end_shown = v.end_shown;
    row.end_kind = domain::kind_name(v.end_kind);
    row.volume = v.volume;
    row.correction = v.correction;
    row.position = v.position;
    row.method = v.end_kind == domain::ValueKind::estimated ? "estimated"
                 : v.end_kind == domain::ValueKind::derived ? "derived"
                                                            : "actual";
    row.estimated_run = v.run;
    row.estimate = v.estimate;
    chunk.push_back(std::move(row));
    if (chunk.size() == chunk.capacity() || i + 1 == rows.size()) {
      tx->insert_volumes(chunk);
      chunk.clear();
    }
  }
  for (auto point : inspections)
    tx->insert_inspection_order(
        point, month,
        std::to_string(config.estimation.max_consecutive) + " consecutive estimated months", now);
  tx->insert_period(month, now, report.summary_json());
  tx->append_audit(store::AuditEntry{now, actor, channel, "close_period", "period=" + month.str(),
                                     report.summary_json(), "closed " + month.str(), why,
                                     std::nullopt});
  tx->commit();
  lap(report.seconds_write);
  return report;
}

}  // namespace md::service
