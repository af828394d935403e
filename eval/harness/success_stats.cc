#include "eval/harness/success_stats.h"

#include <algorithm>
#include <cmath>

namespace dffeval {

std::array<double, 2> wilson_interval_95(int successes, int trials) {
  if (trials <= 0) return {0.0, 1.0};
  const double z = 1.959963984540054;
  const double n = trials, p = static_cast<double>(successes) / n;
  const double denom = 1 + z * z / n;
  const double centre = (p + z * z / (2 * n)) / denom;
  const double half = z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom;
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

}  // namespace dffeval
