// The kTree interpolator: an octree of cell means and first moments, opened
// near the query (Barnes-Hut style with a smooth blend at the opening band).

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "pipeline/field/field_internals.h"

namespace dffeval {

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

}  // namespace dffeval
