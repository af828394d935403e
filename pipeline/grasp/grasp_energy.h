#pragma once
// The grasp optimizer's energy (its terms are documented below, at
// EnergyWeights, and computed one function each in energy_terms.h) and its
// analytic gradient, for a batch of candidate grasps, in plain C++ (double
// precision, one thread).
//
// Why not LibTorch autograd: the energy of 10 candidates is some 300 small
// tensor operations forward and as many backward, and their per-operation
// overhead cost about 2.5 ms per optimizer iteration, a quarter of a trial's
// optimization, for arithmetic that takes a tenth of that. Here the hand is
// posed body by body, every term gives a force on a point fixed in a hand
// body, and the forces are summed up the kinematic tree into the gradients of
// the 31 parameters (the virtual-work rule: d E / d q_j is the torque about
// joint j's axis of the forces on the bodies it moves).
//
// LibTorch's HandKinematics::forward, hand_penetration_depth and
// hand_self_penetration (tests/hand/reference) are the reference: the tests
// hold this to them term by term and its gradient to finite differences.

#include <Eigen/Core>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hand/forward_kinematics.h"
#include "hand/hand_model.h"
#include "hand/hand_surface.h"
#include "pipeline/cloud/cloud_distance_grid.h"
#include "pipeline/cloud/nearest_points.h"
#include "pipeline/field/feature_field.h"
#include "pipeline/grasp/collision_shapes.h"
#include "pipeline/grasp/penetration_cloud.h"
#include "types/feature_types.h"
#include "types/grasp.h"

namespace dffeval {

struct GraspOptimizerConfig;
struct EnergyPass;

/// Weights of the energy's terms; a weight of 0 switches a term off (for
/// ablations). Units: the feature term is a mean L1 feature distance per
/// surface point; the others are described per field.
struct EnergyWeights {
  /// L1 distance between the target field at the hand's surface points and
  /// the demonstration's reference descriptor (the method's core term).
  double feature = 1.0;
  /// Not in the published method: mean over surface points of
  /// |min(d_target, cap) - min(d_demo, cap)|, metres, where d is a surface
  /// point's distance to the nearest cloud point (target cloud now, source
  /// cloud in the demonstration). Why: far from the cloud the field tends to
  /// the mean feature, and with noisy features the mean can be nearer the
  /// demonstration's descriptor than a wrong surface is, so the feature term
  /// alone lets the hand drift off the object. This term keeps the hand's
  /// surface at the demonstrated distances from the object (contact where the
  /// demo touched, clearance where it did not); the feature term then decides
  /// where on the object. The shipped settings (config/methods/sparsedff.yaml)
  /// use 40, chosen on `validation`; 20 stays the built-in default.
  double surface_distance = 20.0;
  /// Sum over target cloud points of how deep they lie inside the hand's
  /// collision geoms beyond GraspOptimizerConfig::penetration_tolerance_m,
  /// per metre.
  double penetration = 20.0;
  /// Sum over hand surface points of how far they are below the table top
  /// plus a margin, per metre.
  double table = 50.0;
  /// Sum of joint-range violations, per radian.
  double joint_limits = 10.0;
  /// Overlap depth between capsules of different fingers, per metre.
  double self_collision = 10.0;
  /// Squared excess (radians^2) of the palm axes' elevation change beyond the
  /// cone, compared with the demonstration (the published roll/pitch cone).
  double wrist_prior = 10.0;
  /// Not in the published method: squared distance (radians^2) of the joints
  /// from the demonstrated joints, which keeps finger shapes that the
  /// executor can close (see README).
  double joint_prior = 0.0;
};

/// Parameters of one candidate: wrist translation (3, metres), 6D rotation
/// (6: the palm's first two rotation columns), joints (22, radians).
constexpr int kGraspParams = 31;
using GraspParamVector = std::array<double, kGraspParams>;

/// The demonstrated grasp as parameters (rotation columns, joints).
GraspParamVector grasp_params(const Grasp& grasp);

/// Elevation (radians) of the palm's x, y and z axes above the horizontal
/// (asin of R's third row, clamped to +-(1 - 1e-6)): unchanged by a yaw about
/// the vertical, so the wrist prior constrains roll and pitch only.
Eigen::Vector3d palm_axis_elevations(const Eigen::Matrix3d& R);

/// Distance (metres) from each row of x to cloud point nearest[row], as the
/// surface-distance term measures it (softened by 1e-12 m^2, which keeps its
/// gradient finite on a cloud point); infinity where nearest[row] is -1 (no
/// point within the field's near radius, see FieldTape::nearest_points).
std::vector<double> distances_to_cloud(const PointsF& x, const PointsF& cloud,
                                       const std::vector<std::int64_t>& nearest);

/// What the energy compares a candidate with; fixed for one transfer.
struct EnergyReference {
  /// Target field (feature term) and its cloud's search tree (surface-
  /// distance term; not owned; may be null when that term is off).
  const FeatureField* target_field = nullptr;
  std::shared_ptr<const NearestPoints> target_cloud;
  /// Where the target field has a near radius R (FieldConfig::knn_radius_m)
  /// below the surface-distance cap: the target cloud's distances up to the
  /// cap, interpolated, for the surface points with no cloud point within
  /// R (the field's search found none, and an exact one would cost most of
  /// a step). Null: every distance is exact.
  std::shared_ptr<const CloudDistanceGrid> far_distance;
  /// Source field at the demonstrated surface points, P x D.
  FeaturesF descriptor;
  /// Each demonstrated surface point's distance to the source cloud, capped,
  /// metres (P).
  std::vector<double> demo_distance;
  /// Target cloud points for the penetration term.
  PenetrationCloud penetration_cloud;
  /// Elevations (radians) of the demonstrated palm's axes, and its joints.
  Eigen::Vector3d demo_elevation = Eigen::Vector3d::Zero();
  std::array<double, kNumHandJoints> demo_joints{};
};

/// Energies of a batch: the weighted total and each active term unweighted.
struct EnergyBatch {
  std::vector<double> total;
  std::map<std::string, std::vector<double>> terms;
};

class GraspEnergy {
 public:
  /// Keeps references to `hand`, `surface` and `config`: they must outlive it.
  GraspEnergy(const HandModel& hand, const HandSurfacePoints& surface,
              const GraspOptimizerConfig& config);

