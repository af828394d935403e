#pragma once
// What a scene set's camera rig hands a method: the rendered ground truth
// passed through the rig's depth-sensor model (noisy pixels) and its
// calibration error (wrong poses and intrinsics). The ground truth itself is
// never changed: callers keep it for diagnostics, labelled as such.
//
// Randomness: view v of a scene drawn with seed S gets its sensor noise from
// derive_seed(S, "sensor/" + v.name) and its calibration error from
// derive_seed(S, "calibration/" + v.name), so every command that draws the
// same scene (run, transfer, fieldeval, render) sees the same capture, and a
// camera's calibration error does not depend on how many cameras come
// before it.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/calibration_error.h"
#include "sim/depth_sensor_model.h"
#include "sim/scene_set.h"
#include "types/observation.h"

namespace dffeval {

struct SensedObservation {
  /// The views as the method receives them.
  Observation observation;
  /// Per view (same order): the calibration error applied to it; empty when
  /// the rig has no calibration error.
  std::vector<CalibrationError> calibration;
  /// The depth-sensor preset the model started from ("ideal": none).
  std::string sensor_preset = "ideal";
  /// The sensor preset and per-camera calibration errors, for result files.
  nlohmann::json to_json() const;
};

/// `truth` through `sensor` and `calibration`. With the ideal sensor and no
/// calibration error the result is `truth`, bit for bit.
SensedObservation sense_observation(const DepthSensorSpec& sensor,
                                    const CalibrationErrorSpec& calibration,
                                    const Observation& truth, std::uint64_t scene_seed);

/// The same with the scene set's sensor and calibration error.
inline SensedObservation sense_observation(const SceneSet& set, const Observation& truth,
                                           std::uint64_t scene_seed) {
  return sense_observation(set.sensor, set.calibration, truth, scene_seed);
}

/// True when a capture through the scene set's rig depends on its seed
/// (a depth-sensor component or a calibration error is on); false when it is
/// the render itself.
inline bool capture_is_random(const SceneSet& set) {
  return !set.sensor.is_ideal() || set.calibration.enabled();
}

}  // namespace dffeval
