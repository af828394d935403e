#pragma once
// Inside FeatureField (feature_field.h): the state shared by its three
// interpolators and the arithmetic they share. Not a public header: only
// pipeline/field/*.cc include it. Each interpolator lives in its own file:
// knn_interpolator.cc, tree_interpolator.cc, dense_interpolator.cc; the
// facade, the constructor and the blocked forward/backward passes in
// feature_field.cc.

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "pipeline/cloud/knn_cell_cache.h"
#include "pipeline/cloud/nearest_points.h"
#include "pipeline/field/feature_field.h"

namespace dffeval {
namespace field_detail {

using Eigen::Index;
using Vec3 = Eigen::Vector3d;
using MatrixXdR = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
// D x 3, column c = dF/dx_c: each update is three D-long axpys.
using Jacobian3 = Eigen::Matrix<double, Eigen::Dynamic, 3>;
// One row of the output Jacobian, element (d, c) at d * 3 + c.
using JacobianRowMap = Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, 3, Eigen::RowMajor>>;

/// The published regulariser of the inverse-square weight, metres.
inline constexpr double kWeightEps = 1e-10;
/// kTree: a cell is opened fully at kOpenBand * tree_theta.
inline constexpr double kOpenBand = 1.5;
/// Queries per work unit. Fixed, so that which queries share a block (and so
/// the order of every floating-point sum) does not depend on the thread count.
inline constexpr Index kQueryBlock = 32;
/// kDense: points per block of the weight matrices (4 x 32 x 512 floats).
inline constexpr Index kDensePointBlock = 512;
/// kDense: nearest points summed exactly in double; the rest go through a
/// float matrix product. Near a data point its weight and gradient are huge
/// and F's gradient is a small difference of huge terms; in float that
/// difference would be lost.
inline constexpr int kDenseNear = 4;
/// Most points in a KD-tree leaf. Measured for 5000 queries of 9 neighbours
/// near a 4800- and a 20000-point surface: 20 is 8 to 9% faster than
/// nanoflann's usual 10, and 4 is 15% slower.
inline constexpr std::size_t kKdTreeLeafSize = 20;
/// kTree: deepest octree level (float coordinates cannot be split further).
inline constexpr int kMaxTreeDepth = 40;

inline std::string fmt_index(Index i) { return std::to_string(static_cast<long long>(i)); }

/// The published weight w = 1 / (d + eps)^2 at offset u = x - p, and dw/dx
/// into *grad unless grad is null.
inline double inverse_square_weight(const Vec3& u, Vec3* grad) {
  const double d = u.norm();
  const double de = d + kWeightEps;
  const double w = 1.0 / (de * de);
  // dw/dx = -2 (d + eps)^-3 u / d. At d = 0 the direction of u is undefined;
  // by symmetry the derivative there is taken as zero (keeps it finite).
  if (grad != nullptr) *grad = d > 0.0 ? Vec3(u * (-2.0 * w / (de * d))) : Vec3::Zero();
  return w;
}

/// Hessian of w = 1 / (|u| + eps)^2 w.r.t. x at offset u = x - c (u != 0).
inline Eigen::Matrix3d inverse_square_hessian(const Vec3& u) {
  const double d = u.norm();
  const double de = d + kWeightEps;
  const double w1 = -2.0 / (de * de * de);      // dw/dd
  const double w2 = 6.0 / (de * de * de * de);  // d2w/dd2
  const Vec3 n = u / d;
  const Eigen::Matrix3d nn = n * n.transpose();
  return w2 * nn + (w1 / d) * (Eigen::Matrix3d::Identity() - nn);
}

/// One term of F = sum coef * row / sum coef: a point (row its feature) or a
/// group of points (row their mean feature, coef their total weight).
struct Term {
  double coef;       // weight
  Vec3 grad;         // d coef / dx, per metre
  const float* row;  // D floats
  // kTree cells only: the first-order correction for the spread of the
  // cell's points around its centroid, in the numerator only (it sums to
  // zero in the denominator): A += M^T dip, M = sum_i (p_i - c) f_i^T (3 x D,
  // row-major, metres x feature).
  const float* moment = nullptr;
  Vec3 dip = Vec3::Zero();
  Eigen::Matrix3d dip_grad = Eigen::Matrix3d::Zero();  // (c, e): d dip_c / d x_e
};

using MomentMap = Eigen::Map<const Eigen::Matrix<float, 3, Eigen::Dynamic, Eigen::RowMajor>>;

/// kDense: the far points' share of one query, from the matrix products.
struct DenseRest {
  const double* a = nullptr;  // D: sum w_i f_i
  double b = 0.0;             // sum w_i
  Jacobian3 ga;               // D x 3: sum dw_i/dx_c f_i (forward only)
  Vec3 gb = Vec3::Zero();     // sum dw_i/dx
  Vec3 g_ga = Vec3::Zero();   // sum dw_i/dx_c (g . f_i) (backward only)
};

/// A feature row as a double vector expression.
inline auto row_of(const float* row, int dim) {
  return Eigen::Map<const Eigen::VectorXf>(row, dim).cast<double>();
}

/// F (D, double) and its denominator from the terms (plus kDense's rest).
inline double sum_terms(const std::vector<Term>& terms, int dim, const DenseRest* rest,
                        Eigen::VectorXd* value) {
  double b = 0.0;
  if (rest != nullptr) {
    *value = Eigen::Map<const Eigen::VectorXd>(rest->a, dim);
    b = rest->b;
  } else {
    value->setZero();
  }
  for (const Term& t : terms) {
    value->noalias() += t.coef * row_of(t.row, dim);
    if (t.moment != nullptr)
      value->noalias() += MomentMap(t.moment, 3, dim).transpose().cast<double>() * t.dip;
    b += t.coef;
  }
  *value /= b;
  return b;
}

/// dF/dx (D x 3) from the terms, F and the denominator. Written as
/// sum_j grad_j (row_j - F) / B, so that the huge weight gradient of a
/// point right next to x multiplies the small difference f_j - F instead of
/// cancelling against F sum grad. `diff` is scratch (D).
inline void jacobian_from_terms(const std::vector<Term>& terms, int dim, const DenseRest* rest,
                                const Eigen::VectorXd& value, double weight_sum, Jacobian3* jac,
                                Eigen::VectorXd* diff) {
  if (rest != nullptr) {
    jac->noalias() = rest->ga - value * rest->gb.transpose();
  } else {
    jac->setZero();
  }
  for (const Term& t : terms) {
    diff->noalias() = row_of(t.row, dim) - value;
    for (int c = 0; c < 3; ++c) jac->col(c) += t.grad[c] * *diff;
    if (t.moment != nullptr)
      jac->noalias() += MomentMap(t.moment, 3, dim).transpose().cast<double>() * t.dip_grad;
  }
  *jac /= weight_sum;
}

/// dL/dx (3) = dF/dx^T g without the Jacobian.
inline Vec3 vjp_from_terms(const std::vector<Term>& terms, int dim, const DenseRest* rest,
                           const Eigen::VectorXd& value, double weight_sum,
                           const Eigen::VectorXd& g) {
  const double g_value = g.dot(value);
  Vec3 out = rest != nullptr ? Vec3(rest->g_ga - rest->gb * g_value) : Vec3::Zero();
  for (const Term& t : terms) {
    out += t.grad * (g.dot(row_of(t.row, dim)) - g_value);
    if (t.moment != nullptr)
      out += t.dip_grad.transpose() * (MomentMap(t.moment, 3, dim).cast<double>() * g);
  }
  return out / weight_sum;
}

/// Runs fn(q_begin, q_end) over fixed blocks of queries on up to num_threads
/// threads; rethrows the first exception.
template <class Fn>
inline void for_each_query_block(Index num_queries, int num_threads, const Fn& fn) {
  const Index num_blocks = (num_queries + kQueryBlock - 1) / kQueryBlock;
  int threads = num_threads > 0
                    ? num_threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<Index>(threads, num_blocks));
  auto run_block = [&](Index b) {
    fn(b * kQueryBlock, std::min(num_queries, (b + 1) * kQueryBlock));
  };
  if (threads <= 1) {
    for (Index b = 0; b < num_blocks; ++b) run_block(b);
    return;
  }
  std::atomic<Index> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      try {
        for (Index b = next++; b < num_blocks; b = next++) run_block(b);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    });
  }
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

