// NearestPoints against brute force on random clouds: query(), nearest() (k nearest, sorted,
// min(k, N)), nearest_within() (strictly inside the radius), within() (every point in the
// radius), leaf sizes, concurrent queries, and the rejected empty cloud.

#include "pipeline/cloud/nearest_points.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace dffeval {
namespace {

// Points in a 10 cm box, denser near its centre, so that queries meet both crowded and
// empty neighbourhoods.
PointsF random_cloud(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-0.05f, 0.05f);
  std::normal_distribution<float> g(0.0f, 0.01f);
  PointsF p(n, 3);
  for (int i = 0; i < n; ++i) {
    if (i % 2 == 0) {
      p.row(i) << u(rng), u(rng), u(rng);
    } else {
      p.row(i) << g(rng), g(rng), g(rng);
    }
  }
  return p;
}

// Queries inside the box and up to 5 cm outside it.
PointsF random_queries(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-0.1f, 0.1f);
  PointsF q(n, 3);
  for (int i = 0; i < n; ++i) q.row(i) << u(rng), u(rng), u(rng);
  return q;
}

double dist2(const PointsF& cloud, Eigen::Index i, const float* p) {
  double s = 0;
  for (int c = 0; c < 3; ++c) {
    const double d = static_cast<double>(cloud(i, c)) - p[c];
    s += d * d;
  }
  return s;
}

// Squared distances (double) of every cloud point to p, with their indices, nearest first.
std::vector<std::pair<double, std::uint32_t>> brute_sorted(const PointsF& cloud, const float* p) {
  std::vector<std::pair<double, std::uint32_t>> all;
  for (Eigen::Index i = 0; i < cloud.rows(); ++i) {
    all.emplace_back(dist2(cloud, i, p), static_cast<std::uint32_t>(i));
  }
  std::sort(all.begin(), all.end());
  return all;
}

// Float rounding of squared distances of up to ~0.05 m^2.
constexpr double kTol = 1e-8;

TEST(NearestPoints, RejectsAnEmptyCloudAndAZeroLeafSize) {
  EXPECT_THROW(NearestPoints(PointsF(0, 3)), std::invalid_argument);
  EXPECT_THROW(NearestPoints(random_cloud(10, 1), 0), std::invalid_argument);
}

TEST(NearestPoints, KeepsTheCloud) {
  const PointsF cloud = random_cloud(100, 2);
  const NearestPoints tree(cloud);
  EXPECT_EQ(tree.points(), cloud);
}

TEST(NearestPoints, QueryFindsTheBruteForceNearestPoint) {
  const PointsF cloud = random_cloud(3000, 3);
  const NearestPoints tree(cloud);
  const PointsF q = random_queries(1000, 4);
  const std::vector<std::int64_t> nearest = tree.query(q);
  ASSERT_EQ(nearest.size(), 1000u);
  for (Eigen::Index r = 0; r < q.rows(); ++r) {
    const float* p = q.row(r).data();
    const auto brute = brute_sorted(cloud, p);
    const std::int64_t i = nearest[static_cast<std::size_t>(r)];
    ASSERT_GE(i, 0);
    ASSERT_LT(i, cloud.rows());
    // The same point, or one at the same distance to float precision.
    ASSERT_NEAR(dist2(cloud, i, p), brute[0].first, kTol) << "query " << r;
  }
  // Queries exactly on cloud points find those points.
  const std::vector<std::int64_t> self = tree.query(cloud.topRows(200));
  for (Eigen::Index i = 0; i < 200; ++i) EXPECT_EQ(self[static_cast<std::size_t>(i)], i);
}

TEST(NearestPoints, NearestReturnsTheKNearestSortedWithTheirSquaredDistances) {
  const PointsF cloud = random_cloud(2000, 5);
  const NearestPoints tree(cloud);
  const PointsF q = random_queries(400, 6);
  for (const int k : {1, 5, 16}) {
    std::vector<std::uint32_t> index(k);
    std::vector<float> d2(k);
    for (Eigen::Index r = 0; r < q.rows(); ++r) {
      const float* p = q.row(r).data();
      ASSERT_EQ(tree.nearest(p, k, index.data(), d2.data()), k);
      const auto brute = brute_sorted(cloud, p);
      for (int j = 0; j < k; ++j) {
        ASSERT_NEAR(d2[j], brute[j].first, kTol) << "k " << k << " query " << r << " #" << j;
        // The distance reported is that of the point reported.
        ASSERT_NEAR(d2[j], dist2(cloud, index[j], p), kTol);
        if (j > 0) {
          ASSERT_LE(d2[j - 1], d2[j]);
        }
      }
      std::vector<std::uint32_t> unique(index);
      std::sort(unique.begin(), unique.end());
      ASSERT_EQ(std::unique(unique.begin(), unique.end()), unique.end());
    }
  }
}

