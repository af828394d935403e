#include "sim/depth_sensor_settings.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/input_error.h"

namespace dffeval {
namespace {

/// Reads `key` into `value` if present (the preset's value stays otherwise)
/// and checks it lies in [lo, hi] (`open_lo`: in (lo, hi]).
void read_range(const StrictYaml& y, const std::string& key, double lo, double hi, bool open_lo,
                const std::string& unit, double* value) {
  *value = y.get_or(key, *value);
  const bool above = open_lo ? *value > lo : *value >= lo;
  if (!above || *value > hi) {
    y.fail(key, fmt::format("must be in {}{}, {}] {} (got {})", open_lo ? "(" : "[", lo, hi, unit,
                            *value));
  }
}

/// A standard deviation or other non-negative scale.
void read_non_negative(const StrictYaml& y, const std::string& key, double hi,
                       const std::string& unit, double* value) {
  read_range(y, key, 0.0, hi, false, unit, value);
}

void read_probability(const StrictYaml& y, const std::string& key, double* value) {
  read_range(y, key, 0.0, 1.0, false, "(a probability)", value);
}

void read_switch(const StrictYaml& y, const std::string& key, bool* value) {
  *value = y.get_or(key, *value);
}

void read_axial(const StrictYaml& y, DepthSensorSpec* s) {
  read_switch(y, "axial_noise", &s->axial_noise);
  read_non_negative(y, "axial_base_sigma_m", 0.5, "m", &s->axial_base_sigma_m);
  read_non_negative(y, "axial_quadratic_m_per_m2", 0.5, "m/m^2", &s->axial_quadratic_m_per_m2);
  read_non_negative(y, "axial_reference_depth_m", 10.0, "m", &s->axial_reference_depth_m);
  read_non_negative(y, "axial_angle_coefficient_m_sqrt_m", 0.1, "m*sqrt(m)",
                    &s->axial_angle_coefficient_m_sqrt_m);
  read_range(y, "axial_angle_onset_deg", 0.0, 90.0, false, "degrees", &s->axial_angle_onset_deg);
  // The angle term diverges at 90 degrees: the cap must stay below it.
  read_range(y, "axial_angle_cap_deg", 0.0, 89.9, true, "degrees", &s->axial_angle_cap_deg);
}

void read_lateral_and_quantization(const StrictYaml& y, DepthSensorSpec* s) {
  read_switch(y, "lateral_noise", &s->lateral_noise);
  read_non_negative(y, "lateral_sigma_px", 10.0, "pixels", &s->lateral_sigma_px);
  read_switch(y, "quantization", &s->quantization);
  // Zero focal length, baseline or step would divide by zero.
  read_range(y, "disparity_focal_px", 0.0, 1e5, true, "pixels", &s->disparity_focal_px);
  read_range(y, "baseline_m", 0.0, 2.0, true, "m", &s->baseline_m);
  read_range(y, "disparity_step_px", 0.0, 10.0, true, "pixels", &s->disparity_step_px);
  read_range(y, "discontinuity_m", 0.0, 10.0, true, "m", &s->discontinuity_m);
}

void read_holes(const StrictYaml& y, DepthSensorSpec* s) {
  read_switch(y, "edge_artifacts", &s->edge_artifacts);
  s->edge_radius_px = y.get_or("edge_radius_px", s->edge_radius_px);
  if (s->edge_radius_px < 1 || s->edge_radius_px > 10) {
    y.fail("edge_radius_px", fmt::format("must be in [1, 10] pixels (got {})", s->edge_radius_px));
  }
  read_probability(y, "edge_dropout_probability", &s->edge_dropout_probability);
  read_probability(y, "flying_pixel_probability", &s->flying_pixel_probability);
  if (s->edge_dropout_probability + s->flying_pixel_probability > 1.0) {
    // Named by the second key: the pair is over 1 once both are read.
    y.fail("flying_pixel_probability",
           fmt::format("edge_dropout_probability + flying_pixel_probability must be <= 1 "
                       "(got {} + {})",
                       s->edge_dropout_probability, s->flying_pixel_probability));
  }
  read_switch(y, "grazing_holes", &s->grazing_holes);
  read_range(y, "grazing_angle_deg", 0.0, 90.0, false, "degrees", &s->grazing_angle_deg);
  read_probability(y, "grazing_dropout_probability", &s->grazing_dropout_probability);
}

void read_rgb(const StrictYaml& y, DepthSensorSpec* s) {
  read_switch(y, "rgb_noise", &s->rgb_noise);
  read_non_negative(y, "rgb_sigma_levels", 128.0, "8-bit levels", &s->rgb_sigma_levels);
  read_switch(y, "exposure_shift", &s->exposure_shift);
  read_non_negative(y, "exposure_sigma_stops", 4.0, "stops", &s->exposure_sigma_stops);
}

}  // namespace

std::vector<std::string> depth_sensor_preset_names() { return {"ideal", "kinect_v1"}; }

DepthSensorSpec depth_sensor_preset(const std::string& name) {
  if (name == "ideal") return ideal_depth_sensor();
  if (name == "kinect_v1") return kinect_v1_depth_sensor();
  throw InputError(fmt::format("unknown depth sensor preset '{}' (known: {})", name,
                               fmt::join(depth_sensor_preset_names(), ", ")));
}

DepthSensorSpec read_depth_sensor_spec(const StrictYaml& node) {
  if (!node.is_map()) node.fail("", "expected a mapping of sensor settings");
  const std::string preset = node.get_or<std::string>("preset", "ideal");
  DepthSensorSpec spec;
  try {
    spec = depth_sensor_preset(preset);
  } catch (const InputError& e) {
    node.fail("preset", e.what());
  }
  read_axial(node, &spec);
  read_lateral_and_quantization(node, &spec);
  read_holes(node, &spec);
  read_rgb(node, &spec);
  node.reject_unknown_keys();
  return spec;
}

}  // namespace dffeval
