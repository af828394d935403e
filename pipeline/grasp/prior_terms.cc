// The energy's prior terms: joint ranges, the published wrist cone about the
// demonstrated palm, and the demonstrated joints.

#include <cmath>

#include "pipeline/grasp/energy_terms.h"

namespace dffeval {

using Eigen::Matrix3d;
using Eigen::Vector3d;

void add_joint_limit_term(EnergyPass& e, const std::array<double, kNumHandJoints>& lower,
                          const std::array<double, kNumHandJoints>& upper) {
  if (e.weights.joint_limits == 0) return;
  std::vector<double>& t = e.term("joint_limits");
  for (int b = 0; b < e.B; ++b) {
    for (int k = 0; k < kNumHandJoints; ++k) {
      const double q = e.params[b][9 + k];
      if (q > upper[k]) {
        t[b] += q - upper[k];
        if (e.grad) e.direct[b][9 + k] += e.weights.joint_limits;
      } else if (q < lower[k]) {
        t[b] += lower[k] - q;
        if (e.grad) e.direct[b][9 + k] -= e.weights.joint_limits;
      }
    }
  }
}

void add_wrist_prior_term(EnergyPass& e, const EnergyReference& ref) {
  if (e.weights.wrist_prior == 0) return;
  std::vector<double>& t = e.term("wrist_prior");
  for (int b = 0; b < e.B; ++b) {
    const Matrix3d& R = e.poses[b].R[0];
    const Vector3d elevation = palm_axis_elevations(R);
    for (int c = 0; c < 3; ++c) {
      const double el = elevation[c];
      const double excess = std::abs(el - ref.demo_elevation[c]) - e.config.wrist_cone_rad;
      if (excess <= 0.0) continue;
      t[b] += excess * excess;
      if (e.grad && std::abs(R(2, c)) <= kElevationClamp) {
        // d asin(z) / dz, z = R(2, c) inside the clamp.
        e.dE_dR[b](2, c) += e.weights.wrist_prior * 2 * excess * sign(el - ref.demo_elevation[c]) /
                            std::sqrt(1 - R(2, c) * R(2, c));
      }
    }
  }
}

void add_joint_prior_term(EnergyPass& e, const EnergyReference& ref) {
  if (e.weights.joint_prior == 0) return;
  std::vector<double>& t = e.term("joint_prior");
  for (int b = 0; b < e.B; ++b) {
    for (int k = 0; k < kNumHandJoints; ++k) {
      const double dq = e.params[b][9 + k] - ref.demo_joints[k];
      t[b] += dq * dq;
      if (e.grad) e.direct[b][9 + k] += e.weights.joint_prior * 2 * dq;
    }
  }
}

}  // namespace dffeval
