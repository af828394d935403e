// PenetrationCloud: candidates() holds every point within the radius (against brute force),
// each once and none farther than the sphere's box widened by a cell; it appends; an empty or
// default cloud has none; a cell size that is not > 0 throws.

#include "pipeline/grasp/penetration_cloud.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace dffeval {
namespace {

using Eigen::Vector3d;

// A mug-sized shell (radius 4 cm) on a 12 cm patch of table, like a target cloud.
std::vector<Vector3d> target_cloud(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::uniform_real_distribution<double> u(-0.06, 0.06);
  std::vector<Vector3d> p;
  for (int i = 0; i < n; ++i) {
    if (i % 3 == 0) {
      p.emplace_back(u(rng), u(rng), 0.001 * g(rng));
    } else {
      p.push_back(Vector3d(0.01, -0.02, 0.05) +
                  0.04 * Vector3d(g(rng), g(rng), g(rng)).normalized());
    }
  }
  return p;
}

std::vector<int> brute_within(const std::vector<Vector3d>& p, const Vector3d& c, double r) {
  std::vector<int> out;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if ((p[i] - c).norm() <= r) out.push_back(static_cast<int>(i));
  }
  return out;
}

void check_candidates(const PenetrationCloud& cloud, double cell, std::uint64_t seed) {
  const std::vector<Vector3d>& p = cloud.points();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> centre(-0.12, 0.12), radius(0.0, 0.04);
  std::size_t found_total = 0, candidates_total = 0;
  for (int q = 0; q < 400; ++q) {
    const Vector3d c(centre(rng), centre(rng), 0.05 + centre(rng));
    const double r = q % 10 == 0 ? 0.0 : radius(rng);
    std::vector<int> out = {-7};  // appended to, not replaced
    cloud.candidates(c, r, &out);
    ASSERT_FALSE(out.empty());
    ASSERT_EQ(out.front(), -7) << "query " << q;
    std::vector<int> cand(out.begin() + 1, out.end());
    std::sort(cand.begin(), cand.end());
    ASSERT_EQ(std::adjacent_find(cand.begin(), cand.end()), cand.end()) << "a point twice";
    for (const int i : cand) {
      ASSERT_GE(i, 0);
      ASSERT_LT(i, static_cast<int>(p.size()));
      // Only the cells the sphere's bounding box overlaps: within a cell of that box.
      for (int a = 0; a < 3; ++a) {
        ASSERT_LE(std::abs(p[i][a] - c[a]), r + cell * (1 + 1e-9)) << "point " << i;
      }
    }
    const std::vector<int> inside = brute_within(p, c, r);
    for (const int i : inside) {
      ASSERT_TRUE(std::binary_search(cand.begin(), cand.end(), i))
          << "query " << q << ": point " << i << " at " << (p[i] - c).norm() << " m of radius " << r
          << " m missing";
    }
    found_total += inside.size();
    candidates_total += cand.size();
  }
  // The queries did find points, and the grid did its job: far fewer candidates than the
  // 400 x N a scan of every point would test.
  EXPECT_GT(found_total, 1000u);
  EXPECT_LT(candidates_total, 400 * p.size() / 10);
}

TEST(PenetrationCloud, CandidatesHoldEveryPointWithinTheRadius) {
  const std::vector<Vector3d> p = target_cloud(3000, 1);
  const PenetrationCloud cloud(p);  // 1 cm cells
  ASSERT_EQ(cloud.points().size(), p.size());
  for (std::size_t i = 0; i < p.size(); ++i) ASSERT_EQ(cloud.points()[i], p[i]);
  check_candidates(cloud, 0.01, 2);
}

TEST(PenetrationCloud, AnyCellSizeGivesASuperset) {
  const std::vector<Vector3d> p = target_cloud(2000, 3);
  // Cells much finer than the radii, near them, and coarser than the whole cloud.
  for (const double cell : {0.002, 0.007, 0.03}) {
    SCOPED_TRACE(cell);
    check_candidates(PenetrationCloud(p, cell), cell, 4);
  }
  // One cell: every point is a candidate of a sphere that reaches the cloud's box.
  const PenetrationCloud coarse(p, 1.0);
  std::vector<int> out;
  coarse.candidates(Vector3d(0.0, 0.0, 0.05), 0.001, &out);
  EXPECT_EQ(out.size(), p.size());
}

TEST(PenetrationCloud, PointsOnTheGridsEdgesAndASinglePoint) {
  // The box's corners are points too: the top cells hold the highest points.
  const std::vector<Vector3d> corners = {
      {0, 0, 0}, {0.05, 0, 0}, {0, 0.05, 0}, {0, 0, 0.05}, {0.05, 0.05, 0.05}};
  const PenetrationCloud cloud(corners, 0.01);
  for (std::size_t i = 0; i < corners.size(); ++i) {
    std::vector<int> out;
    cloud.candidates(corners[i], 0.001, &out);
    EXPECT_NE(std::find(out.begin(), out.end(), static_cast<int>(i)), out.end()) << i;
    EXPECT_EQ(out.size(), 1u) << "corner " << i << " has its own cell";
  }
  const PenetrationCloud one({Vector3d(0.1, 0.2, 0.3)});
  std::vector<int> out;
  one.candidates(Vector3d(0.1, 0.2, 0.3), 0.0, &out);
  EXPECT_EQ(out, std::vector<int>{0});
  out.clear();
  one.candidates(Vector3d(0.1, 0.2, 0.35), 0.02, &out);  // beyond the grid
  EXPECT_TRUE(out.empty());
}

TEST(PenetrationCloud, EmptyCloudHasNoCandidates) {
  for (const PenetrationCloud& cloud : {PenetrationCloud(), PenetrationCloud({}, 0.005)}) {
    EXPECT_TRUE(cloud.points().empty());
    std::vector<int> out = {3};
    cloud.candidates(Vector3d::Zero(), 1.0, &out);
    EXPECT_EQ(out, std::vector<int>{3});
  }
}

TEST(PenetrationCloud, CellSizeMustBePositive) {
  const std::vector<Vector3d> p = target_cloud(10, 5);
  EXPECT_THROW(PenetrationCloud(p, 0.0), std::invalid_argument);
  EXPECT_THROW(PenetrationCloud(p, -0.01), std::invalid_argument);
  EXPECT_THROW(PenetrationCloud(p, std::numeric_limits<double>::quiet_NaN()),
               std::invalid_argument);
  // Checked before anything else: an empty cloud with a bad cell throws too.
  EXPECT_THROW(PenetrationCloud({}, 0.0), std::invalid_argument);
}

}  // namespace
}  // namespace dffeval
