// The force test's physics on an object nobody holds: resting on the table,
// friction (mu 0.7 to 1.0) resists at most mu m g sideways, so a push of its
// own weight slides it (measured against the parked palm), and a push below
// that holds in all six directions. The demo grasps are tested in
// tests/eval/harness/grasp_fidelity_test.cc.

#include "sim/force_test.h"

#include <gtest/gtest.h>

#include "sim/scene_set.h"

namespace dffeval {
namespace {

std::unique_ptr<World> box_world() {
  return World::compose(
      draw_scene(load_scene_set("clean"), make_object_instance("box", InstanceSet::kSeen, 0), 5));
}

TEST(ForceTest, AnUnheldObjectSlidesUnderASidewaysPushOfItsWeight) {
  const auto world = box_world();
  const MjDataPtr d = world->make_settled_data();
  const ForceTestResult r = run_force_test(*world, d.get());
  EXPECT_FALSE(r.holds) << r.to_json().dump();
  // +x is the first push and the test stops there.
  ASSERT_EQ(r.pushes.size(), 1u);
  EXPECT_EQ(r.pushes[0].direction, "+x");
  EXPECT_FALSE(r.pushes[0].held);
  EXPECT_GE(r.pushes[0].max_translation_m, 0.02);
  const double weight = world->model()->body_subtreemass[world->target_body()] * 9.81;
  EXPECT_NEAR(r.force_n, weight, 1e-3 * weight);
}

TEST(ForceTest, APushBelowFrictionHoldsInEveryDirectionAndLeavesTheStateAlone) {
  const auto world = box_world();
  const MjDataPtr d = world->make_settled_data();
  const double qpos0 = d->qpos[0];
  ForceTestConfig config;
  config.force_multiple_of_weight = 0.3;  // below the catalog's friction (>= 0.7)
  config.stop_when_settled = false;
  const ForceTestResult r = run_force_test(*world, d.get(), config);
  EXPECT_TRUE(r.holds) << r.to_json().dump();
  ASSERT_EQ(r.pushes.size(), 6u);
  for (const auto& p : r.pushes) {
    EXPECT_TRUE(p.held) << p.direction;
    EXPECT_LT(p.max_translation_m, 0.005) << p.direction;
  }
  EXPECT_EQ(r.pushes[5].direction, "-z");
  EXPECT_NEAR(r.sim_time_s, 6 * (config.ramp_time_s + config.hold_time_s), 0.05);
  EXPECT_EQ(d->qpos[0], qpos0);  // the held state is not modified
  const auto j = r.to_json();
  EXPECT_EQ(j["pushes"].size(), 6u);
  EXPECT_EQ(j["holds"], true);
}

TEST(ForceTest, StoppingWhenSettledKeepsTheVerdictAtAFractionOfTheCost) {
  const auto world = box_world();
  const MjDataPtr d = world->make_settled_data();
  for (const double multiple : {0.3, 1.0}) {
    ForceTestConfig full;
    full.force_multiple_of_weight = multiple;
    full.stop_when_settled = false;
    ForceTestConfig early = full;
    early.stop_when_settled = true;
    const ForceTestResult a = run_force_test(*world, d.get(), full);
    const ForceTestResult b = run_force_test(*world, d.get(), early);
    EXPECT_EQ(a.holds, b.holds) << multiple;
    ASSERT_EQ(a.pushes.size(), b.pushes.size()) << multiple;
    for (std::size_t i = 0; i < a.pushes.size(); ++i) {
      EXPECT_EQ(a.pushes[i].held, b.pushes[i].held) << a.pushes[i].direction;
      EXPECT_LE(b.pushes[i].max_translation_m, a.pushes[i].max_translation_m + 1e-9);
      EXPECT_NEAR(b.pushes[i].max_translation_m, a.pushes[i].max_translation_m, 0.002);
    }
    if (a.holds) {
      // At rest: every push ends a few windows after the ramp.
      EXPECT_LT(b.sim_time_s, 0.5 * a.sim_time_s);
      for (const auto& p : b.pushes) EXPECT_LT(p.duration_s, full.ramp_time_s + 0.2);
    } else {
      EXPECT_LE(b.sim_time_s, a.sim_time_s + 1e-9);
    }
  }
}

TEST(ForceTest, AnAccelerationMuJoCoResetsIsReportedAsDivergence) {
  const auto world = box_world();
  const MjDataPtr d = world->make_settled_data();
  // Copied into every push: MuJoCo finds a huge qacc and resets the state,
  // which put the object back at rest far from the palm (read as a slip).
  const mjModel* m = world->model();
  d->qfrc_applied[m->jnt_dofadr[m->body_jntadr[world->target_body()]] + 2] = 1e15;
  const ForceTestResult r = run_force_test(*world, d.get());
  EXPECT_FALSE(r.holds);
  EXPECT_EQ(r.detail.rfind(kSimulationDiverged, 0), 0u) << r.detail;
  EXPECT_NE(r.detail.find("qacc"), std::string::npos) << r.detail;
}

}  // namespace
}  // namespace dffeval
