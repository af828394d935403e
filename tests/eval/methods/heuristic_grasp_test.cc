// The heuristic top-down power grasp, on real renders: palm down over the
// cloud, fingers across the object's narrow axis, the palm a clearance above
// the top, a fixed power-grasp closure, and an error without a cloud.

#include "eval/methods/heuristic_grasp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "tests/fixtures/hand_models.h"
#include "tests/fixtures/rendered_demo.h"

namespace dffeval {
namespace {

/// The palm-frame point the heuristic puts over the cloud: the middle of the
/// fingers' base (heuristic_grasp.cc).
const Eigen::Vector3d kGripPointPalm(0.011, -0.011, 0.07);

/// Plans on `task`'s source scene as the target (the object at the origin,
/// canonical pose), from the observation only.
MethodOutput plan_on(const std::string& task, HeuristicGraspConfig config = {}) {
  const fixtures::RenderedDemo& scene = fixtures::rendered_demo(task);
  MethodInput in;
  in.target = &scene.source;
  HeuristicGraspMethod method(config);
  return method.plan(in);
}

double joint(const Grasp& g, const std::string& name) {
  for (int i = 0; i < kNumHandJoints; ++i)
    if (hand_joint_names()[i] == name) return g.joints_rad[i];
  ADD_FAILURE() << "no joint " << name;
  return 0.0;
}

TEST(HeuristicGrasp, PalmFacesDownWithARotation) {
  const MethodOutput out = plan_on("can_wrap");
  const Eigen::Matrix3d R = out.grasp.X_WPalm.rotation();
  EXPECT_TRUE((R.transpose() * R).isApprox(Eigen::Matrix3d::Identity(), 1e-12));
  EXPECT_NEAR(R.determinant(), 1.0, 1e-12);
  // -y is the palmar normal: it points straight down.
  EXPECT_TRUE(R.col(1).isApprox(Eigen::Vector3d::UnitZ(), 1e-12)) << R;
  // The fingers (+z) are horizontal.
  EXPECT_NEAR(R.col(2).z(), 0.0, 1e-12);
}

TEST(HeuristicGrasp, GripPointIsOverTheObjectAClearanceAboveItsTop) {
  const fixtures::RenderedDemo& scene = fixtures::rendered_demo("can_wrap");
  const MethodOutput out = plan_on("can_wrap");
  const Eigen::Vector3d grip = out.grasp.X_WPalm * kGripPointPalm;
  // The can stands upright at the origin and is axisymmetric: the centroid
  // of what the ring of cameras sees is near its axis.
  EXPECT_LT(grip.head<2>().norm(), 0.01) << grip.transpose();
  // Its top, as measured in the cloud, is the can's height.
  const double height = scene.demo.source_object().bounds_obj().max().z();
  const double top = out.metrics["cloud_top_z_m"].get<double>();
  EXPECT_NEAR(top, height, 0.01);
  EXPECT_NEAR(grip.z(), top + HeuristicGraspConfig{}.clearance_m, 1e-9);
  EXPECT_GT(out.metrics["foreground_points"].get<int>(), 500);
}

TEST(HeuristicGrasp, ClearanceRaisesThePalmByTheSameAmount) {
  HeuristicGraspConfig high;
  high.clearance_m = 0.05;
  const MethodOutput a = plan_on("can_wrap");
  const MethodOutput b = plan_on("can_wrap", high);
  const Eigen::Vector3d d = b.grasp.X_WPalm.translation() - a.grasp.X_WPalm.translation();
  EXPECT_TRUE(d.isApprox(Eigen::Vector3d(0, 0, 0.05 - HeuristicGraspConfig{}.clearance_m), 1e-9))
      << d.transpose();
  EXPECT_TRUE(b.grasp.X_WPalm.rotation().isApprox(a.grasp.X_WPalm.rotation(), 1e-12));
}

TEST(HeuristicGrasp, FingersPointAcrossTheNarrowSide) {
  // The box's longer side is its x axis (object catalog), and it stands at
  // the origin unrotated: the fingers must wrap across y.
  const fixtures::RenderedDemo& scene = fixtures::rendered_demo("box_top");
  const auto& params = scene.demo.source_object().params;
  ASSERT_GT(params["size_x"].get<double>(), 1.2 * params["size_y"].get<double>());
  const Eigen::Matrix3d R = plan_on("box_top").grasp.X_WPalm.rotation();
  EXPECT_GT(std::abs(R.col(2).y()), 0.95) << R;
}

TEST(HeuristicGrasp, ClosesToAFixedPowerGrasp) {
  const Grasp g = plan_on("can_wrap").grasp;
  EXPECT_DOUBLE_EQ(joint(g, "THJ4"), 1.1);
  EXPECT_DOUBLE_EQ(joint(g, "THJ5"), 0.4);
  for (const char* f : {"FF", "MF", "RF", "LF"}) {
    const std::string finger(f);
    EXPECT_DOUBLE_EQ(joint(g, finger + "J3"), 0.8) << f;
    EXPECT_DOUBLE_EQ(joint(g, finger + "J2"), 0.8) << f;
    EXPECT_DOUBLE_EQ(joint(g, finger + "J1"), 0.5) << f;
    EXPECT_DOUBLE_EQ(joint(g, finger + "J4"), 0.0) << f;  // no spread
  }
  // The same closure whatever the object.
  EXPECT_EQ(plan_on("box_top").grasp.joints_rad, g.joints_rad);
}

TEST(HeuristicGrasp, EveryPresetJointLiesInsideItsRange) {
  const HandModel& hand = fixtures::shadow_hand_model();
  const Grasp g = plan_on("can_wrap").grasp;
  for (int i = 0; i < kNumHandJoints; ++i) {
    EXPECT_GE(g.joints_rad[i], hand.joint_lower()[i]) << hand_joint_names()[i];
    EXPECT_LE(g.joints_rad[i], hand.joint_upper()[i]) << hand_joint_names()[i];
  }
}

TEST(HeuristicGrasp, SameObservationSameGrasp) {
  const MethodOutput a = plan_on("box_top");
  const MethodOutput b = plan_on("box_top");
  EXPECT_EQ(a.grasp.X_WPalm.matrix(), b.grasp.X_WPalm.matrix());
  EXPECT_EQ(a.metrics, b.metrics);
}

TEST(HeuristicGrasp, NoCloudIsAnError) {
  HeuristicGraspMethod method;
  MethodInput in;
  const Observation nothing;  // no views at all
  in.target = &nothing;
  EXPECT_THROW(method.plan(in), std::runtime_error);
  // A workspace box that holds nothing of the scene: no foreground either.
  HeuristicGraspConfig far;
  far.foreground.box_min_m = Eigen::Vector3d(5, 5, 5);
  far.foreground.box_max_m = Eigen::Vector3d(6, 6, 6);
  try {
    plan_on("can_wrap", far);
    FAIL() << "no error for an empty foreground";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("foreground"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dffeval
