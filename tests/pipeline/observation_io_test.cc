// Back-projection of a synthetic depth image is exact; captures round-trip
// through the on-disk layout; bad captures give clear errors.

#include "pipeline/observation_io.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/input_error.h"
#include "pipeline/point_cloud.h"

namespace dffeval {
namespace {

CameraView synthetic_view() {
  CameraView v;
  v.name = "cam0";
  v.width = 40;
  v.height = 30;
  v.K << 50, 0, 20, 0, 50, 15, 0, 0, 1;
  v.X_WC = Eigen::Isometry3d::Identity();
  v.X_WC.linear() =
      Eigen::AngleAxisd(0.3, Eigen::Vector3d(1, 1, 0).normalized()).toRotationMatrix();
  v.X_WC.translation() = Eigen::Vector3d(0.1, -0.2, 0.5);
  v.rgb.assign(static_cast<std::size_t>(v.width) * v.height * 3, 128);
  v.depth_m.resize(static_cast<std::size_t>(v.width) * v.height);
  for (int y = 0; y < v.height; ++y)
    for (int x = 0; x < v.width; ++x) v.depth_m[y * v.width + x] = 0.4f + 0.001f * x + 0.002f * y;
  v.depth_m[5] = 0.f;  // one invalid pixel
  return v;
}

TEST(Backproject, SyntheticDepthIsExact) {
  Observation obs;
  obs.views.push_back(synthetic_view());
  const PointCloud cloud = backproject(obs);
  const CameraView& v = obs.views[0];
  ASSERT_EQ(cloud.size(), static_cast<std::size_t>(v.width * v.height - 1));
  for (std::size_t i = 0; i < cloud.size(); ++i) {
    const Eigen::Vector2i px = cloud.pixel[i];
    // Project back: the point must land on its pixel centre at its depth.
    const Eigen::Vector3d p_C = v.X_WC.inverse() * cloud.p_W[i];
    const Eigen::Vector3d uvw = v.K * p_C;
    EXPECT_NEAR(uvw.x() / uvw.z(), px.x() + 0.5, 1e-9);
    EXPECT_NEAR(uvw.y() / uvw.z(), px.y() + 0.5, 1e-9);
    EXPECT_NEAR(p_C.z(), v.depth_at(px.x(), px.y()), 1e-6);
  }
}

TEST(ObservationIo, RoundTripKeepsDepthToOneMillimetre) {
  const auto dir = std::filesystem::temp_directory_path() / "dffeval_obs_io_test";
  std::filesystem::remove_all(dir);
  Observation obs;
  obs.views.push_back(synthetic_view());
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

TEST(Foreground, KeepsObjectDropsTable) {
  PointCloud c;
  for (int i = 0; i < 100; ++i)
    c.push_back(Eigen::Vector3d(0.01 * (i % 10), 0.01 * (i / 10), 0.001), {}, 0, {});
  for (int i = 0; i < 30; ++i) c.push_back(Eigen::Vector3d(0, 0, 0.02 + 0.001 * i), {}, 0, {});
  c.push_back(Eigen::Vector3d(1.0, 0, 0.05), {}, 0, {});  // outside the workspace
  EXPECT_EQ(select_foreground(c).size(), 30u);
  ForegroundConfig ransac;
  ransac.fit_table_plane = true;
  EXPECT_EQ(select_foreground(c, ransac).size(), 30u);
}

}  // namespace
}  // namespace dffeval
