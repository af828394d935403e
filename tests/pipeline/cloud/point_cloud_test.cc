// Back-projection of a synthetic depth image is exact, and the foreground
// keeps the object and drops the table (workspace box, plane fit).

#include "pipeline/cloud/point_cloud.h"

#include <gtest/gtest.h>

#include "tests/fixtures/synthetic_views.h"

namespace dffeval {
namespace {

using fixtures::ramp_view;

TEST(Backproject, SyntheticDepthIsExact) {
  Observation obs;
  obs.views.push_back(ramp_view());
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
