// oracle-pose: the demonstrated grasp moved by the ground-truth relative pose
// of source and target objects, and an error without the ground truth.

#include "eval/methods/oracle_pose.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "eval/harness/demonstration.h"

namespace dffeval {
namespace {

Eigen::Isometry3d pose(double x, double y, double z, double angle, const Eigen::Vector3d& axis) {
  Eigen::Isometry3d X = Eigen::Isometry3d::Identity();
  X.translation() = Eigen::Vector3d(x, y, z);
  X.linear() = Eigen::AngleAxisd(angle, axis.normalized()).toRotationMatrix();
  return X;
}

TEST(OraclePose, MovesTheDemoGraspWithTheObject) {
  const Demonstration demo = load_demonstration("mug_wrap");
  PrivilegedInfo truth;
  truth.X_WSourceObj = pose(0.01, -0.02, 0.0, 0.3, Eigen::Vector3d::UnitZ());
  truth.X_WTargetObj = pose(-0.04, 0.03, 0.001, -2.1, Eigen::Vector3d(0.05, 0.0, 1.0));
  MethodInput in;
  in.demo = &demo;
  in.demo_grasp = demo.grasp_in_world(truth.X_WSourceObj);
  in.privileged = &truth;
  OraclePoseMethod oracle;
  const MethodOutput out = oracle.plan(in);
  // The demonstration applied to the target object where it really is.
  EXPECT_TRUE(out.grasp.X_WPalm.isApprox(demo.grasp_in_world(truth.X_WTargetObj).X_WPalm, 1e-12))
      << out.grasp.X_WPalm.matrix();
  // Equivalently: the palm sits in the target's frame where it sat in the source's.
  EXPECT_TRUE((truth.X_WTargetObj.inverse() * out.grasp.X_WPalm)
                  .isApprox(truth.X_WSourceObj.inverse() * in.demo_grasp.X_WPalm, 1e-12));
  EXPECT_EQ(out.grasp.joints_rad, demo.joints_rad);
  // It moved: source and target poses differ.
  EXPECT_GT((out.grasp.X_WPalm.translation() - in.demo_grasp.X_WPalm.translation()).norm(), 0.01);
}

TEST(OraclePose, SamePoseKeepsTheGrasp) {
  Grasp demo_grasp;
  demo_grasp.X_WPalm = pose(0.1, 0.0, 0.2, 1.0, Eigen::Vector3d(1, 1, 0));
  for (int i = 0; i < kNumHandJoints; ++i) demo_grasp.joints_rad[i] = 0.01 * i;
  PrivilegedInfo truth;
  truth.X_WSourceObj = truth.X_WTargetObj = pose(0.02, 0.02, 0.0, 0.7, Eigen::Vector3d::UnitZ());
  MethodInput in;
  in.demo_grasp = demo_grasp;
  in.privileged = &truth;
  const MethodOutput out = OraclePoseMethod().plan(in);
  EXPECT_TRUE(out.grasp.X_WPalm.isApprox(demo_grasp.X_WPalm, 1e-12));
  EXPECT_EQ(out.grasp.joints_rad, demo_grasp.joints_rad);
}

TEST(OraclePose, PureTranslationShiftsThePalmByIt) {
  Grasp demo_grasp;
  demo_grasp.X_WPalm = pose(0.05, -0.01, 0.12, 0.4, Eigen::Vector3d::UnitX());
  PrivilegedInfo truth;
  truth.X_WSourceObj = pose(0.0, 0.0, 0.0, 0.0, Eigen::Vector3d::UnitZ());
  truth.X_WTargetObj = pose(0.03, -0.02, 0.0, 0.0, Eigen::Vector3d::UnitZ());
  MethodInput in;
  in.demo_grasp = demo_grasp;
  in.privileged = &truth;
  const MethodOutput out = OraclePoseMethod().plan(in);
  EXPECT_TRUE(out.grasp.X_WPalm.translation().isApprox(
      demo_grasp.X_WPalm.translation() + Eigen::Vector3d(0.03, -0.02, 0.0), 1e-12));
  EXPECT_TRUE(out.grasp.X_WPalm.rotation().isApprox(demo_grasp.X_WPalm.rotation(), 1e-12));
}

TEST(OraclePose, WithoutGroundTruthItRefuses) {
  MethodInput in;  // privileged left unset, as for unprivileged methods
  OraclePoseMethod oracle;
  try {
    oracle.plan(in);
    FAIL() << "planned without ground truth";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("privileged"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dffeval
