#pragma once
// Calibration error of a camera rig: the poses and intrinsics a method is
// given differ from the ones that made the images. Real multi-camera rigs are
// calibrated to a few millimetres and a fraction of a degree (extrinsics) and
// a fraction of a percent of the focal length (intrinsics); SparseDFF's four
// cameras were calibrated the same way, so its fusion of views must tolerate
// that much. The world is rendered with the true cameras; only what the
// method receives is wrong.
//
// Each camera gets its own error, drawn from bounded uniform distributions so
// that the bounds in the YAML are hard limits a test can check:
//   - rotation: a uniformly random axis, angle uniform in [0, rotation_max_deg];
//   - translation: a uniformly random direction, length uniform in
//     [0, translation_max_m];
//   - focal lengths: fx and fy both scaled by one factor in
//     [1 - focal_max_fraction, 1 + focal_max_fraction] (the aspect ratio is
//     the sensor's pixel pitch, which calibration gets right);
//   - principal point: cx and cy each shifted uniformly in
//     [-principal_point_max_px, principal_point_max_px].
// The default magnitudes (used by scenes/miscalibrated.yaml and real_like.yaml)
// are ours, not a paper's: 3 mm and 0.3 degrees is what a checkerboard or
// AprilTag extrinsic calibration of a table-top rig typically leaves (the
// residuals are millimetres), 0.5% and 1 px is an OpenCV intrinsic
// calibration's usual uncertainty on a 320x240 image. Raise them to test a
// badly calibrated rig.

#include <Eigen/Geometry>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "types/observation.h"

namespace dffeval {

/// The bounds of the drawn error; all zero (the default) means no error.
struct CalibrationErrorSpec {
  /// Largest rotation error of a camera, degrees.
  double rotation_max_deg = 0.0;
  /// Largest position error of a camera, metres.
  double translation_max_m = 0.0;
  /// Largest relative focal-length error (0.005 = 0.5%).
  double focal_max_fraction = 0.0;
  /// Largest principal-point error along u and along v, pixels.
  double principal_point_max_px = 0.0;

  bool enabled() const {
    return rotation_max_deg > 0 || translation_max_m > 0 || focal_max_fraction > 0 ||
           principal_point_max_px > 0;
  }
};

/// One camera's drawn error.
struct CalibrationError {
  /// The reported camera frame in the true camera frame: the method is given
  /// X_WC_reported = X_WC_true * X_CtrueCreported.
  Eigen::Isometry3d X_CtrueCreported = Eigen::Isometry3d::Identity();
  /// fx and fy reported = true * focal_scale.
  double focal_scale = 1.0;
  /// cx and cy reported = true + principal_shift_px, pixels.
  Eigen::Vector2d principal_shift_px = Eigen::Vector2d::Zero();

  double rotation_deg() const;
  double translation_m() const { return X_CtrueCreported.translation().norm(); }
  nlohmann::json to_json() const;
};

/// Draws one camera's error within `spec`'s bounds; deterministic in `seed`.
/// With every bound zero the error is exactly the identity.
CalibrationError draw_calibration_error(const CalibrationErrorSpec& spec, std::uint64_t seed);

/// The view as the miscalibrated rig reports it: X_WC and K changed by
/// `error`, pixels untouched (they were taken by the true camera).
CameraView apply_calibration_error(const CalibrationError& error, const CameraView& view);

}  // namespace dffeval
