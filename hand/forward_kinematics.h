#pragma once
// Forward kinematics of the hand as free functions over a constant
// HandModel (Pinocchio's style: model in, poses out), in plain C++ double
// precision. The grasp optimizer poses its candidates with these; the
// LibTorch batch version in tests/hand/reference is the autograd reference
// they are held to.

#include <Eigen/Core>
#include <vector>

#include "hand/hand_model.h"
#include "types/grasp.h"

namespace dffeval {

/// World poses of all hand bodies of one hand (HandModel::body_names()
/// order).
struct HandBodyPoses {
  std::vector<Eigen::Matrix3d> R;  // R_WB
  std::vector<Eigen::Vector3d> p;  // p_WB, metres
};

/// 6D rotation representation (Zhou et al. 2019): r6 holds the first two
/// COLUMNS of R, (a1, a2); Gram-Schmidt gives b1 = a1/|a1|, b2 = normalized
/// (a2 - (b1.a2) b1), b3 = b1 x b2, R = [b1 b2 b3]. Degenerate inputs stay
/// finite (norms clamped at 1e-12).
Eigen::Matrix3d rot6d_matrix(const double* r6);

/// Poses of every hand body with the palm at (R_WPalm, p_WPalm) (metres)
/// and the finger joints at joints_rad[0..21] (radians, hand_joint_names()
/// order, not clamped to the limits). At zero joints every body is where
/// MuJoCo's mj_kinematics puts it for the same palm pose.
HandBodyPoses forward_kinematics(const HandModel& model, const Eigen::Matrix3d& R_WPalm,
                                 const Eigen::Vector3d& p_WPalm, const double* joints_rad);

/// The same for a grasp.
HandBodyPoses forward_kinematics(const HandModel& model, const Grasp& grasp);

}  // namespace dffeval
