#pragma once
// Colours for features, so people can see a feature field: a PCA to three
// components fitted on two clouds at once (identical features get identical
// colours in both pictures), and similarity-to-a-reference colour ramps.
//
// Diagnostics only (eval/).

#include <Eigen/Core>
#include <string>
#include <vector>

#include "types/feature_types.h"

namespace dffeval {

/// A 3-component PCA of features and the mapping of each component to [0, 1].
struct SharedPca {
  /// Mean feature of the fit (1 x D).
  Eigen::RowVectorXf mean;
  /// Principal directions, one per column (D x 3), unit length; each sign is
  /// fixed so that the loading of largest magnitude is positive (the same
  /// data always give the same colours).
  Eigen::Matrix<float, Eigen::Dynamic, 3> components;
  /// Projections in [lo, hi] map to [0, 1] (per component; values outside are
  /// clamped).
  Eigen::Vector3f lo = Eigen::Vector3f::Zero();
  Eigen::Vector3f hi = Eigen::Vector3f::Ones();
  /// Fraction of the total variance along each component.
  Eigen::Vector3f explained_variance_ratio = Eigen::Vector3f::Zero();
};

/// Fits the PCA on the rows of `a` and `b` together (both N x D with the same
/// D; either may be empty, not both). At most `max_fit_rows` rows (taken
/// evenly from both) enter the covariance, to bound the cost. The colour range
/// of each component spans its `clip_fraction` to 1 - `clip_fraction`
/// quantiles over both sets, so a few outliers do not wash out the colours.
/// Features with fewer than 3 dimensions get zero components for the missing
/// ones. Throws std::invalid_argument for empty input or mismatched D.
SharedPca fit_shared_pca(const FeaturesF& a, const FeaturesF& b, double clip_fraction = 0.01,
                         int max_fit_rows = 6000);

/// Colours (RGB in [0, 1]) of features (N x D) under a fitted PCA.
std::vector<Eigen::Vector3f> pca_colors(const SharedPca& pca, const FeaturesF& features);

/// How two features are compared.
enum class SimilarityMetric {
  /// Negative Euclidean distance, -||f - f_ref|| (higher is more similar; 0 at
  /// the reference itself).
  kL2,
  /// Cosine similarity in [-1, 1].
  kCosine,
};

/// "l2" / "cosine"; throws std::invalid_argument listing the valid names.
SimilarityMetric parse_similarity_metric(const std::string& name);
std::string to_string(SimilarityMetric metric);

/// Similarity of every row of `features` (N x D) to `reference` (1 x D),
/// higher is more similar (see SimilarityMetric). Throws std::invalid_argument
/// if the dimensions differ.
Eigen::VectorXf feature_similarity(const FeaturesF& features, const Eigen::RowVectorXf& reference,
                                   SimilarityMetric metric);

/// The similarity ramp: t = 0 (dissimilar) dark blue, through cyan, green and
/// yellow, to t = 1 (similar) dark red. Clamped to [0, 1].
Eigen::Vector3f similarity_ramp(float t);

/// Colours of similarity values: lo maps to similarity_ramp(0), hi to
/// similarity_ramp(1). Use one (lo, hi) for both clouds so colours compare.
std::vector<Eigen::Vector3f> similarity_colors(const Eigen::VectorXf& similarity, float lo,
                                               float hi);

/// The value below which `fraction` of `values` lie (linear interpolation
/// between order statistics); fraction in [0, 1]. NaN for empty input.
float quantile(std::vector<float> values, double fraction);

}  // namespace dffeval