TEST(NearestPoints, NearestOfASmallCloudReturnsEveryPoint) {
  const PointsF cloud = random_cloud(5, 7);
  const NearestPoints tree(cloud);
  std::vector<std::uint32_t> index(8, 99);
  std::vector<float> d2(8);
  const float p[3] = {0.0f, 0.0f, 0.0f};
  ASSERT_EQ(tree.nearest(p, 8, index.data(), d2.data()), 5);
  std::vector<std::uint32_t> found(index.begin(), index.begin() + 5);
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, (std::vector<std::uint32_t>{0, 1, 2, 3, 4}));
}

TEST(NearestPoints, NearestWithinStopsAtTheRadius) {
  const PointsF cloud = random_cloud(2000, 8);
  const NearestPoints tree(cloud);
  const PointsF q = random_queries(600, 9);
  const int k = 8;
  std::vector<std::uint32_t> index(k);
  std::vector<float> d2(k);
  int none = 0, some = 0, full = 0;
  for (const double radius : {0.003, 0.01, 0.03}) {
    const double r2 = radius * radius;
    for (Eigen::Index r = 0; r < q.rows(); ++r) {
      const float* p = q.row(r).data();
      const auto brute = brute_sorted(cloud, p);
      // Points clearly inside, then those within float rounding of the radius, which may go
      // either way.
      int inside = 0;
      while (inside < static_cast<int>(brute.size()) && brute[inside].first < r2 - kTol) {
        ++inside;
      }
      int ambiguous = 0;
      while (inside + ambiguous < static_cast<int>(brute.size()) &&
             brute[inside + ambiguous].first < r2 + kTol) {
        ++ambiguous;
      }
      const int n = tree.nearest_within(p, k, static_cast<float>(r2), index.data(), d2.data());
      ASSERT_GE(n, std::min(k, inside)) << "radius " << radius << " query " << r;
      ASSERT_LE(n, std::min(k, inside + ambiguous)) << "radius " << radius << " query " << r;
      for (int j = 0; j < n; ++j) {
        ASSERT_LT(d2[j], static_cast<float>(r2));
        ASSERT_NEAR(d2[j], brute[j].first, kTol) << "radius " << radius << " query " << r;
        ASSERT_NEAR(d2[j], dist2(cloud, index[j], p), kTol);
      }
      none += n == 0;
      some += n > 0 && n < k;
      full += n == k;
    }
  }
  // The radii were chosen so that every case occurs.
  EXPECT_GT(none, 50);
  EXPECT_GT(some, 50);
  EXPECT_GT(full, 50);
  // k < 1 finds nothing.
  EXPECT_EQ(tree.nearest_within(q.row(0).data(), 0, 1.0f, index.data(), d2.data()), 0);
}

TEST(NearestPoints, WithinFindsEveryPointInTheRadius) {
  const PointsF cloud = random_cloud(2000, 10);
  const NearestPoints tree(cloud);
  const PointsF q = random_queries(300, 11);
  std::vector<std::pair<std::uint32_t, float>> hits;
  std::size_t total = 0;
  for (const double radius : {0.005, 0.02}) {
    const double r2 = radius * radius;
    for (Eigen::Index r = 0; r < q.rows(); ++r) {
      const float* p = q.row(r).data();
      hits.assign(3, {12345u, -1.0f});  // cleared first
      tree.within(p, static_cast<float>(r2), &hits);
      std::vector<std::uint32_t> found;
      for (const auto& [i, d] : hits) {
        ASSERT_LT(i, static_cast<std::uint32_t>(cloud.rows()));
        ASSERT_NEAR(d, dist2(cloud, i, p), kTol);
        ASSERT_LE(d, r2 + kTol);
        found.push_back(i);
      }
      std::sort(found.begin(), found.end());
      ASSERT_EQ(std::unique(found.begin(), found.end()), found.end()) << "query " << r;
      // Every point clearly inside the radius is there.
      for (Eigen::Index i = 0; i < cloud.rows(); ++i) {
        if (dist2(cloud, i, p) < r2 - kTol) {
          ASSERT_TRUE(std::binary_search(found.begin(), found.end(), static_cast<std::uint32_t>(i)))
              << "radius " << radius << " query " << r << " point " << i;
        }
      }
      total += found.size();
    }
  }
  EXPECT_GT(total, 1000u);
}

TEST(NearestPoints, LeafSizeDoesNotChangeTheAnswers) {
  const PointsF cloud = random_cloud(1500, 12);
  const PointsF q = random_queries(500, 13);
  const std::vector<std::int64_t> reference = NearestPoints(cloud).query(q);
  for (const std::size_t leaf :
       {std::size_t{1}, std::size_t{3}, std::size_t{64}, std::size_t{5000}}) {
    EXPECT_EQ(NearestPoints(cloud, leaf).query(q), reference) << "leaf size " << leaf;
  }
}

TEST(NearestPoints, ConcurrentQueriesAgree) {
  const PointsF cloud = random_cloud(3000, 14);
  const NearestPoints tree(cloud);
  const PointsF q = random_queries(2000, 15);
  const std::vector<std::int64_t> reference = tree.query(q);
  std::vector<std::vector<std::int64_t>> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&, t] { results[t] = tree.query(q); });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(results[t], reference) << "thread " << t;
}

}  // namespace
}  // namespace dffeval
