// Robust baselines for "how unusual is this value": median and MAD over normal observations.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace augur::normalize {

struct RobustBaseline {
  double median = 0;
  double mad = 0;  // median absolute deviation, scaled by 1.4826 to match a normal sigma
  double min = 0;
  double max = 0;
  size_t n = 0;

  static RobustBaseline Fit(std::vector<double> values) {
    RobustBaseline b;
    b.n = values.size();
    if (values.empty()) return b;
    auto mid = values.begin() + values.size() / 2;
    std::nth_element(values.begin(), mid, values.end());
    b.median = *mid;
    b.min = *std::min_element(values.begin(), values.end());
    b.max = *std::max_element(values.begin(), values.end());
    for (double& v : values) v = std::fabs(v - b.median);
    std::nth_element(values.begin(), mid, values.end());
    b.mad = 1.4826 * *mid;
    return b;
  }

  // Robust z-score. The scale never falls below a floor so flat series do not explode on tiny
  // noise: a tenth of the normal range, 5 % of the median, or `abs_floor`.
  double Z(double x, double abs_floor = 1e-9) const {
    double scale = std::max({mad, 0.1 * (max - min), 0.05 * std::fabs(median), abs_floor});
    return (x - median) / scale;
  }
};

}  // namespace augur::normalize

namespace augur::normalize {

// How far a window's share k/n of some kind of record (errors, slow spans, unseen log patterns)
// lies above its normal share p0, in standard errors of a binomial with an over-dispersion floor:
// real systems vary more between windows than coin flips do, so the share's noise never falls below
// `floor` (absolute), however many records the window has.
inline double ShareZ(double k, double n, double p0, double floor = 0.02) {
  if (n <= 0) return 0;
  p0 = std::clamp(p0, 1e-6, 1 - 1e-6);
  return (k / n - p0) / std::sqrt(p0 * (1 - p0) / n + floor * floor);
}

}  // namespace augur::normalize
