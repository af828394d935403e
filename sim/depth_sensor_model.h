#pragma once
// A depth-sensor model: turns a rendered (ideal) RGB-D view into what a real
// structured-light sensor would return. The renderer's depth is exact; real
// depth has noise that grows with depth and incidence angle, lateral jitter,
// disparity quantization, missing or mixed pixels at object edges and holes
// on surfaces seen edge-on. The pipeline must cope with all of them on real
// captures, so the evaluation can switch each one on separately.
//
// Components, in the order they are applied (each reads the ground truth where
// it needs geometry, so switching one off does not change what the others see):
//   1. lateral noise: each pixel reads the depth at a Gaussian-shifted image
//      position (Handa et al. 2014, ICL-NUIM);
//   2. axial noise: Gaussian depth error sigma_z(z, theta) (Nguyen, Izadi,
//      Lovell 2012), theta from the ground truth's local surface normal;
//   3. disparity quantization (ICL-NUIM's stereo model);
//   4. dropout and flying pixels at depth discontinuities;
//   5. holes on surfaces seen at grazing incidence;
//   6. RGB: per-pixel Gaussian noise and one exposure gain per view.
//
// Presets: `ideal` (everything off: the output is the input, bit for bit) and
// `kinect_v1`. There is deliberately no `azure_kinect` preset: the Azure
// Kinect DK hardware specification gives bounds, not a model (random error
// standard deviation <= 17 mm and systematic error < 11 mm + 0.1% of the
// distance, over all depth modes and the whole operating range). Used as the
// axial sigma, the 17 mm bound would make a time-of-flight sensor ten times
// noisier than a Kinect v1 at table distances, which is not what the sensor
// does; the systematic error is a bias, for which this model has no
// component; and the ToF sensor has no disparity to quantize. Add it when
// measured sigma(z) figures for a depth mode are at hand.

#include <cstdint>
#include <string>
#include <vector>

#include "types/observation.h"

namespace dffeval {

/// Every parameter of the sensor model. Each component has its own switch;
/// with all switches off the model is the identity.
struct DepthSensorSpec {
  /// The preset the values started from (for the record; not read by the model).
  std::string preset = "ideal";

  // --- axial noise (Nguyen, Izadi, Lovell 2012, "Modeling Kinect Sensor Noise
  // for Improved 3D Reconstruction and Tracking", 3DIMPVT, eq. for sigma_z):
  //   sigma_z = base + quadratic * (z - reference)^2                  theta <= onset
  //   sigma_z = ... + angle_coefficient / sqrt(z) * theta^2 / (pi/2 - theta)^2
  //                                                                   theta > onset
  // with z in metres and theta the incidence angle in radians. The paper
  // fitted the first form for 10 to 60 degrees and adds the angle term only
  // beyond 60 degrees (so sigma_z steps up by 0.4 mm / sqrt(z) there).
  bool axial_noise = false;
  /// Depth-independent part of sigma_z, metres.
  double axial_base_sigma_m = 0.0012;
  /// Quadratic growth of sigma_z, metres per square metre of (z - reference).
  double axial_quadratic_m_per_m2 = 0.0019;
  /// Depth at which the quadratic term vanishes, metres.
  double axial_reference_depth_m = 0.4;
  /// Coefficient of the incidence-angle term, metres * sqrt(metre).
  double axial_angle_coefficient_m_sqrt_m = 0.0001;
  /// Incidence angle above which the angle term is added, degrees.
  double axial_angle_onset_deg = 60.0;
  /// The angle term diverges at 90 degrees; theta is capped here, degrees.
  double axial_angle_cap_deg = 89.0;

  // --- lateral noise (Handa, Whelan, McDonald, Davison 2014, "A Benchmark for
  // RGB-D Visual Odometry, 3D Reconstruction and SLAM", ICRA: each pixel is
  // shifted by N(0, 0.5 px) in u and v and the depth resampled bilinearly).
  // Nguyen et al. measured sigma_L = 0.8 + 0.035 theta / (pi/2 - theta) px on
  // the Kinect's 640x480 image; the ICL-NUIM figure is the one used here.
  // Where the four bilinear samples span a discontinuity (or one is invalid)
  // the nearest sample is taken: interpolating there would invent depths
  // between the two surfaces (flying pixels are a separate component).
  bool lateral_noise = false;
  /// Standard deviation of the shift along u and along v, pixels of the view.
  double lateral_sigma_px = 0.5;

  // --- disparity quantization (ICL-NUIM): the sensor measures disparity
  // d = f b / z in steps of disparity_step_px at its own focal length f;
  // z is recovered as f b / d. The step is scaled to the view's focal length
  // fx (d_view = fx b / z in steps of disparity_step_px * fx / f), so the
  // depth step, z^2 * disparity_step_px / (f b), is the sensor's whatever the
  // resolution the view was rendered at. (The simkinect scripts' constant,
  // z_cm = 35130 / round(35130 / z_cm ...), is 8 f b with f b = 4391 px cm,
  // i.e. f ~ 585 px, the Kinect's own focal length, at 7.5 cm; ICL-NUIM's
  // 480 px is its renderer's. Set disparity_focal_px: 585 for the former.)
  bool quantization = false;
  /// The sensor's focal length at which the disparity step holds, pixels.
  double disparity_focal_px = 480.0;
  /// Projector-camera baseline, metres.
  double baseline_m = 0.075;
  /// Disparity resolution, pixels at disparity_focal_px (1/8: sub-pixel steps).
  double disparity_step_px = 0.125;

