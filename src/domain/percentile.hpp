// The p-quantile of a sample, linear between the two nearest values: the estimators' error
// summaries (the backtest, the evidence before switching methods).
#pragma once

#include <vector>

namespace md::domain {

double percentile(std::vector<double> values, double p);  // 0 for an empty sample

}  // namespace md::domain
