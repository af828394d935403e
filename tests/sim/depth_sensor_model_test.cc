// The depth-sensor model on synthetic views (no MuJoCo): planes at known
// depths and tilts and a step edge. The noise statistics are compared with
// the published formulas written out here again (not read from the model),
// so a wrong coefficient, a missing term or a wrong quantization step fails.

#include "sim/depth_sensor_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace dffeval {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDeg = kPi / 180.0;

/// Nguyen, Izadi, Lovell 2012: sigma_z in metres, z in metres, theta radians.
double nguyen_sigma_m(double z, double theta) {
  double sigma = 0.0012 + 0.0019 * (z - 0.4) * (z - 0.4);
  if (theta > 60 * kDeg) {
    sigma += 0.0001 / std::sqrt(z) * theta * theta / ((kPi / 2 - theta) * (kPi / 2 - theta));
  }
  return sigma;
}

/// ICL-NUIM's depth step at z: disparity 480 px * 0.075 m / z in 1/8 px steps.
double quantization_step_m(double z) { return z * z * 0.125 / (480.0 * 0.075); }

/// A width x height view with fx = fy = focal_px, the principal point at the
/// image centre, depth 0 and a grey-level pattern in RGB.
CameraView blank_view(int width, int height, double focal_px) {
  CameraView view;
  view.name = "synthetic";
  view.width = width;
  view.height = height;
  view.K << focal_px, 0, width / 2.0, 0, focal_px, height / 2.0, 0, 0, 1;
  view.depth_m.assign(static_cast<std::size_t>(width) * height, 0.0f);
  view.rgb.resize(view.depth_m.size() * 3);
  for (std::size_t i = 0; i < view.rgb.size(); ++i)
    view.rgb[i] = static_cast<std::uint8_t>(i % 251);
  return view;
}

/// Normalized image coordinates of the centre of pixel (u, v).
Eigen::Vector2d ray_xy(const CameraView& view, int u, int v) {
  return {(u + 0.5 - view.K(0, 2)) / view.K(0, 0), (v + 0.5 - view.K(1, 2)) / view.K(1, 1)};
}

/// The plane through (0, 0, z0) whose normal is the optical axis turned by
/// tilt_rad about the camera's y axis: depth grows to the right.
CameraView plane_view(int width, int height, double focal_px, double z0, double tilt_rad) {
  CameraView view = blank_view(width, height, focal_px);
  for (int v = 0; v < height; ++v) {
    for (int u = 0; u < width; ++u) {
      const double x = ray_xy(view, u, v).x();
      const double z = z0 * std::cos(tilt_rad) / (std::cos(tilt_rad) - x * std::sin(tilt_rad));
      view.depth_m[static_cast<std::size_t>(v) * width + u] = static_cast<float>(z);
    }
  }
  return view;
}

/// The exact incidence angle on plane_view's plane at pixel (u, v), radians.
double plane_incidence_rad(const CameraView& view, int u, int v, double tilt_rad) {
  const Eigen::Vector2d xy = ray_xy(view, u, v);
  const Eigen::Vector3d ray(xy.x(), xy.y(), 1.0);
  const Eigen::Vector3d normal(std::sin(tilt_rad), 0.0, -std::cos(tilt_rad));
  return std::acos(std::abs(normal.dot(ray)) / ray.norm());
}

/// Two fronto-parallel surfaces: near_m left of column width / 2, far_m from it.
CameraView step_view(int width, int height, double focal_px, double near_m, double far_m) {
  CameraView view = blank_view(width, height, focal_px);
  for (int v = 0; v < height; ++v) {
    for (int u = 0; u < width; ++u) {
      view.depth_m[static_cast<std::size_t>(v) * width + u] =
          static_cast<float>(u < width / 2 ? near_m : far_m);
    }
  }
  return view;
}

double sample_std(const std::vector<double>& values) {
  double mean = 0;
  for (double x : values) mean += x;
  mean /= values.size();
  double sum_sq = 0;
  for (double x : values) sum_sq += (x - mean) * (x - mean);
  return std::sqrt(sum_sq / (values.size() - 1));
}

bool bitwise_equal(const CameraView& a, const CameraView& b) {
  return a.depth_m.size() == b.depth_m.size() && a.rgb == b.rgb &&
         std::memcmp(a.depth_m.data(), b.depth_m.data(), a.depth_m.size() * sizeof(float)) == 0;
}

DepthSensorSpec axial_only() {
  DepthSensorSpec spec = ideal_depth_sensor();
  spec.axial_noise = true;
  return spec;
}

/// The noisy depths of every pixel (all must be valid).
std::vector<double> valid_depths(const CameraView& view) {
  std::vector<double> depths;
  for (float z : view.depth_m) {
    EXPECT_GT(z, 0.0f);
    depths.push_back(z);
  }
  return depths;
}

