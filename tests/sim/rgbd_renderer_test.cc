// Rendering: metric depth of known surfaces, and back-projection onto the
// table plane.

#include "sim/rgbd_renderer.h"

#include <gtest/gtest.h>

#include "pipeline/cloud/point_cloud.h"
#include "sim/scene_set.h"

namespace dffeval {
namespace {

// A camera straight above the origin looking down, the target box off to the side.
DrawnScene overhead_scene(double camera_height_m, const Eigen::Vector3d& box_xy) {
  DrawnScene s =
      draw_scene(load_scene_set("clean"), make_object_instance("box", InstanceSet::kSeen, 0), 5);
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
  const MjDataPtr d_data = world->make_settled_data(0.05);
  mjData* d = d_data.get();
  RgbdRenderer renderer;
  const auto views = renderer.render(*world, d);
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
  const MjDataPtr d_data = world->make_settled_data(0.2);
  mjData* d = d_data.get();
  RgbdRenderer renderer;
  const auto views = renderer.render(*world, d, /*with_segmentation=*/true);
  const CameraView& v = views.observation.views.at(0);
  EXPECT_NEAR(v.depth_at(v.width / 2, v.height / 2), 0.6 - top, 1e-3);
  EXPECT_EQ(views.segmentation_body.at(0)[(v.height / 2) * v.width + v.width / 2],
            world->target_body());

  // The clean scene's tilted rig: every table pixel back-projects onto z = 0.
  auto rig_world = World::compose(draw_scene(load_scene_set("clean"), box, 9));
  const MjDataPtr d2_data = rig_world->make_settled_data(0.2);
  mjData* d2 = d2_data.get();
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
}

// One renderer used for one world after another (as a suite worker does) must
// draw each world's own objects. The renderer once keyed its GPU uploads on
// the model's address; a new world allocated where a freed one had been was
// then drawn with the old object's meshes. Worlds are composed and freed in
// turn here so that addresses get reused; every render must equal the render
// of a renderer that saw only that world.
TEST(RgbdRenderer, EachWorldIsDrawnWithItsOwnObjectsAfterAnother) {
  const SceneSet spec = load_scene_set("clean");
  RgbdRenderer shared;
  for (int k = 0; k < 6; ++k) {
    const char* category = k % 2 == 0 ? "mug" : "bowl";
    const DrawnScene scene =
        draw_scene(spec, make_object_instance(category, InstanceSet::kSeen, k), 100 + k);
    auto world = World::compose(scene);
    const MjDataPtr d_data = world->make_settled_data(0.05);
    mjData* d = d_data.get();
    const auto seen = shared.render(*world, d);
    RgbdRenderer fresh;
    const auto expected = fresh.render(*world, d);
    ASSERT_EQ(seen.observation.views.size(), expected.observation.views.size());
    for (std::size_t v = 0; v < seen.observation.views.size(); ++v) {
      const CameraView& a = seen.observation.views[v];
      const CameraView& b = expected.observation.views[v];
      ASSERT_EQ(a.depth_m.size(), b.depth_m.size());
      ASSERT_EQ(a.rgb.size(), b.rgb.size());
      int depth_diff = 0, rgb_diff = 0;
      for (std::size_t i = 0; i < a.depth_m.size(); ++i) depth_diff += a.depth_m[i] != b.depth_m[i];
      for (std::size_t i = 0; i < a.rgb.size(); ++i) rgb_diff += a.rgb[i] != b.rgb[i];
      EXPECT_EQ(depth_diff, 0) << "depth pixels differ: world " << k << " (" << category
                               << "), view " << v;
      EXPECT_EQ(rgb_diff, 0) << "colour bytes differ: world " << k << " (" << category << "), view "
                             << v;
    }
  }
}

}  // namespace
}  // namespace dffeval

namespace dffeval {
namespace {

// One camera's colour alone is the full render's colour of that camera, bit
// for bit; a viewpoint far from the table sees the object smaller than the
// scene camera does, and a camera the scene lacks is refused.
TEST(RgbdRenderer, OneCameraAndAViewpointRenderColourAlone) {
  auto world = World::compose(
      draw_scene(load_scene_set("clean"), make_object_instance("can", InstanceSet::kSeen, 0), 3));
  const MjDataPtr d = world->make_settled_data(0.05);
  RgbdRenderer renderer;
  const RenderedViews all = renderer.render(*world, d.get());
  const CameraView one = renderer.render_colour(*world, d.get(), 2);
  EXPECT_EQ(one.rgb, all.observation.views[2].rgb);
  EXPECT_TRUE(one.depth_m.empty());
  EXPECT_THROW(renderer.render_colour(*world, d.get(), 4), std::out_of_range);

  const Eigen::Vector3d object = world->body_pose(d.get(), world->target_body()).translation();
  auto object_pixels = [&](const std::vector<std::uint8_t>& rgb) {
    // The table is beige and the background black; the can is bluish.
    int n = 0;
    for (std::size_t i = 0; i + 2 < rgb.size(); i += 3) n += rgb[i + 2] > rgb[i] + 40;
    return n;
  };
  Viewpoint near_view{object, 0.4, 45.0, -30.0}, far_view{object, 1.2, 45.0, -30.0};
  const auto near_rgb = renderer.render_viewpoint(*world, d.get(), near_view);
  const auto far_rgb = renderer.render_viewpoint(*world, d.get(), far_view);
  ASSERT_EQ(near_rgb.size(), 320u * 240u * 3u);
  EXPECT_GT(object_pixels(near_rgb), 3 * object_pixels(far_rgb));
  EXPECT_GT(object_pixels(far_rgb), 20);
}

}  // namespace
}  // namespace dffeval
