#pragma once
// Nearest cloud point of query points: a KD-tree (nanoflann) built once over
// a point cloud. Used by the grasp energy's surface-distance term.

#include <cstdint>
#include <memory>
#include <vector>

#include "pipeline/feature_types.h"

namespace dffeval {

/// Immutable after construction; query() is safe from many threads at once.
class NearestPoints {
 public:
  /// `points` N x 3, metres; N >= 1. Throws std::invalid_argument when empty.
  explicit NearestPoints(PointsF points);
  ~NearestPoints();
  NearestPoints(const NearestPoints&) = delete;
  NearestPoints& operator=(const NearestPoints&) = delete;

  /// Index of the nearest cloud point of every row of x (Q x 3, metres).
  std::vector<std::int64_t> query(const PointsF& x) const;
  const PointsF& points() const { return points_; }

 private:
  struct Tree;
  PointsF points_;
  std::unique_ptr<Tree> tree_;
};

}  // namespace dffeval
