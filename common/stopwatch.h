#pragma once
// Wall-clock seconds for the timing_s records of trials and tools.

#include <chrono>

namespace dffeval {

using SteadyClock = std::chrono::steady_clock;

/// Seconds elapsed since `t0` on the steady clock.
inline double seconds_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

}  // namespace dffeval
