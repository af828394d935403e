#pragma once
// Success-rate statistics for result tables.

#include <array>

namespace dffeval {

/// 95% Wilson score interval [low, high] for `successes` out of `trials`
/// (z = 1.959964). Returns [0, 1] for zero trials.
std::array<double, 2> wilson_interval_95(int successes, int trials);

}  // namespace dffeval
