#include "service/period_close.hpp"
#include "service/chains.hpp"
#include "service/outages.hpp"
#include "service/population.hpp"
#include "service/stored_estimate.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "domain/close.hpp"
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

std::optional<YearMonth> next_closable(store::PeriodReads& store, domain::Instant now,
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

using Prior = std::unordered_map<ChainKey, domain::PriorPosition, ChainKey::Hash>;

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

store::VolumeRow volume_row(const Closed& v, YearMonth month) {
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
  return row;
}

// Where each chain stood at the end of the last closed month.
Prior prior_positions(store::Store& store, std::optional<YearMonth> last) {
  Prior prior;
  if (!last) return prior;
  store.positions(*last, [&](const store::Store::Position& p) {
    prior[{p.point_id, p.chain, p.zone_index}] = domain::PriorPosition{p.position, p.estimated_run};
  });
  return prior;
}

// One month's close of every chain, point by point as the scan reads them. With `blend`, the
// chains it must estimate wait for its model, which learns in the same scan: one scan of every
// reading, then the waiting ones are estimated on both cores.
class MonthCloser {
 public:
  MonthCloser(YearMonth month, const ServiceConfig& config, domain::EstimationRules estimation,
              Prior prior, CloseReport& report)
      : month_(month),
        config_(config),
        estimation_(std::move(estimation)),
        prior_(std::move(prior)),
        report_(report),
        blend_(config.estimation.method == domain::EstimationMethod::blend),
        learner_(month, true) {}

  void close_point(store::PointHistory& p, const domain::Population* learned);
  // The blend's model, from what the scan sampled.
  const domain::Population& learn() { return population_ = learner_.finish(); }
  // The chains that waited for the model, closed with it.
  void estimate_waiting();
  void write(store::WriteTx& tx, domain::Instant now, const std::string& actor,
             const std::string& channel, const std::string& why);

  std::vector<std::int64_t> inspections;

 private:
  // A chain waiting for the blend's model: what its row needs besides the close.
  struct Waiting {
    Closed row;  // identity, meter
    ChainSpec::Display start, end;
    std::optional<domain::PriorPosition> before;
    domain::Chain chain;
  };
  void add(Closed v, const ChainSpec::Display& start, const ChainSpec::Display& end,
           const domain::ChainClose& c, std::string estimate);

  YearMonth month_;
  const ServiceConfig& config_;
  domain::EstimationRules estimation_;
  Prior prior_;
  CloseReport& report_;
  bool blend_;
  PopulationLearner learner_;
  domain::Population population_;
  std::vector<Closed> rows_;
  std::vector<Waiting> waiting_;
};

void MonthCloser::add(Closed v, const ChainSpec::Display& start, const ChainSpec::Display& end,
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
  ++report_.chains;
  report_.actual += c.end_kind == domain::ValueKind::actual;
  report_.derived += c.end_kind == domain::ValueKind::derived;
  report_.estimated += c.end_kind == domain::ValueKind::estimated;
  report_.volume_kwh += c.volume;
  report_.correction_kwh += c.correction;
  rows_.push_back(std::move(v));
}

void MonthCloser::close_point(store::PointHistory& p, const domain::Population* learned) {
  const domain::Day start_day = month_.first_day(), end_day = month_.next().first_day();
  bool inspection = false;
  auto specs = chains_of(p, config_.rules);
  if (blend_) learner_.add(p.point_id, specs);
  for (auto& spec : specs) {
    auto found = prior_.find({p.point_id, spec.id, spec.zone_index});
    std::optional<domain::PriorPosition> before;
    if (found != prior_.end()) before = found->second;
    const bool waits = blend_ && domain::needs_estimate(spec.chain, month_, before.has_value());
    domain::ChainClose c;
    if (!waits) {
      c = domain::close_chain(spec.chain, month_, before, estimation_, learned);
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
      waiting_.push_back(Waiting{std::move(v), start, end, before, std::move(spec.chain)});
      continue;
    }
    inspection = inspection || c.inspection_due;
    add(std::move(v), start, end, c, c.estimate ? stored_estimate(*c.estimate) : std::string());
  }
  if (inspection) inspections.push_back(p.point_id);
}

void MonthCloser::estimate_waiting() {
  const size_t scanned_rows = rows_.size();
  // Every waiting chain is estimated: on both cores, the stored form of each estimate too.
  std::vector<std::pair<domain::ChainClose, std::string>> closed(waiting_.size());
  auto close_from = [&](std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) {
      auto& [c, text] = closed[i];
      c = domain::close_chain(waiting_[i].chain, month_, waiting_[i].before, estimation_,
                              &population_);
      if (c.exists && c.estimate) text = stored_estimate(*c.estimate);
    }
  };
  const std::size_t half = waiting_.size() / 2;
  auto other = std::async(std::launch::async, close_from, half, waiting_.size());
  close_from(0, half);
  other.get();
  for (std::size_t i = 0; i < waiting_.size(); ++i) {
    auto& [c, text] = closed[i];
    if (!c.exists) continue;
    if (c.inspection_due) inspections.push_back(waiting_[i].row.point);
    add(std::move(waiting_[i].row), waiting_[i].start, waiting_[i].end, c, std::move(text));
  }
  waiting_ = {};
  // Volumes are written in key order; the waiting ones came last.
  std::inplace_merge(rows_.begin(), rows_.begin() + static_cast<std::ptrdiff_t>(scanned_rows),
                     rows_.end(),
                     [](const Closed& a, const Closed& b) { return a.point < b.point; });
  std::sort(inspections.begin(), inspections.end());
  inspections.erase(std::unique(inspections.begin(), inspections.end()), inspections.end());
}

