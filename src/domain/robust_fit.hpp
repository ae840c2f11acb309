// Least-absolute-deviation regression: the weights that minimise Σ |y − w·x|. The median of the
// errors, not their mean, is what it makes zero, so a household that doubled its use or a month
// with a broken meter moves the weights no more than any other row.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace md::domain {

struct RobustFit {
  std::vector<double> weights;  // one per column; 0 for a column that never varies from 0
  int rows = 0;
  double median_abs_residual = 0;
};

struct FitFailure {
  std::string why;  // "too few rows (12 for 7 terms)", "singular", "not a number"
};

// Rows are `columns` wide, row-major. Iteratively reweighted least squares with weights
// 1/max(|r|, δ); a column that is 0 in every row keeps weight 0 (a term nobody has cannot be
// learned). Fails when there are fewer than 10 rows per term, the system is singular, or a
// weight is not finite.
std::optional<RobustFit> fit_least_absolute(const std::vector<double>& x,
                                            const std::vector<double>& y, int columns,
                                            FitFailure* failure = nullptr);

}  // namespace md::domain
