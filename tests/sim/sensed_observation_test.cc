// What a rig hands a method: the sensor model on a rendered table plane
// (statistics against the published formulas, written out again here), the
// ideal rig bitwise the render, the seeding per scene and camera, and the
// shipped scene sets' rigs.

#include "sim/sensed_observation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/seeded_rng.h"
#include "sim/depth_sensor_settings.h"
#include "sim/rgbd_renderer.h"
#include "sim/world.h"

namespace dffeval {
namespace {

/// A 160x120 camera straight above the table centre at `height_m`, the
/// target box far off to the side (out of the central region measured).
Observation rendered_table(double height_m, RgbdRenderer& renderer) {
  DrawnScene s =
      draw_scene(load_scene_set("clean"), make_object_instance("box", InstanceSet::kSeen, 0), 5);
  CameraPlacement cam;
  cam.name = "top";
  cam.X_WC = look_at_camera(Eigen::Vector3d(0, 0.001, height_m), Eigen::Vector3d(0, 0, 0));
  cam.width = 160;
  cam.height = 120;
  cam.fovy_deg = 40;
  s.cameras = {cam};
  s.target.X_WObj = Eigen::Isometry3d::Identity();
  s.target.X_WObj.translation() = Eigen::Vector3d(0.4, 0.4, 0);
  auto world = World::compose(s);
  const MjDataPtr d = world->make_settled_data(0.05);
  return renderer.render(*world, d.get()).observation;
}

/// Nguyen, Izadi, Lovell 2012 below 60 degrees, and ICL-NUIM's quantization
/// step (480 px focal length, 7.5 cm baseline, 1/8 px), metres.
double nguyen_sigma_m(double z) { return 0.0012 + 0.0019 * (z - 0.4) * (z - 0.4); }
double quantization_step_m(double z) { return z * z * 0.125 / (480.0 * 0.075); }

struct PlaneStats {
  double std_m = 0;
  double hole_fraction = 0;
};

/// Over the central half of the image (the table only): the standard
/// deviation of sensed - truth and the fraction of pixels without depth.
PlaneStats central_stats(const CameraView& truth, const CameraView& sensed) {
  double sum = 0, sum_sq = 0;
  int n = 0, holes = 0, total = 0;
  for (int v = truth.height / 4; v < 3 * truth.height / 4; ++v) {
    for (int u = truth.width / 4; u < 3 * truth.width / 4; ++u) {
      ++total;
      const double z = sensed.depth_at(u, v);
      if (!(z > 0)) {
        ++holes;
        continue;
      }
      const double e = z - truth.depth_at(u, v);
      sum += e;
      sum_sq += e * e;
      ++n;
    }
  }
  const double mean = sum / n;
  return {std::sqrt(sum_sq / n - mean * mean), static_cast<double>(holes) / total};
}

TEST(SensedObservation, KinectOnARenderedTablePlaneMatchesThePublishedNoise) {
  RgbdRenderer renderer;
  for (double h : {0.5, 1.0}) {
    const Observation truth = rendered_table(h, renderer);
    const SensedObservation sensed =
        sense_observation(kinect_v1_depth_sensor(), CalibrationErrorSpec{}, truth, 77);
    const PlaneStats stats = central_stats(truth.views[0], sensed.observation.views[0]);
    // Depth is h over the whole (fronto-parallel) plane, rays at most 25
    // degrees off axis: the depth term plus uniform rounding over one step.
    const double sigma = nguyen_sigma_m(h), step = quantization_step_m(h);
    const double expected = std::sqrt(sigma * sigma + step * step / 12.0);
    std::printf("[ measured ] rendered plane at %.1f m: std %.3f mm (predicted %.3f), holes %.4f\n",
                h, 1e3 * stats.std_m, 1e3 * expected, stats.hole_fraction);
    EXPECT_NEAR(stats.std_m / expected, 1.0, 0.10) << "height " << h;
    // No edges and no grazing incidence on a plane seen from above: no holes.
    EXPECT_EQ(stats.hole_fraction, 0.0) << "height " << h;
  }
}

TEST(SensedObservation, GrazingViewOfTheTableHasHoles) {
  // A camera 5 cm above the table looking at a point 0.5 m away sees the
  // table at about 84 degrees incidence: most of it is beyond the 78-degree
  // hole onset, and 0.7 of those pixels are dropped.
  RgbdRenderer renderer;
  DrawnScene s =
      draw_scene(load_scene_set("clean"), make_object_instance("box", InstanceSet::kSeen, 0), 5);
  CameraPlacement cam;
  cam.name = "low";
  cam.X_WC = look_at_camera(Eigen::Vector3d(-0.4, 0, 0.05), Eigen::Vector3d(0.1, 0, 0));
  cam.width = 160;
  cam.height = 120;
  cam.fovy_deg = 20;
  s.cameras = {cam};
  s.target.X_WObj.translation() = Eigen::Vector3d(0.4, 0.4, 0);
  auto world = World::compose(s);
  const MjDataPtr d = world->make_settled_data(0.05);
  const Observation truth = renderer.render(*world, d.get()).observation;
  const Observation sensed =
      sense_observation(kinect_v1_depth_sensor(), CalibrationErrorSpec{}, truth, 3).observation;
  int table = 0, holes = 0;
  const CameraView& t = truth.views[0];
  for (int v = t.height / 2 + 5; v < t.height; ++v) {
    for (int u = 0; u < t.width; ++u) {
      if (!(t.depth_at(u, v) > 0)) continue;
      ++table;
      holes += sensed.views[0].depth_at(u, v) > 0 ? 0 : 1;
    }
  }
  ASSERT_GT(table, 1000);
  const double fraction = static_cast<double>(holes) / table;
  std::printf("[ measured ] grazing table: hole fraction %.3f of %d pixels\n", fraction, table);
  EXPECT_GT(fraction, 0.4);
  EXPECT_LT(fraction, 0.75);
}

class SensedObservationOfTheRig : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    RgbdRenderer renderer;
    const SceneSet clean = load_scene_set("clean");
    const DrawnScene scene =
        draw_scene(clean, make_object_instance("mug", InstanceSet::kSeen, 0), 9);
    auto world = World::compose(scene);
    const MjDataPtr d = world->make_settled_data();
    truth_ = new Observation(renderer.render(*world, d.get()).observation);
  }
  static void TearDownTestSuite() { delete truth_; }
  static Observation* truth_;
};
Observation* SensedObservationOfTheRig::truth_ = nullptr;

