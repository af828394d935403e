#include "sim/depth_sensor_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "common/seeded_rng.h"

namespace dffeval {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDegToRad = kPi / 180.0;
constexpr float kNoAngle = std::numeric_limits<float>::quiet_NaN();

/// A fresh stream for one component and one image row: the draws of a row
/// do not depend on the rows before it, so a parallel loop over rows would
/// give the same image as this serial one.
SeededRng row_rng(std::uint64_t component_seed, int row) {
  return SeededRng(derive_seed(component_seed, std::to_string(row)));
}

std::size_t at(const CameraView& view, int u, int v) {
  return static_cast<std::size_t>(v) * static_cast<std::size_t>(view.width) +
         static_cast<std::size_t>(u);
}

/// Pixel (u, v) at depth z back-projected into the camera frame, metres. The
/// pixel's centre is (u + 0.5, v + 0.5) in K's image coordinates.
Eigen::Vector3d back_project(const Eigen::Matrix3d& K_inv, int u, int v, double depth_m) {
  return depth_m * (K_inv * Eigen::Vector3d(u + 0.5, v + 0.5, 1.0));
}

/// The tangent along one image axis at (u, v) from its two neighbours along
/// that axis (du, dv is the step): the central difference where both lie on
/// the same surface, the one-sided one where only one does, none otherwise.
bool tangent(const CameraView& view, const Eigen::Matrix3d& K_inv, int u, int v, int du, int dv,
             double discontinuity_m, Eigen::Vector3d* tangent_C) {
  const double z = view.depth_at(u, v);
  auto same_surface = [&](int uu, int vv) {
    if (uu < 0 || vv < 0 || uu >= view.width || vv >= view.height) return false;
    const double zz = view.depth_at(uu, vv);
    return zz > 0 && std::abs(zz - z) <= discontinuity_m;
  };
  const bool ahead = same_surface(u + du, v + dv);
  const bool behind = same_surface(u - du, v - dv);
  if (!ahead && !behind) return false;
  const Eigen::Vector3d p_ahead =
      ahead ? back_project(K_inv, u + du, v + dv, view.depth_at(u + du, v + dv))
            : back_project(K_inv, u, v, z);
  const Eigen::Vector3d p_behind =
      behind ? back_project(K_inv, u - du, v - dv, view.depth_at(u - du, v - dv))
             : back_project(K_inv, u, v, z);
  *tangent_C = p_ahead - p_behind;
  return true;
}

void check_buffers(const CameraView& view) {
  const std::size_t pixels = static_cast<std::size_t>(std::max(view.width, 0)) *
                             static_cast<std::size_t>(std::max(view.height, 0));
  if (view.width <= 0 || view.height <= 0 || view.depth_m.size() != pixels) {
    throw std::invalid_argument("depth sensor model: view '" + view.name +
                                "' has a depth buffer that does not match its size");
  }
  // Back-projection and disparity divide by the focal lengths.
  if (!view.K.allFinite() || !(view.K(0, 0) > 0) || !(view.K(1, 1) > 0)) {
    throw std::invalid_argument("depth sensor model: view '" + view.name +
                                "' has intrinsics without positive focal lengths");
  }
  if (!view.rgb.empty() && view.rgb.size() != 3 * pixels) {
    throw std::invalid_argument("depth sensor model: view '" + view.name +
                                "' has an RGB buffer that does not match its size");
  }
}

/// Component 1: each output pixel reads the ground truth at a position
/// shifted by N(0, sigma) pixels in u and v; bilinear where the four samples
/// lie on one surface, the nearest sample where they do not.
std::vector<float> lateral_resample(const DepthSensorSpec& spec, const CameraView& truth,
                                    std::uint64_t seed) {
  std::vector<float> out(truth.depth_m.size());
  const int W = truth.width, H = truth.height;
  for (int v = 0; v < H; ++v) {
    SeededRng rng = row_rng(seed, v);
    for (int u = 0; u < W; ++u) {
      double shift_u = 0, shift_v = 0;
      rng.normal_pair(&shift_u, &shift_v);
      const double x = std::clamp(u + spec.lateral_sigma_px * shift_u, 0.0, W - 1.0);
      const double y = std::clamp(v + spec.lateral_sigma_px * shift_v, 0.0, H - 1.0);
      const int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
      const int x1 = std::min(x0 + 1, W - 1), y1 = std::min(y0 + 1, H - 1);
      const double z00 = truth.depth_at(x0, y0), z10 = truth.depth_at(x1, y0);
      const double z01 = truth.depth_at(x0, y1), z11 = truth.depth_at(x1, y1);
      const double lo = std::min({z00, z10, z01, z11});
      const double hi = std::max({z00, z10, z01, z11});
      if (lo > 0 && hi - lo <= spec.discontinuity_m) {
        const double a = x - x0, b = y - y0;
        out[at(truth, u, v)] =
            static_cast<float>((1 - b) * ((1 - a) * z00 + a * z10) + b * ((1 - a) * z01 + a * z11));
      } else {
        const int nu = static_cast<int>(std::lround(x)), nv = static_cast<int>(std::lround(y));
        out[at(truth, u, v)] = truth.depth_at(nu, nv);
      }
    }
  }
  return out;
}

/// Component 2: Gaussian depth error with sigma_z(z, theta).
void add_axial_noise(const DepthSensorSpec& spec, const CameraView& truth,
                     const std::vector<float>& incidence_rad, std::uint64_t seed,
                     std::vector<float>* depth_m) {
  for (int v = 0; v < truth.height; ++v) {
    SeededRng rng = row_rng(seed, v);
    for (int u = 0; u < truth.width; ++u) {
      float& z = (*depth_m)[at(truth, u, v)];
      if (!(z > 0)) continue;
      const double sigma = axial_sigma_m(spec, z, incidence_rad[at(truth, u, v)]);
      const double noisy = z + sigma * rng.normal();
      // A draw through the camera is no measurement (sigma is millimetres,
      // so this happens only for nonsense settings).
      z = noisy > 0 ? static_cast<float>(noisy) : 0.0f;
    }
  }
}

/// Component 3: disparity fx b / z rounded to the sensor's step (scaled to
/// the view's focal length), depth recovered from it.
void quantize_disparity(const DepthSensorSpec& spec, const CameraView& truth,
                        std::vector<float>* depth_m) {
  const double fx_px = truth.K(0, 0);
  const double step_px = spec.disparity_step_px * fx_px / spec.disparity_focal_px;
  const double fb_px_m = fx_px * spec.baseline_m;
  for (float& z : *depth_m) {
    if (!(z > 0)) continue;
    const double disparity_px = step_px * std::round(fb_px_m / z / step_px);
    // Rounded to zero disparity: beyond the sensor's range, no measurement.
    z = disparity_px > 0 ? static_cast<float>(fb_px_m / disparity_px) : 0.0f;
  }
}

/// Component 4: dropout and flying pixels where the ground truth's
/// neighbourhood spans two surfaces.
void edge_artifacts(const DepthSensorSpec& spec, const CameraView& truth, std::uint64_t seed,
                    std::vector<float>* depth_m) {
  const int r = spec.edge_radius_px;
  for (int v = 0; v < truth.height; ++v) {
    SeededRng rng = row_rng(seed, v);
    for (int u = 0; u < truth.width; ++u) {
      double near_m = std::numeric_limits<double>::infinity(), far_m = 0;
      for (int vv = std::max(v - r, 0); vv <= std::min(v + r, truth.height - 1); ++vv) {
        for (int uu = std::max(u - r, 0); uu <= std::min(u + r, truth.width - 1); ++uu) {
          const double z = truth.depth_at(uu, vv);
          if (!(z > 0)) continue;
          near_m = std::min(near_m, z);
          far_m = std::max(far_m, z);
        }
      }
      if (!(far_m - near_m > spec.discontinuity_m)) continue;
      const double draw = rng.uniform();
      float& z = (*depth_m)[at(truth, u, v)];
      if (draw < spec.edge_dropout_probability) {
        z = 0.0f;
      } else if (draw < spec.edge_dropout_probability + spec.flying_pixel_probability) {
        z = static_cast<float>(near_m + rng.uniform() * (far_m - near_m));
      }
    }
  }
}

/// Component 5: holes where the surface is seen nearly edge-on.
void grazing_holes(const DepthSensorSpec& spec, const CameraView& truth,
                   const std::vector<float>& incidence_rad, std::uint64_t seed,
                   std::vector<float>* depth_m) {
  const double threshold_rad = spec.grazing_angle_deg * kDegToRad;
  for (int v = 0; v < truth.height; ++v) {
    SeededRng rng = row_rng(seed, v);
    for (int u = 0; u < truth.width; ++u) {
      const float theta = incidence_rad[at(truth, u, v)];
      if (!(theta > threshold_rad)) continue;  // NaN (unknown) keeps the pixel
      if (rng.uniform() < spec.grazing_dropout_probability) (*depth_m)[at(truth, u, v)] = 0.0f;
    }
  }
}

/// Component 6: one exposure gain for the view, then per-pixel noise, in
/// 8-bit levels clamped to [0, 255].
void rgb_noise_and_exposure(const DepthSensorSpec& spec, const CameraView& truth,
                            std::uint64_t seed, std::vector<std::uint8_t>* rgb) {
  double gain = 1.0;
  if (spec.exposure_shift) {
    SeededRng rng(derive_seed(seed, "exposure"));
    gain = std::exp2(spec.exposure_sigma_stops * rng.normal());
  }
  const std::uint64_t noise_seed = derive_seed(seed, "pixels");
  const std::size_t row_values = static_cast<std::size_t>(truth.width) * 3;
  for (int v = 0; v < truth.height; ++v) {
    SeededRng rng = row_rng(noise_seed, v);
    for (std::size_t i = 0; i < row_values; ++i) {
      std::uint8_t& level = (*rgb)[static_cast<std::size_t>(v) * row_values + i];
      double value = gain * level;
      if (spec.rgb_noise) value += spec.rgb_sigma_levels * rng.normal();
      level = static_cast<std::uint8_t>(std::clamp(std::round(value), 0.0, 255.0));
    }
  }
}

}  // namespace