  /// Energies of the candidates in `params` (B of them). `noise`, if not
  /// null, is (B P) x 3 metres added to the surface points where the field
  /// and the cloud distance are read (the published point noise). With
  /// `gradient` not null, it receives dE_b / d params_b for every candidate;
  /// the feature term then needs `tape` (its field's forward pass is kept
  /// there for the pullback) and uses the field's neighbour cache; without a
  /// gradient the field is read once, bypassing the cache. Seconds per part
  /// (kinematics, feature, surface_distance, penetration, other_terms,
  /// backward) are added to `timing_s` if given.
  EnergyBatch evaluate(const EnergyReference& ref, const std::vector<GraspParamVector>& params,
                       const PointsF* noise, std::vector<GraspParamVector>* gradient,
                       FieldTape* tape, std::map<std::string, double>* timing_s = nullptr) const;

  /// Forward kinematics of one candidate.
  HandBodyPoses pose(const GraspParamVector& params) const;
  /// The surface points (P x 3, world, metres) of one candidate.
  PointsF surface_points(const GraspParamVector& params) const;

 private:
  /// dE/d params of every candidate from the pass's forces (the feature
  /// term's pullback added last) summed up the kinematic tree.
  void backward(EnergyPass& e, const EnergyReference& ref, FieldTape* tape,
                std::vector<GraspParamVector>* gradient) const;

  const HandModel& hand_;
  const HandSurfacePoints& surface_;
  const GraspOptimizerConfig& config_;
  std::vector<PenetrationGeom> geoms_;  // rounded boxes first, then cylinders
  std::vector<CapsulePair> pairs_;
};

}  // namespace dffeval
