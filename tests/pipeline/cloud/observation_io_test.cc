// Captures round-trip through the on-disk layout (cameras.json and PNGs);
// bad captures give clear errors.

#include "pipeline/cloud/observation_io.h"

#include <gtest/gtest.h>
#include <lodepng.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/input_error.h"
#include "tests/fixtures/synthetic_views.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

using fixtures::ramp_view;

TEST(ObservationIo, RoundTripKeepsDepthToOneMillimetre) {
  const auto dir = fixtures::fresh_temp_dir("obs_io_test");
  Observation obs;
  obs.views.push_back(ramp_view());
  save_observation(obs, dir, {{"note", "test"}});
  const Observation back = load_observation(dir);
  ASSERT_EQ(back.views.size(), 1u);
  const auto& a = obs.views[0];
  const auto& b = back.views[0];
  EXPECT_TRUE(a.K.isApprox(b.K));
  EXPECT_TRUE(a.X_WC.isApprox(b.X_WC, 1e-9));
  EXPECT_EQ(a.rgb, b.rgb);
  for (std::size_t i = 0; i < a.depth_m.size(); ++i)
    EXPECT_NEAR(a.depth_m[i], b.depth_m[i], 0.5e-3);
  EXPECT_EQ(load_capture_metadata(dir)["note"], "test");

  // A missing image is named in the error.
  std::filesystem::remove(dir / "cam0_depth.png");
  try {
    load_observation(dir);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("cam0_depth.png"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_observation(dir / "nope"), InputError);
  std::filesystem::remove_all(dir);
}

std::string load_error(const std::filesystem::path& dir) {
  try {
    load_observation(dir);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ObservationIo, AnEightBitDepthPngIsNamedAsSuch) {
  const auto dir = fixtures::fresh_temp_dir("obs_io_8bit");
  Observation obs;
  obs.views.push_back(ramp_view());
  save_observation(obs, dir, {});
  const auto& v = obs.views[0];
  const std::vector<unsigned char> grey(static_cast<std::size_t>(v.width) * v.height, 200);
  ASSERT_EQ(
      lodepng::encode((dir / "cam0_depth.png").string(), grey, v.width, v.height, LCT_GREY, 8), 0u);
  const std::string e = load_error(dir);
  EXPECT_NE(e.find("cam0_depth.png: depth must be a 16-bit PNG in millimetres"), std::string::npos)
      << e;
  std::filesystem::remove_all(dir);
}

TEST(ObservationIo, ACaptureWithoutAnyDepthIsNamedAsSuch) {
  const auto dir = fixtures::fresh_temp_dir("obs_io_nodepth");
  Observation obs;
  obs.views.push_back(ramp_view());
  std::fill(obs.views[0].depth_m.begin(), obs.views[0].depth_m.end(), 0.0f);
  save_observation(obs, dir, {});
  const std::string e = load_error(dir);
  EXPECT_NE(e.find(dir.string() + ": every depth pixel of every view is 0"), std::string::npos)
      << e;
  std::filesystem::remove_all(dir);
}

TEST(ObservationIo, AZeroOrShortCameraQuaternionNamesFileViewAndKey) {
  const auto dir = fixtures::fresh_temp_dir("obs_io_quat");
  Observation obs;
  obs.views.push_back(ramp_view());
  save_observation(obs, dir, {});
  const auto file = dir / "cameras.json";
  nlohmann::json meta = load_capture_metadata(dir);
  const std::string name = meta["views"][0]["name"];
  meta["views"][0]["X_WC"]["quat_wxyz"] = {0, 0, 0, 0};
  std::ofstream(file) << meta.dump();
  std::string e = load_error(dir);
  EXPECT_NE(e.find(file.string() + ": view '" + name + "': key 'X_WC.quat_wxyz': zero quaternion"),
            std::string::npos)
      << e;
  meta["views"][0]["X_WC"]["quat_wxyz"] = {1, 0};
  std::ofstream(file) << meta.dump();
  e = load_error(dir);
  EXPECT_NE(e.find("key 'X_WC.quat_wxyz': expected 4 numbers"), std::string::npos) << e;
  std::filesystem::remove_all(dir);
}

// Found by the capture fuzz target (tests/fuzz/capture_fuzz.cc): a damaged
// RGB file kept stb_image trying other formats for seconds; a damaged size
// header was decoded before it was compared.
TEST(ObservationIo, ARgbFileThatIsNotAPngIsRefusedAtOnce) {
  const auto dir = fixtures::fresh_temp_dir("obs_io_notpng");
  Observation obs;
  obs.views.push_back(ramp_view());
  save_observation(obs, dir, {});
  std::ofstream(dir / "cam0_rgb.png", std::ios::binary | std::ios::trunc)
      << std::string("\0\0\n \";epth_um\":  \"foorZZZRRRZZZ\n}");
  const std::string e = load_error(dir);
  EXPECT_NE(e.find("cam0_rgb.png: the RGB image must be a PNG file"), std::string::npos) << e;
  // A PNG of the wrong size is named before it is decoded.
  const auto& v = obs.views[0];
  const std::vector<unsigned char> rgb(static_cast<std::size_t>(v.width + 1) * v.height * 3, 9);
  ASSERT_EQ(lodepng::encode((dir / "cam0_rgb.png").string(), rgb, v.width + 1, v.height, LCT_RGB),
            0u);
  EXPECT_NE(load_error(dir).find("cameras.json says"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(ObservationIo, ABadDepthUnitOrIntrinsicIsNamed) {
  const auto dir = fixtures::fresh_temp_dir("obs_io_unit");
  Observation obs;
  obs.views.push_back(ramp_view());
  save_observation(obs, dir, {});
  const auto file = dir / "cameras.json";
  const nlohmann::json good = load_capture_metadata(dir);
  for (const double unit : {-0.001, 0.0, 5.0}) {
    nlohmann::json meta = good;
    meta["depth_unit_m"] = unit;
    std::ofstream(file, std::ios::trunc) << meta.dump();
    const std::string e = load_error(dir);
    EXPECT_NE(e.find("key 'depth_unit_m': must be in (0, 1] metres"), std::string::npos) << e;
  }
  // 1e999 reads as infinity.
  std::string text = good.dump();
  const auto fx = text.find("\"K\":[") + 5;
  text.replace(fx, text.find(',', fx) - fx, "1e999");
  std::ofstream(file, std::ios::trunc) << text;
  const std::string e = load_error(dir);
  EXPECT_TRUE(e.find("need 9 finite numbers") != std::string::npos ||
              e.find("malformed") != std::string::npos ||
              e.find("invalid JSON") != std::string::npos)
      << e;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dffeval
