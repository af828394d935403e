// Drawn scenes: a seed fixes everything random (the same seed, the same scene); the target,
// cameras, lights, table and clutter stay within the scene set's ranges; the aspects draw from
// separate streams (adding clutter moves nothing else); and to_json records the scene.

#include "sim/drawn_scene.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/pose_json.h"
#include "sim/object_catalog.h"
#include "sim/scene_set.h"

namespace dffeval {
namespace {

constexpr double kDeg = M_PI / 180.0;

ObjectInstance mug() { return make_object_instance("mug", InstanceSet::kSeen, 0); }

/// The radius of an object's footprint about its origin (as the drawing keeps gaps).
double footprint_radius(const ObjectInstance& o) {
  const Eigen::AlignedBox3d b = o.bounds_obj();
  double r = 0;
  for (double x : {b.min().x(), b.max().x()})
    for (double y : {b.min().y(), b.max().y()}) r = std::max(r, std::hypot(x, y));
  return r;
}

/// Yaw of a rotation about +z, radians.
double yaw_of(const Eigen::Isometry3d& X) { return std::atan2(X.linear()(1, 0), X.linear()(0, 0)); }

void expect_on_table_upright(const Eigen::Isometry3d& X, const std::string& what) {
  EXPECT_EQ(X.translation().z(), 0.0) << what;
  EXPECT_LT((X.linear().col(2) - Eigen::Vector3d::UnitZ()).norm(), 1e-15) << what;
}

TEST(DrawnScene, SameSeedSameSceneOtherSeedOtherScene) {
  for (const char* set : {"clean", "clutter", "shift"}) {
    const SceneSet spec = load_scene_set(set);
    const DrawnScene a = draw_scene(spec, mug(), 7);
    const DrawnScene b = draw_scene(spec, mug(), 7);
    EXPECT_EQ(a.to_json().dump(), b.to_json().dump()) << set;
    EXPECT_EQ(a.scene_set, set);
    EXPECT_EQ(a.seed, 7u);
    const DrawnScene c = draw_scene(spec, mug(), 8);
    EXPECT_NE(a.to_json().dump(), c.to_json().dump()) << set;
    EXPECT_FALSE(a.target.X_WObj.isApprox(c.target.X_WObj)) << set;
  }
}

TEST(DrawnScene, TargetStaysWithinThePlacementRanges) {
  SceneSet spec = load_scene_set("clean");
  spec.target.xy_range_m = 0.02;
  spec.target.yaw_range_deg = 30;
  double widest_xy = 0, widest_yaw = 0;
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    const DrawnScene s = draw_scene(spec, mug(), seed);
    const Eigen::Isometry3d& X = s.target.X_WObj;
    expect_on_table_upright(X, "seed " + std::to_string(seed));
    const double xy = X.translation().head<2>().cwiseAbs().maxCoeff();
    EXPECT_LE(xy, 0.02) << "seed " << seed;
    EXPECT_LE(std::abs(yaw_of(X)), 30 * kDeg + 1e-12) << "seed " << seed;
    widest_xy = std::max(widest_xy, xy);
    widest_yaw = std::max(widest_yaw, std::abs(yaw_of(X)));
    EXPECT_EQ(s.target.object.id(), "mug/seen/0");
  }
  // The draws fill the ranges rather than sitting at the centre.
  EXPECT_GT(widest_xy, 0.015);
  EXPECT_GT(widest_yaw, 20 * kDeg);
  // A fixed pose is used as given.
  Eigen::Isometry3d fixed = Eigen::Isometry3d::Identity();
  fixed.linear() = Eigen::AngleAxisd(1.0, Eigen::Vector3d::UnitX()).toRotationMatrix();
  fixed.translation() = Eigen::Vector3d(0.1, -0.2, 0.05);
  const DrawnScene f = draw_scene(spec, mug(), 3, &fixed);
  EXPECT_TRUE(f.target.X_WObj.matrix() == fixed.matrix());
}

TEST(DrawnScene, CamerasFormTheRingAndLookAtTheWorkspace) {
  const SceneSet spec = load_scene_set("clean");
  const DrawnScene s = draw_scene(spec, mug(), 5);
  const CameraRigSpec& rig = spec.cameras;
  ASSERT_EQ(static_cast<int>(s.cameras.size()), rig.count);
  for (int i = 0; i < rig.count; ++i) {
    const CameraPlacement& c = s.cameras[i];
    EXPECT_EQ(c.name, "cam" + std::to_string(i));
    EXPECT_EQ(c.width, rig.width);
    EXPECT_EQ(c.height, rig.height);
    EXPECT_EQ(c.fovy_deg, rig.fovy_deg);
    // Evenly spread azimuths from the offset, at the rig's radius and height.
    const Eigen::Vector3d eye = c.X_WC.translation();
    const Eigen::Vector2d from_look = eye.head<2>() - rig.look_at_m.head<2>();
    EXPECT_NEAR(from_look.norm(), rig.radius_m, 1e-12) << c.name;
    EXPECT_NEAR(eye.z(), rig.height_m, 1e-12) << c.name;
    const double az = std::atan2(from_look.y(), from_look.x());
    const double expected_az = (rig.azimuth_offset_deg + 360.0 * i / rig.count) * kDeg;
    EXPECT_NEAR(std::remainder(az - expected_az, 2 * M_PI), 0.0, 1e-12) << c.name;
    // OpenCV convention: +z through the look-at point, +x level, +y down.
    const Eigen::Matrix3d R = c.X_WC.linear();
    EXPECT_LT((R.col(2) - (rig.look_at_m - eye).normalized()).norm(), 1e-12) << c.name;
    EXPECT_NEAR(R.col(0).z(), 0.0, 1e-12) << c.name;
    EXPECT_LT(R.col(1).z(), 0.0) << c.name;
    EXPECT_LT((R.transpose() * R - Eigen::Matrix3d::Identity()).cwiseAbs().maxCoeff(), 1e-12);
    EXPECT_NEAR(R.determinant(), 1.0, 1e-12);
  }
}

TEST(DrawnScene, LookAtCameraConvention) {
  // Looking along +x from the origin: image right is -y, image down is -z.
  const Eigen::Isometry3d X = look_at_camera(Eigen::Vector3d(0, 0, 0), Eigen::Vector3d(2, 0, 0));
  EXPECT_LT((X.linear().col(0) - Eigen::Vector3d(0, -1, 0)).norm(), 1e-15);
  EXPECT_LT((X.linear().col(1) - Eigen::Vector3d(0, 0, -1)).norm(), 1e-15);
  EXPECT_LT((X.linear().col(2) - Eigen::Vector3d(1, 0, 0)).norm(), 1e-15);
  // A point on the optical axis is straight ahead in the camera frame.
  const Eigen::Vector3d eye(0.3, -0.2, 0.5), target(0.05, 0.1, 0.02);
  const Eigen::Isometry3d Y = look_at_camera(eye, target);
  EXPECT_TRUE(Y.translation() == eye);
  const Eigen::Vector3d p_C = Y.inverse() * target;
  EXPECT_NEAR(p_C.x(), 0.0, 1e-15);
  EXPECT_NEAR(p_C.y(), 0.0, 1e-15);
  EXPECT_NEAR(p_C.z(), (target - eye).norm(), 1e-15);
  // Straight down, where "level" is undefined: still a proper rotation.
  const Eigen::Isometry3d D = look_at_camera(Eigen::Vector3d(0, 0, 1), Eigen::Vector3d(0, 0, 0));
  EXPECT_TRUE(D.linear().allFinite());
  EXPECT_LT((D.linear().transpose() * D.linear() - Eigen::Matrix3d::Identity()).norm(), 1e-15);
  EXPECT_NEAR(D.linear().determinant(), 1.0, 1e-15);
  EXPECT_LT((D.linear().col(2) - Eigen::Vector3d(0, 0, -1)).norm(), 1e-15);
}

TEST(DrawnScene, CleanLooksAreFixedShiftLooksStayWithinTheirJitter) {
  const SceneSet clean = load_scene_set("clean");
  const DrawnScene c = draw_scene(clean, mug(), 11);
  EXPECT_TRUE(c.table_rgb == clean.table.rgb);
  EXPECT_FALSE(c.table_checker);
  EXPECT_EQ(c.light_diffuse, clean.lighting.diffuse);
  EXPECT_EQ(c.light_ambient, clean.lighting.ambient);
  ASSERT_EQ(c.light_dirs.size(), 2u);
  // Unjittered lights shine from azimuth 30 deg, elevation 60 deg (and 210, 45).
  const Eigen::Vector3d first(std::cos(60 * kDeg) * std::cos(30 * kDeg),
                              std::cos(60 * kDeg) * std::sin(30 * kDeg), std::sin(60 * kDeg));
  EXPECT_LT((c.light_dirs[0] + first).norm(), 1e-15);

  const SceneSet shift = load_scene_set("shift");
  const TableSpec& T = shift.table;
  const LightingSpec& L = shift.lighting;
  int checkered = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    const DrawnScene s = draw_scene(shift, mug(), seed);
    for (int k = 0; k < 3; ++k) {
      EXPECT_LE(std::abs(s.table_rgb[k] - T.rgb[k]), T.rgb_jitter) << "seed " << seed;
      EXPECT_GE(s.table_rgb[k], 0.0);
      EXPECT_LE(s.table_rgb[k], 1.0);
    }
    EXPECT_LT((s.table_rgb2 - 0.7 * s.table_rgb).norm(), 1e-15);
    checkered += s.table_checker;
    EXPECT_LE(std::abs(s.light_diffuse - L.diffuse), L.diffuse_jitter);
    EXPECT_LE(std::abs(s.light_ambient - L.ambient), L.ambient_jitter);
    ASSERT_EQ(s.light_dirs.size(), 2u);
    for (const Eigen::Vector3d& d : s.light_dirs) {
      EXPECT_NEAR(d.norm(), 1.0, 1e-12);
      // Elevation kept within [15, 89] degrees: lights always shine down.
      const double elevation = std::asin(-d.z());
      EXPECT_GE(elevation, 15 * kDeg - 1e-12) << "seed " << seed;
      EXPECT_LE(elevation, 89 * kDeg + 1e-12) << "seed " << seed;
    }
    // Jittered cameras: eyes within the position jitter of the ring.
    const DrawnScene fixed_rig = draw_scene(clean, mug(), seed);
    for (std::size_t i = 0; i < s.cameras.size(); ++i) {
      const Eigen::Vector3d d =
          s.cameras[i].X_WC.translation() - fixed_rig.cameras[i].X_WC.translation();
      EXPECT_LE(d.cwiseAbs().maxCoeff(), shift.cameras.position_jitter_m) << "seed " << seed;
    }
  }
  // checker_probability 0.5: about half of 200 draws.
  EXPECT_GT(checkered, 70);
  EXPECT_LT(checkered, 130);
}