void MonthCloser::write(store::WriteTx& tx, domain::Instant now, const std::string& actor,
                        const std::string& channel, const std::string& why) {
  std::vector<store::VolumeRow> chunk;
  chunk.reserve(4096);
  for (size_t i = 0; i < rows_.size(); ++i) {
    chunk.push_back(volume_row(rows_[i], month_));
    if (chunk.size() == chunk.capacity() || i + 1 == rows_.size()) {
      tx.insert_volumes(chunk);
      chunk.clear();
    }
  }
  for (auto point : inspections)
    tx.insert_inspection_order(
        point, month_,
        std::to_string(config_.estimation.max_consecutive) + " consecutive estimated months", now);
  tx.insert_period(month_, now, report_.summary_json());
  tx.append_audit(store::AuditEntry{now, actor, channel, "close_period", "period=" + month_.str(),
                                    report_.summary_json(), "closed " + month_.str(), why,
                                    std::nullopt});
}

}  // namespace

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
  // The configured coefficients with the operators' K_outage per area on top.
  MonthCloser closer(month, config, effective_estimation(store, config.estimation),
                     prior_positions(store, last), report);
  lap(report.seconds_prior);
  // `seasonal` learns by a scan of its own; `blend` learns in the close's scan.
  domain::Population seasonal;
  const bool blend = config.estimation.method == domain::EstimationMethod::blend;
  if (config.estimation.method == domain::EstimationMethod::seasonal)
    seasonal = learn_population(store, month, config);
  lap(report.seconds_learn);
  const domain::Population* learned =
      config.estimation.method == domain::EstimationMethod::seasonal ? &seasonal : nullptr;
  scan_pipelined(store, [&](store::PointHistory& p) { closer.close_point(p, learned); });
  if (blend) {
    auto scanned = std::chrono::steady_clock::now();
    report.model = closer.learn().blend;
    report.seconds_learn =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - scanned).count();
    closer.estimate_waiting();
  }
  report.inspections = static_cast<int>(closer.inspections.size());
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
  closer.write(*tx, now, actor, channel, why);
  tx->commit();
  lap(report.seconds_write);
  return report;
}

}  // namespace md::service
