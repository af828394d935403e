// The feature field: hand-checked values, analytic gradients against central
// differences, kNN / tree against the published dense field, the far-field
// limit, points on data points, threads, and bad input.

#include "pipeline/feature_field.h"

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

namespace dffeval {
namespace {

using Eigen::Index;
using Vec3 = Eigen::Vector3d;

constexpr double kSphereRadiusM = 0.05;
const Vec3 kSphereCentre(0.02, -0.01, 0.10);

/// n points evenly spread on a sphere (Fibonacci lattice), metres.
PointsF sphere_points(int n, double radius_m = kSphereRadiusM, const Vec3& centre = kSphereCentre) {
  PointsF p(n, 3);
  for (int i = 0; i < n; ++i) {
    const double z = 1.0 - 2.0 * (i + 0.5) / n;
    const double r = std::sqrt(1.0 - z * z);
    const double phi = i * 2.399963229728653;  // golden angle
    p.row(i) = (centre + radius_m * Vec3(r * std::cos(phi), r * std::sin(phi), z))
                   .cast<float>()
                   .transpose();
  }
  return p;
}

/// Smooth features: f_d = sin(k_d . p + phase_d), wavelengths 4 to 6 cm (about
/// an object part), random directions.
FeaturesF smooth_features(const PointsF& p, int dim, std::uint64_t seed) {
  SeededRng rng(seed);
  FeaturesF f(p.rows(), dim);
  for (int d = 0; d < dim; ++d) {
    const Vec3 dir = Vec3(rng.normal(), rng.normal(), rng.normal()).normalized();
    const double wavelength_m = 0.04 + 0.02 * d / std::max(1, dim - 1);
    const Vec3 k = dir * (2.0 * M_PI / wavelength_m);
    const double phase = rng.uniform(0.0, 2.0 * M_PI);
    for (Index i = 0; i < p.rows(); ++i)
      f(i, d) = static_cast<float>(std::sin(k.dot(p.row(i).cast<double>().transpose()) + phase));
  }
  return f;
}

/// Points at a random direction from the sphere centre, offset from the
/// surface by a uniform amount in [min_offset_m, max_offset_m].
PointsF queries_around_sphere(int n, double min_offset_m, double max_offset_m, std::uint64_t seed) {
  SeededRng rng(seed);
  PointsF x(n, 3);
  for (int q = 0; q < n; ++q) {
    const Vec3 dir = Vec3(rng.normal(), rng.normal(), rng.normal()).normalized();
    const double r = kSphereRadiusM + rng.uniform(min_offset_m, max_offset_m);
    x.row(q) = (kSphereCentre + r * dir).cast<float>().transpose();
  }
  return x;
}

FieldConfig config_for(FieldInterpolator interpolator) {
  FieldConfig c;
  c.interpolator = interpolator;
  return c;
}

/// Per-dimension max - min of the features.
Eigen::VectorXd feature_spread(const FeaturesF& f) {
  return (f.colwise().maxCoeff() - f.colwise().minCoeff()).cast<double>().transpose();
}

/// The kNN field with a near radius (1 cm, as config/methods/sparsedff.yaml).
constexpr double kNearRadiusM = 0.01;
FieldConfig knn_with_radius(double radius_m = kNearRadiusM) {
  FieldConfig c = config_for(FieldInterpolator::kKnn);
  c.knn_radius_m = radius_m;
  return c;
}

std::string config_name(const FieldConfig& c) {
  return to_string(c.interpolator) + (c.knn_radius_m > 0.0 ? "_radius" : "");
}

/// A field's values and Jacobians at x.
struct Evaluated {
  FeaturesF values, jacobian;
};
Evaluated evaluate_at(const PointsF& p, const FeaturesF& f, const FieldConfig& c,
                      const PointsF& x) {
  Evaluated e;
  FeatureField(p, f, c).evaluate(x, &e.values, &e.jacobian);
  return e;
}

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

/// Error of `interpolator` against the dense field at queries offset from a
/// 4000-point sphere by [min_offset_m, max_offset_m], as a fraction of each
/// feature's spread.
struct Agreement {
  double max = 0.0, mean = 0.0, p95 = 0.0;
};
Agreement agreement_with_dense(FieldInterpolator interpolator, double min_offset_m,
                               double max_offset_m) {
  const PointsF p = sphere_points(4000);
  const FeaturesF f = smooth_features(p, 8, 17);
  const Eigen::VectorXd spread = feature_spread(f);
  const PointsF x = queries_around_sphere(500, min_offset_m, max_offset_m, 31);
  FeaturesF dense, approx;
  FeatureField(p, f, config_for(FieldInterpolator::kDense)).evaluate(x, &dense);
  FeatureField(p, f, config_for(interpolator)).evaluate(x, &approx);
  std::vector<double> errors;
  for (Index q = 0; q < x.rows(); ++q)
    for (Index d = 0; d < f.cols(); ++d)
      errors.push_back(std::abs(static_cast<double>(approx(q, d)) - dense(q, d)) / spread(d));
  std::sort(errors.begin(), errors.end());
  Agreement a;
  a.max = errors.back();
  a.mean = std::accumulate(errors.begin(), errors.end(), 0.0) / static_cast<double>(errors.size());
  a.p95 = errors[errors.size() * 95 / 100];
  std::cout << "[ measured ] " << to_string(interpolator) << " vs dense, offsets " << min_offset_m
            << " to " << max_offset_m << " m, error / feature spread: mean " << a.mean << ", p95 "
            << a.p95 << ", max " << a.max << "\n";
  return a;
}

TEST(FeatureField, KnnAgreesWithDenseNearSurface) {
  // The kNN field replaces the far points (most of the dense field's weight on
  // a surface) by the mean feature: close on average, a few percent of the
  // spread, up to about a tenth where the local features differ most from the
  // mean. Bounds are the measured values with some margin.
  const Agreement a = agreement_with_dense(FieldInterpolator::kKnn, -0.002, 0.002);
  EXPECT_LT(a.mean, 0.04);
  EXPECT_LT(a.p95, 0.09);
  EXPECT_LT(a.max, 0.15);
}

TEST(FeatureField, KnnCellCacheChangesNothingButSpeed) {
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

TEST(FeatureField, KnnRadiusAgreesWithKnnNearSurfaceIsTheMeanBeyond) {
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

TEST(FeatureField, KnnRadiusIsContinuousWhereNeighboursEnterOrLeave) {
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

TEST(FeatureField, KnnHugeRadiusIsTheUnlimitedField) {
  const PointsF p = sphere_points(2000);
  const FeaturesF f = smooth_features(p, 5, 3);
  const PointsF x = queries_around_sphere(400, -0.005, 0.3, 4);
  const Evaluated a = evaluate_at(p, f, config_for(FieldInterpolator::kKnn), x);
  const Evaluated b = evaluate_at(p, f, knn_with_radius(1.0), x);
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.jacobian, b.jacobian);
}

TEST(FeatureField, TreeAgreesWithDenseNearAndOffSurface) {
  // The tree approximates the whole dense sum, so it also holds off the
  // surface, where the kNN field has gone over to the mean.
  // Bounds: measured (near: mean 0.1%, max 0.5%; off: 0.3%, 2.4%) plus margin.
  const Agreement near = agreement_with_dense(FieldInterpolator::kTree, -0.002, 0.002);
  EXPECT_LT(near.mean, 0.002);
  EXPECT_LT(near.max, 0.008);
  const Agreement off = agreement_with_dense(FieldInterpolator::kTree, 0.01, 0.1);
  EXPECT_LT(off.mean, 0.005);
  EXPECT_LT(off.max, 0.035);
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

TEST(FeatureField, KnnWithFewPointsIsTheDenseField) {
  const PointsF p = sphere_points(6);
  const FeaturesF f = smooth_features(p, 3, 1);
  const PointsF x = queries_around_sphere(20, -0.02, 0.05, 2);
  const Evaluated dense = evaluate_at(p, f, config_for(FieldInterpolator::kDense), x);
  const Evaluated knn = evaluate_at(p, f, config_for(FieldInterpolator::kKnn), x);  // k = 8 > 6
  EXPECT_TRUE(knn.values.isApprox(dense.values, 1e-5f));
  EXPECT_TRUE(knn.jacobian.isApprox(dense.jacobian, 1e-4f));
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
