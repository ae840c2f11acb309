// Closing a billing period (rules.md §8) for every register chain, in one transaction: volumes,
// corrections, billed positions, estimates with their explanations, inspection orders.
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "domain/estimation.hpp"
#include "service/submission.hpp"
#include "store/store.hpp"

namespace md::service {

// A close that must not happen (open window, out of order): nothing was written.
struct CloseRefused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CloseReport {
  domain::YearMonth period{};
  bool already_closed = false;  // nothing was done: the month had been closed before
  int chains = 0, actual = 0, derived = 0, estimated = 0, inspections = 0;
  std::int64_t volume_kwh = 0, correction_kwh = 0;
  double seconds_prior = 0, seconds_learn = 0, seconds_compute = 0,
         seconds_write = 0;  // where the time went
  // blend: the model this close fitted (stored with the period in its summary).
  std::optional<domain::BlendModel> model;
  [[nodiscard]] std::string summary_json() const;
};

// The earliest month that may be closed now, if any: the month after the last closed one (or,
// before any close, the latest month whose window has ended).
std::optional<domain::YearMonth> next_closable(store::PeriodReads& store, domain::Instant now,
                                               const domain::WindowRules& window);

// Audited with who (`actor`), through which `channel`, and why.
CloseReport close_period(store::Store& store, domain::YearMonth month, domain::Instant now,
                         const ServiceConfig& config, const std::string& actor,
                         const std::string& channel = "cli", const std::string& why = "");

// What the policy estimators learn from everyone at the close of `month`: the seasonal index
// over the months before it and, for `blend`, the model fitted on a sample of chains (earlier
// months only) with this month's signal from the customers who submitted in its window.
domain::Population learn_population(store::PeriodReads& store, domain::YearMonth month,
                                    const ServiceConfig& config);

// Evidence before switching estimation.method: for a closed month, the chains its close
// estimated whose readings now reach both ends of the month, each estimated again by every
// method from what the close knew (readings as of the month's end at the latest; the seasonal
// index and the blend's model learned from those alone) and compared with the volume the later
// readings show.
struct MethodEvidence {
  domain::EstimationMethod method{};
  int months = 0;  // chains estimated then and known now (10 kWh or more)
  double median_ape = 0, p90_ape = 0, mean_signed = 0, wape = 0;  // percent
};
struct MonthEvidence {
  domain::YearMonth month{};
  int estimated = 0;                    // chains the close estimated
  int known = 0;                        // ...whose month the readings now show
  std::vector<MethodEvidence> methods;  // regulatory, recent, seasonal, blend
};
MonthEvidence estimation_evidence(store::PeriodReads& store, domain::YearMonth month,
                                  const ServiceConfig& config);

// A closed month's stored summary for a list: its counts, and the gist of the blend's model
// (kept whole with the period) when it has one.
struct PeriodSummaryText {
  std::string counts, model;
};
PeriodSummaryText period_summary_text(const std::string& summary);

// The fitted model as stored with the period, and back.
nlohmann::ordered_json blend_model_json(const domain::BlendModel& model);

}  // namespace md::service
