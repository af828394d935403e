#include "pipeline/grasp/grasp_energy.h"

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "pipeline/grasp/energy_terms.h"
#include "pipeline/grasp/grasp_optimizer.h"

namespace dffeval {
namespace {

using Eigen::Matrix3d;
using Eigen::Vector3d;

/// The axial vector w of the skew part of M: <M, [w]x> = w . axial(M) for
/// every w (Frobenius product).
Vector3d axial(const Matrix3d& M) {
  return Vector3d(M(2, 1) - M(1, 2), M(0, 2) - M(2, 0), M(1, 0) - M(0, 1));
}

/// d R / d r6_k for the 6 components of r6, as angular velocities w_k
/// (dR = [w_k]x R): Gram-Schmidt differentiated forward.
std::array<Vector3d, 6> rot6d_velocities(const double* r6, const Matrix3d& R) {
  const Vector3d a1(r6[0], r6[1], r6[2]), a2(r6[3], r6[4], r6[5]);
  const double n1 = std::max(a1.norm(), 1e-12);
  const Vector3d b1 = R.col(0), b2 = R.col(1);
  const Vector3d u = a2 - b1.dot(a2) * b1;
  const double nu = std::max(u.norm(), 1e-12);
  std::array<Vector3d, 6> w;
  for (int k = 0; k < 6; ++k) {
    Vector3d da1 = Vector3d::Zero(), da2 = Vector3d::Zero();
    (k < 3 ? da1 : da2)[k % 3] = 1.0;
    const Vector3d db1 = (da1 - b1 * b1.dot(da1)) / n1;
    const Vector3d du = da2 - (db1.dot(a2) + b1.dot(da2)) * b1 - b1.dot(a2) * db1;
    const Vector3d db2 = (du - b2 * b2.dot(du)) / nu;
    const Vector3d db3 = db1.cross(b2) + b1.cross(db2);
    Matrix3d dR;
    dR << db1, db2, db3;
    // dR R^T is skew; its axial vector is twice w.
    w[k] = 0.5 * axial(dR * R.transpose());
  }
  return w;
}

}  // namespace

Eigen::Vector3d palm_axis_elevations(const Matrix3d& R) {
  Vector3d el;
  for (int c = 0; c < 3; ++c)
    el[c] = std::asin(std::clamp(R(2, c), -kElevationClamp, kElevationClamp));
  return el;
}

std::vector<double> distances_to_cloud(const PointsF& x, const PointsF& cloud,
                                       const std::vector<std::int64_t>& nearest) {
  std::vector<double> d(nearest.size());
  for (std::size_t i = 0; i < d.size(); ++i) {
    const Eigen::Index r = static_cast<Eigen::Index>(i);
    d[i] = nearest[i] < 0
               ? std::numeric_limits<double>::infinity()
               : std::sqrt((x.row(r) - cloud.row(nearest[i])).cast<double>().squaredNorm() + 1e-12);
  }
  return d;
}

GraspParamVector grasp_params(const Grasp& grasp) {
  GraspParamVector x{};
  const Matrix3d R = grasp.X_WPalm.rotation();
  for (int c = 0; c < 3; ++c) {
    x[c] = grasp.X_WPalm.translation()[c];
    x[3 + c] = R(c, 0);
    x[6 + c] = R(c, 1);
  }
  for (int k = 0; k < kNumHandJoints; ++k) x[9 + k] = grasp.joints_rad[k];
  return x;
}

GraspEnergy::GraspEnergy(const HandModel& hand, const HandSurfacePoints& surface,
                         const GraspOptimizerConfig& config)
    : hand_(hand),
      surface_(surface),
      config_(config),
      geoms_(penetration_geoms(hand)),
      pairs_(finger_capsule_pairs(hand)) {}

HandBodyPoses GraspEnergy::pose(const GraspParamVector& x) const {
  return forward_kinematics(hand_, rot6d_matrix(x.data() + 3), Vector3d(x[0], x[1], x[2]),
                            x.data() + 9);
}

PointsF GraspEnergy::surface_points(const GraspParamVector& x) const {
  const HandBodyPoses poses = pose(x);
  PointsF out(static_cast<Eigen::Index>(surface_.local.size()), 3);
  for (std::size_t p = 0; p < surface_.local.size(); ++p) {
    const int b = surface_.body[p];
    out.row(static_cast<Eigen::Index>(p)) =
        (poses.R[b] * surface_.local[p] + poses.p[b]).cast<float>();
  }
  return out;
}

EnergyBatch GraspEnergy::evaluate(const EnergyReference& ref,
                                  const std::vector<GraspParamVector>& params, const PointsF* noise,
                                  std::vector<GraspParamVector>* gradient, FieldTape* tape,
                                  std::map<std::string, double>* timing_s) const {
  const EnergyWeights& w = config_.weights;
  EnergyPass e(config_, w, surface_, params);
  e.timing_s = timing_s;
  e.B = static_cast<int>(params.size());
  e.P = static_cast<int>(surface_.local.size());
  e.Q = static_cast<Eigen::Index>(e.B) * e.P;
  e.grad = gradient != nullptr;
  const int B = e.B, P = e.P, nb = hand_.num_bodies();
  if (noise && noise->rows() != e.Q) {
    throw std::invalid_argument("GraspEnergy: noise must have B * P rows");
  }
  if (e.grad && w.feature != 0 && tape == nullptr) {
    throw std::invalid_argument("GraspEnergy: a gradient of the feature term needs a tape");
  }
  e.poses.resize(B);
  e.x.resize(static_cast<std::size_t>(e.Q));
  e.xq.resize(e.Q, 3);
  // Poses and surface points (x: noiseless, double; xq: where the target is
  // read, with the noise, float as the field takes it).
  for (int b = 0; b < B; ++b) {
    e.poses[b] = pose(params[b]);
    for (int p = 0; p < P; ++p) {
      const int body = surface_.body[p];
      const Eigen::Index i = static_cast<Eigen::Index>(b) * P + p;
      e.x[i] = e.poses[b].R[body] * surface_.local[p] + e.poses[b].p[body];
      e.xq.row(i) = e.x[i].cast<float>().transpose();
      if (noise) e.xq.row(i) += noise->row(i);
    }
  }
  e.lap("kinematics");

  e.out.total.assign(B, 0.0);
  e.wrench.assign(e.grad ? B : 0, BodyWrenches(nb));
  e.direct.assign(e.grad ? B : 0, GraspParamVector{});
  e.dE_dR.assign(e.grad ? B : 0, Matrix3d::Zero());

  add_feature_term(e, ref, tape);
  add_surface_distance_term(e, ref);
  add_penetration_term(e, ref, geoms_);
  add_table_term(e);
  add_joint_limit_term(e, hand_.joint_lower(), hand_.joint_upper());
  add_self_collision_term(e, pairs_);
  add_wrist_prior_term(e, ref);
  add_joint_prior_term(e, ref);

  const std::map<std::string, double> weight = {
      {"feature", w.feature},           {"surface_distance", w.surface_distance},
      {"penetration", w.penetration},   {"table", w.table},
      {"joint_limits", w.joint_limits}, {"self_collision", w.self_collision},
      {"wrist_prior", w.wrist_prior},   {"joint_prior", w.joint_prior}};
  for (const auto& [name, values_b] : e.out.terms)
    for (int b = 0; b < B; ++b) e.out.total[b] += weight.at(name) * values_b[b];
  e.lap("other_terms");
  if (!e.grad) return std::move(e.out);
  backward(e, ref, tape, gradient);
  e.lap("backward");
  return std::move(e.out);
}

void GraspEnergy::backward(EnergyPass& e, const EnergyReference& ref, FieldTape* tape,
                           std::vector<GraspParamVector>* gradient) const {
  // The feature term's forces: the field's pullback at the read points, on
  // the (noiseless) points of the hand that carry them.
  if (e.weights.feature != 0) {
    const PointsF dL_dx = ref.target_field->pullback(*tape, e.dL_dF);
    for (int b = 0; b < e.B; ++b) {
      for (int p = 0; p < e.P; ++p) {
        const Eigen::Index i = static_cast<Eigen::Index>(b) * e.P + p;
        e.wrench[b].add(surface_.body[p], e.x[i], dL_dx.row(i).cast<double>().transpose());
      }
    }
  }
  // Up the tree: a hinge's derivative is the moment about its axis of every
  // force on the bodies it moves; children come after their parents.
  const std::vector<HandBodyJoint>& joints = hand_.body_joints();
  const int nb = hand_.num_bodies();
  gradient->assign(e.B, GraspParamVector{});
  for (int b = 0; b < e.B; ++b) {
    BodyWrenches& wr = e.wrench[b];
    GraspParamVector& g = (*gradient)[b];
    g = e.direct[b];
    for (int i = nb - 1; i >= 1; --i) {
      const HandBodyJoint& bj = joints[i];
      if (bj.joint >= 0) {
        const Vector3d axis = e.poses[b].R[i] * bj.axis_B;
        const Vector3d anchor = e.poses[b].p[i] + e.poses[b].R[i] * bj.anchor_B;
        g[9 + bj.joint] += axis.dot(wr.moment[i] - anchor.cross(wr.force[i]));
      }
      wr.force[bj.parent] += wr.force[i];
      wr.moment[bj.parent] += wr.moment[i];
    }
    const Vector3d t(e.params[b][0], e.params[b][1], e.params[b][2]);
    const Matrix3d& R = e.poses[b].R[0];
    const Vector3d torque = wr.moment[0] - t.cross(wr.force[0]) + axial(e.dE_dR[b] * R.transpose());
    for (int c = 0; c < 3; ++c) g[c] += wr.force[0][c];
    const std::array<Vector3d, 6> omega = rot6d_velocities(e.params[b].data() + 3, R);
    for (int k = 0; k < 6; ++k) g[3 + k] += torque.dot(omega[k]);
  }
}

}  // namespace dffeval
