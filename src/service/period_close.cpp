#include "service/period_close.hpp"
#include "service/outages.hpp"
#include "service/stored_estimate.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "domain/close.hpp"
#include "domain/percentile.hpp"
#include "i18n/explain.hpp"

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

PeriodSummaryText period_summary_text(const std::string& summary) {
  auto j = nlohmann::json::parse(summary, nullptr, false);
  if (!j.is_object() || !j.contains("blend")) return {summary, {}};
  const auto model = j["blend"];
  j.erase("blend");
  PeriodSummaryText text{j.dump(), "blend"};
  if (model.contains("signal") && model["signal"].is_array() && !model["signal"].empty() &&
      model["signal"][0].is_number()) {
    double percent = (std::exp(model["signal"][0].get<double>()) - 1) * 100;
    char buf[96];
    std::snprintf(buf, sizeof buf, ": this month's senders %+.1f %% against the model", percent);
    text.model += buf;
  }
  return text;
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
  json areas = json::object();
  for (const auto& [name, a] : model.areas)
    areas[name] = json{{"signal", a.signal}, {"signal_households", a.households}};
  return json{{"month", model.month.str()}, {"models", models},
              {"signal", model.signal},     {"signal_households", model.signal_households},
              {"area_signals", areas},      {"class_scale", model.class_scale}};
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
  // What the meter installed at day d shows for a counter value: offset and wrapped.
  struct Display {
    std::int64_t offset = 0, modulus = 1;
    [[nodiscard]] std::int64_t of(std::int64_t value) const {
      return (((value - offset) % modulus) + modulus) % modulus;
    }
  };
  [[nodiscard]] Display display_at(domain::Day d) const {
    const auto& m = meter_at(d);
    auto zi = static_cast<size_t>(zone_index);
    return Display{zi < m.counter_offsets.size() ? m.counter_offsets[zi] : 0,
                   domain::register_modulus(m.digits)};
  }
};

// A register chain of a metering point, as positions and volumes name it.
struct ChainKey {
  std::int64_t point, chain;
  int zone;
  // clang-tidy 14 takes the 0 of a defaulted <=> for a null pointer.
  // NOLINTNEXTLINE(modernize-use-nullptr)
  auto operator<=>(const ChainKey&) const = default;
  struct Hash {
    size_t operator()(const ChainKey& k) const {
      return std::hash<std::int64_t>{}(k.point * 1000003 + k.chain * 7 + k.zone);
    }
  };
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
      era[z].chain.area = p.area;
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

namespace {

// What the policy estimators learn from everyone, fed point by point (by a scan of its own or by
// the close's scan): the seasonal index and, for `blend`, a reservoir of chains to fit on.
class PopulationLearner {
 public:
  PopulationLearner(YearMonth month, bool blend)
      : month_(month),
        blend_(blend),
        rng_(static_cast<std::uint64_t>(month.year) * 100 + month.month) {}

  // `seasonal` takes every household into the index; `blend` keeps a sample of households (a
  // copy of their chains) and learns everything from it when the scan is done.
  void add(std::int64_t point, const std::vector<ChainSpec>& chains) {
    if (!blend_) {
      std::vector<const domain::Chain*> of;
      of.reserve(chains.size());
      for (const auto& c : chains) of.push_back(&c.chain);
      add_to_index(of);
      return;
    }
    ++seen_;
    auto copy = [&] {
      std::vector<domain::Chain> out;
      out.reserve(chains.size());
      for (const auto& c : chains) out.push_back(c.chain);
      return out;
    };
    if (sample_.size() < kSample) {
      sample_.emplace_back(point, copy());
    } else if (auto j = rng_() % seen_; j < kSample) {
      sample_[j] = {point, copy()};
    }
  }

  domain::Population finish() {
    domain::Population population;
    if (blend_) {
      for (const auto& household : sample_) {
        std::vector<const domain::Chain*> of;
        for (const auto& c : household.second) of.push_back(&c);
        add_to_index(of);
      }
    }
    for (auto& [m, r] : rates_) population.seasonal.add(m, std::move(r));
    if (!blend_) return population;
    std::vector<domain::BlendRow> rows, submitters;
    for (const auto& [point, chains] : sample_) {
      for (const auto& chain : chains) {
        if (chain.ended || chain.points.size() < 3) continue;
        domain::blend_rows(chain, point, month_.plus(-12), month_.prev(), month_.first_day(),
                           &population.seasonal, rows);
        domain::blend_rows(chain, point, month_, month_, month_.next().first_day(),
                           &population.seasonal, submitters);
      }
    }
    population.blend = domain::fit_blend(rows);
    population.blend->month = month_;
    domain::set_signal(*population.blend, submitters);
    return population;
  }

