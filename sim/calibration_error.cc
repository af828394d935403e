#include "sim/calibration_error.h"

#include <cmath>

#include "common/pose_json.h"
#include "common/seeded_rng.h"

namespace dffeval {
namespace {

constexpr double kPi = 3.14159265358979323846;

/// A direction uniform on the unit sphere (z uniform in [-1, 1], azimuth
/// uniform: Archimedes' hat-box theorem).
Eigen::Vector3d random_unit_vector(SeededRng& rng) {
  const double z = rng.uniform(-1.0, 1.0);
  const double phi = rng.uniform(0.0, 2.0 * kPi);
  const double r = std::sqrt(std::max(0.0, 1.0 - z * z));
  return {r * std::cos(phi), r * std::sin(phi), z};
}

}  // namespace

double CalibrationError::rotation_deg() const {
  return Eigen::AngleAxisd(X_CtrueCreported.rotation()).angle() * 180.0 / kPi;
}

nlohmann::json CalibrationError::to_json() const {
  return {{"rotation_deg", rotation_deg()},
          {"translation_m", translation_m()},
          {"X_CtrueCreported", pose_to_json(X_CtrueCreported)},
          {"focal_scale", focal_scale},
          {"principal_shift_px", {principal_shift_px.x(), principal_shift_px.y()}}};
}

CalibrationError draw_calibration_error(const CalibrationErrorSpec& spec, std::uint64_t seed) {
  CalibrationError e;
  if (!spec.enabled()) return e;
  // Every draw is made whatever the bounds, so changing one bound does not
  // change the others' values.
  SeededRng rng(seed);
  const Eigen::Vector3d axis = random_unit_vector(rng);
  const double angle_rad = rng.uniform(0.0, spec.rotation_max_deg) * kPi / 180.0;
  const Eigen::Vector3d direction = random_unit_vector(rng);
  const double length_m = rng.uniform(0.0, spec.translation_max_m);
  e.X_CtrueCreported.linear() = Eigen::AngleAxisd(angle_rad, axis).toRotationMatrix();
  e.X_CtrueCreported.translation() = length_m * direction;
  e.focal_scale = 1.0 + rng.uniform(-spec.focal_max_fraction, spec.focal_max_fraction);
  e.principal_shift_px.x() = rng.uniform(-spec.principal_point_max_px, spec.principal_point_max_px);
  e.principal_shift_px.y() = rng.uniform(-spec.principal_point_max_px, spec.principal_point_max_px);
  return e;
}

CameraView apply_calibration_error(const CalibrationError& error, const CameraView& view) {
  CameraView out = view;
  out.X_WC = view.X_WC * error.X_CtrueCreported;
  out.K(0, 0) *= error.focal_scale;
  out.K(1, 1) *= error.focal_scale;
  out.K(0, 2) += error.principal_shift_px.x();
  out.K(1, 2) += error.principal_shift_px.y();
  return out;
}

}  // namespace dffeval
