#pragma once
// The target cloud as the penetration term reads it.

#include <Eigen/Core>
#include <vector>

namespace dffeval {

/// The target cloud points of the penetration term, bucketed in a uniform
/// grid so that each hand geom tests only the points near it (10 geoms x 25
/// primitives x 1500 points per iteration otherwise).
class PenetrationCloud {
 public:
  PenetrationCloud() = default;
  /// `points` in metres; `cell_m` the grid's cell edge.
  explicit PenetrationCloud(std::vector<Eigen::Vector3d> points, double cell_m = 0.01);
  const std::vector<Eigen::Vector3d>& points() const { return points_; }
  /// Appends to `out` the indices of every point within `radius_m` of
  /// `centre` (and some farther ones): those in the cells that the sphere's
  /// bounding box overlaps.
  void candidates(const Eigen::Vector3d& centre, double radius_m, std::vector<int>* out) const;

 private:
  std::vector<Eigen::Vector3d> points_;
  Eigen::Vector3d origin_ = Eigen::Vector3d::Zero();
  double cell_ = 0.01;
  int dims_[3] = {0, 0, 0};
  std::vector<int> cell_start_;  // CSR: points of cell c are order_[cell_start_[c] ..)
  std::vector<int> order_;
};

}  // namespace dffeval
