// Captures round-trip through the on-disk layout (cameras.json and PNGs);
// bad captures give clear errors.

#include "pipeline/cloud/observation_io.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/input_error.h"
#include "tests/fixtures/synthetic_views.h"

namespace dffeval {
namespace {

using fixtures::ramp_view;

TEST(ObservationIo, RoundTripKeepsDepthToOneMillimetre) {
  const auto dir = std::filesystem::temp_directory_path() / "dffeval_obs_io_test";
  std::filesystem::remove_all(dir);
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

}  // namespace
}  // namespace dffeval