TEST(DrawnScene, ClutterKeepsItsGapsAndStaysOnTheTable) {
  const SceneSet spec = load_scene_set("clutter");
  const ObjectInstance target = make_object_instance("bowl", InstanceSet::kSeen, 0);
  int total = 0, most = 0;
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    const DrawnScene s = draw_scene(spec, target, seed);
    EXPECT_LE(static_cast<int>(s.clutter.size()), spec.clutter.max_count);
    total += static_cast<int>(s.clutter.size());
    most = std::max(most, static_cast<int>(s.clutter.size()));
    std::vector<std::pair<Eigen::Vector2d, double>> footprints = {
        {s.target.X_WObj.translation().head<2>(), footprint_radius(target)}};
    for (const PlacedObject& o : s.clutter) {
      EXPECT_NE(o.object.category, target.category) << "seed " << seed;
      expect_on_table_upright(o.X_WObj, o.object.id());
      const Eigen::Vector2d xy = o.X_WObj.translation().head<2>();
      const double r = footprint_radius(o.object);
      EXPECT_LT(std::abs(xy.x()) + r, s.table_half_size_m.x()) << o.object.id();
      EXPECT_LT(std::abs(xy.y()) + r, s.table_half_size_m.y()) << o.object.id();
      for (const auto& [c, rc] : footprints) {
        EXPECT_GE((xy - c).norm(), rc + r + spec.clutter.min_gap_m - 1e-12)
            << "seed " << seed << ": " << o.object.id() << " too close";
      }
      footprints.push_back({xy, r});
    }
  }
  // 1 to 4 drawn per scene; placement may give up on a few.
  EXPECT_GT(total, 30);
  EXPECT_GE(most, 3);
  EXPECT_TRUE(draw_scene(load_scene_set("clean"), target, 1).clutter.empty());
}

