#pragma once
// The SparseDFF feature field (stage 4 of the method page): a feature F(x)
// for any 3D point x, interpolated from a (pruned, refined) feature cloud,
// with its gradient dF/dx for the end-effector optimization.
//
// Three interpolators, all built on the published inverse-square weights
//   w_i(x) = 1 / (|x - p_i| + 1e-10)^2,   F(x) = sum_i w_i f_i / sum_i w_i.
//
// kDense  The published field over ALL N points: O(Q N D). The reference.
//         Blocked matrix products over the far points (float), plus the 4
//         nearest points summed exactly in double: near the surface their
//         weights dominate and F's gradient is a small difference of huge
//         terms, which float would lose.
//
// kKnn    The k nearest points (KD-tree, built once) with their exact weights,
//         plus one background term standing in for the other N - k points:
//           K_bg(x) = 1 / (|x - c|^2 + r^2)   per point; c the cloud centroid,
//                                             r its RMS radius (metres);
//           F(x) = [K_bg (S - sum_near f_i) + sum_near w_i f_i]
//                / [K_bg (N - k)            + sum_near w_i      ],
//         S = sum_i f_i. Why: in the dense field every point contributes, and
//         far from the cloud all weights become equal, so F tends to the mean
//         feature. The background reproduces that limit (|x| -> inf: F ->
//         mean feature) and is softened by r^2 so that it never dominates on
//         the surface, where the exact near weights (~1 / d^2) do. Off the
//         surface F is pulled towards the mean feature, so empty space is
//         told from surface by its value.
//         To keep F continuous when the set of k nearest points changes, each
//         near point's weight is blended into the background weight as it
//         approaches the (k+1)-th nearest distance d_k1:
//           weight_i = beta_i w_i + (1 - beta_i) K_bg,
//           beta_i = 1 - (d_i / d_k1)^4,
//         so a point leaving the near set has the background weight at that
//         moment (beta = 0), exactly what it has once it left. F is C0 (its
//         gradient jumps where the neighbour set changes). With N <= k every
//         point is near and the field is the dense one exactly.
//         Cost O(Q (log N + k D)). An approximation: on a surface the dense
//         field gives most of its weight to points beyond the k nearest (the
//         sum of 1/d^2 over a surface grows with the log of its size); kKnn
//         gives that weight the mean feature instead of their distance-
//         weighted mean. Measured within 2 mm of a 4000-point sphere with
//         smooth features (tests/field): error 2.4% of the feature spread on
//         average, 6% at the 95th percentile, 13% at most; a few cm off the
//         surface kKnn is nearer the mean than kDense.
//         Near radius (knn_radius_m = R > 0): the near points are the k
//         nearest among those nearer than R, and the taper's reference
//         distance is min(d_k1, R), so a point crossing R enters or leaves
//         with the background weight and F stays C0. Beyond R from every
//         point F is the mean feature and dF/dx = 0, and the search knows
//         that after one look-up (knn_cell_cache.h), with no KD-tree descent
//         and no weighting. Why: most of the optimizer's queries are 1 to
//         6 cm from the cloud, where the near weights are a few percent of
//         the background's, and they cost the most to search.
//
// kTree   Barnes-Hut: an octree over the points. A cell whose bounding radius
//         r seen from x is small (r / |x - c| <= tree_theta, c its centroid)
//         is replaced by its points' count and mean feature at c, plus the
//         first-order (dipole) term of their offsets from c; nearer cells
//         are opened, down to exact per-point weights in the leaves. Between
//         tree_theta and 1.5 tree_theta the two are blended with a
//         smoothstep, so F stays C1. Error against kDense at the defaults
//         (4000-point sphere, features varying over 4 to 6 cm): at most 0.5%
//         of the feature spread within 2 mm of the surface, 2.5% at 1 to
//         10 cm. O(Q log N D) with a large constant: about 3 to 4x faster
//         than kDense at N = 20000, no faster at N = 4000. For studies that
//         need the published field at a lower cost; kKnn is the fast one.
//
// Gradients are analytic for all three (including the background, the taper,
// the dipole and the blending). A query exactly on a data point gets that
// point's feature and a finite gradient (the published 1e-10 keeps the
// weight finite; the direction of x - p_i is taken as zero there).
//
// Model / data: a FeatureField is immutable after construction; const methods
// are safe to call from many threads at once. Copies share the same data.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "types/feature_types.h"

