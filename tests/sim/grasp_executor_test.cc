// Grasp execution: an empty grasp fails with no_contact; a NaN-free
// simulation of a real grasp reports its penetration; stopping after the
// close (for pictures) is the same simulation cut short.

#include "sim/grasp_executor.h"

#include <gtest/gtest.h>

#include <cmath>

#include "sim/scene_set.h"

namespace dffeval {
namespace {

TEST(GraspExecutor, HandFarFromObjectFailsWithNoContact) {
  auto world = World::compose(
      draw_scene(load_scene_set("clean"), make_object_instance("can", InstanceSet::kSeen, 0), 3));
  const MjDataPtr d_data = world->make_settled_data();
  mjData* d = d_data.get();
  Grasp g;
  g.X_WPalm.translation() = Eigen::Vector3d(0.3, -0.3, 0.3);  // nowhere near the can
  const ExecutionResult r = execute_grasp(*world, d, g);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.failure, FailureMode::kNoContact);
  EXPECT_DOUBLE_EQ(r.initial_penetration_m, 0.0);
  EXPECT_NEAR(r.object_lift_m, 0.0, 1e-3);
  EXPECT_GT(r.sim_time_s, 3.0);
}

TEST(GraspExecutor, HandThroughTheTableIsReported) {
  auto world = World::compose(
      draw_scene(load_scene_set("clean"), make_object_instance("can", InstanceSet::kSeen, 0), 3));
  const MjDataPtr d_data = world->make_settled_data();
  mjData* d = d_data.get();
  Grasp g;
  // Palm down, sunk 2 cm into the table away from the object.
  g.X_WPalm.linear() << 1, 0, 0, 0, 0, -1, 0, 1, 0;
  g.X_WPalm.translation() = Eigen::Vector3d(0.25, 0.25, -0.01);
  const ExecutionResult r = execute_grasp(*world, d, g);
  EXPECT_FALSE(r.success);
  EXPECT_GT(r.initial_table_penetration_m, 0.005);
  EXPECT_EQ(r.failure, FailureMode::kHandHitTable);
}

TEST(GraspExecutor, StopAfterCloseReturnsBeforeTheLiftWithTheSameClosedContacts) {
  const ObjectInstance box = make_object_instance("box", InstanceSet::kSeen, 0);
  const Eigen::Isometry3d X_WObj = Eigen::Isometry3d::Identity();
  auto world = World::compose(draw_scene(load_scene_set("clean"), box, 1, &X_WObj));
  const MjDataPtr settled = world->make_settled_data();
  // Palm down (palmar -y to world -z) on the top, so that closing leaves
  // contacts to compare.
  Grasp g;
  g.X_WPalm.linear() << 1, 0, 0, 0, 0, -1, 0, 1, 0;
  const MjDataPtr probe = world->make_data();
  mj_copyData(probe.get(), world->model(), settled.get());
  const double top = box.bounds_obj().max().z();
  for (double z = top + 0.1; z > top - 0.05; z -= 0.002) {
    g.X_WPalm.translation() = Eigen::Vector3d(0, 0, z);
    world->teleport_hand(probe.get(), g.X_WPalm, g.joints_rad);
    if (hand_penetration_m(*world, probe.get(), world->target_body()) > 0.0) break;
  }
  g.X_WPalm.translation().z() -= 0.004;  // pressed in, so the palm stays on the top

  ExecutionConfig stop;
  stop.stop_after_close = true;
  const MjDataPtr a = world->make_data();
  mj_copyData(a.get(), world->model(), settled.get());
  const ExecutionResult closed = execute_grasp(*world, a.get(), g, stop);
  const MjDataPtr b = world->make_data();
  mj_copyData(b.get(), world->model(), settled.get());
  const ExecutionResult full = execute_grasp(*world, b.get(), g);

  const double settle_s = stop.close_time_s / 3;
  EXPECT_LT(closed.sim_time_s, stop.approach_time_s + stop.close_time_s + settle_s + 0.01);
  EXPECT_GT(closed.sim_time_s, stop.approach_time_s + stop.close_time_s);
  EXPECT_GT(full.sim_time_s, closed.sim_time_s + stop.lift_time_s + stop.hold_time_s - 0.01);
  EXPECT_NEAR(closed.object_lift_m, 0.0, 2e-3);
  EXPECT_FALSE(closed.success);
  EXPECT_EQ(closed.failure, FailureMode::kNone);
  EXPECT_TRUE(closed.contact_after_close);
  ASSERT_FALSE(closed.contacts_closed.empty());
  // Up to the end of closing both runs are the same simulation.
  EXPECT_EQ(closed.contacts_closed.to_json(), full.contacts_closed.to_json());
  EXPECT_DOUBLE_EQ(closed.displacement_at_close_m, full.displacement_at_close_m);
  EXPECT_TRUE(closed.contacts_held.empty());
}

TEST(GraspExecutor, AnAccelerationMuJoCoResetsIsASimErrorNotASlip) {
  auto world = World::compose(
      draw_scene(load_scene_set("clean"), make_object_instance("can", InstanceSet::kSeen, 0), 3));
  const MjDataPtr d_data = world->make_settled_data();
  mjData* d = d_data.get();
  // A force no object survives: MuJoCo finds a huge qacc, resets the whole
  // state to the model's defaults (finite, at rest) and steps on.
  const mjModel* m = world->model();
  const int dof = m->jnt_dofadr[m->body_jntadr[world->target_body()]];
  d->qfrc_applied[dof + 2] = 1e15;
  Grasp g;
  g.X_WPalm.translation() = Eigen::Vector3d(0.3, -0.3, 0.3);
  const ExecutionResult r = execute_grasp(*world, d, g);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.failure, FailureMode::kSimError);
  EXPECT_NE(r.detail.find("qacc"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("reset the state"), std::string::npos) << r.detail;
}

TEST(GraspExecutor, ANaNJointIsASimError) {
  auto world = World::compose(
      draw_scene(load_scene_set("clean"), make_object_instance("can", InstanceSet::kSeen, 0), 3));
  const MjDataPtr d_data = world->make_settled_data();
  Grasp g;
  g.X_WPalm.translation() = Eigen::Vector3d(0.3, -0.3, 0.3);
  g.joints_rad[3] = std::nan("");
  const ExecutionResult r = execute_grasp(*world, d_data.get(), g);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.failure, FailureMode::kSimError);
  EXPECT_NE(r.detail.find("MuJoCo found a NaN"), std::string::npos) << r.detail;
}

}  // namespace
}  // namespace dffeval
