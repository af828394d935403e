// The transfer judge: symmetry, part agreement and contact error on
// signatures made by hand and by replaying the shipped demonstrations in the
// real simulator; the force test on demo grasps.

#include "eval/harness/grasp_fidelity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "eval/harness/demonstration.h"
#include "eval/harness/trial_runner.h"
#include "sim/force_test.h"
#include "sim/grasp_executor.h"
#include "sim/scene_set.h"

namespace dffeval {
namespace {

constexpr double kPi = 3.14159265358979323846;

Eigen::Isometry3d turned_about_z(const Eigen::Isometry3d& X, double angle) {
  Eigen::Isometry3d R = Eigen::Isometry3d::Identity();
  R.linear() = Eigen::AngleAxisd(angle, Eigen::Vector3d::UnitZ()).toRotationMatrix();
  return R * X;
}

ContactSignature turned(const ContactSignature& s, double angle) {
  ContactSignature out = s;
  const Eigen::Matrix3d R = Eigen::AngleAxisd(angle, Eigen::Vector3d::UnitZ()).toRotationMatrix();
  for (auto& g : out.groups) g.centroid_obj_m = R * g.centroid_obj_m;
  return out;
}

/// A demonstration executed on its source object (at the canonical pose of
/// its source scene, or at a drawn pose with `seed`), with the grasp given
/// in the object frame (the demo's own unless overridden).
struct Replay {
  ExecutionResult result;
  std::unique_ptr<World> world;
  MjDataPtr data;
};

Replay replay(const Demonstration& demo, const Eigen::Isometry3d& X_ObjPalm, std::uint64_t seed = 0,
              double finger_scale = 1.0) {
  const SceneSet clean = load_scene_set("clean");
  Replay r;
  const DrawnScene scene =
      seed == 0 ? draw_source_scene(demo, clean) : draw_scene(clean, demo.source_object(), seed);
  r.world = World::compose(scene);
  r.data = r.world->make_settled_data();
  const Eigen::Isometry3d X_WObj = r.world->body_pose(r.data.get(), r.world->target_body());
  Grasp g;
  g.X_WPalm = X_WObj * X_ObjPalm;
  for (int i = 0; i < kNumHandJoints; ++i) g.joints_rad[i] = finger_scale * demo.joints_rad[i];
  r.result = execute_grasp(*r.world, r.data.get(), g);
  return r;
}

/// The demo signatures, replayed once per process.
const ContactSignature& demo_signature(const std::string& task) {
  static std::map<std::string, ContactSignature> cache;
  auto it = cache.find(task);
  if (it == cache.end()) {
    const Demonstration demo = load_demonstration(task);
    it = cache.emplace(task, replay(demo, demo.X_ObjPalm).result.contacts_closed).first;
  }
  return it->second;
}

TEST(GraspFidelity, PartAgreementIsTheF1OfGroupPartPairs) {
  ContactSignature demo, trial;
  demo.groups[static_cast<int>(LinkGroup::kThumb)] = {3, {"body"}, {}};
  demo.groups[static_cast<int>(LinkGroup::kIndex)] = {2, {"body", "rim"}, {}};
  EXPECT_DOUBLE_EQ(part_agreement(demo, demo), 1.0);
  EXPECT_DOUBLE_EQ(part_agreement(trial, demo), 0.0);  // untouched
  trial.groups[static_cast<int>(LinkGroup::kThumb)] = {1, {"body"}, {}};
  trial.groups[static_cast<int>(LinkGroup::kPalm)] = {1, {"handle"}, {}};
  // Common 1 of trial's 2 and demo's 3: P = 1/2, R = 1/3, F1 = 0.4.
  EXPECT_NEAR(part_agreement(trial, demo), 0.4, 1e-12);
  // The same part with another link does not count.
  ContactSignature other;
  other.groups[static_cast<int>(LinkGroup::kRing)] = {1, {"body"}, {}};
  EXPECT_DOUBLE_EQ(part_agreement(other, demo), 0.0);
}

TEST(GraspFidelity, ContactErrorIsNormalizedOverTheGroupsBothTouch) {
  ContactSignature demo;
  demo.object_size_m = Eigen::Vector3d(0.1, 0.1, 0.2);
  demo.groups[0] = {1, {"body"}, Eigen::Vector3d(0.05, 0, 0.1)};
  demo.groups[5] = {1, {"body"}, Eigen::Vector3d(-0.05, 0, 0.1)};
  ContactSignature taller = demo;  // the same grasp on a twice taller object
  taller.object_size_m.z() = 0.4;
  for (auto& g : taller.groups) g.centroid_obj_m.z() *= 2;
  EXPECT_NEAR(contact_error(taller, demo, SymmetryGroup::kNone), 0.0, 1e-12);
  ContactSignature half = demo;
  half.groups[5] = {};
  half.groups[0].centroid_obj_m.x() += 0.01;  // 0.1 of the object's width
  EXPECT_NEAR(contact_error(half, demo, SymmetryGroup::kNone), 0.1, 1e-12);
  EXPECT_DOUBLE_EQ(contact_error(ContactSignature{}, demo, SymmetryGroup::kNone),
                   kMissingGroupError);
}

TEST(GraspFidelity, ACanGraspTurnedAboutItsAxisIsTheSameGrasp) {
  const Demonstration demo = load_demonstration("can_wrap");
  const ContactSignature& sig = demo_signature("can_wrap");
  ASSERT_FALSE(sig.empty());
  const Eigen::Isometry3d X = demo.X_ObjPalm;
  const Eigen::Isometry3d X90 = turned_about_z(X, kPi / 2);
  const PalmError e = palm_error_sym(X90, X, SymmetryGroup::kContinuousZ);
  EXPECT_LT(e.position_m, 1e-9);
  EXPECT_LT(e.rotation_deg, 1e-6);
  EXPECT_NEAR(contact_error(turned(sig, kPi / 2), sig, SymmetryGroup::kContinuousZ), 0.0, 1e-9);
  // Executed for real: the turned grasp touches the same parts at turned places.
  const Replay r = replay(demo, X90);
  EXPECT_TRUE(r.result.success) << r.result.detail;
  EXPECT_LT(contact_error(r.result.contacts_closed, sig, SymmetryGroup::kContinuousZ), 0.05);
  EXPECT_GT(part_agreement(r.result.contacts_closed, sig), 0.9);
  // Without the symmetry, the turn is a large error.
  EXPECT_GT(palm_error_sym(X90, X, SymmetryGroup::kNone).rotation_deg, 80.0);
}

TEST(GraspFidelity, AMugGraspTurnedAboutItsAxisIsNot) {
  const Demonstration demo = load_demonstration("mug_wrap");
  const ContactSignature& sig = demo_signature("mug_wrap");
  ASSERT_FALSE(sig.empty());
  const Eigen::Isometry3d X90 = turned_about_z(demo.X_ObjPalm, kPi / 2);
  const PalmError e = palm_error_sym(X90, demo.X_ObjPalm, SymmetryGroup::kNone);
  EXPECT_NEAR(e.rotation_deg, 90.0, 1e-6);
  EXPECT_GT(contact_error(turned(sig, kPi / 2), sig, SymmetryGroup::kNone), 0.1);
  // A half turn is a symmetry of a box but not of a mug.
  EXPECT_GT(
      palm_error_sym(turned_about_z(demo.X_ObjPalm, kPi), demo.X_ObjPalm, SymmetryGroup::kNone)
          .rotation_deg,
      170.0);
  EXPECT_LT(
      palm_error_sym(turned_about_z(demo.X_ObjPalm, kPi), demo.X_ObjPalm, SymmetryGroup::kHalfTurnZ)
          .rotation_deg,
      1e-6);
}

TEST(GraspFidelity, TheRightContactsFromAnotherSideAreNotTheDemonstratedGrasp) {
  // The contacts agree fully; only the palm's approach differs.
  FidelityMetrics m;
  m.part_agreement = 1.0;
  m.contact_error = 0.05;
  m.thumb_on_demo_part = true;
  const TransferCriteria criteria;
  m.palm_error_sym.rotation_deg = 30.0;
  EXPECT_TRUE(is_demonstrated_grasp(m, criteria));
  m.palm_error_sym.rotation_deg = criteria.max_palm_rotation_deg;
  EXPECT_TRUE(is_demonstrated_grasp(m, criteria));
  // A top-down grasp where the demo wraps the side: a quarter turn.
  m.palm_error_sym.rotation_deg = 90.0;
  EXPECT_FALSE(is_demonstrated_grasp(m, criteria));
  // The palm position is not a criterion (a novel shape moves it).
  m.palm_error_sym = {0.2, 10.0};
  EXPECT_TRUE(is_demonstrated_grasp(m, criteria));
  EXPECT_EQ(criteria.to_json().at("max_palm_rotation_deg"), criteria.max_palm_rotation_deg);
}

TEST(GraspFidelity, DemoSignaturesNameTheExpectedParts) {
  // What each task demonstrates, as (link group, part) pairs its replay must
  // contain (from the task descriptions in assets/demos/).
  // The wraps close the fingers on the body with the thumb high, at the top
  // edge (rim, shoulder, top rim): that is how the demos were authored.
  const std::map<std::string, std::vector<std::pair<LinkGroup, std::string>>> expected = {
      {"basket_handle", {{LinkGroup::kIndex, "handle_bar"}, {LinkGroup::kMiddle, "handle_bar"}}},
      {"mug_wrap", {{LinkGroup::kIndex, "body"}, {LinkGroup::kRing, "body"}}},
      {"mug_top", {{LinkGroup::kIndex, "rim"}, {LinkGroup::kMiddle, "rim"}}},
      {"can_wrap", {{LinkGroup::kIndex, "body"}, {LinkGroup::kMiddle, "body"}}},
      {"can_top", {{LinkGroup::kPalm, "top_rim"}}},
      {"bottle_wrap", {{LinkGroup::kMiddle, "body"}, {LinkGroup::kThumb, "shoulder"}}},
      {"bowl_rim", {{LinkGroup::kThumb, "rim"}, {LinkGroup::kIndex, "rim"}}},
      {"box_top", {{LinkGroup::kIndex, "top"}, {LinkGroup::kThumb, "top"}}},
      {"soft_ball_top", {{LinkGroup::kThumb, "top"}, {LinkGroup::kRing, "side"}}},
  };
  for (const auto& task : list_tasks()) {
    const ContactSignature& sig = demo_signature(task);
    EXPECT_FALSE(sig.empty()) << task;
    int groups = 0;
    for (const auto& g : sig.groups) groups += g.contacts > 0;
    EXPECT_GE(groups, 2) << task << ": " << sig.to_json().dump();
    auto it = expected.find(task);
    ASSERT_NE(it, expected.end()) << task << " has no expected parts in this test";
    for (const auto& [group, part] : it->second) {
      EXPECT_TRUE(sig.group(group).parts.count(part))
          << task << ": " << to_string(group) << " should touch " << part << "; "
          << sig.to_json().dump();
    }
  }
}

TEST(GraspFidelity, EveryDemoOnItsSourceObjectAtANewPosePassesTransfer) {
  const TransferCriteria criteria;
  for (const auto& task : list_tasks()) {
    const Demonstration demo = load_demonstration(task);
    // A drawn pose (position and yaw on the table): the oracle grasp.
    const Replay r = replay(demo, demo.X_ObjPalm, 77);
    ASSERT_TRUE(r.result.success) << task << ": " << r.result.detail;
    const FidelityMetrics m =
        measure_fidelity(r.result.contacts_closed, r.result.contacts_held, demo_signature(task),
                         object_symmetry(demo.source_object()), demo.X_ObjPalm, demo.X_ObjPalm);
    EXPECT_TRUE(is_demonstrated_grasp(m, criteria)) << task << ": " << m.to_json().dump();
  }
}

TEST(ForceTest, ADemoGraspHoldsAndAHalfOpenHandDoesNot) {
  for (const char* task : {"mug_wrap", "basket_handle"}) {
    const Demonstration demo = load_demonstration(task);
    Replay r = replay(demo, demo.X_ObjPalm);
    ASSERT_TRUE(r.result.success) << task << ": " << r.result.detail;
    const ForceTestResult held = run_force_test(*r.world, r.data.get());
    EXPECT_TRUE(held.holds) << task << ": " << held.to_json().dump();
    EXPECT_EQ(held.pushes.size(), 6u) << task;
    EXPECT_GT(held.force_n, 0.0);
    // Open the fingers halfway in the held state: the object goes.
    mjData* d = r.data.get();
    const auto& act = r.world->finger_actuator();
    for (int i = 0; i < kNumHandJoints; ++i) d->ctrl[act[i]] *= 0.5;
    const ForceTestResult opened = run_force_test(*r.world, d);
    EXPECT_FALSE(opened.holds) << task << ": " << opened.to_json().dump();
    ASSERT_FALSE(opened.pushes.empty());
    EXPECT_FALSE(opened.pushes.back().held);
  }
}

}  // namespace
}  // namespace dffeval
