#include "pipeline/feature_field.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "pipeline/knn_cell_cache.h"
#include "pipeline/nearest_points.h"

namespace dffeval {
namespace {

using Eigen::Index;
using Vec3 = Eigen::Vector3d;
using MatrixXdR = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
// D x 3, column c = dF/dx_c: each update is three D-long axpys.
using Jacobian3 = Eigen::Matrix<double, Eigen::Dynamic, 3>;
// One row of the output Jacobian, element (d, c) at d * 3 + c.
using JacobianRowMap = Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, 3, Eigen::RowMajor>>;

/// The published regulariser of the inverse-square weight, metres.
constexpr double kWeightEps = 1e-10;
/// kTree: a cell is opened fully at kOpenBand * tree_theta.
constexpr double kOpenBand = 1.5;
/// Queries per work unit. Fixed, so that which queries share a block (and so
/// the order of every floating-point sum) does not depend on the thread count.
constexpr Index kQueryBlock = 32;
/// kDense: points per block of the weight matrices (4 x 32 x 512 floats).
constexpr Index kDensePointBlock = 512;
/// kDense: nearest points summed exactly in double; the rest go through a
/// float matrix product. Near a data point its weight and gradient are huge
/// and F's gradient is a small difference of huge terms; in float that
/// difference would be lost.
constexpr int kDenseNear = 4;
/// Most points in a KD-tree leaf. Measured for 5000 queries of 9 neighbours
/// near a 4800- and a 20000-point surface: 20 is 8 to 9% faster than
/// nanoflann's usual 10, and 4 is 15% slower.
constexpr std::size_t kKdTreeLeafSize = 20;
/// kTree: deepest octree level (float coordinates cannot be split further).
constexpr int kMaxTreeDepth = 40;

std::string fmt_index(Index i) { return std::to_string(static_cast<long long>(i)); }

/// The published weight w = 1 / (d + eps)^2 at offset u = x - p, and dw/dx
/// into *grad unless grad is null.
double inverse_square_weight(const Vec3& u, Vec3* grad) {
  const double d = u.norm();
  const double de = d + kWeightEps;
  const double w = 1.0 / (de * de);
  // dw/dx = -2 (d + eps)^-3 u / d. At d = 0 the direction of u is undefined;
  // by symmetry the derivative there is taken as zero (keeps it finite).
  if (grad != nullptr) *grad = d > 0.0 ? Vec3(u * (-2.0 * w / (de * d))) : Vec3::Zero();
  return w;
}

/// Hessian of w = 1 / (|u| + eps)^2 w.r.t. x at offset u = x - c (u != 0).
Eigen::Matrix3d inverse_square_hessian(const Vec3& u) {
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
auto row_of(const float* row, int dim) {
  return Eigen::Map<const Eigen::VectorXf>(row, dim).cast<double>();
}

/// F (D, double) and its denominator from the terms (plus kDense's rest).
double sum_terms(const std::vector<Term>& terms, int dim, const DenseRest* rest,
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
void jacobian_from_terms(const std::vector<Term>& terms, int dim, const DenseRest* rest,
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
Vec3 vjp_from_terms(const std::vector<Term>& terms, int dim, const DenseRest* rest,
                    const Eigen::VectorXd& value, double weight_sum, const Eigen::VectorXd& g) {
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
void for_each_query_block(Index num_queries, int num_threads, const Fn& fn) {
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
double blend(double rho, double lo, double hi, double* d_drho) {
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

void check_config(const FieldConfig& c) {
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

void check_queries(const PointsF& x) {
  for (Index q = 0; q < x.rows(); ++q)
    if (!x.row(q).allFinite())
      throw std::invalid_argument("FeatureField: query point " + fmt_index(q) + " is not finite");
}

}  // namespace

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

FeatureField::Impl::Impl(PointsF p, FeaturesF f, FieldConfig c)
    : points(std::move(p)), features(std::move(f)), config(c) {
  check_config(config);
  if (points.rows() == 0) throw std::invalid_argument("FeatureField: the point cloud is empty");
  if (features.cols() == 0) throw std::invalid_argument("FeatureField: features have 0 columns");
  if (features.rows() != points.rows())
    throw std::invalid_argument("FeatureField: " + fmt_index(points.rows()) + " points but " +
                                fmt_index(features.rows()) + " feature rows");
  if (points.rows() > static_cast<Index>(std::numeric_limits<std::uint32_t>::max()))
    throw std::invalid_argument("FeatureField: too many points");
  for (Index i = 0; i < points.rows(); ++i) {
    if (!points.row(i).allFinite())
      throw std::invalid_argument("FeatureField: point " + fmt_index(i) + " is not finite");
    if (!features.row(i).allFinite())
      throw std::invalid_argument("FeatureField: feature row " + fmt_index(i) + " is not finite");
  }
  dim = static_cast<int>(features.cols());
  const Index n = points.rows();

  // Row by row: a double copy of all features could be hundreds of MB.
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(dim);
  for (Index i = 0; i < n; ++i) sum += features.row(i).cast<double>().transpose();
  mean = (sum / static_cast<double>(n)).cast<float>();
  centroid = points.cast<double>().colwise().mean().transpose();
  rms_radius2 =
      (points.cast<double>().rowwise() - centroid.transpose()).rowwise().squaredNorm().mean();

  if (config.knn_radius_m > 0.0) {
    const float r = static_cast<float>(config.knn_radius_m);
    knn_radius2 = r * r;
  }
  if (config.interpolator == FieldInterpolator::kTree) {
    build_tree();
  } else {
    kd = std::make_unique<NearestPoints>(points, kKdTreeLeafSize);
    if (config.interpolator == FieldInterpolator::kKnn && n > config.knn_k + 1 &&
        config.knn_cell_m > 0.0) {
      KnnCellCacheConfig cache;
      cache.cell_m = static_cast<float>(config.knn_cell_m);
      if (config.knn_radius_m > 0.0) cache.radius_m = static_cast<float>(config.knn_radius_m);
      knn_cache = std::make_unique<KnnCellCache>(*kd, config.knn_k + 1, cache);
    }
  }
  if (config.interpolator == FieldInterpolator::kDense) {
    px = points.col(0).array();
    py = points.col(1).array();
    pz = points.col(2).array();
  }
}

void FeatureField::Impl::build_tree() {
  const Index n = num_points();
  order.resize(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(i);
  nodes.clear();
  nodes.reserve(static_cast<std::size_t>(2 * n + 1));
  nodes.push_back(TreeNode{});
  nodes[0].first = 0;
  nodes[0].last = static_cast<std::uint32_t>(n);

  // Depth-first with an explicit stack of (node, depth). Children of a node
  // are appended together, so they are contiguous and come after it.
  std::vector<std::pair<std::uint32_t, int>> todo{{0u, 0}};
  std::vector<std::uint32_t> scratch;
  while (!todo.empty()) {
    const auto [id, depth] = todo.back();
    todo.pop_back();
    const std::uint32_t first = nodes[id].first, last = nodes[id].last;
    Vec3 c = Vec3::Zero();
    Vec3 lo = Vec3::Constant(std::numeric_limits<double>::infinity());
    Vec3 hi = -lo;
    for (std::uint32_t k = first; k < last; ++k) {
      const Vec3 p = point(order[k]);
      c += p;
      lo = lo.cwiseMin(p);
      hi = hi.cwiseMax(p);
    }
    c /= static_cast<double>(last - first);
    double r2 = 0.0;
    for (std::uint32_t k = first; k < last; ++k)
      r2 = std::max(r2, (point(order[k]) - c).squaredNorm());
    nodes[id].centroid = c;
    nodes[id].radius = std::sqrt(r2);
    nodes[id].count = static_cast<double>(last - first);
    if (last - first <= static_cast<std::uint32_t>(config.tree_leaf_size) || r2 == 0.0 ||
        depth >= kMaxTreeDepth)
      continue;  // a leaf

    // Split at the centre of the bounding box (in double, so strictly between
    // distinct float coordinates): every axis with extent puts points on both
    // sides, so each split makes progress.
    const Vec3 mid = 0.5 * (lo + hi);
    auto octant = [&](std::uint32_t i) {
      const Vec3 p = point(i);
      return (p.x() > mid.x() ? 1 : 0) | (p.y() > mid.y() ? 2 : 0) | (p.z() > mid.z() ? 4 : 0);
    };
    std::array<std::uint32_t, 9> start{};
    for (std::uint32_t k = first; k < last; ++k)
      ++start[static_cast<std::size_t>(octant(order[k])) + 1];
    for (std::size_t o = 0; o < 8; ++o) start[o + 1] += start[o];
    scratch.assign(last - first, 0);
    std::array<std::uint32_t, 8> fill{};
    for (std::uint32_t k = first; k < last; ++k) {
      const auto o = static_cast<std::size_t>(octant(order[k]));
      scratch[start[o] + fill[o]++] = order[k];
    }
    std::copy(scratch.begin(), scratch.end(), order.begin() + first);

    nodes[id].child_first = static_cast<std::uint32_t>(nodes.size());
    for (std::size_t o = 0; o < 8; ++o) {
      if (start[o + 1] == start[o]) continue;
      TreeNode child;
      child.first = first + start[o];
      child.last = first + start[o + 1];
      nodes.push_back(child);
      ++nodes[id].num_children;
    }
    for (std::uint32_t k = 0; k < nodes[id].num_children; ++k)
      todo.emplace_back(nodes[id].child_first + k, depth + 1);
  }

  // Mean features and moments bottom-up (children come after their parent);
  // a parent's moment from its children's by the parallel-axis rule.
  node_means.resize(static_cast<Index>(nodes.size()), dim);
  node_moments.resize(static_cast<Index>(nodes.size()), 3 * dim);
  Eigen::VectorXd acc(dim);
  Eigen::Matrix<double, 3, Eigen::Dynamic> moment(3, dim);
  using MomentOut = Eigen::Map<Eigen::Matrix<float, 3, Eigen::Dynamic, Eigen::RowMajor>>;
  for (std::size_t id = nodes.size(); id-- > 0;) {
    const TreeNode& node = nodes[id];
    acc.setZero();
    moment.setZero();
    if (node.num_children == 0) {
      for (std::uint32_t k = node.first; k < node.last; ++k) {
        const auto f = features.row(order[k]).cast<double>().transpose();
        acc += f;
        moment += (point(order[k]) - node.centroid) * f.transpose();
      }
      acc /= node.count;
    } else {
      for (std::uint32_t k = 0; k < node.num_children; ++k)
        acc += nodes[node.child_first + k].count *
               node_means.row(node.child_first + k).cast<double>().transpose();
      acc /= node.count;
      for (std::uint32_t k = 0; k < node.num_children; ++k) {
        const std::uint32_t c = node.child_first + k;
        moment += MomentMap(node_moments.row(c).data(), 3, dim).cast<double>() +
                  nodes[c].count * (nodes[c].centroid - node.centroid) *
                      (node_means.row(c).cast<double>() - acc.transpose());
      }
    }
    node_means.row(static_cast<Index>(id)) = acc.cast<float>().transpose();
    MomentOut(node_moments.row(static_cast<Index>(id)).data(), 3, dim) = moment.cast<float>();
  }
}

int FeatureField::Impl::nearest(const Vec3& x, int k, std::uint32_t* idx, float* dist2) const {
  const float query[3] = {static_cast<float>(x.x()), static_cast<float>(x.y()),
                          static_cast<float>(x.z())};
  return kd->nearest(query, k, idx, dist2);
}

int FeatureField::Impl::knn_neighbours(const Vec3& x, std::uint32_t* idx, float* dist2,
                                       bool use_cache) const {
  const float query[3] = {static_cast<float>(x.x()), static_cast<float>(x.y()),
                          static_cast<float>(x.z())};
  if (use_cache && knn_cache) return knn_cache->nearest(query, idx, dist2);
  const int k1 = std::min<int>(config.knn_k + 1, static_cast<int>(num_points()));
  // With N <= k every point is near (the dense field), radius or not.
  if (std::isfinite(knn_radius2) && num_points() > config.knn_k)
    return kd->nearest_within(query, k1, knn_radius2, idx, dist2);
  return kd->nearest(query, k1, idx, dist2);
}

void FeatureField::Impl::point_terms(const Vec3& x, const std::uint32_t* idx, int count,
                                     std::vector<Term>* terms) const {
  for (int j = 0; j < count; ++j) {
    Term t;
    t.coef = inverse_square_weight(x - point(idx[j]), &t.grad);
    t.row = feature_row(idx[j]);
    terms->push_back(t);
  }
}

void FeatureField::Impl::knn_terms(const Vec3& x, const std::uint32_t* nbrs, int count,
                                   bool with_gradients, std::vector<Term>* terms) const {
  terms->clear();
  const int k = config.knn_k;
  if (num_points() <= k) {
    // Every point is a neighbour: the dense field itself.
    point_terms(x, nbrs, count, terms);
    return;
  }
  // Background: every point at the softened centroid distance.
  const Vec3 u_bg = x - centroid;
  const double k_bg = 1.0 / (u_bg.squaredNorm() + rms_radius2);
  const Vec3 k_bg_grad = with_gradients ? Vec3(-2.0 * k_bg * k_bg * u_bg) : Vec3::Zero();
  const double n = static_cast<double>(num_points());
  terms->push_back(Term{n * k_bg, n * k_bg_grad, mean.data()});

  // Near points: exact weight, tapered into the background weight towards the
  // (k+1)-th neighbour's distance, or the near radius when fewer than k + 1
  // points are nearer than it (then the reference does not move with x).
  // Distances are recomputed in double.
  const bool radius_reference = count <= k;
  const Vec3 u_far = radius_reference ? Vec3::Zero() : Vec3(x - point(nbrs[k]));
  const double d2_far =
      radius_reference ? config.knn_radius_m * config.knn_radius_m : u_far.squaredNorm();
  for (int j = 0; j < std::min(count, k); ++j) {
    const Vec3 u = x - point(nbrs[j]);
    const double d2 = u.squaredNorm();
    Vec3 w_grad = Vec3::Zero();
    const double w = inverse_square_weight(u, with_gradients ? &w_grad : nullptr);
    double beta = 1.0;
    Vec3 beta_grad = Vec3::Zero();
    if (d2_far > 0.0) {
      const double t = d2 / d2_far;
      if (t >= 1.0) {
        beta = 0.0;  // a tie with the (k+1)-th neighbour in float
      } else {
        // t = d^2 / d_k1^2, beta = 1 - t^2.
        beta = 1.0 - t * t;
        if (with_gradients) {
          const Vec3 t_grad = (2.0 * u * d2_far - 2.0 * d2 * u_far) / (d2_far * d2_far);
          beta_grad = -2.0 * t * t_grad;
        }
      }
    }
    Term term;
    term.coef = beta * (w - k_bg);
    term.grad = beta_grad * (w - k_bg) + beta * (w_grad - k_bg_grad);
    term.row = feature_row(nbrs[j]);
    terms->push_back(term);
  }
}

void FeatureField::Impl::tree_terms(const Vec3& x, std::vector<TreeVisit>* stack,
                                    std::vector<Term>* terms) const {
  terms->clear();
  stack->clear();
  stack->push_back(TreeVisit{0u, 1.0, Vec3::Zero()});
  const double lo = config.tree_theta, hi = kOpenBand * config.tree_theta;
  while (!stack->empty()) {
    const TreeVisit v = stack->back();
    stack->pop_back();
    const TreeNode& node = nodes[v.node];
    const Vec3 u = x - node.centroid;
    const double dist = u.norm();
    // alpha: the share given to the cell's centroid approximation.
    double alpha = 0.0, d_alpha = 0.0;
    Vec3 rho_grad = Vec3::Zero();
    if (node.radius == 0.0) {
      alpha = 1.0;  // all its points coincide: the centroid is exact
    } else if (dist > 0.0) {
      alpha = blend(node.radius / dist, lo, hi, &d_alpha);
      rho_grad = -node.radius / (dist * dist * dist) * u;
    }
    const Vec3 alpha_grad = d_alpha * rho_grad;
    if (alpha > 0.0) {
      Vec3 k_grad;
      const double k = inverse_square_weight(u, &k_grad);
      // The cell's points at its centroid (count * k at the mean feature),
      // plus the first-order term of their offsets: sum_i w(x - p_i) f_i
      // ~ n k mean - k_grad^T M. lambda is this cell's share.
      const double lambda = v.scale * alpha;
      const Vec3 lambda_grad = v.scale_grad * alpha + v.scale * alpha_grad;
      Term t;
      t.coef = node.count * lambda * k;
      t.grad = node.count * (lambda_grad * k + lambda * k_grad);
      t.row = node_means.data() + static_cast<Index>(v.node) * dim;
      t.moment = node_moments.data() + static_cast<Index>(v.node) * 3 * dim;
      t.dip = -lambda * k_grad;
      t.dip_grad = -k_grad * lambda_grad.transpose() - lambda * inverse_square_hessian(u);
      terms->push_back(t);
    }
    if (alpha >= 1.0) continue;
    const double scale = v.scale * (1.0 - alpha);
    const Vec3 scale_grad = v.scale_grad * (1.0 - alpha) - v.scale * alpha_grad;
    if (node.num_children == 0) {
      for (std::uint32_t k = node.first; k < node.last; ++k) {
        Vec3 w_grad;
        const double w = inverse_square_weight(x - point(order[k]), &w_grad);
        terms->push_back(Term{scale * w, scale_grad * w + scale * w_grad, feature_row(order[k])});
      }
    } else {
      for (std::uint32_t k = node.num_children; k-- > 0;)
        stack->push_back(TreeVisit{node.child_first + k, scale, scale_grad});
    }
  }
}

void FeatureField::Impl::forward_block(const PointsF& x, Index q0, Index q1, FeaturesF* values,
                                       FeaturesF* jacobian, FieldTape* tape, bool use_cache) const {
  if (config.interpolator == FieldInterpolator::kDense) {
    dense_forward_block(x, q0, q1, values, jacobian, tape);
    return;
  }
  const bool knn = config.interpolator == FieldInterpolator::kKnn;
  // kKnn: all the block's neighbour searches first, prefetching the
  // neighbours' feature rows, so that the weighting below does not wait on
  // memory (the rows are scattered over the cloud).
  const int k1 = std::min<int>(config.knn_k + 1, static_cast<int>(num_points()));
  std::vector<std::uint32_t> nbrs(knn ? static_cast<std::size_t>((q1 - q0) * k1) : 0u);
  std::vector<int> nbr_count(knn ? static_cast<std::size_t>(q1 - q0) : 0u);
  std::vector<float> dist2(static_cast<std::size_t>(k1));
  if (knn) {
    const Index row_bytes = dim * static_cast<Index>(sizeof(float));
    for (Index q = q0; q < q1; ++q) {
      std::uint32_t* idx = nbrs.data() + (q - q0) * k1;
      nbr_count[static_cast<std::size_t>(q - q0)] =
          knn_neighbours(x.row(q).cast<double>().transpose(), idx, dist2.data(), use_cache);
      for (int j = 0; j < nbr_count[static_cast<std::size_t>(q - q0)]; ++j) {
        const char* row = reinterpret_cast<const char*>(feature_row(idx[j]));
        for (Index byte = 0; byte < row_bytes; byte += 64) __builtin_prefetch(row + byte);
      }
    }
  }
  std::vector<Term> terms;
  std::vector<TreeVisit> stack;
  Eigen::VectorXd value(dim), diff(dim);
  Jacobian3 jac(dim, 3);
  for (Index q = q0; q < q1; ++q) {
    const Vec3 xq = x.row(q).cast<double>().transpose();
    if (knn) {
      const std::uint32_t* idx = nbrs.data() + (q - q0) * k1;
      const int count = nbr_count[static_cast<std::size_t>(q - q0)];
      if (tape != nullptr) {
        tape->neighbour_count_[static_cast<std::size_t>(q)] = count;
        tape->term_count_[static_cast<std::size_t>(q)] = 0;
      }
      if (count == 0) {
        // Nothing within the near radius: the mean feature, constant (the
        // tape's zero terms give a zero gradient).
        if (values != nullptr) values->row(q) = mean.transpose();
        if (tape != nullptr) {
          tape->value_.row(q) = mean.cast<double>().transpose();
          tape->weight_sum_(q) = 1.0;
        }
        if (jacobian != nullptr) jacobian->row(q).setZero();
        continue;
      }
      knn_terms(xq, idx, count, /*with_gradients=*/jacobian != nullptr || tape != nullptr, &terms);
      if (tape != nullptr) {
        tape->term_count_[static_cast<std::size_t>(q)] = static_cast<int>(terms.size());
        std::copy(idx, idx + count, tape->neighbours_.begin() + q * tape->neighbours_per_query_);
        double* out = tape->term_weights_.data() + q * tape->neighbours_per_query_ * 4;
        const float** rows = tape->term_rows_.data() + q * tape->neighbours_per_query_;
        for (const Term& t : terms) {
          *out++ = t.coef;
          for (int c = 0; c < 3; ++c) *out++ = t.grad[c];
          *rows++ = t.row;
        }
      }
    } else {
      tree_terms(xq, &stack, &terms);
    }
    const double b = sum_terms(terms, dim, nullptr, &value);
    if (values != nullptr) values->row(q) = value.cast<float>().transpose();
    if (tape != nullptr) {
      tape->value_.row(q) = value.transpose();
      tape->weight_sum_(q) = b;
    }
    if (jacobian != nullptr) {
      jacobian_from_terms(terms, dim, nullptr, value, b, &jac, &diff);
      JacobianRowMap(jacobian->row(q).data(), dim, 3) = jac.cast<float>();
    }
  }
}

void FeatureField::Impl::backward_block(const FieldTape& tape, const FeaturesF& g, Index q0,
                                        Index q1, PointsF* dx) const {
  if (config.interpolator == FieldInterpolator::kDense) {
    dense_backward_block(tape, g, q0, q1, dx);
    return;
  }
  std::vector<Term> terms;
  std::vector<TreeVisit> stack;
  Eigen::VectorXd value(dim), gq(dim);
  for (Index q = q0; q < q1; ++q) {
    const Vec3 xq = tape.x_.row(q).cast<double>().transpose();
    if (config.interpolator == FieldInterpolator::kKnn) {
      // The forward pass's terms, as it recorded them.
      const int per_query = tape.neighbours_per_query_;
      const int num_terms = tape.term_count_[static_cast<std::size_t>(q)];
      if (num_terms == 0) {
        dx->row(q).setZero();  // the constant mean feature
        continue;
      }
      const double* tw = tape.term_weights_.data() + q * per_query * 4;
      const float* const* rows = tape.term_rows_.data() + q * per_query;
      terms.resize(static_cast<std::size_t>(num_terms));
      for (int j = 0; j < num_terms; ++j, tw += 4) {
        Term& t = terms[static_cast<std::size_t>(j)];
        t.coef = tw[0];
        t.grad = Vec3(tw[1], tw[2], tw[3]);
        t.row = rows[j];
      }
    } else {
      tree_terms(xq, &stack, &terms);
    }
    value = tape.value_.row(q).transpose();
    gq = g.row(q).cast<double>().transpose();
    dx->row(q) = vjp_from_terms(terms, dim, nullptr, value, tape.weight_sum_(q), gq)
                     .cast<float>()
                     .transpose();
  }
}

void FeatureField::Impl::dense_weights(const PointsF& x, Index q0, Index qb, Index n0, Index nb,
                                       const std::vector<std::uint32_t>& near, int near_count,
                                       bool with_gradients, FeaturesF* w) const {
  const Index rows = with_gradients ? 4 : 1;
  const auto sx = px.segment(n0, nb), sy = py.segment(n0, nb), sz = pz.segment(n0, nb);
  Eigen::ArrayXf dx(nb), dy(nb), dz(nb), d(nb), de(nb), wt(nb), h(nb);
  for (Index q = 0; q < qb; ++q) {
    dx = x(q0 + q, 0) - sx;
    dy = x(q0 + q, 1) - sy;
    dz = x(q0 + q, 2) - sz;
    d = (dx.square() + dy.square() + dz.square()).sqrt();
    de = d + static_cast<float>(kWeightEps);
    wt = (de * de).inverse();
    w->row(q).head(nb) = wt.matrix().transpose();
    if (with_gradients) {
      // dw/dx = h u with h = -2 w / ((d + eps) d); zero on a data point.
      h = (d > 0.f).select(-2.f * wt / (de * d), 0.f);
      w->row(qb + q).head(nb) = (h * dx).matrix().transpose();
      w->row(2 * qb + q).head(nb) = (h * dy).matrix().transpose();
      w->row(3 * qb + q).head(nb) = (h * dz).matrix().transpose();
    }
    // The near points are summed exactly elsewhere.
    for (int j = 0; j < near_count; ++j) {
      const Index i = static_cast<Index>(near[static_cast<std::size_t>(q * near_count + j)]);
      if (i < n0 || i >= n0 + nb) continue;
      for (Index c = 0; c < rows; ++c) (*w)(c * qb + q, i - n0) = 0.f;
    }
  }
}

void FeatureField::Impl::dense_forward_block(const PointsF& x, Index q0, Index q1,
                                             FeaturesF* values, FeaturesF* jacobian,
                                             FieldTape* tape) const {
  const Index qb = q1 - q0, n = num_points();
  const int near_count = std::min<int>(kDenseNear, static_cast<int>(n));
  std::vector<std::uint32_t> near(static_cast<std::size_t>(qb * near_count));
  std::vector<float> dist2(static_cast<std::size_t>(near_count));
  for (Index q = 0; q < qb; ++q)
    nearest(x.row(q0 + q).cast<double>().transpose(), near_count, near.data() + q * near_count,
            dist2.data());

  // Far points: [w; dw/dx; dw/dy; dw/dz] (4 qb x nb) times features (nb x D);
  // only w (qb x nb) when no Jacobian is asked for (a pullback recomputes
  // what it needs), a quarter of the work. The w rows are always their own
  // product, so that the values are bitwise the same with and without a
  // Jacobian (a product's rounding depends on its blocking, so on its size).
  const bool with_gradients = jacobian != nullptr;
  const Index rows = with_gradients ? 4 : 1;
  MatrixXdR acc = MatrixXdR::Zero(rows * qb, dim);
  Eigen::VectorXd acc_sum = Eigen::VectorXd::Zero(rows * qb);
  FeaturesF w(rows * qb, std::min(n, kDensePointBlock));
  FeaturesF prod(rows * qb, dim);
  for (Index n0 = 0; n0 < n; n0 += kDensePointBlock) {
    const Index nb = std::min(kDensePointBlock, n - n0);
    dense_weights(x, q0, qb, n0, nb, near, near_count, with_gradients, &w);
    prod.topRows(qb).noalias() = w.topRows(qb).leftCols(nb) * features.middleRows(n0, nb);
    if (with_gradients) {
      prod.bottomRows(3 * qb).noalias() =
          w.bottomRows(3 * qb).leftCols(nb) * features.middleRows(n0, nb);
    }
    acc += prod.cast<double>();
    acc_sum += w.leftCols(nb).rowwise().sum().cast<double>();
  }

  std::vector<Term> terms;
  Eigen::VectorXd value(dim), diff(dim);
  Jacobian3 jac(dim, 3);
  DenseRest rest;
  rest.ga.resize(dim, 3);
  for (Index q = 0; q < qb; ++q) {
    const Vec3 xq = x.row(q0 + q).cast<double>().transpose();
    terms.clear();
    point_terms(xq, near.data() + q * near_count, near_count, &terms);
    rest.a = acc.row(q).data();
    rest.b = acc_sum(q);
    for (Index c = 0; with_gradients && c < 3; ++c) {
      rest.ga.col(c) = acc.row((c + 1) * qb + q).transpose();
      rest.gb(c) = acc_sum((c + 1) * qb + q);
    }
    const double b = sum_terms(terms, dim, &rest, &value);
    if (values != nullptr) values->row(q0 + q) = value.cast<float>().transpose();
    if (tape != nullptr) {
      tape->value_.row(q0 + q) = value.transpose();
      tape->weight_sum_(q0 + q) = b;
    }
    if (jacobian != nullptr) {
      jacobian_from_terms(terms, dim, &rest, value, b, &jac, &diff);
      JacobianRowMap(jacobian->row(q0 + q).data(), dim, 3) = jac.cast<float>();
    }
  }
}

void FeatureField::Impl::dense_backward_block(const FieldTape& tape, const FeaturesF& g, Index q0,
                                              Index q1, PointsF* dx) const {
  const Index qb = q1 - q0, n = num_points();
  const PointsF& x = tape.x_;
  const int near_count = std::min<int>(kDenseNear, static_cast<int>(n));
  std::vector<std::uint32_t> near(static_cast<std::size_t>(qb * near_count));
  std::vector<float> dist2(static_cast<std::size_t>(near_count));
  for (Index q = 0; q < qb; ++q)
    nearest(x.row(q0 + q).cast<double>().transpose(), near_count, near.data() + q * near_count,
            dist2.data());

  // Far points: sum_i dw_i/dx_c (g . f_i), with g . f_i from one product.
  const FeaturesF g_block = g.middleRows(q0, qb);
  Eigen::Matrix<double, Eigen::Dynamic, 3> g_ga =
      Eigen::Matrix<double, Eigen::Dynamic, 3>::Zero(qb, 3);
  Eigen::Matrix<double, Eigen::Dynamic, 3> gb =
      Eigen::Matrix<double, Eigen::Dynamic, 3>::Zero(qb, 3);
  FeaturesF w(4 * qb, std::min(n, kDensePointBlock));
  Eigen::MatrixXf g_f(std::min(n, kDensePointBlock), qb);  // (g_q . f_i)
  for (Index n0 = 0; n0 < n; n0 += kDensePointBlock) {
    const Index nb = std::min(kDensePointBlock, n - n0);
    dense_weights(x, q0, qb, n0, nb, near, near_count, /*with_gradients=*/true, &w);
    g_f.topRows(nb).noalias() = features.middleRows(n0, nb) * g_block.transpose();
    for (Index q = 0; q < qb; ++q) {
      for (Index c = 0; c < 3; ++c) {
        const auto wc = w.row((c + 1) * qb + q).head(nb);
        g_ga(q, c) += static_cast<double>(wc.dot(g_f.col(q).head(nb).transpose()));
        gb(q, c) += static_cast<double>(wc.sum());
      }
    }
  }

  std::vector<Term> terms;
  Eigen::VectorXd value(dim), gq(dim);
  DenseRest rest;
  for (Index q = 0; q < qb; ++q) {
    const Vec3 xq = x.row(q0 + q).cast<double>().transpose();
    terms.clear();
    point_terms(xq, near.data() + q * near_count, near_count, &terms);
    rest.g_ga = g_ga.row(q).transpose();
    rest.gb = gb.row(q).transpose();
    value = tape.value_.row(q0 + q).transpose();
    gq = g.row(q0 + q).cast<double>().transpose();
    dx->row(q0 + q) = vjp_from_terms(terms, dim, &rest, value, tape.weight_sum_(q0 + q), gq)
                          .cast<float>()
                          .transpose();
  }
}

FieldInterpolator parse_field_interpolator(const std::string& name) {
  if (name == "dense") return FieldInterpolator::kDense;
  if (name == "knn") return FieldInterpolator::kKnn;
  if (name == "tree") return FieldInterpolator::kTree;
  throw std::invalid_argument("unknown field interpolator '" + name +
                              "'; valid names: dense, knn, tree");
}

std::string to_string(FieldInterpolator interpolator) {
  switch (interpolator) {
    case FieldInterpolator::kDense:
      return "dense";
    case FieldInterpolator::kKnn:
      return "knn";
    case FieldInterpolator::kTree:
      return "tree";
  }
  return "unknown";
}

FeatureField::FeatureField(PointsF points, FeaturesF features, FieldConfig config)
    : impl_(std::make_shared<const Impl>(std::move(points), std::move(features), config)) {}

int FeatureField::dim() const { return impl_->dim; }
std::size_t FeatureField::size() const { return static_cast<std::size_t>(impl_->points.rows()); }
const PointsF& FeatureField::points() const { return impl_->points; }
const FeaturesF& FeatureField::features() const { return impl_->features; }
const FieldConfig& FeatureField::config() const { return impl_->config; }
const NearestPoints* FeatureField::search_tree() const { return impl_->kd.get(); }
const Eigen::VectorXf& FeatureField::mean_feature() const { return impl_->mean; }

void FeatureField::evaluate(const PointsF& x, FeaturesF* values, FeaturesF* jacobian,
                            NeighbourCache cache) const {
  check_queries(x);
  if (values != nullptr) values->resize(x.rows(), impl_->dim);
  if (jacobian != nullptr) jacobian->resize(x.rows(), 3 * impl_->dim);
  if (values == nullptr && jacobian == nullptr) return;
  for_each_query_block(x.rows(), impl_->config.num_threads, [&](Index q0, Index q1) {
    impl_->forward_block(x, q0, q1, values, jacobian, nullptr, cache == NeighbourCache::kUse);
  });
}

void FeatureField::evaluate_vjp(const PointsF& x, FeaturesF* values, FieldTape* tape) const {
  if (tape == nullptr) throw std::invalid_argument("FeatureField::evaluate_vjp: tape is null");
  check_queries(x);
  const Index q = x.rows();
  tape->field_ = impl_.get();
  tape->x_ = x;
  tape->value_.resize(q, impl_->dim);
  tape->weight_sum_.resize(q);
  tape->neighbours_per_query_ =
      impl_->config.interpolator == FieldInterpolator::kKnn
          ? std::min<int>(impl_->config.knn_k + 1, static_cast<int>(impl_->num_points()))
          : 0;
  tape->neighbours_.assign(static_cast<std::size_t>(q * tape->neighbours_per_query_), 0u);
  tape->neighbour_count_.assign(static_cast<std::size_t>(q), 0);
  tape->term_count_.assign(static_cast<std::size_t>(q), 0);
  tape->term_weights_.resize(static_cast<std::size_t>(q * tape->neighbours_per_query_ * 4));
  tape->term_rows_.resize(static_cast<std::size_t>(q * tape->neighbours_per_query_));
  if (values != nullptr) values->resize(q, impl_->dim);
  for_each_query_block(q, impl_->config.num_threads, [&](Index q0, Index q1) {
    impl_->forward_block(x, q0, q1, values, nullptr, tape);
  });
}

std::vector<std::int64_t> FieldTape::nearest_points() const {
  std::vector<std::int64_t> out;
  if (neighbours_per_query_ == 0) return out;
  // knnSearch returns neighbours sorted by distance: the first is nearest.
  out.resize(size());
  for (std::size_t q = 0; q < out.size(); ++q)
    out[q] = neighbour_count_[q] == 0
                 ? -1
                 : static_cast<std::int64_t>(
                       neighbours_[q * static_cast<std::size_t>(neighbours_per_query_)]);
  return out;
}

PointsF FeatureField::pullback(const FieldTape& tape, const FeaturesF& dL_dF) const {
  if (tape.field_ != impl_.get())
    throw std::invalid_argument("FeatureField::pullback: the tape was recorded by another field");
  if (dL_dF.rows() != tape.x_.rows() || dL_dF.cols() != impl_->dim)
    throw std::invalid_argument("FeatureField::pullback: dL_dF is " + fmt_index(dL_dF.rows()) +
                                " x " + fmt_index(dL_dF.cols()) + ", expected " +
                                fmt_index(tape.x_.rows()) + " x " + std::to_string(impl_->dim));
  PointsF dx(tape.x_.rows(), 3);
  for_each_query_block(tape.x_.rows(), impl_->config.num_threads, [&](Index q0, Index q1) {
    impl_->backward_block(tape, dL_dF, q0, q1, &dx);
  });
  return dx;
}

PointsF FeatureField::pullback(const PointsF& x, const FeaturesF& dL_dF) const {
  FieldTape tape;
  evaluate_vjp(x, nullptr, &tape);
  return pullback(tape, dL_dF);
}

}  // namespace dffeval
