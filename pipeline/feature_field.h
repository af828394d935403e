#pragma once
// The SparseDFF feature field (stage 4 of docs/method): a feature F(x) for any
// 3D point x, interpolated from a (pruned, refined) feature cloud, with its
// gradient dF/dx for the end-effector optimization.
//
// Three interpolators, all built on the published inverse-square weights
//   w_i(x) = 1 / (|x - p_i| + 1e-10)^2,   F(x) = sum_i w_i f_i / sum_i w_i.
//
// kDense  The published field over ALL N points: O(Q N D). The reference.
//
// kKnn    The k nearest points (KD-tree) with their exact weights, plus one
//         background term standing in for the other N - k points:
//           K_bg(x) = 1 / (|x - c|^2 + r^2)   per point, c the cloud centroid,
//                                             r its RMS radius (metres);
//           F(x) = [K_bg (S - sum_near f_i) + sum_near w_i f_i]
//                / [K_bg (N - k)            + sum_near w_i      ],
//         S = sum_i f_i. Why this background: in the dense field every point
//         contributes, and far from the cloud all weights become equal, so F
//         tends to the mean feature; the background term reproduces that
//         limit exactly (|x| -> inf: F -> mean). It is softened by r^2 so it
//         never dominates on the surface, where the exact near weights
//         (~1 / d^2) do. Off the surface the field is therefore pulled towards
//         the mean feature, so empty space is told from surface by its value.
//         To keep F continuous when the set of k nearest points changes, each
//         near point's weight is blended into the background weight as it
//         approaches the (k+1)-th nearest distance d_k1:
//           weight_i = beta_i w_i + (1 - beta_i) K_bg,
//           beta_i = 1 - (d_i / d_k1)^4,
//         so a point leaving the near set has the background weight at that
//         moment (beta = 0), exactly what it has once it left. With N <= k
//         every point is near and the field is the dense one exactly.
//         Cost O(Q (log N + k D)). It is an approximation: the dense field
//         gives a large share of its weight to far points (the sum of 1/d^2
//         over a surface grows with the log of its size), which the kNN field
//         replaces by the mean; see the tests for the measured gap.
//
// kTree   Barnes-Hut: an octree over the points; a cell whose bounding radius
//         seen from x subtends at most tree_theta (r_cell / |x - c_cell|) is
//         replaced by its points' count and mean feature at its centroid;
//         nearer cells are opened, down to exact per-point weights in the
//         leaves. Between tree_theta and 1.5 tree_theta the two are blended
//         with a smoothstep, so the field stays C1. A close approximation of
//         the dense field (about 1% of the feature spread at the default) at a
//         cost of O(Q log N D) with a larger constant than kKnn.
//
// Gradients are analytic for all three (including the background, the
// blending and the taper). A query exactly on a data point gets that point's
// feature and a finite gradient (the published 1e-10 keeps the weight finite;
// the direction of x - p_i is taken as zero there).
//
// Model / data: a FeatureField is immutable after construction; const methods
// are safe to call from many threads at once. Copies share the same data.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/feature_types.h"

namespace dffeval {

/// How F(x) is interpolated from the cloud (see the file comment).
enum class FieldInterpolator { kDense, kKnn, kTree };

/// "dense", "knn" or "tree"; throws std::invalid_argument listing the valid names.
FieldInterpolator parse_field_interpolator(const std::string& name);
/// The name parse_field_interpolator accepts.
std::string to_string(FieldInterpolator interpolator);

struct FieldConfig {
  /// Which interpolator evaluates F(x).
  FieldInterpolator interpolator = FieldInterpolator::kKnn;
  /// kKnn: number of nearest points whose weights are exact; >= 1.
  int knn_k = 8;
  /// kTree: opening angle, dimensionless, in (0, 0.6]: a cell of bounding
  /// radius r (metres, about its centroid) at distance d from x is replaced by
  /// its centroid when r / d <= tree_theta, opened when r / d >= 1.5
  /// tree_theta, blended in between. Smaller is more accurate and slower.
  double tree_theta = 0.5;
  /// kTree: most points in an octree leaf; >= 1.
  int tree_leaf_size = 8;
  /// Threads across blocks of queries; 0 = std::thread::hardware_concurrency().
  /// Results are bitwise identical for every value (each query is computed
  /// on its own, in a fixed order). Default 1: callers usually parallelize
  /// across trials already.
  int num_threads = 1;
};

class FeatureField;

/// What FeatureField::evaluate_vjp keeps from a forward pass so that
/// FeatureField::pullback() needs no neighbour search (kKnn) and no second
/// evaluation of the values. Holds about Q (D + k + 5) numbers.
class FieldTape {
 public:
  /// Number of queries recorded (0 before a forward pass).
  std::size_t size() const { return static_cast<std::size_t>(x_.rows()); }

 private:
  friend class FeatureField;
  using MatrixXdR = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const void* field_ = nullptr;            // the field that recorded it (pullback checks)
  PointsF x_;                              // Q x 3 query points, metres
  MatrixXdR value_;                        // Q x D, F(x) in double: the backward pass
                                           // subtracts it from nearby features
  Eigen::VectorXd weight_sum_;             // Q, sum of weights (the denominator)
  std::vector<std::uint32_t> neighbours_;  // kKnn: Q x (k + 1) nearest indices
  int neighbours_per_query_ = 0;
};

/// F(x) over a feature cloud, with its gradient. Shapes: x is Q x 3 (metres),
/// features N x D. Immutable; cheap to copy (shared data).
class FeatureField {
 public:
  /// Builds the field (and the KD-tree or octree its interpolator needs).
  /// `points` N x 3 metres, `features` N x D. Throws std::invalid_argument on
  /// N = 0, D = 0, a row-count mismatch, a non-finite point or feature, or a
  /// config value out of range; the message says which.
  FeatureField(PointsF points, FeaturesF features, FieldConfig config = {});

  /// Feature dimension D.
  int dim() const;
  /// Number of points N.
  std::size_t size() const;
  const PointsF& points() const;
  const FeaturesF& features() const;
  const FieldConfig& config() const;
  /// Mean feature over the cloud (D): the field's value far from the cloud.
  const Eigen::VectorXf& mean_feature() const;

  /// values: Q x D, F at each row of x. If `jacobian` is not null it becomes
  /// Q x (3 D): row q holds dF_d/dx_c at column d * 3 + c (per metre).
  /// Either output may be null. Throws std::invalid_argument on a non-finite x.
  void evaluate(const PointsF& x, FeaturesF* values, FeaturesF* jacobian = nullptr) const;

  /// Forward pass for an energy L(F(x)): `values` (Q x D, may be null) as in
  /// evaluate(), and `tape` records what pullback() needs.
  void evaluate_vjp(const PointsF& x, FeaturesF* values, FieldTape* tape) const;

  /// Backward pass: given dL/dF (Q x D) at the points recorded in `tape`,
  /// returns dL/dx (Q x 3, per metre) without forming the Jacobian. About the
  /// cost of one forward pass (kDense, kTree) or less (kKnn). Throws
  /// std::invalid_argument if the tape is from another field or the shape of
  /// dL_dF does not match.
  PointsF pullback(const FieldTape& tape, const FeaturesF& dL_dF) const;

  /// Forward and backward in one call: dL/dx (Q x 3) for dL/dF (Q x D) at x.
  PointsF pullback(const PointsF& x, const FeaturesF& dL_dF) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace dffeval
