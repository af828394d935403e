// The kNN interpolator (knn_interpolator.cc): against the dense field near
// the surface, its cell cache, its near radius (the mean beyond it, continuous
// where neighbours enter or leave), and few points.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common/seeded_rng.h"
#include "pipeline/cloud/knn_cell_cache.h"
#include "pipeline/field/feature_field.h"
#include "tests/pipeline/field/field_test_data.h"

namespace dffeval {
namespace {

using namespace field_test;  // NOLINT: the shared test data

TEST(KnnInterpolator, KnnAgreesWithDenseNearSurface) {
  // The kNN field replaces the far points (most of the dense field's weight on
  // a surface) by the mean feature: close on average, a few percent of the
  // spread, up to about a tenth where the local features differ most from the
  // mean. Bounds are the measured values with some margin.
  const Agreement a = agreement_with_dense(FieldInterpolator::kKnn, -0.002, 0.002);
  EXPECT_LT(a.mean, 0.04);
  EXPECT_LT(a.p95, 0.09);
  EXPECT_LT(a.max, 0.15);
}

TEST(KnnInterpolator, KnnCellCacheChangesNothingButSpeed) {
  // The neighbour-search cache (default on) against the plain KD-tree, on
  // queries from on the surface to 10 cm off it, twice (the second pass is
  // answered from filled cells): the same values and pullbacks. The sphere's
  // lattice has no two points at exactly the same distance from a query in
  // general, so they are bitwise equal here.
  // With and without a near radius.
  const PointsF pts = sphere_points(4000);
  const FeaturesF f = smooth_features(pts, 8, 21);
  for (const double radius_m : {0.0, kNearRadiusM}) {
    FieldConfig with_cache = knn_with_radius(radius_m), plain = with_cache;
    plain.knn_cell_m = 0.0;
    const FeatureField cached(pts, f, with_cache);
    const FeatureField tree(pts, f, plain);
    const PointsF x = queries_around_sphere(3000, -0.003, 0.1, 22);
    FeaturesF g = FeaturesF::Ones(x.rows(), 8);
    for (int pass = 0; pass < 2; ++pass) {
      FeaturesF a, b;
      cached.evaluate(x, &a);
      tree.evaluate(x, &b);
      EXPECT_EQ(a, b) << "radius " << radius_m << " pass " << pass;
      EXPECT_EQ(cached.pullback(x, g), tree.pullback(x, g))
          << "radius " << radius_m << " pass " << pass;
    }
  }
}

TEST(KnnInterpolator, KnnRadiusAgreesWithKnnNearSurfaceIsTheMeanBeyond) {
  // Where a query's k + 1 nearest points all lie within the radius (on this
  // 3 mm lattice: everywhere within 2 mm of the surface) the radius changes
  // nothing. From about 6 mm out it drops the farther near points into the
  // background: F moves towards the mean, by little, as their weights are
  // a few percent of the background's. Beyond the radius F is exactly the
  // mean and its gradient exactly zero.
  const PointsF p = sphere_points(4000);
  const FeaturesF f = smooth_features(p, 8, 17);
  const Eigen::VectorXd spread = feature_spread(f);
  const FeatureField unlimited(p, f, config_for(FieldInterpolator::kKnn));
  const FeatureField limited(p, f, knn_with_radius());
  FeaturesF a, b;
  const PointsF near = queries_around_sphere(500, -0.002, 0.002, 31);
  unlimited.evaluate(near, &a);
  limited.evaluate(near, &b);
  EXPECT_EQ(a, b);
  const PointsF off = queries_around_sphere(500, 0.006, 0.012, 33);
  unlimited.evaluate(off, &a);
  limited.evaluate(off, &b);
  double worst = 0.0, sum = 0.0;
  for (Index q = 0; q < off.rows(); ++q) {
    for (Index d = 0; d < f.cols(); ++d) {
      const double e = std::abs(static_cast<double>(a(q, d)) - b(q, d)) / spread(d);
      worst = std::max(worst, e);
      sum += e;
    }
  }
  const double mean_error = sum / static_cast<double>(off.size());
  std::cout << "[ measured ] knn radius " << kNearRadiusM
            << " m vs unlimited, 6 to 12 mm off the surface, error / spread: mean " << mean_error
            << ", max " << worst << "\n";
  EXPECT_LT(mean_error, 0.015);
  EXPECT_LT(worst, 0.03);

  const PointsF beyond = queries_around_sphere(200, kNearRadiusM + 0.001, 0.2, 32);
  FeaturesF v, jac;
  limited.evaluate(beyond, &v, &jac);
  for (Index q = 0; q < beyond.rows(); ++q) {
    EXPECT_EQ(v.row(q), limited.mean_feature().transpose()) << "query " << q;
    EXPECT_TRUE(jac.row(q).isZero(0.f)) << "query " << q;
  }
  FieldTape tape;
  limited.evaluate_vjp(beyond, nullptr, &tape);
  for (const std::int64_t i : tape.nearest_points()) EXPECT_EQ(i, -1);
  EXPECT_TRUE(limited.pullback(tape, FeaturesF::Ones(beyond.rows(), 8)).isZero(0.f));
}

TEST(KnnInterpolator, KnnRadiusIsContinuousWhereNeighboursEnterOrLeave) {
  // Walk straight out from the surface through the radius in 10 um steps:
  // points leave the near set one by one, the last at R. F must change
  // by about |dF/dx| * step at every step, never jump.
  const PointsF p = sphere_points(3000);
  const FeaturesF f = smooth_features(p, 6, 9);
  const Eigen::VectorXd spread = feature_spread(f);
  const FeatureField field(p, f, knn_with_radius());
  SeededRng rng(77);
  const double step_m = 1e-5;
  for (int walk = 0; walk < 5; ++walk) {
    const Vec3 dir = Vec3(rng.normal(), rng.normal(), rng.normal()).normalized();
    const int steps = static_cast<int>((kNearRadiusM + 0.004) / step_m);
    PointsF x(steps, 3);
    for (int s = 0; s < steps; ++s)
      x.row(s) =
          (kSphereCentre + (kSphereRadiusM + 0.001 + s * step_m) * dir).cast<float>().transpose();
    FeaturesF v, jac;
    field.evaluate(x, &v, &jac);
    double worst_jump = 0.0;
    for (int s = 1; s < steps; ++s) {
      for (Index d = 0; d < v.cols(); ++d) {
        // What the gradient allows over the step, plus float rounding.
        const double slope =
            std::max(std::abs(jac(s, d * 3)), std::abs(jac(s - 1, d * 3))) +
            std::max(std::abs(jac(s, d * 3 + 1)), std::abs(jac(s - 1, d * 3 + 1))) +
            std::max(std::abs(jac(s, d * 3 + 2)), std::abs(jac(s - 1, d * 3 + 2)));
        const double jump = std::abs(static_cast<double>(v(s, d)) - v(s - 1, d));
        worst_jump = std::max(worst_jump, jump / spread(d));
        EXPECT_LT(jump, 2.0 * slope * step_m + 1e-5 * spread(d))
            << "walk " << walk << " step " << s << " dim " << d;
      }
    }
    EXPECT_EQ(v.row(steps - 1), field.mean_feature().transpose());  // past R at the end
    EXPECT_LT(worst_jump, 1e-3) << "walk " << walk;
  }
}

TEST(KnnInterpolator, KnnHugeRadiusIsTheUnlimitedField) {
  const PointsF p = sphere_points(2000);
  const FeaturesF f = smooth_features(p, 5, 3);
  const PointsF x = queries_around_sphere(400, -0.005, 0.3, 4);
  const Evaluated a = evaluate_at(p, f, config_for(FieldInterpolator::kKnn), x);
  const Evaluated b = evaluate_at(p, f, knn_with_radius(1.0), x);
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.jacobian, b.jacobian);
}

TEST(KnnInterpolator, KnnWithFewPointsIsTheDenseField) {
  const PointsF p = sphere_points(6);
  const FeaturesF f = smooth_features(p, 3, 1);
  const PointsF x = queries_around_sphere(20, -0.02, 0.05, 2);
  const Evaluated dense = evaluate_at(p, f, config_for(FieldInterpolator::kDense), x);
  const Evaluated knn = evaluate_at(p, f, config_for(FieldInterpolator::kKnn), x);  // k = 8 > 6
  EXPECT_TRUE(knn.values.isApprox(dense.values, 1e-5f));
  EXPECT_TRUE(knn.jacobian.isApprox(dense.jacobian, 1e-4f));
}

}  // namespace
}  // namespace dffeval
