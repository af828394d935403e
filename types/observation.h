#pragma once
// What a rig of calibrated RGB-D cameras gives: the only input the pipeline
// takes from the world. Rendered views and real captures have this one shape.

#include <Eigen/Geometry>
#include <cstdint>
#include <string>
#include <vector>

namespace dffeval {

/// One calibrated RGB-D view.
///
/// Camera frame convention (OpenCV): +x right, +y down, +z forward (optical
/// axis). Pixel (u, v) has its centre at (u + 0.5, v + 0.5) in K's image
/// coordinates; row 0 is the top of the image.
struct CameraView {
  std::string name;
  int width = 0;
  int height = 0;
  /// Intrinsics [fx 0 cx; 0 fy cy; 0 0 1], pixels.
  Eigen::Matrix3d K = Eigen::Matrix3d::Identity();
  /// Camera-to-world pose (X_WC): p_W = X_WC * p_C, metres.
  Eigen::Isometry3d X_WC = Eigen::Isometry3d::Identity();
  /// 8-bit RGB, row-major, height * width * 3.
  std::vector<std::uint8_t> rgb;
  /// Depth along the optical axis (camera z), metres, height * width; 0 where
  /// there is no valid measurement.
  std::vector<float> depth_m;

  float depth_at(int u, int v) const { return depth_m[static_cast<std::size_t>(v) * width + u]; }
};

/// A set of simultaneous views of one scene.
struct Observation {
  std::vector<CameraView> views;
};

}  // namespace dffeval