/// kTree: one octree cell.
struct TreeNode {
  Vec3 centroid = Vec3::Zero();  // metres
  double radius = 0.0;           // largest distance of its points from the centroid, metres
  double count = 0.0;
  std::uint32_t first = 0, last = 0;  // its points: order[first, last)
  std::uint32_t child_first = 0;      // children are nodes[child_first, + num_children)
  std::uint32_t num_children = 0;     // 0: a leaf
};

/// kTree traversal state: a cell and the product of the blend factors above it.
struct TreeVisit {
  std::uint32_t node;
  double scale;
  Vec3 scale_grad;
};

/// Smoothstep from 1 (rho <= lo) to 0 (rho >= hi), and its derivative.
inline double blend(double rho, double lo, double hi, double* d_drho) {
  if (rho <= lo) {
    *d_drho = 0.0;
    return 1.0;
  }
  if (rho >= hi) {
    *d_drho = 0.0;
    return 0.0;
  }
  const double t = (hi - rho) / (hi - lo);
  *d_drho = -6.0 * t * (1.0 - t) / (hi - lo);
  return t * t * (3.0 - 2.0 * t);
}

inline void check_config(const FieldConfig& c) {
  if (c.knn_k < 1)
    throw std::invalid_argument("FieldConfig.knn_k must be >= 1, got " + std::to_string(c.knn_k));
  if (!(c.tree_theta > 0.0 && c.tree_theta <= 0.6))
    throw std::invalid_argument("FieldConfig.tree_theta must be in (0, 0.6], got " +
                                std::to_string(c.tree_theta));
  if (!(c.knn_radius_m >= 0.0 && c.knn_radius_m <= 1.0))
    throw std::invalid_argument("FieldConfig.knn_radius_m must be in [0, 1] metres, got " +
                                std::to_string(c.knn_radius_m));
  if (!(c.knn_cell_m >= 0.0 && c.knn_cell_m <= 1.0))
    throw std::invalid_argument("FieldConfig.knn_cell_m must be in [0, 1] metres, got " +
                                std::to_string(c.knn_cell_m));
  if (c.tree_leaf_size < 1)
    throw std::invalid_argument("FieldConfig.tree_leaf_size must be >= 1, got " +
                                std::to_string(c.tree_leaf_size));
  if (c.num_threads < 0)
    throw std::invalid_argument("FieldConfig.num_threads must be >= 0, got " +
                                std::to_string(c.num_threads));
}

