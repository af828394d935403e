// Depth-sensor settings: the preset sets every value, keys override it, and
// bad settings (unknown keys and presets, values out of range, wrong types)
// are InputErrors that name the file, the line and the key.

#include "sim/depth_sensor_settings.h"

#include <gtest/gtest.h>

#include <string>

#include "common/input_error.h"

namespace dffeval {
namespace {

/// The spec of the `sensor:` mapping in `text`.
DepthSensorSpec read(const std::string& text) {
  return read_depth_sensor_spec(StrictYaml::load_string(text, "sensor.yaml").child("sensor"));
}

/// The InputError message of reading `text`, or "" if it reads.
std::string read_error(const std::string& text) {
  try {
    read(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(DepthSensorSettings, PresetThenOverrides) {
  const DepthSensorSpec spec = read(
      "sensor:\n"
      "  preset: kinect_v1\n"
      "  lateral_sigma_px: 0.8\n"
      "  quantization: false\n"
      "  rgb_noise: true\n"
      "  grazing_angle_deg: 80\n");
  const DepthSensorSpec kinect = kinect_v1_depth_sensor();
  EXPECT_EQ(spec.preset, "kinect_v1");
  EXPECT_TRUE(spec.axial_noise);
  EXPECT_TRUE(spec.lateral_noise);
  EXPECT_DOUBLE_EQ(spec.lateral_sigma_px, 0.8);
  EXPECT_FALSE(spec.quantization);
  EXPECT_TRUE(spec.rgb_noise);
  EXPECT_DOUBLE_EQ(spec.grazing_angle_deg, 80.0);
  // Untouched keys keep the preset's values.
  EXPECT_TRUE(spec.edge_artifacts);
  EXPECT_TRUE(spec.grazing_holes);
  EXPECT_DOUBLE_EQ(spec.axial_base_sigma_m, kinect.axial_base_sigma_m);
  EXPECT_DOUBLE_EQ(spec.baseline_m, kinect.baseline_m);
  EXPECT_DOUBLE_EQ(spec.grazing_dropout_probability, kinect.grazing_dropout_probability);
  EXPECT_FALSE(spec.exposure_shift);
}

TEST(DepthSensorSettings, AnEmptyMappingIsIdeal) {
  const DepthSensorSpec spec = read("sensor: {}\n");
  EXPECT_EQ(spec.preset, "ideal");
  EXPECT_FALSE(spec.axial_noise || spec.lateral_noise || spec.quantization || spec.edge_artifacts ||
               spec.grazing_holes || spec.rgb_noise || spec.exposure_shift);
}

TEST(DepthSensorSettings, PresetsByName) {
  EXPECT_TRUE(depth_sensor_preset("kinect_v1").axial_noise);
  EXPECT_FALSE(depth_sensor_preset("ideal").axial_noise);
  for (const std::string& name : depth_sensor_preset_names()) {
    EXPECT_EQ(depth_sensor_preset(name).preset, name);
  }
  try {
    depth_sensor_preset("azure_kinect");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_TRUE(contains(e.what(), "azure_kinect")) << e.what();
    EXPECT_TRUE(contains(e.what(), "ideal, kinect_v1")) << e.what();
  }
}

TEST(DepthSensorSettings, UnknownKeyNamesFileLineAndKey) {
  const std::string error = read_error(
      "sensor:\n"
      "  preset: ideal\n"
      "  lateral_sigma: 0.5\n");
  EXPECT_TRUE(contains(error, "sensor.yaml:3")) << error;
  EXPECT_TRUE(contains(error, "sensor.lateral_sigma")) << error;
}

TEST(DepthSensorSettings, UnknownPresetNamesTheKeyAndTheKnownOnes) {
  const std::string error = read_error("sensor: {preset: kinect_v9}\n");
  EXPECT_TRUE(contains(error, "sensor.preset")) << error;
  EXPECT_TRUE(contains(error, "kinect_v9")) << error;
  EXPECT_TRUE(contains(error, "ideal, kinect_v1")) << error;
}

TEST(DepthSensorSettings, NegativeSigmasAreRefused) {
  for (const std::string key : {"axial_base_sigma_m", "lateral_sigma_px", "rgb_sigma_levels",
                                "exposure_sigma_stops", "axial_quadratic_m_per_m2"}) {
    const std::string error = read_error("sensor:\n  preset: kinect_v1\n  " + key + ": -0.1\n");
    EXPECT_TRUE(contains(error, "sensor.yaml:3")) << error;
    EXPECT_TRUE(contains(error, "sensor." + key)) << error;
    EXPECT_TRUE(contains(error, "must be in")) << error;
  }
}

TEST(DepthSensorSettings, ProbabilitiesOutsideZeroOneAreRefused) {
  for (const std::string key :
       {"edge_dropout_probability", "flying_pixel_probability", "grazing_dropout_probability"}) {
    for (const std::string value : {"-0.1", "1.5"}) {
      const std::string error = read_error("sensor: {" + key + ": " + value + "}\n");
      EXPECT_TRUE(contains(error, "sensor." + key)) << key << " = " << value << ": " << error;
    }
  }
  // Each may be 1, but together they share one draw.
  EXPECT_EQ(read_error("sensor: {edge_dropout_probability: 1, flying_pixel_probability: 0}\n"), "");
  const std::string sum =
      read_error("sensor: {edge_dropout_probability: 0.7, flying_pixel_probability: 0.4}\n");
  EXPECT_TRUE(contains(sum, "sensor.flying_pixel_probability")) << sum;
}

TEST(DepthSensorSettings, OtherBadValuesNameTheKey) {
  const struct {
    std::string text, key;
  } cases[] = {
      {"sensor: {axial_noise: maybe}\n", "sensor.axial_noise"},
      {"sensor: {baseline_m: 0}\n", "sensor.baseline_m"},
      {"sensor: {disparity_step_px: -0.125}\n", "sensor.disparity_step_px"},
      {"sensor: {grazing_angle_deg: 95}\n", "sensor.grazing_angle_deg"},
      {"sensor: {axial_angle_cap_deg: 90}\n", "sensor.axial_angle_cap_deg"},
      {"sensor: {edge_radius_px: 0}\n", "sensor.edge_radius_px"},
      {"sensor: {discontinuity_m: .nan}\n", "sensor.discontinuity_m"},
      {"sensor: 3\n", "sensor"},
  };
  for (const auto& c : cases) {
    const std::string error = read_error(c.text);
    EXPECT_TRUE(contains(error, "key '" + c.key)) << c.text << ": " << error;
  }
}

}  // namespace
}  // namespace dffeval
