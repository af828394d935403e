// The kDense interpolator: the published inverse-square field over every
// point, the near points exact in double and the rest as float matrix products.

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "pipeline/field/field_internals.h"

namespace dffeval {

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

}  // namespace dffeval
