#pragma once
// Back-projection of RGB-D views to a world-frame point cloud, and the
// foreground selection a real robot can do too: a workspace box and removal
// of the table plane (no simulator segmentation).

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "types/observation.h"

namespace dffeval {

/// Points with their colour and the view they came from.
struct PointCloud {
  /// World positions, metres (N x 3).
  std::vector<Eigen::Vector3d> p_W;
  /// Colours, RGB in [0, 1].
  std::vector<Eigen::Vector3f> rgb;
  /// Index of the source view in the Observation.
  std::vector<int> view;
  /// Pixel (u, v) each point came from in its view.
  std::vector<Eigen::Vector2i> pixel;

  std::size_t size() const { return p_W.size(); }
  void reserve(std::size_t n);
  void push_back(const Eigen::Vector3d& p, const Eigen::Vector3f& c, int v,
                 const Eigen::Vector2i& px);
  /// The points whose index is in `keep` (in that order).
  PointCloud subset(const std::vector<std::size_t>& keep) const;
  Eigen::Vector3d centroid() const;
};

/// World point seen at pixel centre (u + 0.5, v + 0.5) at optical-axis depth
/// depth_m (OpenCV camera frame; see observation.h).
Eigen::Vector3d backproject_pixel(const CameraView& view, int u, int v, double depth_m);

/// Every valid depth pixel of every view, every `stride`-th pixel per axis.
PointCloud backproject(const Observation& obs, int stride = 1);

/// Foreground selection on a tabletop.
struct ForegroundConfig {
  /// Workspace box in the world, metres; points outside are dropped.
  Eigen::Vector3d box_min_m{-0.30, -0.30, -0.05};
  Eigen::Vector3d box_max_m{0.30, 0.30, 0.50};
  /// Table top height, metres (the world's z = 0 in rendered scenes).
  double table_height_m = 0.0;
  /// Points closer than this to the table plane are table, metres.
  double table_margin_m = 0.004;
  /// Fit the table plane by RANSAC instead of trusting table_height_m.
  bool fit_table_plane = false;
  int ransac_iterations = 200;
  std::uint64_t ransac_seed = 7;
};

/// A plane n.p + d = 0 with n a unit vector, n.z > 0.
struct HorizontalPlane {
  Eigen::Vector3d normal = Eigen::Vector3d::UnitZ();
  double d = 0;
};

/// RANSAC (seeded) for the plane with the most points of pts within
/// inlier_m (counted on every 4th point), among planes whose normal has
/// z >= min_normal_z; `fallback` when no candidate has any.
HorizontalPlane fit_horizontal_plane(const std::vector<Eigen::Vector3d>& pts, int iterations,
                                     double inlier_m, double min_normal_z, std::uint64_t seed,
                                     const HorizontalPlane& fallback);

/// Keeps the points inside the workspace box and above the table plane.
PointCloud select_foreground(const PointCloud& cloud, const ForegroundConfig& config = {});

}  // namespace dffeval