DepthSensorSpec ideal_depth_sensor() {
  DepthSensorSpec spec;
  spec.preset = "ideal";
  return spec;
}

DepthSensorSpec kinect_v1_depth_sensor() {
  // The defaults of DepthSensorSpec are the Kinect v1 figures (sources at
  // each field); the preset switches the depth components on.
  DepthSensorSpec spec;
  spec.preset = "kinect_v1";
  spec.axial_noise = true;
  spec.lateral_noise = true;
  spec.quantization = true;
  spec.edge_artifacts = true;
  spec.grazing_holes = true;
  return spec;
}

double axial_sigma_m(const DepthSensorSpec& spec, double depth_m, double incidence_rad) {
  const double dz = depth_m - spec.axial_reference_depth_m;
  double sigma = spec.axial_base_sigma_m + spec.axial_quadratic_m_per_m2 * dz * dz;
  if (std::isfinite(incidence_rad) && incidence_rad > spec.axial_angle_onset_deg * kDegToRad) {
    const double theta = std::min(incidence_rad, spec.axial_angle_cap_deg * kDegToRad);
    const double to_grazing = kPi / 2 - theta;
    sigma += spec.axial_angle_coefficient_m_sqrt_m / std::sqrt(depth_m) * theta * theta /
             (to_grazing * to_grazing);
  }
  return sigma;
}

