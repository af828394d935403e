#pragma once
// The grasp optimizer's energy (its terms are documented in
// grasp_optimizer.h, EnergyWeights) and its analytic gradient, for a batch of
// candidate grasps, in plain C++ (double precision, one thread).
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
// hand_self_penetration stay the reference: tests/pipeline holds this to
// them term by term and its gradient to finite differences.

#include <Eigen/Core>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/cloud_distance_grid.h"
#include "pipeline/feature_field.h"
#include "pipeline/feature_types.h"
#include "pipeline/grasp.h"
#include "pipeline/hand_kinematics.h"
#include "pipeline/hand_surface.h"
#include "pipeline/nearest_points.h"

namespace dffeval {

struct GraspOptimizerConfig;

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

/// Gram-Schmidt of the 6D representation (rot6d_to_matrix's rule).
Eigen::Matrix3d rot6d_matrix(const double* r6);

/// World poses of all hand bodies of one candidate (body_names() order).
struct HandBodyPoses {
  std::vector<Eigen::Matrix3d> R;  // R_WB
  std::vector<Eigen::Vector3d> p;  // p_WB, metres
};

/// The target cloud points of the penetration term, bucketed in a uniform
/// grid so that each hand geom tests only the points near it (10 geoms x 25
/// primitives x 1500 points per iteration otherwise).
class PenetrationCloud {
 public:
  PenetrationCloud() = default;
  /// `points` in metres; `cell_m` the grid's cell edge.
  explicit PenetrationCloud(std::vector<Eigen::Vector3d> points, double cell_m = 0.01);
  const std::vector<Eigen::Vector3d>& points() const { return points_; }
  /// Appends to `out` the indices of every point within `radius_m` of
  /// `centre` (and some farther ones): those in the cells that the sphere's
  /// bounding box overlaps.
  void candidates(const Eigen::Vector3d& centre, double radius_m, std::vector<int>* out) const;

 private:
  std::vector<Eigen::Vector3d> points_;
  Eigen::Vector3d origin_ = Eigen::Vector3d::Zero();
  double cell_ = 0.01;
  int dims_[3] = {0, 0, 0};
  std::vector<int> cell_start_;  // CSR: points of cell c are order_[cell_start_[c] ..)
  std::vector<int> order_;
};

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
  GraspEnergy(const HandKinematics& hand, const HandSurfacePoints& surface,
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
  struct Geom {
    int body = 0;
    bool cylinder = false;
    Eigen::Vector3d extent = Eigen::Vector3d::Zero();  // rounded box half sizes
    double radius = 0.0;                               // rounding or cylinder radius
    double half = 0.0;                                 // cylinder half length
    double bound = 0.0;                                // bounding radius about the centre, m
    Eigen::Matrix3d R_BG = Eigen::Matrix3d::Identity();
    Eigen::Vector3d p_BG = Eigen::Vector3d::Zero();
  };
  struct CapsulePair {
    int body_a = 0, body_b = 0;
    Eigen::Vector3d centre_a, axis_a, centre_b, axis_b;  // body frames
    double half_a = 0, half_b = 0, radius_sum = 0;
  };

  const HandKinematics& hand_;
  const HandSurfacePoints& surface_;
  const GraspOptimizerConfig& config_;
  std::vector<Eigen::Vector3d> local_;  // surface points in their body frames
  std::vector<Geom> geoms_;             // rounded boxes first, then cylinders
  std::vector<CapsulePair> pairs_;
  std::array<double, kNumHandJoints> lower_{}, upper_{};
};

}  // namespace dffeval