inline void check_queries(const PointsF& x) {
  for (Index q = 0; q < x.rows(); ++q)
    if (!x.row(q).allFinite())
      throw std::invalid_argument("FeatureField: query point " + fmt_index(q) + " is not finite");
}

}  // namespace field_detail

using namespace field_detail;  // NOLINT: the interpolators' own vocabulary

struct FeatureField::Impl {
  PointsF points;
  FeaturesF features;
  FieldConfig config;
  int dim = 0;
  Eigen::VectorXf mean;
  Vec3 centroid = Vec3::Zero();
  double rms_radius2 = 0.0;  // m^2
  // kKnn near radius squared, in float as the searches compare it (m^2;
  // infinity: no limit).
  float knn_radius2 = std::numeric_limits<float>::infinity();
  std::unique_ptr<NearestPoints> kd;  // kDense (near points) and kKnn
  // kKnn: the same (exact) search for the k + 1 neighbours, answered from
  // per-cell candidate lists where queries have been before (see
  // knn_cell_cache.h); null when it is off or N <= k + 1.
  std::unique_ptr<KnnCellCache> knn_cache;
  // kDense: point coordinates as separate arrays, for vectorized weights.
  Eigen::ArrayXf px, py, pz;
  // kTree.
  std::vector<TreeNode> nodes;
  std::vector<std::uint32_t> order;
  FeaturesF node_means;    // nodes x D, mean feature of each cell
  FeaturesF node_moments;  // nodes x 3D, each 3 x D row-major: sum_i (p_i - c) f_i^T

  Impl(PointsF p, FeaturesF f, FieldConfig c);

  Index num_points() const { return points.rows(); }
  Vec3 point(Index i) const { return points.row(i).cast<double>().transpose(); }
  const float* feature_row(Index i) const { return features.data() + i * dim; }

  void build_tree();
  // Neighbours of x, nearest first; returns how many (min(k, N)).
  int nearest(const Vec3& x, int k, std::uint32_t* idx, float* dist2) const;
  // kKnn: the k + 1 nearest points of x nearer than the near radius, nearest
  // first; returns how many (0 to min(k + 1, N)).
  int knn_neighbours(const Vec3& x, std::uint32_t* idx, float* dist2, bool use_cache) const;
  // with_gradients false: only coef and row are filled (a forward pass that
  // keeps no Jacobian needs nothing else, and the gradients cost about as
  // much as the values).
  void knn_terms(const Vec3& x, const std::uint32_t* nbrs, int count, bool with_gradients,
                 std::vector<Term>* terms) const;
  void tree_terms(const Vec3& x, std::vector<TreeVisit>* stack, std::vector<Term>* terms) const;
  void point_terms(const Vec3& x, const std::uint32_t* idx, int count,
                   std::vector<Term>* terms) const;

  // Forward over queries [q0, q1): any of the outputs may be null.
  void forward_block(const PointsF& x, Index q0, Index q1, FeaturesF* values, FeaturesF* jacobian,
                     FieldTape* tape, bool use_cache = true) const;
  void backward_block(const FieldTape& tape, const FeaturesF& g, Index q0, Index q1,
                      PointsF* dx) const;

  // kDense: fills the stacked weight block (rows: w, dw/dx, dw/dy, dw/dz for
  // each query; w alone when !with_gradients) for points [n0, n0 + nb), with
  // the near points zeroed.
  void dense_weights(const PointsF& x, Index q0, Index qb, Index n0, Index nb,
                     const std::vector<std::uint32_t>& near, int near_count, bool with_gradients,
                     FeaturesF* w) const;
  void dense_forward_block(const PointsF& x, Index q0, Index q1, FeaturesF* values,
                           FeaturesF* jacobian, FieldTape* tape) const;
  void dense_backward_block(const FieldTape& tape, const FeaturesF& g, Index q0, Index q1,
                            PointsF* dx) const;
};

}  // namespace dffeval
