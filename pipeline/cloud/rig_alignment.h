#pragma once
// Self-calibration of a multi-camera rig from the views themselves, before
// anything is back-projected: real rigs drift by millimetres and fractions
// of a degree between calibrations (scenes/real_like.yaml draws such errors),
// and the views of one object then disagree by more than the refiner's
// positive radius and the table margin.
//
// Two steps, each fixing what the data constrains well:
//  1. Table: per view, the table plane is fitted (RANSAC, then least squares
//     on the inliers) among the points near the nominal table height, and the
//     view is tilted and lifted so that plane becomes z = table height. This
//     fixes the view's roll, pitch and height: 3 of its 6 degrees of freedom.
//  2. Views against each other: per view, a point-to-plane ICP of its points
//     above the table against every other view's, solving only for the three
//     planar degrees of freedom (x, y and yaw about the vertical) the table
//     cannot fix; a few Gauss-Seidel passes over the views. The mean planar
//     correction is then removed again: the views agree with each other, but
//     where the whole rig sits in x, y and yaw is not observable from the
//     data, and the mean of independent errors is the best guess of it.
// Both steps are plain loops with fixed order (no threads): the same views
// always give the same corrections.

#include <Eigen/Geometry>
#include <cstdint>
#include <vector>

#include "types/observation.h"

namespace dffeval {

struct RigAlignmentConfig {
  /// Off: views are used with the poses they came with.
  bool enabled = false;
  /// Workspace box and nominal table height (world frame, metres); the
  /// foreground's (ForegroundConfig) are passed in by the caller.
  Eigen::Vector3d box_min_m{-0.30, -0.30, -0.05};
  Eigen::Vector3d box_max_m{0.30, 0.30, 0.50};
  double table_height_m = 0.0;
  /// Every stride-th pixel per axis is used, for speed.
  int stride = 2;
  /// Table candidates: points within this of the nominal table height, m.
  double table_band_m = 0.02;
  /// RANSAC inlier distance of the table plane, m.
  double table_inlier_m = 0.003;
  int table_ransac_iterations = 200;
  std::uint64_t seed = 7;
  /// A view's table correction is skipped below this many inliers.
  int table_min_inliers = 500;
  /// ICP uses the points at least this far above the (corrected) table, m.
  double object_min_height_m = 0.008;
  /// Neighbours for a point's normal (PCA).
  int normal_neighbours = 12;
  /// Point pairs farther apart than this are not matched, m.
  double icp_max_distance_m = 0.01;
  /// Pairs farther apart than this along the surface are not matched, m
  /// (about the sample spacing: 2 px at 0.5 m is 3.4 mm). Without it the
  /// views of a lone can, exact to begin with, ended 1.4 mm apart (a point
  /// beyond the other views' outline meets the outline, and a curved
  /// surface bends away from the outline's tangent plane always the same
  /// way); with 3 mm, 0.3 mm.
  double icp_max_tangential_m = 0.003;
  /// Pairs whose normals (turned towards their cameras) meet at a larger
  /// angle are not matched: the two faces of a mug's wall are not one
  /// surface.
  double icp_min_normal_cosine = 0.7;
  /// Tukey weight's scale on the point-to-plane residual, m.
  double icp_tukey_m = 0.004;
  /// The point-to-plane residual's standard deviation (the sensor's noise
  /// at the rig's range), m, and the prior's on a view's planar drift:
  /// translation per axis (m) and yaw (rad), the size of drift assumed for
  /// a checkerboard-calibrated table-top rig (the bounds that
  /// scenes/real_like.yaml draws from: 3 mm and 0.3 degrees).
  double icp_noise_m = 0.0015;
  double prior_translation_m = 0.003;
  double prior_yaw_rad = 0.005;
  int icp_passes = 3;
  int icp_iterations = 15;
  /// A view's ICP is skipped with fewer matched points than this.
  int icp_min_matches = 200;
  /// Planar corrections larger than these are refused (the view keeps its
  /// table correction only): bigger ones mean a wrong match, not drift.
  double max_translation_m = 0.02;
  double max_yaw_rad = 0.05;
};

/// What the alignment did, per view.
struct RigAlignment {
  /// New pose = correction * old pose (X_WC' = correction * X_WC).
  std::vector<Eigen::Isometry3d> correction;
  /// Table inliers found per view (0: no table correction).
  std::vector<int> table_inliers;
  /// Matched points in the last ICP pass per view (0: no planar correction).
  std::vector<int> icp_matches;
  /// RMS point-to-plane residual of those matches, metres.
  std::vector<double> icp_rms_m;
};

/// Estimates the corrections of obs's camera poses. Views without depth
/// keep the identity. Never throws on the data: a view where a step finds
/// too little keeps that step's identity.
RigAlignment estimate_rig_alignment(const Observation& obs, const RigAlignmentConfig& config);

/// obs with every view's X_WC replaced by correction * X_WC (images,
/// intrinsics and names unchanged). A copy of obs when !config.enabled.
Observation align_rig(const Observation& obs, const RigAlignmentConfig& config);

}  // namespace dffeval