bool same_bits(const CameraView& a, const CameraView& b) {
  return a.depth_m.size() == b.depth_m.size() && a.rgb == b.rgb && a.K == b.K &&
         a.X_WC.matrix() == b.X_WC.matrix() &&
         std::memcmp(a.depth_m.data(), b.depth_m.data(), a.depth_m.size() * sizeof(float)) == 0;
}

TEST_F(SensedObservationOfTheRig, CleanIsBitwiseTheRender) {
  const SensedObservation sensed = sense_observation(load_scene_set("clean"), *truth_, 9);
  ASSERT_EQ(sensed.observation.views.size(), truth_->views.size());
  for (std::size_t i = 0; i < truth_->views.size(); ++i)
    EXPECT_TRUE(same_bits(sensed.observation.views[i], truth_->views[i])) << i;
  EXPECT_TRUE(sensed.calibration.empty());
  EXPECT_EQ(sensed.to_json().at("sensor_preset"), "ideal");
}

TEST_F(SensedObservationOfTheRig, RealLikeChangesDepthAndCamerasWithinItsBounds) {
  const SceneSet real_like = load_scene_set("real_like");
  const SensedObservation sensed = sense_observation(real_like, *truth_, 9);
  ASSERT_EQ(sensed.calibration.size(), truth_->views.size());
  for (std::size_t i = 0; i < truth_->views.size(); ++i) {
    const CameraView& t = truth_->views[i];
    const CameraView& s = sensed.observation.views[i];
    const CalibrationError& e = sensed.calibration[i];
    EXPECT_NE(s.depth_m, t.depth_m) << t.name;
    EXPECT_EQ(s.rgb, t.rgb) << t.name;  // kinect_v1 leaves RGB alone
    EXPECT_LE(e.translation_m(), real_like.calibration.translation_max_m + 1e-12);
    EXPECT_LE(e.rotation_deg(), real_like.calibration.rotation_max_deg + 1e-9);
    EXPECT_GT(e.translation_m(), 0.0);
    // What the method receives differs from what rendered by exactly the error.
    EXPECT_TRUE((t.X_WC.inverse() * s.X_WC).matrix().isApprox(e.X_CtrueCreported.matrix(), 1e-12));
    EXPECT_DOUBLE_EQ(s.K(0, 0), t.K(0, 0) * e.focal_scale);
    EXPECT_DOUBLE_EQ(s.K(1, 2), t.K(1, 2) + e.principal_shift_px.y());
  }
  const nlohmann::json j = sensed.to_json();
  EXPECT_EQ(j.at("sensor_preset"), "kinect_v1");
  EXPECT_EQ(j.at("calibration_error").size(), truth_->views.size());
}

TEST_F(SensedObservationOfTheRig, SeededPerSceneAndPerCamera) {
  const SceneSet real_like = load_scene_set("real_like");
  const SensedObservation a = sense_observation(real_like, *truth_, 9);
  const SensedObservation b = sense_observation(real_like, *truth_, 9);
  const SensedObservation c = sense_observation(real_like, *truth_, 10);
  for (std::size_t i = 0; i < truth_->views.size(); ++i) {
    EXPECT_TRUE(same_bits(a.observation.views[i], b.observation.views[i])) << i;
    EXPECT_NE(a.observation.views[i].depth_m, c.observation.views[i].depth_m) << i;
    EXPECT_NE(a.calibration[i].X_CtrueCreported.matrix(),
              c.calibration[i].X_CtrueCreported.matrix());
  }
  // A camera's draw follows its name, not its place in the rig: the last
  // camera alone gets the same error and noise as in the full rig.
  Observation last_only;
  last_only.views = {truth_->views.back()};
  const SensedObservation d = sense_observation(real_like, last_only, 9);
  EXPECT_TRUE(same_bits(d.observation.views[0], a.observation.views.back()));
  // Different cameras of one scene get different errors.
  EXPECT_NE(a.calibration[0].X_CtrueCreported.matrix(), a.calibration[1].X_CtrueCreported.matrix());
}

TEST_F(SensedObservationOfTheRig, TheGroundTruthIsNotTouched) {
  const Observation before = *truth_;
  sense_observation(load_scene_set("real_like"), *truth_, 9);
  for (std::size_t i = 0; i < before.views.size(); ++i)
    EXPECT_TRUE(same_bits(before.views[i], truth_->views[i])) << i;
}

}  // namespace
}  // namespace dffeval
