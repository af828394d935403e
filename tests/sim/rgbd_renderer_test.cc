// Rendering: metric depth of known surfaces, and back-projection onto the
// table plane.

#include "sim/rgbd_renderer.h"

#include <gtest/gtest.h>

#include "pipeline/point_cloud.h"
#include "sim/scene_spec.h"

namespace dffeval {
namespace {

// A camera straight above the origin looking down, the target box off to the side.
SceneInstance overhead_scene(double camera_height_m, const Eigen::Vector3d& box_xy) {
  SceneInstance s =
      draw_scene(load_scene_spec("clean"), make_object_instance("box", InstanceSet::kSeen, 0), 5);
  CameraPlacement cam;
  cam.name = "top";
  cam.X_WC = look_at_camera(Eigen::Vector3d(0, 0, camera_height_m), Eigen::Vector3d(0, 0, 0));
  cam.width = 160;
  cam.height = 120;
  cam.fovy_deg = 40;
  s.cameras = {cam};
  s.target.X_WObj = Eigen::Isometry3d::Identity();
  s.target.X_WObj.translation() = box_xy;
  return s;
}

TEST(RgbdRenderer, TablePlaneDepthWithinOneMillimetre) {
  const double h = 0.5;
  auto world = World::compose(overhead_scene(h, Eigen::Vector3d(0.3, 0.3, 0)));
  mjData* d = world->make_settled_data(0.05);
  RgbdRenderer renderer;
  const auto views = renderer.render(*world, d);
  mj_deleteData(d);
  const CameraView& v = views.observation.views.at(0);
  int checked = 0;
  for (int y = 10; y < v.height - 10; y += 7) {
    for (int x = 10; x < v.width - 10; x += 7) {
      // Looking straight down, optical-axis depth is the height everywhere.
      ASSERT_NEAR(v.depth_at(x, y), h, 1e-3) << "pixel " << x << "," << y;
      const Eigen::Vector3d p = backproject_pixel(v, x, y, v.depth_at(x, y));
      ASSERT_NEAR(p.z(), 0.0, 1e-3);
      ++checked;
    }
  }
  EXPECT_GT(checked, 200);
}

TEST(RgbdRenderer, BoxTopDepthAndTiltedViewsBackprojectToTable) {
  const ObjectInstance box = make_object_instance("box", InstanceSet::kSeen, 0);
  const double top = box.bounds_obj().max().z();
  auto world = World::compose(overhead_scene(0.6, Eigen::Vector3d(0, 0, 0)));
  mjData* d = world->make_settled_data(0.2);
  RgbdRenderer renderer;
  const auto views = renderer.render(*world, d, /*with_segmentation=*/true);
  const CameraView& v = views.observation.views.at(0);
  EXPECT_NEAR(v.depth_at(v.width / 2, v.height / 2), 0.6 - top, 1e-3);
  EXPECT_EQ(views.segmentation_body.at(0)[(v.height / 2) * v.width + v.width / 2],
            world->target_body());

  // The clean scene's tilted rig: every table pixel back-projects onto z = 0.
  auto rig_world = World::compose(draw_scene(load_scene_spec("clean"), box, 9));
  mjData* d2 = rig_world->make_settled_data(0.2);
  const auto rig = renderer.render(*rig_world, d2, true);
  // Pixel centres on a plane back-project exactly; the few pixels on an
  // object's silhouette may carry rasterization error, so the bound is on
  // 99.5% of pixels (1 mm) and on all of them (3 mm).
  int table_pixels = 0, within_1mm = 0;
  for (std::size_t c = 0; c < rig.observation.views.size(); ++c) {
    const CameraView& cv = rig.observation.views[c];
    for (int y = 0; y < cv.height; y += 3) {
      for (int x = 0; x < cv.width; x += 3) {
        if (rig.segmentation_body[c][y * cv.width + x] != 0 || cv.depth_at(x, y) <= 0) continue;
        const Eigen::Vector3d p = backproject_pixel(cv, x, y, cv.depth_at(x, y));
        if (std::abs(p.x()) > 0.4 || std::abs(p.y()) > 0.4) continue;  // near the edge
        ASSERT_NEAR(p.z(), 0.0, 3e-3);
        within_1mm += std::abs(p.z()) <= 1e-3;
        ++table_pixels;
      }
    }
  }
  EXPECT_GT(table_pixels, 1000);
  EXPECT_GE(within_1mm, 0.995 * table_pixels);
  mj_deleteData(d);
  mj_deleteData(d2);
}

}  // namespace
}  // namespace dffeval