 private:
  // A household's daily level in each of the 25 months before this one, into the index.
  void add_to_index(const std::vector<const domain::Chain*>& chains) {
    // A household's level is the sum over its zones: the index describes households. Each
    // chain's values at the 26 boundaries come from one walk over its readings.
    constexpr int kMonths = 25;
    const YearMonth first = month_.plus(-kMonths);
    std::array<std::int64_t, kMonths> total{};
    std::array<bool, kMonths> all{};
    all.fill(!chains.empty());
    for (const domain::Chain* c : chains) {
      if (c->ended) continue;
      const auto& pts = c->points;
      std::size_t i = 0;
      std::optional<std::int64_t> previous;
      YearMonth m = first;
      for (int k = 0; k <= kMonths; ++k, m = m.next()) {
        const domain::Day b = m.first_day();
        while (i < pts.size() && pts[i].day < b) ++i;
        std::optional<std::int64_t> value;
        if (i < pts.size() && pts[i].day == b) {
          value = pts[i].value;
        } else if (i > 0 && i < pts.size()) {  // between two readings: as value_from_readings
          const auto& before = pts[i - 1];
          std::int64_t span = domain::days_between(before.day, pts[i].day);
          std::int64_t into = domain::days_between(before.day, b);
          value = before.value + domain::div_round((pts[i].value - before.value) * into, span);
        }
        if (k > 0) {
          auto at = static_cast<std::size_t>(k - 1);
          if (previous && value)
            total[at] += *value - *previous;
          else
            all[at] = false;
        }
        previous = value;
      }
    }
    YearMonth m = first;
    for (std::size_t k = 0; k < total.size(); ++k, m = m.next())
      if (all[k]) rates_[m].push_back(static_cast<double>(total[k]) / m.days());
  }