TEST(DepthSensorModel, AxialNoiseOfAFrontoParallelPlaneFollowsNguyen) {
  // 320x240 at 300 px: rays are at most 34 degrees off axis, below the
  // 60-degree onset of the angle term, so sigma is the depth term alone.
  for (double z : {0.5, 1.0}) {
    const CameraView truth = plane_view(320, 240, 300.0, z, 0.0);
    const CameraView noisy = apply_depth_sensor_model(axial_only(), truth, 11);
    const double measured = sample_std(valid_depths(noisy));
    const double expected = nguyen_sigma_m(z, 0.0);
    std::printf("[ measured ] axial only, plane at %.1f m: std %.4f mm, Nguyen %.4f mm\n", z,
                1e3 * measured, 1e3 * expected);
    EXPECT_NEAR(measured / expected, 1.0, 0.10) << "z = " << z;
  }
}

TEST(DepthSensorModel, KinectPresetAddsTheQuantizationVariance) {
  // Lateral jitter does not change a fronto-parallel plane's depth; edges
  // and grazing holes do not occur on it; what remains is axial noise plus
  // rounding of the disparity, whose error is uniform over one step:
  // variance sigma_z^2 + step^2 / 12. At 1 m the step (3.5 mm) adds 13% to
  // the standard deviation, more than the tolerance: leaving it out fails.
  for (double z : {0.5, 1.0}) {
    const CameraView truth = plane_view(320, 240, 300.0, z, 0.0);
    const CameraView noisy = apply_depth_sensor_model(kinect_v1_depth_sensor(), truth, 12);
    const double measured = sample_std(valid_depths(noisy));
    const double sigma = nguyen_sigma_m(z, 0.0), step = quantization_step_m(z);
    const double expected = std::sqrt(sigma * sigma + step * step / 12.0);
    std::printf(
        "[ measured ] kinect_v1, plane at %.1f m: std %.4f mm, predicted %.4f mm "
        "(axial %.4f mm, step %.4f mm)\n",
        z, 1e3 * measured, 1e3 * expected, 1e3 * sigma, 1e3 * step);
    EXPECT_NEAR(measured / expected, 1.0, 0.10) << "z = " << z;
  }
}

TEST(DepthSensorModel, IncidenceAnglesOfATiltedPlaneAreExact) {
  const double tilt = 65 * kDeg;
  const CameraView truth = plane_view(320, 240, 600.0, 0.5, tilt);
  const std::vector<float> angles = incidence_angles_rad(truth, 0.02);
  for (int v = 0; v < truth.height; v += 7) {
    for (int u = 0; u < truth.width; u += 5) {
      const double expected = plane_incidence_rad(truth, u, v, tilt);
      EXPECT_NEAR(angles[static_cast<std::size_t>(v) * truth.width + u], expected, 0.1 * kDeg)
          << "pixel " << u << ", " << v;
    }
  }
  // Invalid depth has no angle.
  CameraView holed = truth;
  holed.depth_m[0] = 0.0f;
  EXPECT_TRUE(std::isnan(incidence_angles_rad(holed, 0.02)[0]));
}

TEST(DepthSensorModel, AxialNoiseOnATiltedPlaneIncludesTheAngleTerm) {
  // Incidence 50 to 80 degrees across the image: residuals divided by the
  // per-pixel Nguyen sigma (angle term above 60 degrees) have unit spread on
  // both sides of the onset. Without the angle term the upper side's spread
  // would be about 0.4.
  const double tilt = 65 * kDeg;
  const CameraView truth = plane_view(320, 240, 600.0, 0.5, tilt);
  const CameraView noisy = apply_depth_sensor_model(axial_only(), truth, 13);
  std::vector<double> below_onset, above_onset;
  for (int v = 0; v < truth.height; ++v) {
    for (int u = 0; u < truth.width; ++u) {
      const std::size_t i = static_cast<std::size_t>(v) * truth.width + u;
      const double theta = plane_incidence_rad(truth, u, v, tilt);
      const double residual =
          (noisy.depth_m[i] - truth.depth_m[i]) / nguyen_sigma_m(truth.depth_m[i], theta);
      if (theta < 59 * kDeg) below_onset.push_back(residual);
      if (theta > 61 * kDeg) above_onset.push_back(residual);
    }
  }
  std::printf(
      "[ measured ] tilted plane, residual / sigma: std %.4f below 60 deg (%zu px), "
      "%.4f above (%zu px)\n",
      sample_std(below_onset), below_onset.size(), sample_std(above_onset), above_onset.size());
  ASSERT_GT(below_onset.size(), 5000u);
  ASSERT_GT(above_onset.size(), 5000u);
  EXPECT_NEAR(sample_std(below_onset), 1.0, 0.10);
  EXPECT_NEAR(sample_std(above_onset), 1.0, 0.10);
}

