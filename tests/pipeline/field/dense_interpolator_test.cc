// The dense interpolator (dense_interpolator.cc) is the published field
// F(x) = sum_i w_i f_i / sum_i w_i, w_i = 1 / (|x - p_i| + 1e-10)^2, over
// every point: held here to that formula summed in double by brute force,
// also right next to a data point, where the near points are summed exactly
// and the rest goes through float matrix products.

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "pipeline/field/feature_field.h"
#include "tests/pipeline/field/field_test_data.h"

namespace dffeval {
namespace {

using namespace field_test;  // NOLINT: the shared test data

Eigen::VectorXd brute_force_field(const PointsF& p, const FeaturesF& f, const Eigen::Vector3d& x) {
  Eigen::VectorXd num = Eigen::VectorXd::Zero(f.cols());
  double den = 0.0;
  for (Eigen::Index i = 0; i < p.rows(); ++i) {
    const double d = (x - p.row(i).cast<double>().transpose()).norm();
    const double w = 1.0 / ((d + 1e-10) * (d + 1e-10));
    num += w * f.row(i).cast<double>().transpose();
    den += w;
  }
  return num / den;
}

TEST(DenseInterpolator, EqualsThePublishedFormulaSummedInDouble) {
  const PointsF p = sphere_points(3000);
  const FeaturesF f = smooth_features(p, 6, 4);
  const FeatureField field(p, f, config_for(FieldInterpolator::kDense));
  PointsF x = queries_around_sphere(200, 0.0005, 0.05, 9);
  // One query 1 micrometre from a data point: its weight dominates by 1e6.
  x.row(0) = p.row(17) + Eigen::RowVector3f(1e-6f, 0.f, 0.f);
  FeaturesF values;
  field.evaluate(x, &values);
  const Eigen::VectorXd spread = feature_spread(f);
  double worst = 0.0;
  for (Eigen::Index q = 0; q < x.rows(); ++q) {
    const Eigen::VectorXd expected = brute_force_field(p, f, x.row(q).cast<double>().transpose());
    for (Eigen::Index d = 0; d < f.cols(); ++d)
      worst = std::max(worst, std::abs(values(q, d) - expected(d)) / spread(d));
  }
  // float features and float far-point products: a few 1e-6 of the spread.
  EXPECT_LT(worst, 1e-4);
  for (Eigen::Index d = 0; d < f.cols(); ++d) EXPECT_NEAR(values(0, d), f(17, d), 1e-4);
}

}  // namespace
}  // namespace dffeval
