// cluster_centroids: separated blobs become separate clusters, largest first (ties by first
// point), with their exact centroids; min_points, max_clusters and link_distance_m; isolated
// points are noise; repeated calls agree.

#include "pipeline/cloud/cloud_clusters.h"

#include <gtest/gtest.h>

#include <vector>

namespace dffeval {
namespace {

// A block of n x n x n points 4 mm apart (well inside the 12 mm link distance) starting at
// `corner`; its centroid is corner + 2 mm (n - 1) on every axis.
std::vector<Eigen::Vector3f> block(int n, const Eigen::Vector3f& corner) {
  std::vector<Eigen::Vector3f> out;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      for (int k = 0; k < n; ++k) out.push_back(corner + 0.004f * Eigen::Vector3f(i, j, k));
  return out;
}

Eigen::Vector3d block_centre(int n, const Eigen::Vector3f& corner) {
  return corner.cast<double>() + Eigen::Vector3d::Constant(0.002 * (n - 1));
}

PointsF cloud_of(const std::vector<std::vector<Eigen::Vector3f>>& parts) {
  std::vector<Eigen::Vector3f> all;
  for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
  PointsF p(static_cast<Eigen::Index>(all.size()), 3);
  for (std::size_t i = 0; i < all.size(); ++i) p.row(static_cast<Eigen::Index>(i)) = all[i];
  return p;
}

void expect_near(const Eigen::Vector3d& a, const Eigen::Vector3d& b, const char* what) {
  EXPECT_LT((a - b).norm(), 1e-6) << what << ": " << a.transpose() << " vs " << b.transpose();
}

const Eigen::Vector3f kBigCorner(0.0f, 0.0f, 0.01f);     // 7^3 = 343 points
const Eigen::Vector3f kSmallCorner(0.2f, 0.05f, 0.01f);  // 5^3 = 125 points, 17 cm away

TEST(CloudClusters, TwoSeparatedBlobsGiveTwoClustersLargestFirst) {
  // The small blob comes first in the cloud: the order is by size, not by index.
  const PointsF p = cloud_of({block(5, kSmallCorner), block(7, kBigCorner)});
  const std::vector<Eigen::Vector3d> c = cluster_centroids(p, ClusterConfig{});
  ASSERT_EQ(c.size(), 2u);
  expect_near(c[0], block_centre(7, kBigCorner), "largest cluster");
  expect_near(c[1], block_centre(5, kSmallCorner), "second cluster");
}

TEST(CloudClusters, EqualSizesGoInTheOrderOfTheirFirstPoint) {
  const Eigen::Vector3f a(-0.1f, 0.0f, 0.0f), b(0.1f, 0.0f, 0.0f);
  const std::vector<Eigen::Vector3d> ab =
      cluster_centroids(cloud_of({block(5, a), block(5, b)}), ClusterConfig{});
  ASSERT_EQ(ab.size(), 2u);
  expect_near(ab[0], block_centre(5, a), "first of a, b");
  expect_near(ab[1], block_centre(5, b), "second of a, b");
  const std::vector<Eigen::Vector3d> ba =
      cluster_centroids(cloud_of({block(5, b), block(5, a)}), ClusterConfig{});
  ASSERT_EQ(ba.size(), 2u);
  expect_near(ba[0], block_centre(5, b), "first of b, a");
  expect_near(ba[1], block_centre(5, a), "second of b, a");
}

TEST(CloudClusters, MinPointsDropsSmallClusters) {
  const Eigen::Vector3f tiny_corner(-0.2f, -0.1f, 0.01f);  // 3^3 = 27 points
  const PointsF p = cloud_of({block(7, kBigCorner), block(3, tiny_corner), block(5, kSmallCorner)});
  ClusterConfig config;  // min_points 60: the 27-point blob is a sliver
  std::vector<Eigen::Vector3d> c = cluster_centroids(p, config);
  ASSERT_EQ(c.size(), 2u);
  expect_near(c[0], block_centre(7, kBigCorner), "default, first");
  expect_near(c[1], block_centre(5, kSmallCorner), "default, second");

  config.min_points = 27;  // inclusive: a cluster of exactly min_points stays
  c = cluster_centroids(p, config);
  ASSERT_EQ(c.size(), 3u);
  expect_near(c[2], block_centre(3, tiny_corner), "min_points 27, third");

  config.min_points = 126;
  c = cluster_centroids(p, config);
  ASSERT_EQ(c.size(), 1u);
  expect_near(c[0], block_centre(7, kBigCorner), "min_points 126");

  config.min_points = 344;
  EXPECT_TRUE(cluster_centroids(p, config).empty());
}

TEST(CloudClusters, MaxClustersKeepsTheLargest) {
  std::vector<std::vector<Eigen::Vector3f>> parts;
  // Blocks of 4^3 .. 8^3 points, 10 cm apart, smallest first.
  for (int n = 4; n <= 8; ++n) parts.push_back(block(n, Eigen::Vector3f(0.1f * n, 0.0f, 0.0f)));
  const PointsF p = cloud_of(parts);
  ClusterConfig config;
  config.min_points = 1;
  config.max_clusters = 3;
  const std::vector<Eigen::Vector3d> c = cluster_centroids(p, config);
  ASSERT_EQ(c.size(), 3u);
  for (int k = 0; k < 3; ++k) {
    const int n = 8 - k;
    expect_near(c[k], block_centre(n, Eigen::Vector3f(0.1f * n, 0.0f, 0.0f)), "kept");
  }
  config.max_clusters = 10;
  EXPECT_EQ(cluster_centroids(p, config).size(), 5u);
}

TEST(CloudClusters, LinkDistanceDecidesWhetherNearbyBlobsJoin) {
  // Two 5^3 blocks whose facing faces are 2 cm apart.
  const Eigen::Vector3f a(0.0f, 0.0f, 0.0f), b(0.036f, 0.0f, 0.0f);
  const PointsF p = cloud_of({block(5, a), block(5, b)});
  ClusterConfig config;
  EXPECT_EQ(cluster_centroids(p, config).size(), 2u);  // 1.2 cm links
  config.link_distance_m = 0.025;
  const std::vector<Eigen::Vector3d> joined = cluster_centroids(p, config);
  ASSERT_EQ(joined.size(), 1u);
  expect_near(joined[0], 0.5 * (block_centre(5, a) + block_centre(5, b)), "joined");
}

TEST(CloudClusters, IsolatedPointsAreNoiseAndDoNotMoveTheCentroids) {
  std::vector<Eigen::Vector3f> stray;
  for (int i = 0; i < 20; ++i) stray.emplace_back(-0.3f + 0.05f * i, 0.3f, 0.2f);  // 5 cm apart
  const PointsF p = cloud_of({stray, block(7, kBigCorner), block(5, kSmallCorner)});
  ClusterConfig config;
  config.min_points = 1;  // the stray points are dropped as noise, not for their count
  const std::vector<Eigen::Vector3d> c = cluster_centroids(p, config);
  ASSERT_EQ(c.size(), 2u);
  expect_near(c[0], block_centre(7, kBigCorner), "first");
  expect_near(c[1], block_centre(5, kSmallCorner), "second");
}

TEST(CloudClusters, RepeatedCallsAgreeBitForBit) {
  const PointsF p = cloud_of({block(6, kBigCorner), block(5, kSmallCorner)});
  const std::vector<Eigen::Vector3d> first = cluster_centroids(p, ClusterConfig{});
  const std::vector<Eigen::Vector3d> second = cluster_centroids(p, ClusterConfig{});
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(second.size(), 2u);
  for (int k = 0; k < 2; ++k) EXPECT_EQ(first[k], second[k]);  // deterministic, bit for bit
}

}  // namespace
}  // namespace dffeval
