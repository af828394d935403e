// KnnCellCache must return exactly what the KD-tree returns: the same points,
// in the same order, with the same float distances.

#include "pipeline/cloud/knn_cell_cache.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "pipeline/cloud/nearest_points.h"

namespace dffeval {
namespace {

// A mug-sized sphere shell (radius 4 cm, 1.5 mm noise) standing on a patch
// of table: 2 to 3 mm spacing like a rendered cloud.
PointsF surface_cloud(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> gauss(0.f, 1.f);
  std::uniform_real_distribution<float> uni(-0.08f, 0.08f);
  PointsF p(n, 3);
  for (int i = 0; i < n; ++i) {
    if (i % 4 == 0) {
      p.row(i) << uni(rng), uni(rng), 0.001f * gauss(rng);
    } else {
      Eigen::Vector3f d(gauss(rng), gauss(rng), gauss(rng));
      d.normalize();
      p.row(i) = (0.04f * d + Eigen::Vector3f(0, 0, 0.05f) +
                  0.0015f * Eigen::Vector3f(gauss(rng), gauss(rng), gauss(rng)))
                     .transpose();
    }
  }
  return p;
}

// Queries like the optimizer's: points near the surface, revisited with
// millimetre jitter, plus some far away and some outside the grid.
PointsF queries(const PointsF& cloud, int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> gauss(0.f, 1.f);
  std::uniform_int_distribution<int> pick(0, static_cast<int>(cloud.rows()) - 1);
  PointsF q(n, 3);
  for (int i = 0; i < n; ++i) {
    const float scale = i % 10 == 0 ? 0.05f : (i % 10 == 1 ? 0.3f : 0.004f);
    q.row(i) =
        cloud.row(pick(rng)) + scale * Eigen::RowVector3f(gauss(rng), gauss(rng), gauss(rng));
  }
  return q;
}

void expect_same_as_tree(const NearestPoints& tree, const KnnCellCache& cache, const PointsF& q) {
  const int k = cache.k();
  std::vector<std::uint32_t> ti(k), ci(k);
  std::vector<float> td(k), cd(k);
  for (Eigen::Index r = 0; r < q.rows(); ++r) {
    const float p[3] = {q(r, 0), q(r, 1), q(r, 2)};
    const int tn = tree.nearest(p, k, ti.data(), td.data());
    const int cn = cache.nearest(p, ci.data(), cd.data());
    ASSERT_EQ(tn, cn) << "query " << r;
    for (int j = 0; j < tn; ++j) {
      ASSERT_EQ(ti[j], ci[j]) << "query " << r << " neighbour " << j;
      ASSERT_EQ(td[j], cd[j]) << "query " << r << " neighbour " << j;
    }
  }
}

TEST(KnnCellCache, SameNeighboursAsTheKdTree) {
  const PointsF cloud = surface_cloud(5000, 3);
  const NearestPoints tree(cloud, 20);
  const KnnCellCache cache(tree, 9);
  const PointsF q = queries(cloud, 20000, 4);
  // Twice: first pass fills the cells, the second is answered from them.
  expect_same_as_tree(tree, cache, q);
  expect_same_as_tree(tree, cache, q);
  EXPECT_GT(cache.filled_cells(), 1000u);
  // The far queries (tens of cm off) are handed to the tree.
  EXPECT_GT(cache.tree_cells(), 0u);
}

TEST(KnnCellCache, CoarseCellsAndShortListsStayExact) {
  // Large cells make long lists; a small max_candidates sends many cells to
  // the tree. Both must still be exact.
  const PointsF cloud = surface_cloud(3000, 5);
  const NearestPoints tree(cloud);
  KnnCellCacheConfig config;
  config.cell_m = 0.012f;
  config.max_candidates = 40;
  const KnnCellCache cache(tree, 5, config);
  const PointsF q = queries(cloud, 5000, 6);
  expect_same_as_tree(tree, cache, q);
  EXPECT_GT(cache.filled_cells(), 0u);
  EXPECT_GT(cache.tree_cells(), 0u);
}

TEST(KnnCellCache, FullPoolFallsBackToTheTree) {
  const PointsF cloud = surface_cloud(2000, 7);
  const NearestPoints tree(cloud);
  KnnCellCacheConfig config;
  config.pool_entries = 500;  // room for a few lists only
  const KnnCellCache cache(tree, 9, config);
  expect_same_as_tree(tree, cache, queries(cloud, 5000, 8));
  EXPECT_LT(cache.filled_cells(), 50u);
}

TEST(KnnCellCache, DuplicatePointsGiveTheSameDistances) {
  // Exact ties: every point twice. The tie order may differ from the tree's,
  // the distances may not.
  PointsF cloud = surface_cloud(1500, 9);
  PointsF twice(3000, 3);
  twice << cloud, cloud;
  const NearestPoints tree(twice);
  const KnnCellCache cache(tree, 6);
  const PointsF q = queries(cloud, 3000, 10);
  std::vector<std::uint32_t> ti(6), ci(6);
  std::vector<float> td(6), cd(6);
  for (Eigen::Index r = 0; r < q.rows(); ++r) {
    const float p[3] = {q(r, 0), q(r, 1), q(r, 2)};
    ASSERT_EQ(tree.nearest(p, 6, ti.data(), td.data()), cache.nearest(p, ci.data(), cd.data()));
    for (int j = 0; j < 6; ++j) ASSERT_EQ(td[j], cd[j]) << "query " << r;
    for (int j = 0; j < 6; ++j) ASSERT_EQ(ci[j] % 1500, ci[j ^ 1] % 1500) << "pairs of twins";
  }
}

TEST(KnnCellCache, ConcurrentQueriesAgree) {
  const PointsF cloud = surface_cloud(4000, 11);
  const NearestPoints tree(cloud);
  const KnnCellCache cache(tree, 9);
  const PointsF q = queries(cloud, 8000, 12);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&] { expect_same_as_tree(tree, cache, q); });
  for (auto& th : threads) th.join();
}

TEST(KnnCellCache, RejectsBadSettings) {
  const PointsF cloud = surface_cloud(100, 13);
  const NearestPoints tree(cloud);
  EXPECT_THROW(KnnCellCache(tree, 0), std::invalid_argument);
  KnnCellCacheConfig config;
  config.cell_m = 0.f;
  EXPECT_THROW(KnnCellCache(tree, 3, config), std::invalid_argument);
}

}  // namespace
}  // namespace dffeval
