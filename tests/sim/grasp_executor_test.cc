// Grasp execution: an empty grasp fails with no_contact; a NaN-free
// simulation of a real grasp reports its penetration.

#include "sim/grasp_executor.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace dffeval
