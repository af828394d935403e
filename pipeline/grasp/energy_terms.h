#pragma once
// The terms of the grasp energy (GraspEnergy::evaluate), one function per
// term, sharing one EnergyPass: the candidates' poses and surface points,
// the terms' values, and the forces each term puts on the hand's bodies for
// the gradient (summed up the kinematic tree in grasp_energy.cc). Each
// function adds its term when its weight is nonzero; the call order is the
// order in which forces are summed, so it is fixed (bitwise results).

#include <Eigen/Core>
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hand/forward_kinematics.h"
#include "hand/hand_surface.h"
#include "pipeline/grasp/collision_shapes.h"
#include "pipeline/grasp/grasp_energy.h"
#include "pipeline/grasp/grasp_optimizer.h"

namespace dffeval {

inline double sign(double v) { return (v > 0.0) - (v < 0.0); }

/// asin is clamped to +-(1 - 1e-6) (palm_axis_elevations).
inline constexpr double kElevationClamp = 1.0 - 1e-6;

/// The forces of one candidate on its bodies (world frame): their sum F and
/// their moment T about the world origin, per body.
struct BodyWrenches {
  std::vector<Eigen::Vector3d> force, moment;
  explicit BodyWrenches(int nb)
      : force(nb, Eigen::Vector3d::Zero()), moment(nb, Eigen::Vector3d::Zero()) {}
  /// dE/dx = g at the world point x fixed in body b.
  void add(int b, const Eigen::Vector3d& x, const Eigen::Vector3d& g) {
    force[b] += g;
    moment[b] += x.cross(g);
  }
};

/// One evaluation of the energy of B candidates with P surface points each.
struct EnergyPass {
  EnergyPass(const GraspOptimizerConfig& config, const EnergyWeights& weights,
             const HandSurfacePoints& surface, const std::vector<GraspParamVector>& params)
      : config(config), weights(weights), surface(surface), params(params) {}

  const GraspOptimizerConfig& config;
  const EnergyWeights& weights;
  const HandSurfacePoints& surface;
  const std::vector<GraspParamVector>& params;
  int B = 0, P = 0;
  Eigen::Index Q = 0;  // B * P
  bool grad = false;
  /// Body poses per candidate, and the surface points: x noiseless (double),
  /// xq where the target is read (with the point noise, float as the field
  /// takes it); row b * P + p.
  std::vector<HandBodyPoses> poses;
  std::vector<Eigen::Vector3d> x;
  PointsF xq;
  EnergyBatch out;
  /// Gradient parts: forces on bodies, direct parameter derivatives, and
  /// dE / dR of the palm (rotation terms that are not point forces).
  std::vector<BodyWrenches> wrench;
  std::vector<GraspParamVector> direct;
  std::vector<Eigen::Matrix3d> dE_dR;
  /// The feature term's reads, kept for the surface-distance term and the
  /// pullback: each read point's nearest cloud point (-1: none within the
  /// field's near radius), the field values and dE / dF.
  std::vector<std::int64_t> nearest;
  FeaturesF values, dL_dF;
  std::map<std::string, double>* timing_s = nullptr;
  std::chrono::steady_clock::time_point clock = std::chrono::steady_clock::now();

  /// The values of term `name`, zeroed (one per candidate).
  std::vector<double>& term(const char* name) {
    std::vector<double>& t = out.terms[name];
    t.assign(B, 0.0);
    return t;
  }
  /// Adds the seconds since the last lap to timing_s[part].
  void lap(const char* part) {
    if (!timing_s) return;
    const auto now = std::chrono::steady_clock::now();
    (*timing_s)[part] += std::chrono::duration<double>(now - clock).count();
    clock = now;
  }
};

/// field_terms.cc: the terms that read the target.
void add_feature_term(EnergyPass& e, const EnergyReference& ref, FieldTape* tape);
void add_surface_distance_term(EnergyPass& e, const EnergyReference& ref);

/// contact_terms.cc: the hand against the target cloud, the table and itself.
void add_penetration_term(EnergyPass& e, const EnergyReference& ref,
                          const std::vector<PenetrationGeom>& geoms);
void add_table_term(EnergyPass& e);
void add_self_collision_term(EnergyPass& e, const std::vector<CapsulePair>& pairs);

/// prior_terms.cc: joint ranges and the demonstration's wrist and joints.
void add_joint_limit_term(EnergyPass& e, const std::array<double, kNumHandJoints>& lower,
                          const std::array<double, kNumHandJoints>& upper);
void add_wrist_prior_term(EnergyPass& e, const EnergyReference& ref);
void add_joint_prior_term(EnergyPass& e, const EnergyReference& ref);

}  // namespace dffeval
