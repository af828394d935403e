// World composition: the table collides as an exact plane and is drawn as a
// box, an mjData stays small enough to make and copy per trial, and a box
// lying on its side touches the table only under its own face.

#include "sim/world.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sim/scene_set.h"

namespace dffeval {
namespace {

DrawnScene box_scene(const Eigen::Isometry3d& X_WObj) {
  DrawnScene s =
      draw_scene(load_scene_set("clean"), make_object_instance("box", InstanceSet::kSeen, 0), 3);
  s.target.X_WObj = X_WObj;
  return s;
}

TEST(World, TableCollidesAsAPlaneAndIsDrawnAsABox) {
  auto world = World::compose(box_scene(Eigen::Isometry3d::Identity()));
  const mjModel* m = world->model();
  const int table = world->table_geom();
  ASSERT_GE(table, 0);
  EXPECT_EQ(m->geom_type[table], mjGEOM_PLANE);
  // The renderer draws groups 0-2 only.
  EXPECT_GE(m->geom_group[table], 3);
  const int visual = mj_name2id(m, mjOBJ_GEOM, "table_visual");
  ASSERT_GE(visual, 0);
  EXPECT_EQ(m->geom_type[visual], mjGEOM_BOX);
  EXPECT_LE(m->geom_group[visual], 2);
  EXPECT_EQ(m->geom_contype[visual], 0);
  EXPECT_EQ(m->geom_conaffinity[visual], 0);
}

TEST(World, SolverStackStaysSmall) {
  // MuJoCo 2.2 sizes the stack from njmax (about 5 njmax^2 numbers); every
  // trial makes and copies mjData, so 640 MB (njmax 4000) dominated a trial.
  auto world = World::compose(box_scene(Eigen::Isometry3d::Identity()));
  EXPECT_LT(world->model()->nstack * sizeof(mjtNum), std::size_t{64} << 20);
}

TEST(World, BoxOnItsSideTouchesTheTableUnderItsFace) {
  // Rotated +90 deg about x: the object's -y face becomes the bottom face.
  const ObjectInstance box = make_object_instance("box", InstanceSet::kSeen, 0);
  const double half_y = 0.5 * box.params.at("size_y").get<double>();
  const double half_x = 0.5 * box.params.at("size_x").get<double>();
  Eigen::Isometry3d X_WObj = Eigen::Isometry3d::Identity();
  X_WObj.linear() = Eigen::AngleAxisd(M_PI / 2, Eigen::Vector3d::UnitX()).toRotationMatrix();
  X_WObj.translation() = Eigen::Vector3d(0.05, -0.02, half_y);
  auto world = World::compose(box_scene(X_WObj));
  const MjDataPtr d_data = world->make_settled_data(0.5);
  mjData* d = d_data.get();
  const Eigen::Isometry3d X_end = world->body_pose(d, world->target_body());
  EXPECT_LT((X_end.translation() - X_WObj.translation()).norm(), 0.003);

  // Every table contact lies under the box's footprint (a box table gave one
  // at its own far corner, half a metre away).
  const double height = box.params.at("size_z").get<double>();
  int table_contacts = 0;
  for (int i = 0; i < d->ncon; ++i) {
    const mjContact& c = d->contact[i];
    if (c.geom1 != world->table_geom() && c.geom2 != world->table_geom()) continue;
    ++table_contacts;
    const Eigen::Vector3d p_Obj = X_end.inverse() * Eigen::Vector3d(c.pos[0], c.pos[1], c.pos[2]);
    EXPECT_LE(std::abs(p_Obj.x()), half_x + 0.002) << "contact " << i;
    EXPECT_GE(p_Obj.z(), -0.002) << "contact " << i;
    EXPECT_LE(p_Obj.z(), height + 0.002) << "contact " << i;
    EXPECT_LT(-c.dist, 0.002) << "contact " << i;
  }
  EXPECT_GE(table_contacts, 3);
}

TEST(World, MuJoCoWarningsGoToStderrNotStdout) {
  auto world = World::compose(box_scene(Eigen::Isometry3d::Identity()));
  const MjDataPtr d = world->make_data();
  d->qpos[0] = std::nan("");
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  mj_step(world->model(), d.get());
  const std::string out = testing::internal::GetCapturedStdout();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(out, "");
  EXPECT_NE(err.find("MuJoCo warning: "), std::string::npos) << err;
  EXPECT_NE(divergence_warning(d.get()).find("qpos"), std::string::npos);
  clear_divergence_warnings(d.get());
  EXPECT_EQ(divergence_warning(d.get()), "");
}

TEST(World, ASceneThatDivergesWhileSettlingThrows) {
  PhysicsSettings physics;
  physics.hand_park_position_m.x() = std::nan("");
  auto world = World::compose(box_scene(Eigen::Isometry3d::Identity()), physics);
  EXPECT_THROW(world->make_settled_data(), SimulationError);
}

}  // namespace
}  // namespace dffeval
