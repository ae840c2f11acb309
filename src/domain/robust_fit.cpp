#include "domain/robust_fit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Dense>

namespace md::domain {

std::optional<RobustFit> fit_least_absolute(const std::vector<double>& x,
                                            const std::vector<double>& y, int columns,
                                            FitFailure* failure) {
  auto fail = [&](std::string why) -> std::optional<RobustFit> {
    if (failure) failure->why = std::move(why);
    return std::nullopt;
  };
  const auto n = static_cast<Eigen::Index>(y.size());
  if (columns <= 0 || static_cast<std::size_t>(n) * static_cast<std::size_t>(columns) != x.size())
    return fail("rows and terms do not match");
  // Only the columns somebody has take part.
  std::vector<int> used;
  for (int c = 0; c < columns; ++c) {
    for (Eigen::Index i = 0; i < n; ++i) {
      if (x[static_cast<std::size_t>(i * columns + c)] != 0.0) {
        used.push_back(c);
        break;
      }
    }
  }
  const auto k = static_cast<Eigen::Index>(used.size());
  if (k == 0 || n < 10 * k)
    return fail("too few rows (" + std::to_string(n) + " for " + std::to_string(k) + " terms)");
  Eigen::MatrixXd a(n, k);
  Eigen::VectorXd b(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < k; ++j)
      a(i, j) = x[static_cast<std::size_t>(i * columns + used[static_cast<std::size_t>(j)])];
    b(i) = y[static_cast<std::size_t>(i)];
  }
  if (!a.allFinite() || !b.allFinite()) return fail("not a number in the rows");

  // Start from least squares, then reweight towards least absolute deviations.
  Eigen::VectorXd w = Eigen::VectorXd::Ones(n);
  Eigen::VectorXd beta;
  constexpr double kDelta = 1e-4;  // residuals below this count as this: no division by zero
  double previous = std::numeric_limits<double>::infinity();
  for (int iteration = 0; iteration < 60; ++iteration) {
    Eigen::MatrixXd normal = a.transpose() * w.asDiagonal() * a;
    Eigen::VectorXd rhs = a.transpose() * w.asDiagonal() * b;
    Eigen::LDLT<Eigen::MatrixXd> ldlt(normal);
    if (ldlt.info() != Eigen::Success || !ldlt.isPositive()) return fail("singular");
    // A column that is a combination of others makes a pivot vanish: not a model worth keeping.
    Eigen::VectorXd d = ldlt.vectorD();
    if (d.minCoeff() <= 1e-10 * std::max(1.0, d.maxCoeff())) return fail("singular");
    beta = ldlt.solve(rhs);
    if (!beta.allFinite()) return fail("not a number in the weights");
    Eigen::VectorXd r = (b - a * beta).cwiseAbs();
    double total = r.sum();
    for (Eigen::Index i = 0; i < n; ++i) w(i) = 1.0 / std::max(r(i), kDelta);
    if (std::abs(previous - total) <= 1e-7 * std::max(1.0, total)) break;
    previous = total;
  }
  RobustFit fit;
  fit.rows = static_cast<int>(n);
  fit.weights.assign(static_cast<std::size_t>(columns), 0.0);
  for (Eigen::Index j = 0; j < k; ++j)
    fit.weights[static_cast<std::size_t>(used[static_cast<std::size_t>(j)])] = beta(j);
  std::vector<double> residuals(static_cast<std::size_t>(n));
  Eigen::VectorXd r = (b - a * beta).cwiseAbs();
  for (Eigen::Index i = 0; i < n; ++i) residuals[static_cast<std::size_t>(i)] = r(i);
  auto mid = residuals.begin() + static_cast<std::ptrdiff_t>(residuals.size() / 2);
  std::nth_element(residuals.begin(), mid, residuals.end());
  fit.median_abs_residual = *mid;
  return fit;
}

}  // namespace md::domain
