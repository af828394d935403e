#include "pipeline/field/feature_field.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "pipeline/field/field_internals.h"

namespace dffeval {

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