TEST(DrawnScene, AddingClutterMovesNothingElse) {
  // Separate random streams per aspect: the same seed with and without
  // distractors gives the same target pose, cameras, lights and table.
  const SceneSet plain = load_scene_set("shift");
  SceneSet busy = plain;
  busy.clutter.min_count = 3;
  busy.clutter.max_count = 3;
  for (std::uint64_t seed : {2u, 19u, 40u}) {
    const DrawnScene a = draw_scene(plain, mug(), seed);
    const DrawnScene b = draw_scene(busy, mug(), seed);
    EXPECT_TRUE(a.clutter.empty());
    EXPECT_FALSE(b.clutter.empty());
    EXPECT_TRUE(a.target.X_WObj.matrix() == b.target.X_WObj.matrix()) << "seed " << seed;
    ASSERT_EQ(a.cameras.size(), b.cameras.size());
    for (std::size_t i = 0; i < a.cameras.size(); ++i)
      EXPECT_TRUE(a.cameras[i].X_WC.matrix() == b.cameras[i].X_WC.matrix()) << "seed " << seed;
    EXPECT_TRUE(a.table_rgb == b.table_rgb);
    EXPECT_EQ(a.table_checker, b.table_checker);
    EXPECT_EQ(a.light_diffuse, b.light_diffuse);
    EXPECT_TRUE(a.light_dirs[1] == b.light_dirs[1]);
  }
}