TEST(DepthSensorModel, QuantizationStepIsTheSensorsWhateverTheViewFocalLength) {
  // A noise-free plane at 1.01 m: the disparity 480 px * 0.075 m / 1.01 m =
  // 35.644 px rounds to 285 steps of 1/8 px, so the depth reads
  // 36 / (285 / 8) = 1.0105 m, in a view of 300 px focal length as in one of
  // 600 px (where the same step is 1/4 of the view's pixels).
  const double z = 1.01;
  const double steps = std::round(480.0 * 0.075 / z / 0.125);
  const double expected = 480.0 * 0.075 / (steps * 0.125);
  DepthSensorSpec spec = ideal_depth_sensor();
  spec.quantization = true;
  for (double focal_px : {300.0, 600.0}) {
    const CameraView truth = plane_view(64, 48, focal_px, z, 0.0);
    const CameraView noisy = apply_depth_sensor_model(spec, truth, 14);
    for (float depth : noisy.depth_m) ASSERT_NEAR(depth, expected, 2e-6) << focal_px;
  }
  EXPECT_GT(std::abs(expected - z), 1e-4);  // the test would not notice a no-op otherwise
}

TEST(DepthSensorModel, GrazingHolesAppearAtTheConfiguredRate) {
  const double tilt = 65 * kDeg;
  const CameraView truth = plane_view(320, 240, 600.0, 0.5, tilt);
  DepthSensorSpec spec = ideal_depth_sensor();
  spec.grazing_holes = true;
  spec.grazing_angle_deg = 75.0;
  spec.grazing_dropout_probability = 0.7;
  const CameraView noisy = apply_depth_sensor_model(spec, truth, 15);
  int grazing = 0, grazing_holes = 0, steep_holes = 0, other_changes = 0;
  for (int v = 0; v < truth.height; ++v) {
    for (int u = 0; u < truth.width; ++u) {
      const std::size_t i = static_cast<std::size_t>(v) * truth.width + u;
      const double theta = plane_incidence_rad(truth, u, v, tilt);
      const bool hole = noisy.depth_m[i] == 0.0f;
      if (!hole && noisy.depth_m[i] != truth.depth_m[i]) ++other_changes;
      if (theta > 75.5 * kDeg) {
        ++grazing;
        grazing_holes += hole;
      } else if (theta < 74.5 * kDeg) {
        steep_holes += hole;
      }
    }
  }
  const double fraction = static_cast<double>(grazing_holes) / grazing;
  std::printf("[ measured ] grazing holes: %.4f of %d pixels above 75 deg (configured 0.7)\n",
              fraction, grazing);
  ASSERT_GT(grazing, 5000);
  EXPECT_NEAR(fraction / 0.7, 1.0, 0.10);
  EXPECT_EQ(steep_holes, 0);
  EXPECT_EQ(other_changes, 0);
}

TEST(DepthSensorModel, EdgeArtifactsOnlyAtTheStep) {
  const CameraView truth = step_view(320, 240, 300.0, 0.5, 0.8);
  DepthSensorSpec spec = ideal_depth_sensor();
  spec.edge_artifacts = true;  // dropout 0.5, flying 0.1, radius 1
  const CameraView noisy = apply_depth_sensor_model(spec, truth, 16);
  int edge_pixels = 0, dropped = 0, flying = 0;
  for (int v = 0; v < truth.height; ++v) {
    for (int u = 0; u < truth.width; ++u) {
      const std::size_t i = static_cast<std::size_t>(v) * truth.width + u;
      if (u != 159 && u != 160) {
        ASSERT_EQ(noisy.depth_m[i], truth.depth_m[i]) << "pixel " << u << ", " << v;
        continue;
      }
      ++edge_pixels;
      dropped += noisy.depth_m[i] == 0.0f;
      flying += noisy.depth_m[i] > 0.5f && noisy.depth_m[i] < 0.8f;
    }
  }
  std::printf("[ measured ] step edge: %d of %d edge pixels dropped, %d flying\n", dropped,
              edge_pixels, flying);
  // 480 edge pixels: binomial standard deviations 0.023 and 0.014; 4 of them.
  EXPECT_NEAR(static_cast<double>(dropped) / edge_pixels, 0.5, 0.09);
  EXPECT_NEAR(static_cast<double>(flying) / edge_pixels, 0.1, 0.055);
}

