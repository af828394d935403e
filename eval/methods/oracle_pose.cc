#include "eval/methods/oracle_pose.h"

#include <stdexcept>

namespace dffeval {

MethodOutput OraclePoseMethod::plan(const MethodInput& in) {
  if (!in.privileged) throw std::logic_error("oracle-pose needs privileged ground truth");
  MethodOutput out;
  const Eigen::Isometry3d X_TargetSource =
      in.privileged->X_WTargetObj * in.privileged->X_WSourceObj.inverse();
  out.grasp.X_WPalm = X_TargetSource * in.demo_grasp.X_WPalm;
  out.grasp.joints_rad = in.demo_grasp.joints_rad;
  return out;
}

}  // namespace dffeval
