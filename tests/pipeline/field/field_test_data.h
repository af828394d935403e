#pragma once
// Clouds, features and queries shared by the feature-field tests
// (feature_field_test.cc and the three interpolator tests).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "common/seeded_rng.h"
#include "pipeline/field/feature_field.h"

namespace dffeval::field_test {

using Eigen::Index;
using Vec3 = Eigen::Vector3d;

inline constexpr double kSphereRadiusM = 0.05;
inline const Vec3 kSphereCentre(0.02, -0.01, 0.10);

/// n points evenly spread on a sphere (Fibonacci lattice), metres.
inline PointsF sphere_points(int n, double radius_m = kSphereRadiusM,
                             const Vec3& centre = kSphereCentre) {
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
inline FeaturesF smooth_features(const PointsF& p, int dim, std::uint64_t seed) {
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
inline PointsF queries_around_sphere(int n, double min_offset_m, double max_offset_m,
                                     std::uint64_t seed) {
  SeededRng rng(seed);
  PointsF x(n, 3);
  for (int q = 0; q < n; ++q) {
    const Vec3 dir = Vec3(rng.normal(), rng.normal(), rng.normal()).normalized();
    const double r = kSphereRadiusM + rng.uniform(min_offset_m, max_offset_m);
    x.row(q) = (kSphereCentre + r * dir).cast<float>().transpose();
  }
  return x;
}

inline FieldConfig config_for(FieldInterpolator interpolator) {
  FieldConfig c;
  c.interpolator = interpolator;
  return c;
}

/// Per-dimension max - min of the features.
inline Eigen::VectorXd feature_spread(const FeaturesF& f) {
  return (f.colwise().maxCoeff() - f.colwise().minCoeff()).cast<double>().transpose();
}

/// The kNN field with a near radius (1 cm, as config/methods/sparsedff.yaml).
inline constexpr double kNearRadiusM = 0.01;
inline FieldConfig knn_with_radius(double radius_m = kNearRadiusM) {
  FieldConfig c = config_for(FieldInterpolator::kKnn);
  c.knn_radius_m = radius_m;
  return c;
}

inline std::string config_name(const FieldConfig& c) {
  return to_string(c.interpolator) + (c.knn_radius_m > 0.0 ? "_radius" : "");
}

/// A field's values and Jacobians at x.
struct Evaluated {
  FeaturesF values, jacobian;
};
inline Evaluated evaluate_at(const PointsF& p, const FeaturesF& f, const FieldConfig& c,
                             const PointsF& x) {
  Evaluated e;
  FeatureField(p, f, c).evaluate(x, &e.values, &e.jacobian);
  return e;
}

/// Error of `interpolator` against the dense field at queries offset from a
/// 4000-point sphere by [min_offset_m, max_offset_m], as a fraction of each
/// feature's spread.
struct Agreement {
  double max = 0.0, mean = 0.0, p95 = 0.0;
};
inline Agreement agreement_with_dense(FieldInterpolator interpolator, double min_offset_m,
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

}  // namespace dffeval::field_test
