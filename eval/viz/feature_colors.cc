#include "eval/viz/feature_colors.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dffeval {

float quantile(std::vector<float> values, double fraction) {
  if (values.empty()) return std::numeric_limits<float>::quiet_NaN();
  fraction = std::clamp(fraction, 0.0, 1.0);
  const double pos = fraction * static_cast<double>(values.size() - 1);
  const std::size_t k = static_cast<std::size_t>(std::floor(pos));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  const float a = values[k];
  if (k + 1 >= values.size()) return a;
  const float b =
      *std::min_element(values.begin() + static_cast<std::ptrdiff_t>(k) + 1, values.end());
  return a + static_cast<float>(pos - static_cast<double>(k)) * (b - a);
}

SharedPca fit_shared_pca(const FeaturesF& a, const FeaturesF& b, double clip_fraction,
                         int max_fit_rows) {
  const Eigen::Index d = a.rows() > 0 ? a.cols() : b.cols();
  if (a.rows() + b.rows() == 0) throw std::invalid_argument("fit_shared_pca: no features");
  if ((a.rows() > 0 && a.cols() != d) || (b.rows() > 0 && b.cols() != d) || d == 0) {
    throw std::invalid_argument("fit_shared_pca: the two clouds' feature dimensions differ");
  }
  // Even subsample of the stacked rows: deterministic and fair to both sets.
  const Eigen::Index n = a.rows() + b.rows();
  const Eigen::Index m = std::min<Eigen::Index>(n, std::max(max_fit_rows, 3));
  Eigen::MatrixXf x(m, d);
  for (Eigen::Index k = 0; k < m; ++k) {
    const Eigen::Index i = k * n / m;
    x.row(k) = i < a.rows() ? a.row(i) : b.row(i - a.rows());
  }
  SharedPca pca;
  pca.mean = x.colwise().mean();
  x.rowwise() -= pca.mean;
  const Eigen::MatrixXd cov = (x.transpose() * x).cast<double>() / std::max<Eigen::Index>(m - 1, 1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
  pca.components = Eigen::Matrix<float, Eigen::Dynamic, 3>::Zero(d, 3);
  const double total = std::max(eig.eigenvalues().sum(), 1e-30);
  // Eigenvalues come in increasing order; take the largest three.
  for (int c = 0; c < 3 && c < d; ++c) {
    Eigen::VectorXd v = eig.eigenvectors().col(d - 1 - c);
    Eigen::Index imax = 0;
    v.cwiseAbs().maxCoeff(&imax);
    if (v(imax) < 0) v = -v;
    pca.components.col(c) = v.cast<float>();
    pca.explained_variance_ratio(c) = static_cast<float>(eig.eigenvalues()(d - 1 - c) / total);
  }
  // Colour ranges from the projections of every row of both sets.
  std::array<std::vector<float>, 3> proj;
  for (const FeaturesF* f : {&a, &b}) {
    if (f->rows() == 0) continue;
    const Eigen::MatrixXf p = (f->rowwise() - pca.mean) * pca.components;
    for (int c = 0; c < 3; ++c)
      for (Eigen::Index i = 0; i < p.rows(); ++i) proj[c].push_back(p(i, c));
  }
  for (int c = 0; c < 3; ++c) {
    pca.lo(c) = quantile(proj[c], clip_fraction);
    pca.hi(c) = quantile(proj[c], 1.0 - clip_fraction);
    if (!(pca.hi(c) - pca.lo(c) > 1e-12f)) {
      // A flat component (e.g. fewer than 3 dimensions): mid grey.
      pca.lo(c) -= 1.0f;
      pca.hi(c) += 1.0f;
    }
  }
  return pca;
}

std::vector<Eigen::Vector3f> pca_colors(const SharedPca& pca, const FeaturesF& features) {
  if (features.rows() > 0 && features.cols() != pca.mean.cols()) {
    throw std::invalid_argument("pca_colors: feature dimension differs from the fit");
  }
  std::vector<Eigen::Vector3f> out(static_cast<std::size_t>(features.rows()));
  if (features.rows() == 0) return out;
  const Eigen::MatrixXf p = (features.rowwise() - pca.mean) * pca.components;
  for (Eigen::Index i = 0; i < p.rows(); ++i) {
    for (int c = 0; c < 3; ++c) {
      out[i](c) = std::clamp((p(i, c) - pca.lo(c)) / (pca.hi(c) - pca.lo(c)), 0.0f, 1.0f);
    }
  }
  return out;
}

SimilarityMetric parse_similarity_metric(const std::string& name) {
  if (name == "l2") return SimilarityMetric::kL2;
  if (name == "cosine") return SimilarityMetric::kCosine;
  throw std::invalid_argument("unknown similarity metric '" + name + "' (valid: l2, cosine)");
}

std::string to_string(SimilarityMetric metric) {
  return metric == SimilarityMetric::kL2 ? "l2" : "cosine";
}

Eigen::VectorXf feature_similarity(const FeaturesF& features, const Eigen::RowVectorXf& reference,
                                   SimilarityMetric metric) {
  if (features.rows() > 0 && features.cols() != reference.cols()) {
    throw std::invalid_argument("feature_similarity: reference has " +
                                std::to_string(reference.cols()) + " dimensions, features " +
                                std::to_string(features.cols()));
  }
  Eigen::VectorXf s(features.rows());
  if (metric == SimilarityMetric::kL2) {
    for (Eigen::Index i = 0; i < features.rows(); ++i) s(i) = -(features.row(i) - reference).norm();
  } else {
    const float rn = std::max(reference.norm(), 1e-12f);
    for (Eigen::Index i = 0; i < features.rows(); ++i) {
      s(i) = features.row(i).dot(reference) / (std::max(features.row(i).norm(), 1e-12f) * rn);
    }
  }
  return s;
}

Eigen::Vector3f similarity_ramp(float t) {
  // Piecewise-linear through hand-picked stops (dark blue, blue, cyan, green,
  // yellow, orange, dark red): a rainbow-like ramp in which both ends stay
  // dark enough to read on a white background.
  static const std::array<Eigen::Vector3f, 7> stops = {
      Eigen::Vector3f(0.16f, 0.10f, 0.45f), Eigen::Vector3f(0.20f, 0.40f, 0.95f),
      Eigen::Vector3f(0.10f, 0.80f, 0.85f), Eigen::Vector3f(0.35f, 0.90f, 0.30f),
      Eigen::Vector3f(0.98f, 0.85f, 0.15f), Eigen::Vector3f(0.95f, 0.40f, 0.08f),
      Eigen::Vector3f(0.60f, 0.02f, 0.02f)};
  if (!(t == t)) t = 0.0f;  // NaN
  const float x = std::clamp(t, 0.0f, 1.0f) * static_cast<float>(stops.size() - 1);
  const std::size_t k = std::min(static_cast<std::size_t>(x), stops.size() - 2);
  const float w = x - static_cast<float>(k);
  return (1.0f - w) * stops[k] + w * stops[k + 1];
}

std::vector<Eigen::Vector3f> similarity_colors(const Eigen::VectorXf& similarity, float lo,
                                               float hi) {
  std::vector<Eigen::Vector3f> out(static_cast<std::size_t>(similarity.size()));
  const float span = hi - lo > 1e-12f ? hi - lo : 1.0f;
  for (Eigen::Index i = 0; i < similarity.size(); ++i)
    out[i] = similarity_ramp((similarity(i) - lo) / span);
  return out;
}

}  // namespace dffeval
