// The feature field's facade, for every interpolator: hand-checked values,
// analytic gradients against central differences, the pullback, the
// far-field limit, queries on data points, thread counts, and bad input.

#include "pipeline/field/feature_field.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/seeded_rng.h"
#include "tests/pipeline/field/field_test_data.h"

namespace dffeval {
namespace {

using namespace field_test;  // NOLINT: the shared test data

class FieldByInterpolator : public ::testing::TestWithParam<FieldConfig> {};

INSTANTIATE_TEST_SUITE_P(All, FieldByInterpolator,
                         ::testing::Values(config_for(FieldInterpolator::kDense),
                                           config_for(FieldInterpolator::kKnn), knn_with_radius(),
                                           config_for(FieldInterpolator::kTree)),
                         [](const auto& info) { return config_name(info.param); });

TEST(FeatureField, TwoPointsByHand) {
  // Points at x = 0 and x = 1 m, features 0 and 1. At x = 0.25:
  // w = 1/0.0625 = 16 and 1/0.5625 = 16/9, so F = (16/9) / (16 + 16/9) = 0.1.
  PointsF p(2, 3);
  p << 0, 0, 0, 1, 0, 0;
  FeaturesF f(2, 1);
  f << 0, 1;
  PointsF x(1, 3);
  x << 0.25f, 0, 0;
  for (auto interpolator :
       {FieldInterpolator::kDense, FieldInterpolator::kKnn, FieldInterpolator::kTree}) {
    const FeatureField field(p, f, config_for(interpolator));
    FeaturesF values, jac;
    field.evaluate(x, &values, &jac);
    EXPECT_NEAR(values(0, 0), 0.1, 1e-6) << to_string(interpolator);
    // dF/dx = (w2' w1 - w2 w1') / (w1 + w2)^2 with w1' = -2/x^3, w2' = 2/(1-x)^3.
    const double w1 = 16, w2 = 16.0 / 9, dw1 = -128, dw2 = 2 / 0.421875;
    EXPECT_NEAR(jac(0, 0), (dw2 * w1 - w2 * dw1) / ((w1 + w2) * (w1 + w2)), 1e-5)
        << to_string(interpolator);
    EXPECT_EQ(jac(0, 1), 0.f);  // no y dependence on the axis
    EXPECT_EQ(jac(0, 2), 0.f);
  }
}

TEST_P(FieldByInterpolator, GradientMatchesCentralDifferences) {
  const PointsF p = sphere_points(2000);
  const FeaturesF f = smooth_features(p, 5, 11);
  const FeatureField field(p, f, GetParam());
  // Near the surface, at a few mm, and a few cm out (background, tree cells).
  PointsF x(60, 3);
  x << queries_around_sphere(40, -0.003, 0.003, 21), queries_around_sphere(20, 0.01, 0.08, 22);
  FeaturesF values, jac;
  field.evaluate(x, &values, &jac);
  ASSERT_TRUE(jac.allFinite());

  // kNN is only C0 where the set of the k nearest points or the (k+1)-th
  // nearest changes; components whose difference step crosses such a change
  // are skipped (found by brute force here, independently of the KD-tree).
  auto neighbourhood = [&](const Eigen::RowVector3f& xq) {
    std::vector<Index> idx(static_cast<std::size_t>(p.rows()));
    std::iota(idx.begin(), idx.end(), 0);
    const auto k = static_cast<std::ptrdiff_t>(field.config().knn_k);
    auto d2 = [&](Index i) { return (p.row(i) - xq).squaredNorm(); };
    std::partial_sort(idx.begin(), idx.begin() + k + 1, idx.end(),
                      [&](Index a, Index b) { return d2(a) < d2(b); });
    idx.resize(static_cast<std::size_t>(k + 1));
    // With a near radius only the points nearer than it count; with fewer
    // than k + 1 of them the radius is the taper's reference (marked -1).
    const double r = field.config().knn_radius_m;
    if (r > 0.0) {
      idx.erase(std::remove_if(idx.begin(), idx.end(), [&](Index i) { return d2(i) >= r * r; }),
                idx.end());
      if (idx.size() <= static_cast<std::size_t>(k)) {
        std::sort(idx.begin(), idx.end());
        idx.push_back(-1);
        return idx;
      }
    }
    std::sort(idx.begin(), idx.begin() + k);  // the order among the k does not matter
    return idx;
  };

  const float h_m = 1e-5f;
  int checked = 0, skipped = 0;
  double worst = 0.0;
  for (Index q = 0; q < x.rows(); ++q) {
    const double row_scale = jac.row(q).cwiseAbs().maxCoeff();
    for (int c = 0; c < 3; ++c) {
      PointsF xp = x.row(q), xm = x.row(q);
      xp(0, c) += h_m;
      xm(0, c) -= h_m;
      if (GetParam().interpolator == FieldInterpolator::kKnn &&
          neighbourhood(xp.row(0)) != neighbourhood(xm.row(0))) {
        ++skipped;
        continue;
      }
      FeaturesF vp, vm;
      field.evaluate(xp, &vp);
      field.evaluate(xm, &vm);
      const double step = static_cast<double>(xp(0, c)) - static_cast<double>(xm(0, c));
      for (int d = 0; d < field.dim(); ++d) {
        const double fd = (static_cast<double>(vp(0, d)) - vm(0, d)) / step;
        const double err = std::abs(fd - jac(q, d * 3 + c)) / (row_scale + 1.0);
        worst = std::max(worst, err);
        EXPECT_LT(err, 2e-3) << "query " << q << " dim " << d << " axis " << c << " fd " << fd
                             << " analytic " << jac(q, d * 3 + c);
      }
      ++checked;
    }
  }
  std::cout << "[ measured ] " << config_name(GetParam())
            << ": worst |fd - analytic| / (row max + 1) " << worst << ", " << checked
            << " components checked, " << skipped << " skipped\n";
  EXPECT_GE(checked, 150);  // the kNN skip must stay rare
}

TEST_P(FieldByInterpolator, PullbackIsJacobianTransposeTimesGradient) {
  const PointsF p = sphere_points(1500);
  const FeaturesF f = smooth_features(p, 7, 5);
  const FeatureField field(p, f, GetParam());
  PointsF x(70, 3);  // more than two blocks of queries
  x << queries_around_sphere(50, -0.004, 0.004, 8), queries_around_sphere(20, 0.01, 0.1, 9);
  FeaturesF values, jac;
  field.evaluate(x, &values, &jac);

  SeededRng rng(3);
  FeaturesF g(x.rows(), field.dim());
  for (Index q = 0; q < g.rows(); ++q)
    for (Index d = 0; d < g.cols(); ++d) g(q, d) = static_cast<float>(rng.normal());

  FieldTape tape;
  FeaturesF tape_values;
  field.evaluate_vjp(x, &tape_values, &tape);
  EXPECT_EQ(tape.size(), static_cast<std::size_t>(x.rows()));
  EXPECT_EQ(tape_values, values);  // the same forward computation
  const PointsF dx = field.pullback(tape, g);
  const PointsF dx_one_shot = field.pullback(x, g);
  EXPECT_EQ(dx, dx_one_shot);
  for (Index q = 0; q < x.rows(); ++q) {
    for (int c = 0; c < 3; ++c) {
      double expected = 0.0, scale = 0.0;
      for (int d = 0; d < field.dim(); ++d) {
        expected += static_cast<double>(jac(q, d * 3 + c)) * g(q, d);
        scale += std::abs(static_cast<double>(jac(q, d * 3 + c)) * g(q, d));
      }
      EXPECT_NEAR(dx(q, c), expected, 1e-4 * scale + 1e-6) << "query " << q << " axis " << c;
    }
  }
}

TEST_P(FieldByInterpolator, FarFromTheCloudTendsToTheMean) {
  const PointsF p = sphere_points(3000);
  const FeaturesF f = smooth_features(p, 6, 23);
  const Eigen::VectorXd spread = feature_spread(f);
  const FeatureField field(p, f, GetParam());
  const Eigen::VectorXd mean = field.mean_feature().cast<double>();
  EXPECT_TRUE(mean.isApprox(f.cast<double>().colwise().mean().transpose(), 1e-5));

  // Largest deviation from the mean, in feature spreads, at a given offset.
  auto deviation = [&](double offset_m) {
    const PointsF x = queries_around_sphere(50, offset_m, offset_m, 41);
    FeaturesF v;
    field.evaluate(x, &v);
    double worst = 0.0;
    for (Index q = 0; q < x.rows(); ++q)
      for (Index d = 0; d < v.cols(); ++d)
        worst = std::max(worst, std::abs(v(q, d) - mean(d)) / spread(d));
    return worst;
  };
  const double on_surface = deviation(0.0), at_10cm = deviation(0.10), at_2m = deviation(2.0);
  std::cout << "[ measured ] " << config_name(GetParam())
            << ": max |F - mean| / spread on the surface " << on_surface << ", 10 cm out "
            << at_10cm << ", 2 m out " << at_2m << "\n";
  EXPECT_GT(on_surface, 0.25);  // the surface is told from empty space
  EXPECT_LT(at_10cm, on_surface);
  EXPECT_LT(at_2m, 0.01);
}

TEST_P(FieldByInterpolator, QueryOnADataPointIsFinite) {
  PointsF p = sphere_points(500);
  FeaturesF f = smooth_features(p, 4, 2);
  // A second point exactly on top of point 7, with another feature.
  p.conservativeResize(p.rows() + 1, 3);
  f.conservativeResize(f.rows() + 1, 4);
  p.row(p.rows() - 1) = p.row(7);
  f.row(f.rows() - 1) = f.row(7) * 0.5f;
  const FeatureField field(p, f, GetParam());
  PointsF x(2, 3);
  x.row(0) = p.row(100);
  x.row(1) = p.row(7);
  FeaturesF v, jac;
  field.evaluate(x, &v, &jac);
  ASSERT_TRUE(v.allFinite());
  ASSERT_TRUE(jac.allFinite());
  // On a data point its own weight (1e20) wins.
  for (Index d = 0; d < f.cols(); ++d) {
    EXPECT_NEAR(v(0, d), f(100, d), 1e-5);
    EXPECT_NEAR(v(1, d), 0.75f * f(7, d), 1e-5);  // the two coincident points share it
  }
  const PointsF dx = field.pullback(x, FeaturesF::Ones(2, 4));
  EXPECT_TRUE(dx.allFinite());
}

TEST_P(FieldByInterpolator, ResultsDoNotDependOnThreadCount) {
  const PointsF p = sphere_points(3000);
  const FeaturesF f = smooth_features(p, 9, 4);
  const PointsF x = queries_around_sphere(300, -0.01, 0.03, 12);
  FieldConfig one = GetParam(), three = one;
  three.num_threads = 3;
  FeaturesF v1, j1, v3, j3;
  FeatureField(p, f, one).evaluate(x, &v1, &j1);
  FeatureField(p, f, three).evaluate(x, &v3, &j3);
  ASSERT_EQ(v1.size(), v3.size());
  ASSERT_EQ(j1.size(), j3.size());
  EXPECT_EQ(0, std::memcmp(v1.data(), v3.data(), sizeof(float) * v1.size()));
  EXPECT_EQ(0, std::memcmp(j1.data(), j3.data(), sizeof(float) * j1.size()));
}

TEST(FeatureField, BadInputThrowsWithAClearMessage) {
  const PointsF p = sphere_points(10);
  const FeaturesF f = smooth_features(p, 3, 1);
  auto expect_message = [](auto&& build, const std::string& fragment) {
    try {
      build();
      ADD_FAILURE() << "no exception, expected one mentioning '" << fragment << "'";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_message([&] { FeatureField(PointsF(0, 3), FeaturesF(0, 3)); }, "empty");
  expect_message([&] { FeatureField(p, FeaturesF(10, 0)); }, "0 columns");
  expect_message([&] { FeatureField(p, FeaturesF(f.topRows(9))); }, "10 points but 9");
  PointsF p_nan = p;
  p_nan(4, 1) = std::nanf("");
  expect_message([&] { FeatureField(p_nan, f); }, "point 4");
  FeaturesF f_inf = f;
  f_inf(6, 2) = std::numeric_limits<float>::infinity();
  expect_message([&] { FeatureField(p, f_inf); }, "feature row 6");
  FieldConfig c;
  c.knn_k = 0;
  expect_message([&] { FeatureField(p, f, c); }, "knn_k");
  c = FieldConfig{};
  c.tree_theta = 0.9;
  expect_message([&] { FeatureField(p, f, c); }, "tree_theta");

  const FeatureField field(p, f);
  PointsF x = queries_around_sphere(3, 0, 0, 1);
  x(2, 0) = std::nanf("");
  FeaturesF v;
  expect_message([&] { field.evaluate(x, &v); }, "query point 2");
  FieldTape tape;
  field.evaluate_vjp(queries_around_sphere(3, 0, 0, 1), nullptr, &tape);
  expect_message([&] { field.pullback(tape, FeaturesF(3, 2)); }, "expected 3 x 3");
  const FeatureField other(p, f);
  expect_message([&] { other.pullback(tape, FeaturesF::Zero(3, 3)); }, "another field");
  expect_message([&] { parse_field_interpolator("nearest"); }, "dense, knn, tree");
  EXPECT_EQ(parse_field_interpolator("tree"), FieldInterpolator::kTree);
}

}  // namespace
}  // namespace dffeval