namespace dffeval {

/// Whether a kKnn evaluation uses the field's neighbour-search cache
/// (FieldConfig::knn_cell_m). kBypass is for one-off queries that will not
/// come back to the same places (filling cells for them costs more than it
/// saves). Results are the same either way up to the order of points at
/// exactly equal distances.
enum class NeighbourCache { kUse, kBypass };

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
  /// kKnn: only cloud points nearer than this (metres) are near points;
  /// 0 = no limit. See "Near radius" in the file comment.
  double knn_radius_m = 0.0;
  /// kKnn: edge (metres) of the cells of the neighbour-search cache
  /// (knn_cell_cache.h), or 0 for the plain KD-tree search. A speed setting
  /// only: both searches find the same neighbours; only points at exactly
  /// equal distances may come in another order, so values agree to float
  /// rounding.
  double knn_cell_m = 0.004;
  /// kTree: opening angle, dimensionless, in (0, 0.6]: a cell of bounding
  /// radius r (metres, about its centroid) at distance d from x is replaced by
  /// its centroid when r / d <= tree_theta, opened when r / d >= 1.5
  /// tree_theta, blended in between. Smaller is more accurate and slower.
  double tree_theta = 0.35;
  /// kTree: most points in an octree leaf; >= 1.
  int tree_leaf_size = 16;
  /// Threads across blocks of queries; 0 = std::thread::hardware_concurrency().
  /// Results are bitwise identical for every value (each query is computed
  /// on its own, in a fixed order). Default 1: callers usually parallelize
  /// across trials already.
  int num_threads = 1;
};

class FeatureField;
class NearestPoints;

/// What FeatureField::evaluate_vjp keeps from a forward pass so that
/// FeatureField::pullback() needs no neighbour search (kKnn) and no second
/// evaluation of the values. Holds about Q (D + 6 k + 11) numbers.
class FieldTape {
 public:
  /// Number of queries recorded (0 before a forward pass).
  std::size_t size() const { return static_cast<std::size_t>(x_.rows()); }
  /// kKnn tapes: for each recorded query, the index (into the field's
  /// points) of its nearest point, found by the forward pass's neighbour
  /// search anyway; callers that also need distances to the cloud (the grasp
  /// energy's surface-distance term) reuse it instead of searching again.
  /// -1 where no point is nearer than FieldConfig::knn_radius_m. Empty for
  /// the other interpolators, which do not record neighbours.
  std::vector<std::int64_t> nearest_points() const;

 private:
  friend class FeatureField;
  using MatrixXdR = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const void* field_ = nullptr;            // the field that recorded it (pullback checks)
  PointsF x_;                              // Q x 3 query points, metres
  MatrixXdR value_;                        // Q x D, F(x) in double: the backward pass
                                           // subtracts it from nearby features
  Eigen::VectorXd weight_sum_;             // Q, sum of weights (the denominator)
  std::vector<std::uint32_t> neighbours_;  // kKnn: Q x (k + 1) nearest indices
  std::vector<int> neighbour_count_;       // kKnn: Q, how many of them were found
  std::vector<int> term_count_;            // kKnn: Q, terms recorded (<= k + 1)
  int neighbours_per_query_ = 0;
  // kKnn: each query's terms, one per neighbour entry: (weight, d weight /
  // dx) = 4 doubles and the feature row each weighs, so that the backward
  // pass does not recompute distances and weights.
  std::vector<double> term_weights_;
  std::vector<const float*> term_rows_;
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
  /// The KD-tree over points() that kDense and kKnn search (null for kTree),
  /// for callers that need nearest cloud points too; lives as long as the
  /// field's data.
  const NearestPoints* search_tree() const;
  /// Mean feature over the cloud (D): the field's value far from the cloud.
  const Eigen::VectorXf& mean_feature() const;

  /// values: Q x D, F at each row of x. If `jacobian` is not null it becomes
  /// Q x (3 D): row q holds dF_d/dx_c at column d * 3 + c (per metre).
  /// Either output may be null. Throws std::invalid_argument on a non-finite x.
  void evaluate(const PointsF& x, FeaturesF* values, FeaturesF* jacobian = nullptr,
                NeighbourCache cache = NeighbourCache::kUse) const;

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
