// The soft ball: MuJoCo 2.2 compiles its composite, it comes to rest on a
// plane under the world's options without sinking or drifting, and bad
// specs are InputErrors. The catalog's soft_ball category: seen and novel
// radii apart, kept out of the rigid category list, composed into a World
// as one target (every composite body), resting, rendered and labelled.

#include "sim/soft_object_mjcf.h"

#include <gtest/gtest.h>
#include <mujoco/mujoco.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>

#include "common/input_error.h"
#include "sim/object_catalog.h"
#include "sim/object_semantics.h"
#include "sim/rgbd_renderer.h"
#include "sim/scene_set.h"
#include "sim/world.h"

namespace dffeval {
namespace {

using ModelPtr = std::unique_ptr<mjModel, decltype(&mj_deleteModel)>;

/// The world's options and sizes (sim/world.cc), a plane, and the ball.
std::string ball_on_plane_xml(const SoftBallSpec& spec, double z_m) {
  return "<mujoco><size njmax=\"1000\" nconmax=\"300\"/><option timestep=\"0.004\" "
         "gravity=\"0 0 -9.81\" cone=\"elliptic\" impratio=\"10\" integrator=\"Euler\"/>"
         "<worldbody><geom name=\"floor\" type=\"plane\" size=\"1 1 0.1\"/>" +
         soft_ball_body_mjcf(spec, "ball", 0.1, -0.05, z_m) + "</worldbody></mujoco>";
}

ModelPtr load_xml(const std::string& text, std::string* err) {
  auto vfs = std::make_unique<mjVFS>();
  mj_defaultVFS(vfs.get());
  mj_makeEmptyFileVFS(vfs.get(), "world.xml", static_cast<int>(text.size()));
  std::memcpy(vfs->filedata[mj_findFileVFS(vfs.get(), "world.xml")], text.data(), text.size());
  char error[1000] = "";
  ModelPtr m(mj_loadXML("world.xml", vfs.get(), error, sizeof error), mj_deleteModel);
  mj_deleteVFS(vfs.get());
  *err = error;
  return m;
}

/// Mass-weighted centre of the ball's bodies (the ball body and all after it).
void ball_com(const mjModel* m, const mjData* d, int ball, double com[3]) {
  double total = 0;
  com[0] = com[1] = com[2] = 0;
  for (int b = ball; b < m->nbody; ++b) {
    for (int k = 0; k < 3; ++k) com[k] += m->body_mass[b] * d->xipos[3 * b + k];
    total += m->body_mass[b];
  }
  for (int k = 0; k < 3; ++k) com[k] /= total;
}

TEST(SoftObjectMjcf, CompilesAndRestsOnAPlane) {
  const SoftBallSpec spec;
  std::string err;
  ModelPtr m = load_xml(ball_on_plane_xml(spec, spec.radius_m + 0.01), &err);
  ASSERT_NE(m, nullptr) << err;
  const int ball = mj_name2id(m.get(), mjOBJ_BODY, "ball");
  ASSERT_GE(ball, 0);
  EXPECT_EQ(m->nbody - ball, soft_ball_body_count(spec));
  EXPECT_NEAR(mj_getTotalmass(m.get()), spec.mass_kg, 1e-9);
  std::unique_ptr<mjData, decltype(&mj_deleteData)> d(mj_makeData(m.get()), mj_deleteData);
  mj_forward(m.get(), d.get());
  double start[3], late[3], end[3];
  ball_com(m.get(), d.get(), ball, start);
  const int steps = static_cast<int>(std::lround(2.0 / m->opt.timestep));
  const int late_step = steps - static_cast<int>(std::lround(0.5 / m->opt.timestep));
  for (int i = 0; i < steps; ++i) {
    mj_step(m.get(), d.get());
    if (i == late_step) ball_com(m.get(), d.get(), ball, late);
  }
  ball_com(m.get(), d.get(), ball, end);
  for (int i = 0; i < m->nq; ++i) ASSERT_TRUE(std::isfinite(d->qpos[i])) << "qpos " << i;
  // No bad accelerations, and no constraint or contact dropped for lack of room.
  for (int w = 0; w < mjNWARNING; ++w) EXPECT_EQ(d->warning[w].number, 0) << "warning " << w;
  EXPECT_LT(std::hypot(end[0] - start[0], end[1] - start[1]), 0.003);
  EXPECT_LT(std::abs(end[2] - late[2]), 0.001) << "still moving over the last 0.5 s";
  // Sags (soft) but keeps most of its shape: measured 58 mm for 65 mm.
  EXPECT_LT(end[2], spec.radius_m);
  EXPECT_GT(end[2], 0.8 * spec.radius_m);
  // The surface bodies sit on the ball's surface: the lowest touches the plane.
  double lowest_m = 1e9;
  for (int b = ball + 1; b < m->nbody; ++b) lowest_m = std::min(lowest_m, d->xpos[3 * b + 2]);
  EXPECT_GT(lowest_m, -0.005) << "sunk through the plane";
  EXPECT_LT(lowest_m, 0.005);
}

TEST(SoftObjectMjcf, BadSpecsNameTheirField) {
  auto throws_naming = [](SoftBallSpec s, const std::string& field) {
    try {
      soft_ball_body_mjcf(s, "b", 0, 0, 0);
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
      return;
    }
    ADD_FAILURE() << field << " accepted";
  };
  SoftBallSpec s;
  s.radius_m = 0;
  throws_naming(s, "radius_m");
  s = {};
  s.mass_kg = -1;
  throws_naming(s, "mass_kg");
  s = {};
  s.count_per_axis = 2;
  throws_naming(s, "count_per_axis");
  s = {};
  s.element_radius_m = 0.02;  // over half the 32.5 mm spacing
  throws_naming(s, "element_radius_m");
  s = {};
  s.radial_stiffness_n_m = -1;
  throws_naming(s, "radial_stiffness_n_m");
  s = {};
  s.smooth_timeconst_s = 0;
  throws_naming(s, "smooth_timeconst_s");
  s = {};
  s.friction = 0;
  throws_naming(s, "friction");
}

TEST(SoftBallCategory, IsDeformableAndItsRadiiSplitSeenFromNovel) {
  EXPECT_EQ(deformable_categories(), std::vector<std::string>{"soft_ball"});
  const auto& rigid = object_categories();
  EXPECT_EQ(std::find(rigid.begin(), rigid.end(), "soft_ball"), rigid.end());
  EXPECT_TRUE(is_known_category("soft_ball"));
  for (int i = 0; i < 50; ++i) {
    for (InstanceSet set : {InstanceSet::kSeen, InstanceSet::kNovel}) {
      const ObjectInstance o = make_object_instance("soft_ball", set, i);
      ASSERT_TRUE(o.soft) << o.id();
      const double R = o.params.at("radius").get<double>();
      // Seen: the inner 60% of [4, 6] cm; novel: outside it.
      if (set == InstanceSet::kSeen) {
        EXPECT_GE(R, 0.044 - 1e-12) << o.id();
        EXPECT_LE(R, 0.056 + 1e-12) << o.id();
      } else {
        EXPECT_TRUE(R < 0.044 || R > 0.056) << o.id() << " radius " << R;
      }
      EXPECT_DOUBLE_EQ(o.soft->radius_m, R);
      EXPECT_DOUBLE_EQ(o.soft->mass_kg, o.mass_kg);
      EXPECT_GE(o.mass_kg, 0.05);
      EXPECT_LE(o.mass_kg, 0.14);
      const Eigen::AlignedBox3d box = o.bounds_obj();
      EXPECT_NEAR(box.min().z(), 0.0, 1e-12);
      EXPECT_NEAR(box.sizes().z(), 2 * R, 1e-12);
    }
  }
  // Parts by latitude on the rest sphere; rotations about z are symmetries.
  const ObjectInstance o = make_object_instance("soft_ball", InstanceSet::kSeen, 0);
  const double R = o.soft->radius_m;
  const Eigen::Vector3d up(0, 0, 1), out(1, 0, 0);
  EXPECT_EQ(part_label(o, Eigen::Vector3d(0, 0, 2 * R), up), "top");
  EXPECT_EQ(part_label(o, Eigen::Vector3d(R, 0, R), out), "side");
  EXPECT_EQ(part_label(o, Eigen::Vector3d(0.5 * R, 0, 0.2 * R), -up), "bottom");
  EXPECT_EQ(object_symmetry(o), SymmetryGroup::kContinuousZ);
}

TEST(SoftBallCategory, RestsRendersAndIsOneTargetInAWorld) {
  const ObjectInstance ball = make_object_instance("soft_ball", InstanceSet::kSeen, 0);
  auto world = World::compose(draw_scene(load_scene_set("clean"), ball, 5));
  const mjModel* m = world->model();
  int bodies = 0;
  for (int b = 0; b < m->nbody; ++b) bodies += world->is_target_body(b) ? 1 : 0;
  // The free body, the welded centre and the composite's surface bodies.
  EXPECT_EQ(bodies, 1 + soft_ball_body_count(*ball.soft));
  EXPECT_NEAR(m->body_subtreemass[world->target_body()], ball.mass_kg, 1e-9);
  const MjDataPtr d_data = world->make_settled_data(1.0);
  mjData* d = d_data.get();
  for (int w = 0; w < mjNWARNING; ++w) EXPECT_EQ(d->warning[w].number, 0) << "warning " << w;
  // Rests where it was put: the centre of mass at about the radius, sagging
  // a few millimetres, not sinking or rolling away.
  const double R = ball.soft->radius_m;
  EXPECT_LT(world->target_height_m(d), R);
  EXPECT_GT(world->target_height_m(d), R - 0.01);
  const Eigen::Vector3d moved = world->body_pose(d, world->target_body()).translation() -
                                world->scene().target.X_WObj.translation();
  EXPECT_LT(moved.head<2>().norm(), 0.003);
  // Drawn, and every composite body's pixel reads as the target.
  RgbdRenderer renderer;
  const RenderedViews views = renderer.render(*world, d, true);
  ASSERT_FALSE(views.segmentation_body.empty());
  for (std::size_t v = 0; v < views.segmentation_body.size(); ++v) {
    const auto& seg = views.segmentation_body[v];
    const long target_px = std::count(seg.begin(), seg.end(), world->target_body());
    EXPECT_GT(target_px, 300) << "view " << v;
    for (std::int32_t b : seg) {
      if (b > 0 && !world->is_hand_body(b)) {
        EXPECT_EQ(m->body_rootid[b], b) << "view " << v;
      }
    }
  }
}

}  // namespace
}  // namespace dffeval