  // Enough households for a fit of seven terms many times over (a chain gives about 36 rows)
  // and a median per month; a million
  // would take memory and time and teach it nothing more. A reservoir, seeded by the month: the
  // same store and month give the same sample, so a close can be reproduced.
  static constexpr size_t kSample = 5000;
  YearMonth month_;
  bool blend_;
  std::map<YearMonth, std::vector<double>> rates_;
  std::vector<std::pair<std::int64_t, std::vector<domain::Chain>>> sample_;  // by household
  std::mt19937_64 rng_;
  std::uint64_t seen_ = 0;
};

}  // namespace

domain::Population learn_population(store::Store& store, YearMonth month,
                                    const ServiceConfig& config) {
  PopulationLearner learner(month, config.estimation.method == domain::EstimationMethod::blend);
  store.scan_points([&](store::PointHistory&& p) {
    auto chains = chains_of(p, config.rules);
    learner.add(p.point_id, chains);
  });
  return learner.finish();
}

MonthEvidence estimation_evidence(store::Store& store, YearMonth month,
                                  const ServiceConfig& config) {
  using Key = ChainKey;
  MonthEvidence evidence;
  evidence.month = month;
  const domain::EstimationRules estimation = effective_estimation(store, config.estimation);
  std::set<Key> estimated;
  for (const auto& v : store.volumes(month))
    if (v.method == "estimated") estimated.insert({v.point_id, v.chain, v.zone_index});
  evidence.estimated = static_cast<int>(estimated.size());
  std::map<Key, domain::PriorPosition> prior;
  store.positions(month.prev(), [&](const store::Store::Position& p) {
    prior[{p.point_id, p.chain, p.zone_index}] = domain::PriorPosition{p.position, p.estimated_run};
  });

  // What the close knew: the readings as of the month's end at the latest.
  const domain::Day end = month.next().first_day();
  auto known_then = [&](domain::Chain chain) {
    auto& pts = chain.points;
    pts.erase(std::find_if(pts.begin(), pts.end(),
                           [&](const domain::ChainPoint& p) { return p.day > end; }),
              pts.end());
    return chain;
  };
  struct Case {
    Key key;
    domain::Chain chain;  // as the close knew it
    double truth = 0;
  };
  std::vector<Case> cases;
  PopulationLearner everyone(month, false), sample(month, true);
  store.scan_points([&](store::PointHistory&& p) {
    auto specs = chains_of(p, config.rules);
    for (auto& spec : specs) {
      // The truth from today's readings, for the chains the close estimated.
      Key key{p.point_id, spec.id, spec.zone_index};
      if (estimated.contains(key)) {
        auto truth = domain::actual_volume(spec.chain, month);
        if (truth && *truth >= 10)
          cases.push_back(Case{key, known_then(spec.chain), static_cast<double>(*truth)});
      }
      spec.chain = known_then(std::move(spec.chain));
    }
    everyone.add(p.point_id, specs);
    sample.add(p.point_id, specs);
  });
  evidence.known = static_cast<int>(cases.size());
  domain::Population seasonal = everyone.finish(), blend = sample.finish();
  for (auto method : {domain::EstimationMethod::regulatory, domain::EstimationMethod::recent,
                      domain::EstimationMethod::seasonal, domain::EstimationMethod::blend}) {
    domain::EstimationRules rules = estimation;
    rules.method = method;
    const domain::Population* population =
        method == domain::EstimationMethod::blend ? &blend : &seasonal;
    std::vector<double> ape;
    double signed_sum = 0, abs_sum = 0, truth_sum = 0;
    for (const auto& c : cases) {
      std::optional<domain::PriorPosition> before;
      if (auto it = prior.find(c.key); it != prior.end()) before = it->second;
      auto r = domain::close_chain(c.chain, month, before, rules, population);
      if (!r.exists) continue;
      double err = static_cast<double>(r.volume) - c.truth;
      ape.push_back(100.0 * std::abs(err) / c.truth);
      signed_sum += 100.0 * err / c.truth;
      abs_sum += std::abs(err);
      truth_sum += c.truth;
    }
    MethodEvidence m;
    m.method = method;
    m.months = static_cast<int>(ape.size());
    m.median_ape = domain::percentile(ape, 0.5);
    m.p90_ape = domain::percentile(ape, 0.9);
    m.mean_signed = ape.empty() ? 0 : signed_sum / static_cast<double>(ape.size());
    m.wape = truth_sum > 0 ? 100.0 * abs_sum / truth_sum : 0;
    evidence.methods.push_back(m);
  }
  return evidence;
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
  // The configured coefficients with the operators' K_outage per area on top.
  const domain::EstimationRules estimation = effective_estimation(store, config.estimation);

  auto phase_started = std::chrono::steady_clock::now();
  auto lap = [&phase_started](double& into) {
    auto now_t = std::chrono::steady_clock::now();
    into = std::chrono::duration<double>(now_t - phase_started).count();
    phase_started = now_t;
  };
  using Key = ChainKey;
  std::unordered_map<Key, domain::PriorPosition, ChainKey::Hash> prior;
  if (last) {
    store.positions(*last, [&](const store::Store::Position& p) {
      prior[{p.point_id, p.chain, p.zone_index}] =
          domain::PriorPosition{p.position, p.estimated_run};
    });
  }
  lap(report.seconds_prior);
  // `seasonal` learns by a scan of its own; `blend` learns in the close's scan and closes the
  // chains it must estimate after it, when the model is fitted: one scan of every reading.
  const bool blend = config.estimation.method == domain::EstimationMethod::blend;
  domain::Population population;
  const domain::Population* learned = nullptr;
  if (config.estimation.method == domain::EstimationMethod::seasonal) {
    population = learn_population(store, month, config);
    learned = &population;
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
  // A chain waiting for the blend's model: what its row needs besides the close.
  struct Waiting {
    Closed row;  // identity, meter
    ChainSpec::Display start, end;
    std::optional<domain::PriorPosition> before;
    domain::Chain chain;
  };
  std::vector<Closed> rows;
  std::vector<Waiting> waiting;
  std::vector<std::int64_t> inspections;
  PopulationLearner learner(month, true);
  const domain::Day start_day = month.first_day(), end_day = month.next().first_day();
  auto add = [&](Closed v, const ChainSpec::Display& start, const ChainSpec::Display& end,
                 const domain::ChainClose& c, std::string estimate) {
    v.start_value = c.start_value;
    v.start_shown = start.of(c.start_value);
    v.start_kind = c.start_kind;
    v.end_value = c.end_value;
    v.end_shown = end.of(c.end_value);
    v.end_kind = c.end_kind;
    v.volume = c.volume;
    v.correction = c.correction;
    v.position = c.position;
    v.run = c.estimated_run;
    v.estimate = std::move(estimate);
    ++report.chains;
    report.actual += c.end_kind == domain::ValueKind::actual;
    report.derived += c.end_kind == domain::ValueKind::derived;
    report.estimated += c.end_kind == domain::ValueKind::estimated;
    report.volume_kwh += c.volume;
    report.correction_kwh += c.correction;
    rows.push_back(std::move(v));
  };
  scan_pipelined(store, [&](store::PointHistory& p) {
    bool inspection = false;
    auto specs = chains_of(p, config.rules);
    if (blend) learner.add(p.point_id, specs);
    for (auto& spec : specs) {
      auto found = prior.find({p.point_id, spec.id, spec.zone_index});
      std::optional<domain::PriorPosition> before;
      if (found != prior.end()) before = found->second;
      const bool waits = blend && domain::needs_estimate(spec.chain, month, before.has_value());
      domain::ChainClose c;
      if (!waits) {
        c = domain::close_chain(spec.chain, month, before, estimation, learned);
        if (!c.exists) continue;
      }
      domain::Day end_at =
          spec.chain.ended && *spec.chain.ended <= end_day ? *spec.chain.ended : end_day;
      Closed v;
      v.point = p.point_id;
      v.chain = spec.id;
      v.meter = spec.meter_at(end_at).id;
      v.zone_index = static_cast<std::uint8_t>(spec.zone_index);
      v.zones = static_cast<std::uint8_t>(spec.zones);
      auto start = spec.display_at(std::max(start_day, spec.chain.first()->day));
      auto end = spec.display_at(end_at);
      if (waits) {
        waiting.push_back(Waiting{std::move(v), start, end, before, std::move(spec.chain)});
        continue;
      }
      inspection = inspection || c.inspection_due;
      add(std::move(v), start, end, c, c.estimate ? stored_estimate(*c.estimate) : std::string());
    }
    if (inspection) inspections.push_back(p.point_id);
  });
  if (blend) {
    auto scanned = std::chrono::steady_clock::now();
    population = learner.finish();
    report.model = population.blend;
    report.seconds_learn =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - scanned).count();
    const size_t scanned_rows = rows.size();
    // Every waiting chain is estimated: on both cores, the stored form of each estimate too.
    std::vector<std::pair<domain::ChainClose, std::string>> closed(waiting.size());
    auto close_from = [&](std::size_t from, std::size_t to) {
      for (std::size_t i = from; i < to; ++i) {
        auto& [c, text] = closed[i];
        c = domain::close_chain(waiting[i].chain, month, waiting[i].before, estimation,
                                &population);
        if (c.exists && c.estimate) text = stored_estimate(*c.estimate);
      }
    };
    const std::size_t half = waiting.size() / 2;
    auto other = std::async(std::launch::async, close_from, half, waiting.size());
    close_from(0, half);
    other.get();
    for (std::size_t i = 0; i < waiting.size(); ++i) {
      auto& [c, text] = closed[i];
      if (!c.exists) continue;
      if (c.inspection_due) inspections.push_back(waiting[i].row.point);
      add(std::move(waiting[i].row), waiting[i].start, waiting[i].end, c, std::move(text));
    }
    waiting = {};
    closed = {};
    // Volumes are written in key order; the waiting ones came last.
    std::inplace_merge(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(scanned_rows),
                       rows.end(),
                       [](const Closed& a, const Closed& b) { return a.point < b.point; });
    std::sort(inspections.begin(), inspections.end());
    inspections.erase(std::unique(inspections.begin(), inspections.end()), inspections.end());
  }
  report.inspections = static_cast<int>(inspections.size());
  lap(report.seconds_compute);
  if (blend) report.seconds_compute -= report.seconds_learn;  // reported on its own

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
