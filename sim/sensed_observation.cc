#include "sim/sensed_observation.h"

#include "common/seeded_rng.h"

namespace dffeval {

nlohmann::json SensedObservation::to_json() const {
  nlohmann::json j = {{"sensor_preset", sensor_preset}};
  if (calibration.empty()) return j;
  nlohmann::json& cameras = j["calibration_error"];
  for (std::size_t i = 0; i < calibration.size(); ++i) {
    cameras[observation.views[i].name] = calibration[i].to_json();
  }
  return j;
}

SensedObservation sense_observation(const DepthSensorSpec& sensor,
                                    const CalibrationErrorSpec& calibration,
                                    const Observation& truth, std::uint64_t scene_seed) {
  SensedObservation out;
  out.sensor_preset = sensor.preset;
  out.observation.views.reserve(truth.views.size());
  for (const CameraView& view : truth.views) {
    CameraView sensed =
        apply_depth_sensor_model(sensor, view, derive_seed(scene_seed, "sensor/" + view.name));
    if (calibration.enabled()) {
      const CalibrationError error =
          draw_calibration_error(calibration, derive_seed(scene_seed, "calibration/" + view.name));
      sensed = apply_calibration_error(error, sensed);
      out.calibration.push_back(error);
    }
    out.observation.views.push_back(std::move(sensed));
  }
  return out;
}

}  // namespace dffeval
