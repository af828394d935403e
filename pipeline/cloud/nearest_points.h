#pragma once
// Nearest cloud points of query points: one KD-tree (nanoflann) built once
// over a point cloud. The project's only KD-tree: the feature field's
// neighbour search, point pruning, the refiner's cross-view pairs and the
// grasp energy's surface-distance term all use it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "types/feature_types.h"

namespace dffeval {

/// Immutable after construction; every query is const and safe from many
/// threads at once. Distances are squared, in metres^2, computed in float.
class NearestPoints {
 public:
  /// nanoflann's usual leaf size.
  static constexpr std::size_t kDefaultLeafSize = 10;

  /// `points` N x 3, metres; N >= 1. `leaf_size`: most points in a leaf (a
  /// speed setting only: results do not depend on it, ties aside). Throws
  /// std::invalid_argument when the cloud is empty.
  explicit NearestPoints(PointsF points, std::size_t leaf_size = kDefaultLeafSize);
  ~NearestPoints();
  NearestPoints(const NearestPoints&) = delete;
  NearestPoints& operator=(const NearestPoints&) = delete;

  /// Index of the nearest cloud point of every row of x (Q x 3, metres).
  std::vector<std::int64_t> query(const PointsF& x) const;

  /// The k nearest cloud points of p (3 floats, metres), nearest first:
  /// their indices and squared distances go to index[0..) and dist2[0..).
  /// Returns how many were found, min(k, N).
  int nearest(const float* p, int k, std::uint32_t* index, float* dist2) const;

  /// As nearest(), among the points with squared distance below
  /// radius2_m2 only (strictly; the search prunes every branch beyond it):
  /// returns how many were found, from 0 to min(k, N).
  int nearest_within(const float* p, int k, float radius2_m2, std::uint32_t* index,
                     float* dist2) const;

  /// Every cloud point with squared distance to p at most radius2_m2, as
  /// (index, squared distance) in no particular order; `hits` is cleared
  /// first.
  void within(const float* p, float radius2_m2,
              std::vector<std::pair<std::uint32_t, float>>* hits) const;

  const PointsF& points() const { return points_; }

 private:
  struct Tree;
  PointsF points_;
  std::unique_ptr<Tree> tree_;
};

}  // namespace dffeval
