// CloudDistanceGrid: interpolated distances against brute force, gradients
// against finite differences, continuity, the "past far_m" answer, lazy
// nodes, and bad settings.

#include "pipeline/cloud/cloud_distance_grid.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>
#include <stdexcept>

#include "pipeline/cloud/nearest_points.h"

namespace dffeval {
namespace {

// A bowl-like cloud: a half sphere shell of radius 6 cm (2 to 3 mm spacing)
// with its rim, where the distance has kinks inside.
PointsF bowl_cloud(int n) {
  PointsF p(n, 3);
  for (int i = 0; i < n; ++i) {
    const double z = -(i + 0.5) / n;  // lower half only
    const double r = std::sqrt(1.0 - z * z);
    const double phi = i * 2.399963229728653;
    p.row(i) << static_cast<float>(0.06 * r * std::cos(phi)),
        static_cast<float>(0.06 * r * std::sin(phi)), static_cast<float>(0.06 * z + 0.1);
  }
  return p;
}

double brute_distance(const PointsF& cloud, const Eigen::RowVector3f& q) {
  return std::sqrt(static_cast<double>((cloud.rowwise() - q).rowwise().squaredNorm().minCoeff()));
}

// Queries around the cloud, 0 to 5 cm off its points.
PointsF queries(const PointsF& cloud, int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> gauss(0.f, 1.f);
  std::uniform_int_distribution<int> pick(0, static_cast<int>(cloud.rows()) - 1);
  std::uniform_real_distribution<float> off(0.f, 0.05f);
  PointsF q(n, 3);
  for (int i = 0; i < n; ++i) {
    Eigen::RowVector3f dir(gauss(rng), gauss(rng), gauss(rng));
    q.row(i) = cloud.row(pick(rng)) + off(rng) * dir.normalized();
  }
  return q;
}

TEST(CloudDistanceGrid, CloseToTheExactDistanceBetween1And3cm) {
  const PointsF cloud = bowl_cloud(3000);
  const NearestPoints tree(cloud);
  const CloudDistanceGrid grid(tree);  // 4 mm nodes, far_m 3 cm
  const PointsF q = queries(cloud, 4000, 1);
  double worst = 0, sum = 0;
  int in_band = 0, past = 0;
  for (Eigen::Index i = 0; i < q.rows(); ++i) {
    const double exact = brute_distance(cloud, q.row(i));
    double d = 0, g[3];
    const bool within = grid.distance(q.row(i).data(), &d, g);
    if (exact > 0.031) {
      EXPECT_FALSE(within) << "query " << i << " exact " << exact << " interpolated " << d;
      ++past;
      continue;
    }
    if (exact < 0.01) continue;
    if (exact < 0.029) {
      ASSERT_TRUE(within) << "query " << i << " exact " << exact;
    }
    if (!within) continue;
    const double e = std::abs(d - exact);
    worst = std::max(worst, e);
    sum += e;
    ++in_band;
  }
  std::cout << "[ measured ] interpolated vs exact distance, 1 to 3 cm off a bowl: mean "
            << 1e3 * sum / in_band << " mm, max " << 1e3 * worst << " mm over " << in_band
            << " queries\n";
  EXPECT_GT(in_band, 1000);
  EXPECT_GT(past, 100);
  EXPECT_LT(sum / in_band, 1e-4);
  EXPECT_LT(worst, 6e-4);
  // Lazy: only nodes near the queries were computed.
  EXPECT_GT(grid.computed_nodes(), 100u);
}

TEST(CloudDistanceGrid, GradientIsTheInterpolantsAndUnitLengthAwayFromKinks) {
  const PointsF cloud = bowl_cloud(3000);
  const NearestPoints tree(cloud);
  const CloudDistanceGrid grid(tree);
  const PointsF q = queries(cloud, 500, 2);
  const double h = 1e-4;  // metres, well inside a 4 mm cube most of the time
  int checked = 0, skipped = 0, points = 0;
  double norm_sum = 0;
  for (Eigen::Index i = 0; i < q.rows(); ++i) {
    double d = 0, g[3];
    if (!grid.distance(q.row(i).data(), &d, g) || d < 0.01 || d > 0.028) continue;
    for (int c = 0; c < 3; ++c) {
      Eigen::RowVector3f xp = q.row(i), xm = q.row(i);
      xp[c] += static_cast<float>(h);
      xm[c] -= static_cast<float>(h);
      double dp = 0, dm = 0;
      ASSERT_TRUE(grid.distance(xp.data(), &dp, nullptr));
      ASSERT_TRUE(grid.distance(xm.data(), &dm, nullptr));
      // Within a cube the interpolant is linear along each axis, so both
      // one-sided differences equal the derivative; where they differ the
      // step crossed a cube face (the slope changes there) and is skipped.
      const double forward = (dp - d) / (static_cast<double>(xp[c]) - q(i, c));
      const double backward = (d - dm) / (q(i, c) - static_cast<double>(xm[c]));
      if (std::abs(forward - backward) > 1e-3) {
        ++skipped;
        continue;
      }
      EXPECT_NEAR(forward, g[c], 2e-3) << "query " << i << " axis " << c;
      ++checked;
    }
    norm_sum += std::sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
    ++points;
  }
  EXPECT_GT(checked, 300);
  EXPECT_LT(skipped, checked / 5);
  // A distance function has unit gradient almost everywhere; interpolation
  // across kinks shortens it a little.
  EXPECT_NEAR(norm_sum / points, 1.0, 0.08);
}

TEST(CloudDistanceGrid, ContinuousAlongAWalk) {
  const PointsF cloud = bowl_cloud(2000);
  const NearestPoints tree(cloud);
  const CloudDistanceGrid grid(tree);
  // Straight up from below the bowl's bottom through the cloud's side.
  double previous = -1;
  const double step = 2e-5;
  for (int s = 0; s < 2000; ++s) {
    const float p[3] = {static_cast<float>(-0.05 + s * step), 0.01f, 0.02f};
    double d = 0;
    if (!grid.distance(p, &d, nullptr)) {
      previous = -1;
      continue;
    }
    if (previous >= 0) {
      EXPECT_LT(std::abs(d - previous), 2.0 * step) << "step " << s;
    }
    previous = d;
  }
}

TEST(CloudDistanceGrid, FarAndNonFiniteQueriesArePastFar) {
  const PointsF cloud = bowl_cloud(500);
  const NearestPoints tree(cloud);
  const CloudDistanceGrid grid(tree);
  double d = 123;
  const float far[3] = {0.5f, 0.f, 0.1f};
  const float nan[3] = {std::nanf(""), 0.f, 0.f};
  EXPECT_FALSE(grid.distance(far, &d, nullptr));
  EXPECT_FALSE(grid.distance(nan, &d, nullptr));
  EXPECT_EQ(d, 123);  // untouched
  EXPECT_EQ(grid.computed_nodes(), 0u);
}

TEST(CloudDistanceGrid, RejectsBadSettings) {
  const PointsF cloud = bowl_cloud(100);
  const NearestPoints tree(cloud);
  CloudDistanceGridConfig c;
  c.spacing_m = 0;
  EXPECT_THROW(CloudDistanceGrid(tree, c), std::invalid_argument);
  c = {};
  c.far_m = -1;
  EXPECT_THROW(CloudDistanceGrid(tree, c), std::invalid_argument);
  c = {};
  c.max_nodes = 4;
  EXPECT_THROW(CloudDistanceGrid(tree, c), std::invalid_argument);
}

}  // namespace
}  // namespace dffeval