  /// Two neighbouring depths further apart than this are two surfaces, not
  /// one: used for discontinuities (component 4), for choosing bilinear
  /// samples (1) and the neighbours of the normal estimate (2, 5), metres.
  /// At 0.5 m and 300 px focal length a surface steeper than about 85
  /// degrees also counts as a discontinuity.
  double discontinuity_m = 0.02;

  // --- dropout and flying pixels at discontinuities. A pixel whose
  // (2 r + 1)^2 neighbourhood in the ground truth spans more than
  // discontinuity_m is an edge pixel; it is dropped (depth 0) with
  // probability edge_dropout_probability, else replaced by a mix
  // z_near + t (z_far - z_near), t ~ U(0, 1), with probability
  // flying_pixel_probability. Structured light mostly loses edges (the
  // projector's pattern is occluded and ICL-NUIM's 9x9 window test fails
  // there); flying pixels are the time-of-flight artefact (Azure Kinect ROS
  // driver issue 235). No paper gives the fractions: the kinect_v1 values
  // (0.5, 0.1) are ours, chosen to make edges mostly missing, rarely mixed.
  bool edge_artifacts = false;
  /// Neighbourhood radius r, pixels.
  int edge_radius_px = 1;
  /// Probability that an edge pixel becomes invalid, in [0, 1].
  double edge_dropout_probability = 0.5;
  /// Probability that an edge pixel becomes a mixed depth, in [0, 1];
  /// edge_dropout_probability + flying_pixel_probability <= 1.
  double flying_pixel_probability = 0.1;

  // --- holes at grazing incidence: the projector's pattern is too stretched
  // to match where the surface is seen nearly edge-on. Pixels with incidence
  // above grazing_angle_deg are dropped with probability
  // grazing_dropout_probability. Nguyen et al.'s angle term grows without
  // bound towards 90 degrees (at 78 degrees it is already 4.2 mm at 1 m,
  // above the depth term); where a real sensor stops returning depth is not
  // given there, so 78 degrees and 0.7 are ours.
  bool grazing_holes = false;
  /// Incidence angle above which pixels may be dropped, degrees.
  double grazing_angle_deg = 78.0;
  /// Probability that such a pixel becomes invalid, in [0, 1].
  double grazing_dropout_probability = 0.7;

  // --- RGB (no published Kinect figures; both off in every preset).
  bool rgb_noise = false;
  /// Standard deviation of the per-pixel, per-channel noise, 8-bit levels.
  double rgb_sigma_levels = 2.0;
  bool exposure_shift = false;
  /// Standard deviation of the view's exposure, stops: every channel of the
  /// view is multiplied by 2^(N(0, 1) * exposure_sigma_stops).
  double exposure_sigma_stops = 0.15;

  /// True when every component is off: the model returns its input.
  bool is_ideal() const {
    return !axial_noise && !lateral_noise && !quantization && !edge_artifacts && !grazing_holes &&
           !rgb_noise && !exposure_shift;
  }
};

/// Every component off: apply_depth_sensor_model returns the input.
DepthSensorSpec ideal_depth_sensor();
/// Kinect v1 (structured light, 640x480, f ~ 580 px) from the figures above:
/// axial, lateral, quantization, edge artefacts and grazing holes; RGB off.
/// Nguyen et al.'s sigma_z was measured on the sensor's output, which
/// already contains its quantization; adding ICL-NUIM's quantization on top
/// follows ICL-NUIM and makes the preset slightly pessimistic beyond 1 m.
DepthSensorSpec kinect_v1_depth_sensor();

/// The noisy version of `view`: depth (and RGB where switched on) changed by
/// the components of `spec`; name, size, K and pose are copied. Randomness
/// comes only from `seed` (one stream per component and image row), so the
/// result is the same on every run, machine and thread count. `view` is not
/// changed: it stays the ground truth. Throws std::invalid_argument if the
/// view's buffers do not match its size or K has no positive focal lengths.
CameraView apply_depth_sensor_model(const DepthSensorSpec& spec, const CameraView& view,
                                    std::uint64_t seed);

/// Angle between the surface normal (from finite differences of the
/// back-projected depth, neighbours across a discontinuity left out) and the
/// viewing ray, per pixel, radians in [0, pi/2]; NaN where the depth is
/// invalid or no normal can be formed. Row-major, height * width.
std::vector<float> incidence_angles_rad(const CameraView& view, double discontinuity_m);

/// sigma_z(z, theta) of the axial component, metres; depth_m in metres,
/// incidence_rad in radians (NaN: unknown, treated as 0).
double axial_sigma_m(const DepthSensorSpec& spec, double depth_m, double incidence_rad);

}  // namespace dffeval
