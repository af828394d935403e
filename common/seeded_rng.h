#pragma once
// Deterministic randomness. There is no global RNG: every random draw comes
// from a SeededRng whose seed is derived from (parent seed, label), so a
// trial's draws do not depend on thread count, order or sharding. The
// generator and the distributions are written here (not <random>'s
// distributions, whose output differs between standard libraries).

#include <cstdint>
#include <string_view>

namespace dffeval {

/// Mixes a parent seed with a label (e.g. a trial id) into a child seed.
std::uint64_t derive_seed(std::uint64_t parent, std::string_view label);

/// SplitMix64-seeded xoshiro256** generator with portable distributions.
class SeededRng {
 public:
  explicit SeededRng(std::uint64_t seed);
  std::uint64_t next_u64();
  /// Uniform in [0, 1).
  double uniform();
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi);
  /// Uniform integer in [lo, hi] (inclusive).
  int uniform_int(int lo, int hi);
  /// Standard normal (Box-Muller).
  double normal();
  double normal(double mean, double stddev) { return mean + stddev * normal(); }
  /// Two independent standard normals from one Box-Muller draw (its cosine
  /// and sine halves): half the cost per number of normal(), for bulk use.
  void normal_pair(double* first, double* second);

 private:
  std::uint64_t s_[4];
};

}  // namespace dffeval
