#include "eval/methods/heuristic_grasp.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <stdexcept>

namespace dffeval {
namespace {

/// A power-grasp closure: fingers flexed at every joint, thumb opposed.
std::array<double, kNumHandJoints> power_grasp_joints() {
  std::array<double, kNumHandJoints> q{};
  const auto& names = hand_joint_names();
  for (int i = 0; i < kNumHandJoints; ++i) {
    const std::string& n = names[i];
    if (n == "THJ5")
      q[i] = 0.4;
    else if (n == "THJ4")
      q[i] = 1.1;
    else if (n == "THJ3")
      q[i] = 0.1;
    else if (n == "THJ2")
      q[i] = 0.3;
    else if (n == "THJ1")
      // The joint's range is [-1.571, 0]; the earlier 0.3 lay outside it and
      // the executor clamped it to 0, so 0 keeps every executed trajectory.
      q[i] = 0.0;
    else if (n.size() == 4 && (n[3] == '3' || n[3] == '2'))
      q[i] = 0.8;
    else if (n.size() == 4 && n[3] == '1')
      q[i] = 0.5;
  }
  return q;
}

}  // namespace

MethodOutput HeuristicGraspMethod::plan(const MethodInput& in) {
  const PointCloud cloud =
      select_foreground(backproject(*in.target, config_.stride), config_.foreground);
  if (cloud.size() < 20) throw std::runtime_error("heuristic: fewer than 20 foreground points");
  const Eigen::Vector3d c = cloud.centroid();
  std::vector<double> z;
  Eigen::Matrix2d cov = Eigen::Matrix2d::Zero();
  for (const auto& p : cloud.p_W) {
    z.push_back(p.z());
    const Eigen::Vector2d d = (p - c).head<2>();
    cov += d * d.transpose();
  }
  // The 98th percentile height ignores stray points above the object.
  std::nth_element(z.begin(), z.begin() + static_cast<long>(0.98 * (z.size() - 1)), z.end());
  const double top_z = z[static_cast<std::size_t>(0.98 * (z.size() - 1))];
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> eig(cov);
  const Eigen::Vector2d narrow = eig.eigenvectors().col(0);  // smallest eigenvalue

  // Palm frame: -y (palmar normal) down, +z (fingers) along the narrow axis.
  const Eigen::Vector3d y = Eigen::Vector3d::UnitZ();
  const Eigen::Vector3d zf(narrow.x(), narrow.y(), 0.0);
  const Eigen::Vector3d x = y.cross(zf).normalized();
  Eigen::Matrix3d R;
  R.col(0) = x;
  R.col(1) = y;
  R.col(2) = zf.normalized();
  // Put the middle of the fingers' base (palm frame (0.011, -0.011, 0.07))
  // over the centroid, the palm's face `clearance` above the top.
  const Eigen::Vector3d grip_point_palm(0.011, -0.011, 0.07);
  const Eigen::Vector3d grip_point_W(c.x(), c.y(), top_z + config_.clearance_m);
  MethodOutput out;
  out.grasp.X_WPalm.setIdentity();
  out.grasp.X_WPalm.linear() = R;
  out.grasp.X_WPalm.translation() = grip_point_W - R * grip_point_palm;
  out.grasp.joints_rad = power_grasp_joints();
  out.metrics["foreground_points"] = cloud.size();
  out.metrics["cloud_top_z_m"] = top_z;
  return out;
}

}  // namespace dffeval
