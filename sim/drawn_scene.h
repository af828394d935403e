#pragma once
// One concrete scene drawn from a scene set: everything random about it
// (object poses, clutter, cameras, lights, table look) fixed by a seed.

#include <Eigen/Geometry>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/pose_json.h"
#include "sim/object_catalog.h"
#include "sim/scene_set.h"

namespace dffeval {

/// A fixed camera of the rig.
struct CameraPlacement {
  std::string name;
  /// Camera-to-world pose, OpenCV convention (+z forward, +y down), metres.
  Eigen::Isometry3d X_WC = Eigen::Isometry3d::Identity();
  int width = 320;
  int height = 240;
  double fovy_deg = 45.0;
};

/// An object and its pose in the world.
struct PlacedObject {
  ObjectInstance object;
  /// Object-frame pose in the world (its rest pose: z = 0 is the table top).
  Eigen::Isometry3d X_WObj = Eigen::Isometry3d::Identity();
};

struct DrawnScene {
  std::string scene_set;
  std::uint64_t seed = 0;
  Eigen::Vector3d table_rgb{0.6, 0.6, 0.6};
  Eigen::Vector3d table_rgb2{0.4, 0.4, 0.4};
  bool table_checker = false;
  Eigen::Vector2d table_half_size_m{0.45, 0.45};
  double light_diffuse = 0.55;
  double light_ambient = 0.35;
  /// Unit directions (world) in which the two lights shine.
  std::vector<Eigen::Vector3d> light_dirs;
  std::vector<CameraPlacement> cameras;
  PlacedObject target;
  std::vector<PlacedObject> clutter;

  /// The scene's parameters for result files.
  nlohmann::json to_json() const;
};

/// Draws a scene of `spec` around `target` (placed at a random pose within
/// the spec's ranges unless `fixed_target_pose` is given). Deterministic in
/// `seed`.
DrawnScene draw_scene(const SceneSet& spec, const ObjectInstance& target, std::uint64_t seed,
                      const Eigen::Isometry3d* fixed_target_pose = nullptr);

/// A camera pose looking from `eye` at `target` with world +z up, OpenCV
/// convention.
Eigen::Isometry3d look_at_camera(const Eigen::Vector3d& eye, const Eigen::Vector3d& target);

}  // namespace dffeval
