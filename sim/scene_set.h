#pragma once
// Scene sets (scenes/*.yaml): the table, the camera rig, the lights, clutter
// and the randomization ranges from which each trial's scene is drawn.

#include <Eigen/Core>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/calibration_error.h"
#include "sim/depth_sensor_model.h"

namespace dffeval {

/// The table; its top surface is the plane z = 0 of the world.
struct TableSpec {
  /// Half extents of the table top along x and y, metres.
  Eigen::Vector2d half_size_m{0.45, 0.45};
  /// Base colour, RGB in [0, 1].
  Eigen::Vector3d rgb{0.62, 0.56, 0.48};
  /// Per-channel uniform jitter added to rgb, in [0, 1] units.
  double rgb_jitter = 0.0;
  /// Probability that the table gets a checker texture.
  double checker_probability = 0.0;
};

/// A ring of RGB-D cameras around the workspace, all looking at look_at_m.
struct CameraRigSpec {
  int count = 4;
  /// Horizontal distance of each camera from look_at_m, metres.
  double radius_m = 0.55;
  /// Camera height above the table top, metres.
  double height_m = 0.45;
  Eigen::Vector3d look_at_m{0.0, 0.0, 0.06};
  /// Azimuth of the first camera, degrees; the others are spread evenly.
  double azimuth_offset_deg = 45.0;
  int width = 320;
  int height = 240;
  /// Vertical field of view, degrees.
  double fovy_deg = 45.0;
  /// Uniform jitter of each camera position (per axis), metres.
  double position_jitter_m = 0.0;
  /// Uniform jitter of the look-at point (per axis), metres.
  double look_at_jitter_m = 0.0;
};

/// Lighting: a headlight-free setup of two directional lights plus ambient.
struct LightingSpec {
  double diffuse = 0.55;
  double diffuse_jitter = 0.0;
  double ambient = 0.35;
  double ambient_jitter = 0.0;
  /// Jitter of each light direction's azimuth and elevation, degrees.
  double direction_jitter_deg = 0.0;
};

/// Where the target object is placed on the table (uniform draws).
struct PlacementSpec {
  /// The target's origin is drawn in [-xy_range_m, xy_range_m]^2, metres.
  double xy_range_m = 0.05;
  /// Yaw about +z drawn in [-yaw_range_deg, yaw_range_deg], degrees.
  double yaw_range_deg = 180.0;
};

/// Distractor objects around the target.
struct ClutterSpec {
  int min_count = 0;
  int max_count = 0;
  /// Clear gap kept between the target's and a distractor's footprints, metres.
  double min_gap_m = 0.06;
  /// Distractors are placed no further than this from the target, metres.
  double max_distance_m = 0.30;
};

/// One scene set, as read from scenes/NAME.yaml.
struct SceneSet {
  std::string name;
  std::string description;
  std::filesystem::path file;
  TableSpec table;
  CameraRigSpec cameras;
  LightingSpec lighting;
  PlacementSpec target;
  ClutterSpec clutter;
  /// The rig's depth sensor (YAML `sensor:`, sim/depth_sensor_settings.h);
  /// ideal unless given.
  DepthSensorSpec sensor;
  /// The rig's calibration error (YAML `calibration_error:`); none unless given.
  CalibrationErrorSpec calibration;
};

/// Loads scenes/NAME.yaml (or a path to a YAML file). Throws InputError for an
/// unknown name (listing the known ones), a syntax error or an unknown key.
SceneSet load_scene_set(const std::string& name_or_path);

/// Names of the scene sets in scenes/.
std::vector<std::string> list_scene_sets();

}  // namespace dffeval
