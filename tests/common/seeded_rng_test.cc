// SeededRng: the same seed gives the same numbers; the bulk normals
// (normal_pair) are standard normals, uncorrelated within and across pairs.

#include "common/seeded_rng.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace dffeval {
namespace {

TEST(SeededRng, SameSeedSameNumbers) {
  SeededRng a(42), b(42), c(43);
  double a0 = 0, a1 = 0, b0 = 0, b1 = 0, c0 = 0, c1 = 0;
  a.normal_pair(&a0, &a1);
  b.normal_pair(&b0, &b1);
  c.normal_pair(&c0, &c1);
  EXPECT_EQ(a0, b0);
  EXPECT_EQ(a1, b1);
  EXPECT_NE(a0, c0);
  EXPECT_EQ(a.normal(), b.normal());
}

TEST(SeededRng, NormalPairsAreStandardAndUncorrelated) {
  SeededRng rng(7);
  const int n = 200000;
  std::vector<double> x(2 * n);
  for (int i = 0; i < n; ++i) rng.normal_pair(&x[2 * i], &x[2 * i + 1]);
  double mean = 0, var = 0, within = 0, across = 0, fourth = 0;
  for (double v : x) mean += v;
  mean /= x.size();
  for (double v : x) {
    var += (v - mean) * (v - mean);
    fourth += std::pow(v - mean, 4);
  }
  var /= x.size();
  fourth /= x.size();
  for (int i = 0; i < n; ++i) within += x[2 * i] * x[2 * i + 1];
  for (int i = 0; i + 1 < n; ++i) across += x[2 * i + 1] * x[2 * i + 2];
  within /= n;
  across /= n - 1;
  // Standard errors here are about 0.0016 (mean), 0.003 (var), 0.002
  // (correlations) and 0.02 (fourth moment, 3 for a normal).
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(var, 1.0, 0.02);
  EXPECT_NEAR(within, 0.0, 0.015);
  EXPECT_NEAR(across, 0.0, 0.015);
  EXPECT_NEAR(fourth, 3.0, 0.1);
}

}  // namespace
}  // namespace dffeval
