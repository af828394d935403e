// Feature colours: one PCA shared by both clouds, and the similarity metrics.

#include "eval/viz/feature_colors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/input_error.h"

namespace dffeval {
namespace {

TEST(FeatureColors, IdenticalFeaturesGetIdenticalColoursAcrossClouds) {
  // Cloud b holds a's rows in another order plus rows of its own.
  FeaturesF a(50, 8), b(70, 8);
  for (int i = 0; i < 50; ++i)
    for (int d = 0; d < 8; ++d) a(i, d) = std::sin(0.37f * i * (d + 1) + d);
  for (int i = 0; i < 70; ++i)
    for (int d = 0; d < 8; ++d) b(i, d) = i < 50 ? a(49 - i, d) : std::cos(0.21f * i + 0.5f * d);
  const SharedPca pca = fit_shared_pca(a, b);
  const auto ca = pca_colors(pca, a);
  const auto cb = pca_colors(pca, b);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(ca[i], cb[49 - i]) << i;
    EXPECT_GE(ca[i].minCoeff(), 0.0f);
    EXPECT_LE(ca[i].maxCoeff(), 1.0f);
  }
  // The same data give the same fit (colours are reproducible).
  const SharedPca again = fit_shared_pca(a, b);
  EXPECT_EQ(pca.components, again.components);
  EXPECT_EQ(pca.lo, again.lo);
  EXPECT_GT(pca.explained_variance_ratio.sum(), 0.3f);
  EXPECT_LE(pca.explained_variance_ratio.sum(), 1.0f + 1e-5f);
}

TEST(FeatureColors, SimilarityMetrics) {
  FeaturesF f(3, 2);
  f << 1, 0, 0, 1, -2, 0;
  const Eigen::RowVectorXf ref = f.row(0);
  const Eigen::VectorXf cos = feature_similarity(f, ref, SimilarityMetric::kCosine);
  EXPECT_FLOAT_EQ(cos(0), 1.0f);
  EXPECT_NEAR(cos(1), 0.0f, 1e-7f);
  EXPECT_FLOAT_EQ(cos(2), -1.0f);
  const Eigen::VectorXf l2 = feature_similarity(f, ref, SimilarityMetric::kL2);
  EXPECT_FLOAT_EQ(l2(0), 0.0f);
  EXPECT_FLOAT_EQ(l2(1), -std::sqrt(2.0f));
  EXPECT_FLOAT_EQ(l2(2), -3.0f);
  EXPECT_EQ(parse_similarity_metric("cosine"), SimilarityMetric::kCosine);
  EXPECT_THROW(parse_similarity_metric("dot"), std::invalid_argument);
  const auto colours = similarity_colors(l2, -3.0f, 0.0f);
  EXPECT_EQ(colours[0], similarity_ramp(1.0f));
  EXPECT_EQ(colours[2], similarity_ramp(0.0f));
  EXPECT_NE(similarity_ramp(0.0f), similarity_ramp(1.0f));
}

}  // namespace
}  // namespace dffeval