TEST(DepthSensorModel, KinectPresetOnAStepDropsAndMixesOnlyNearTheEdge) {
  const CameraView truth = step_view(320, 240, 300.0, 0.5, 0.8);
  const CameraView noisy = apply_depth_sensor_model(kinect_v1_depth_sensor(), truth, 17);
  int near_edge_changes = 0;
  for (int v = 0; v < truth.height; ++v) {
    for (int u = 0; u < truth.width; ++u) {
      const float z = noisy.depth_m[static_cast<std::size_t>(v) * truth.width + u];
      // Axial noise and quantization stay within 1.5 cm of either surface.
      const bool dropped_or_mixed = z == 0.0f || (z > 0.515f && z < 0.785f);
      if (u >= 159 && u <= 160) {
        near_edge_changes += dropped_or_mixed;
      } else {
        ASSERT_FALSE(dropped_or_mixed) << "pixel " << u << ", " << v << ": " << z;
      }
    }
  }
  EXPECT_GT(near_edge_changes, 480 / 3);
}

TEST(DepthSensorModel, SameSeedSameOutputOtherSeedOther) {
  DepthSensorSpec spec = kinect_v1_depth_sensor();
  spec.rgb_noise = true;
  spec.exposure_shift = true;
  const CameraView truth = plane_view(160, 120, 150.0, 0.7, 30 * kDeg);
  const CameraView first = apply_depth_sensor_model(spec, truth, 99);
  const CameraView again = apply_depth_sensor_model(spec, truth, 99);
  const CameraView other = apply_depth_sensor_model(spec, truth, 100);
  EXPECT_TRUE(bitwise_equal(first, again));
  int depth_differs = 0, rgb_differs = 0;
  for (std::size_t i = 0; i < first.depth_m.size(); ++i) {
    depth_differs += first.depth_m[i] != other.depth_m[i];
  }
  for (std::size_t i = 0; i < first.rgb.size(); ++i) rgb_differs += first.rgb[i] != other.rgb[i];
  EXPECT_GT(depth_differs, static_cast<int>(first.depth_m.size() / 2));
  EXPECT_GT(rgb_differs, static_cast<int>(first.rgb.size() / 2));
}

TEST(DepthSensorModel, IdealIsBitwiseTheInput) {
  CameraView truth = step_view(320, 240, 300.0, 0.5, 0.8);
  truth.depth_m[1234] = 0.0f;  // an invalid pixel stays invalid
  const CameraView out = apply_depth_sensor_model(ideal_depth_sensor(), truth, 5);
  EXPECT_TRUE(bitwise_equal(out, truth));
  EXPECT_EQ(out.name, truth.name);
  EXPECT_EQ(out.K, truth.K);
  EXPECT_TRUE(out.X_WC.isApprox(truth.X_WC, 0.0));
}

TEST(DepthSensorModel, TheInputViewIsNotModified) {
  DepthSensorSpec spec = kinect_v1_depth_sensor();
  spec.rgb_noise = true;
  spec.exposure_shift = true;
  const CameraView truth = step_view(320, 240, 300.0, 0.5, 0.8);
  CameraView input = truth;
  const CameraView noisy = apply_depth_sensor_model(spec, input, 6);
  EXPECT_TRUE(bitwise_equal(input, truth));
  EXPECT_FALSE(bitwise_equal(noisy, truth));
}

TEST(DepthSensorModel, RgbNoiseAndExposure) {
  CameraView truth = plane_view(160, 120, 150.0, 0.7, 0.0);
  std::fill(truth.rgb.begin(), truth.rgb.end(), std::uint8_t{100});
  DepthSensorSpec spec = ideal_depth_sensor();
  spec.rgb_noise = true;  // sigma 2 levels; rounding adds 1/12 level^2
  const CameraView noisy = apply_depth_sensor_model(spec, truth, 7);
  std::vector<double> levels(noisy.rgb.begin(), noisy.rgb.end());
  EXPECT_NEAR(sample_std(levels), std::sqrt(4.0 + 1.0 / 12.0), 0.1 * 2.0);
  EXPECT_EQ(noisy.depth_m, truth.depth_m);

  // Exposure alone: one gain for the whole view, different between seeds.
  spec = ideal_depth_sensor();
  spec.exposure_shift = true;
  std::vector<int> view_levels;
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    const CameraView shifted = apply_depth_sensor_model(spec, truth, seed);
    for (std::uint8_t level : shifted.rgb) ASSERT_EQ(level, shifted.rgb[0]);
    view_levels.push_back(shifted.rgb[0]);
  }
  EXPECT_NE(*std::min_element(view_levels.begin(), view_levels.end()),
            *std::max_element(view_levels.begin(), view_levels.end()));
}

TEST(DepthSensorModel, MismatchedBuffersAreRefused) {
  CameraView view = blank_view(16, 16, 20.0);
  view.depth_m.pop_back();
  EXPECT_THROW(apply_depth_sensor_model(kinect_v1_depth_sensor(), view, 1), std::invalid_argument);
  view = blank_view(16, 16, 20.0);
  view.K(0, 0) = 0.0;
  EXPECT_THROW(apply_depth_sensor_model(kinect_v1_depth_sensor(), view, 1), std::invalid_argument);
}

}  // namespace
}  // namespace dffeval
