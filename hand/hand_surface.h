#pragma once
// Points on the hand's skin, fixed in the body frames, where SparseDFF reads
// the feature field (stage 5 of reference/sparsedff_method.md). Sampled once
// on the collision primitives of the one hand model; posed by
// GraspEnergy::surface_points (the optimizer) or by body poses from
// forward_kinematics.h.

#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "hand/hand_model.h"

namespace dffeval {

/// How the surface points are drawn (the published SparseDFF "tip_aug 4"
/// setting by default).
struct HandSurfaceConfig {
  /// Number of points, >= 1.
  int num_points = 500;
  /// Area multiplier for distal phalanges (bodies whose name contains
  /// "distal"), > 0.
  double distal_weight = 4.0;
  /// Area multiplier for middle phalanges (bodies whose name contains
  /// "middle"), > 0.
  double middle_weight = 3.2;
  /// Drop candidates hidden at the zero pose: inside another collision geom
  /// of the hand, on a face it shares with a touching geom (a 0.1 mm step out
  /// along the normal lands inside the other), or a duplicate on a coincident
  /// surface. Overlapping primitives (the thumb base sphere inside the palm
  /// and the thumb's first capsule, the capsule ends inside their
  /// neighbours) are not skin. The remaining area keeps its weights.
  bool drop_buried = true;
  /// Seed of the sampler's own RNG (common/seeded_rng.h: portable draws).
  std::uint64_t seed = 0;
};

/// Surface points in their bodies' frames.
struct HandSurfacePoints {
  /// Hand body of each point (HandModel::body_names() index), P entries.
  std::vector<int> body;
  /// Collision geom each point was drawn on (HandModel::geoms() index).
  std::vector<int> geom;
  /// Positions in the body frames, metres.
  std::vector<Eigen::Vector3d> local;
  /// Outward unit normals in the body frames.
  std::vector<Eigen::Vector3d> normal_local;

  int size() const { return static_cast<int>(body.size()); }
};

/// Samples points on the surfaces of the hand's collision geoms: a geom is
/// picked with probability proportional to its area times its body's weight,
/// then a point uniform on its surface. Identical for identical (model,
/// config) on every platform. Throws InputError for an invalid config.
HandSurfacePoints sample_hand_surface(const HandModel& hand, const HandSurfaceConfig& config = {});

}  // namespace dffeval