std::vector<float> incidence_angles_rad(const CameraView& view, double discontinuity_m) {
  check_buffers(view);
  const Eigen::Matrix3d K_inv = view.K.inverse();
  std::vector<float> angles(view.depth_m.size(), kNoAngle);
  for (int v = 0; v < view.height; ++v) {
    for (int u = 0; u < view.width; ++u) {
      const double z = view.depth_at(u, v);
      if (!(z > 0)) continue;
      Eigen::Vector3d along_u, along_v;
      if (!tangent(view, K_inv, u, v, 1, 0, discontinuity_m, &along_u)) continue;
      if (!tangent(view, K_inv, u, v, 0, 1, discontinuity_m, &along_v)) continue;
      const Eigen::Vector3d normal_C = along_u.cross(along_v);
      const Eigen::Vector3d ray_C = back_project(K_inv, u, v, z);
      const double norms = normal_C.norm() * ray_C.norm();
      if (!(norms > 0)) continue;
      // |cos| because the normal's sign from the cross product is arbitrary.
      const double cos_theta = std::min(std::abs(normal_C.dot(ray_C)) / norms, 1.0);
      angles[at(view, u, v)] = static_cast<float>(std::acos(cos_theta));
    }
  }
  return angles;
}

CameraView apply_depth_sensor_model(const DepthSensorSpec& spec, const CameraView& view,
                                    std::uint64_t seed) {
  check_buffers(view);
  CameraView noisy = view;
  const bool needs_angles = spec.axial_noise || spec.grazing_holes;
  const std::vector<float> incidence_rad =
      needs_angles ? incidence_angles_rad(view, spec.discontinuity_m) : std::vector<float>();

  // Each component has its own stream, so switching one off leaves the
  // draws of the others as they were.
  if (spec.lateral_noise) {
    noisy.depth_m = lateral_resample(spec, view, derive_seed(seed, "depth_sensor/lateral"));
  }
  if (spec.axial_noise) {
    add_axial_noise(spec, view, incidence_rad, derive_seed(seed, "depth_sensor/axial"),
                    &noisy.depth_m);
  }
  if (spec.quantization) quantize_disparity(spec, view, &noisy.depth_m);
  if (spec.edge_artifacts) {
    edge_artifacts(spec, view, derive_seed(seed, "depth_sensor/edges"), &noisy.depth_m);
  }
  if (spec.grazing_holes) {
    grazing_holes(spec, view, incidence_rad, derive_seed(seed, "depth_sensor/grazing"),
                  &noisy.depth_m);
  }
  if ((spec.rgb_noise || spec.exposure_shift) && !noisy.rgb.empty()) {
    rgb_noise_and_exposure(spec, view, derive_seed(seed, "depth_sensor/rgb"), &noisy.rgb);
  }
  return noisy;
}

}  // namespace dffeval
