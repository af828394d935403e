#pragma once
// Reading a depth-sensor model (sim/depth_sensor_model.h) from YAML:
//
//   sensor:
//     preset: kinect_v1          # ideal (default) | kinect_v1: sets every value
//     lateral_sigma_px: 0.8      # then any key of DepthSensorSpec overrides it
//     rgb_noise: true
//
// Keys have the names of DepthSensorSpec's fields (switches: axial_noise,
// lateral_noise, quantization, edge_artifacts, grazing_holes, rgb_noise,
// exposure_shift). Unknown keys and values out of range are InputErrors that
// name the file, the line and the key.

#include <string>
#include <vector>

#include "common/strict_yaml.h"
#include "sim/depth_sensor_model.h"

namespace dffeval {

/// The names depth_sensor_preset knows, in a stable order.
std::vector<std::string> depth_sensor_preset_names();

/// The preset of that name; throws InputError listing the known presets.
DepthSensorSpec depth_sensor_preset(const std::string& name);

/// The spec of a sensor mapping (the value of `sensor:`, not its parent):
/// `preset` first, then every other key overrides one value.
DepthSensorSpec read_depth_sensor_spec(const StrictYaml& node);

}  // namespace dffeval
