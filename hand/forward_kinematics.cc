#include "hand/forward_kinematics.h"

#include <Eigen/Geometry>
#include <algorithm>

namespace dffeval {

Eigen::Matrix3d rot6d_matrix(const double* r6) {
  const Eigen::Vector3d a1(r6[0], r6[1], r6[2]), a2(r6[3], r6[4], r6[5]);
  const Eigen::Vector3d b1 = a1 / std::max(a1.norm(), 1e-12);
  const Eigen::Vector3d u = a2 - b1.dot(a2) * b1;
  const Eigen::Vector3d b2 = u / std::max(u.norm(), 1e-12);
  Eigen::Matrix3d R;
  R << b1, b2, b1.cross(b2);
  return R;
}

HandBodyPoses forward_kinematics(const HandModel& model, const Eigen::Matrix3d& R_WPalm,
                                 const Eigen::Vector3d& p_WPalm, const double* joints_rad) {
  const std::vector<HandBodyJoint>& joints = model.body_joints();
  const int nb = static_cast<int>(joints.size());
  HandBodyPoses out;
  out.R.resize(nb);
  out.p.resize(nb);
  out.R[0] = R_WPalm;
  out.p[0] = p_WPalm;
  for (int i = 1; i < nb; ++i) {
    const HandBodyJoint& bj = joints[i];
    Eigen::Matrix3d R_PB = bj.R_PB0;
    Eigen::Vector3d p_PB = bj.p_PB0;
    if (bj.joint >= 0) {
      const Eigen::Matrix3d Rj =
          Eigen::AngleAxisd(joints_rad[bj.joint] - bj.qpos0, bj.axis_B).toRotationMatrix();
      R_PB = bj.R_PB0 * Rj;
      p_PB = bj.p_PB0 + bj.R_PB0 * (bj.anchor_B - Rj * bj.anchor_B);
    }
    out.R[i] = out.R[bj.parent] * R_PB;
    out.p[i] = out.p[bj.parent] + out.R[bj.parent] * p_PB;
  }
  return out;
}

HandBodyPoses forward_kinematics(const HandModel& model, const Grasp& grasp) {
  return forward_kinematics(model, grasp.X_WPalm.rotation(), grasp.X_WPalm.translation(),
                            grasp.joints_rad.data());
}

}  // namespace dffeval