TEST(DrawnScene, ToJsonRecordsTheScene) {
  const DrawnScene s = draw_scene(load_scene_set("clutter"), mug(), 4);
  ASSERT_FALSE(s.clutter.empty());
  const nlohmann::json j = nlohmann::json::parse(s.to_json().dump());
  EXPECT_EQ(j.at("scene_set").get<std::string>(), "clutter");
  EXPECT_EQ(j.at("seed").get<std::uint64_t>(), 4u);
  EXPECT_EQ(j.at("table_rgb").get<std::vector<double>>(),
            (std::vector<double>{s.table_rgb.x(), s.table_rgb.y(), s.table_rgb.z()}));
  EXPECT_EQ(j.at("table_checker").get<bool>(), s.table_checker);
  EXPECT_EQ(j.at("light_diffuse").get<double>(), s.light_diffuse);
  EXPECT_EQ(j.at("light_ambient").get<double>(), s.light_ambient);
  const nlohmann::json& t = j.at("target");
  EXPECT_EQ(t.at("id").get<std::string>(), "mug/seen/0");
  EXPECT_EQ(t.at("mass_kg").get<double>(), s.target.object.mass_kg);
  EXPECT_EQ(t.at("friction").get<double>(), s.target.object.friction);
  EXPECT_EQ(t.at("params").dump(), s.target.object.params.dump());
  EXPECT_TRUE(pose_from_json(t.at("X_WObj")).isApprox(s.target.X_WObj, 1e-14));
  ASSERT_EQ(j.at("clutter").size(), s.clutter.size());
  for (std::size_t i = 0; i < s.clutter.size(); ++i) {
    EXPECT_EQ(j["clutter"][i].at("id").get<std::string>(), s.clutter[i].object.id());
    EXPECT_TRUE(pose_from_json(j["clutter"][i].at("X_WObj")).isApprox(s.clutter[i].X_WObj, 1e-14));
  }
  ASSERT_EQ(j.at("cameras").size(), s.cameras.size());
  for (std::size_t i = 0; i < s.cameras.size(); ++i) {
    EXPECT_EQ(j["cameras"][i].at("name").get<std::string>(), s.cameras[i].name);
    EXPECT_TRUE(pose_from_json(j["cameras"][i].at("X_WC")).isApprox(s.cameras[i].X_WC, 1e-14));
  }
}

}  // namespace
}  // namespace dffeval
