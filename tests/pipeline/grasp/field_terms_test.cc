// The energy terms that read the target (pipeline/grasp/field_terms.cc): the
// feature term is the mean L1 distance between the field at the hand's
// surface points and the descriptor, the surface-distance term the mean gap
// between capped distances to the cloud and the demonstrated ones; each
// value is recomputed here by brute force and each gradient held to central
// differences.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

#include "common/seeded_rng.h"
#include "pipeline/cloud/nearest_points.h"
#include "pipeline/field/feature_field.h"
#include "pipeline/grasp/energy_terms.h"
#include "pipeline/grasp/grasp_energy.h"
#include "pipeline/grasp/grasp_optimizer.h"
#include "tests/fixtures/hand_models.h"

namespace dffeval {
namespace {

/// A 10 cm tall cylinder of radius 4 cm, features smooth in position.
struct Cylinder {
  PointsF points;
  FeaturesF features;
};

Cylinder cylinder() {
  const int rings = 30, per_ring = 60;
  Cylinder c;
  c.points.resize(rings * per_ring, 3);
  c.features.resize(rings * per_ring, 4);
  for (int r = 0; r < rings; ++r) {
    for (int k = 0; k < per_ring; ++k) {
      const float a = 2.0f * static_cast<float>(M_PI) * k / per_ring, z = 0.1f * r / (rings - 1);
      const int i = r * per_ring + k;
      c.points.row(i) << 0.04f * std::cos(a), 0.04f * std::sin(a), z;
      c.features.row(i) << std::cos(a), std::sin(a), 10 * z, std::cos(2 * a);
    }
  }
  return c;
}

/// Palm 6 cm from the axis at mid-height, facing it, fingers up and a little
/// flexed: most surface points are within the 3 cm cap, some beyond.
GraspParamVector side_pose() {
  Grasp g;
  Eigen::Matrix3d R;
  R.col(1) = Eigen::Vector3d(1, 0, 0);
  R.col(2) = Eigen::Vector3d(0, 0, 1);
  R.col(0) = R.col(1).cross(R.col(2));
  g.X_WPalm.linear() = R;
  g.X_WPalm.translation() = Eigen::Vector3d(0.06, 0.0, -0.02);
  for (int k = 0; k < kNumHandJoints; ++k) g.joints_rad[k] = 0.3;
  return grasp_params(g);
}

GraspOptimizerConfig only(bool feature) {
  GraspOptimizerConfig cfg;
  EnergyWeights w;
  w.feature = feature ? 1.0 : 0.0;
  w.surface_distance = feature ? 0.0 : 1.0;
  w.penetration = w.table = w.joint_limits = w.self_collision = w.wrist_prior = w.joint_prior = 0;
  cfg.weights = w;
  cfg.table_height_m = -1.0;
  return cfg;
}

void expect_gradient_matches(const GraspEnergy& energy, const EnergyReference& ref,
                             const GraspParamVector& x, FieldTape* tape, double rel_tol) {
  std::vector<GraspParamVector> grad;
  energy.evaluate(ref, {x}, nullptr, &grad, tape);
  int nonzero = 0;
  for (int i = 0; i < kGraspParams; ++i) {
    // The field is read at float positions: steps well above float rounding.
    const double h = 1e-4;
    GraspParamVector xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    const double fd = (energy.evaluate(ref, {xp}, nullptr, nullptr, nullptr).total[0] -
                       energy.evaluate(ref, {xm}, nullptr, nullptr, nullptr).total[0]) /
                      (2 * h);
    EXPECT_NEAR(grad[0][i], fd, rel_tol * std::max(1.0, std::abs(fd))) << "parameter " << i;
    nonzero += grad[0][i] != 0.0;
  }
  // Wrist and most joints move points that the term sees.
  EXPECT_GT(nonzero, 20);
}

TEST(FieldTerms, FeatureTermIsTheMeanL1DistanceToTheDescriptor) {
  const Cylinder c = cylinder();
  FieldConfig fc;
  fc.interpolator = FieldInterpolator::kDense;  // smooth: tight differences
  const FeatureField field(c.points, c.features, fc);
  HandSurfaceConfig sc;
  sc.num_points = 120;
  const HandSurfacePoints surface = sample_hand_surface(fixtures::shadow_hand_model(), sc);
  const GraspOptimizerConfig cfg = only(true);
  const GraspEnergy energy(fixtures::shadow_hand_model(), surface, cfg);
  EnergyReference ref;
  ref.target_field = &field;
  SeededRng rng(3);
  ref.descriptor.resize(surface.size(), field.dim());
  for (Eigen::Index i = 0; i < ref.descriptor.size(); ++i)
    ref.descriptor.data()[i] = static_cast<float>(rng.uniform(-1, 1));
  const GraspParamVector x = side_pose();

  FeaturesF values;
  field.evaluate(energy.surface_points(x), &values);
  double expected = 0.0;
  for (int p = 0; p < surface.size(); ++p)
    expected += (values.row(p) - ref.descriptor.row(p)).cwiseAbs().cast<double>().sum();
  expected /= surface.size();
  const EnergyBatch e = energy.evaluate(ref, {x}, nullptr, nullptr, nullptr);
  EXPECT_NEAR(e.terms.at("feature")[0], expected, 1e-5 * expected);
  EXPECT_EQ(e.terms.count("surface_distance"), 0u);

  FieldTape tape;
  expect_gradient_matches(energy, ref, x, &tape, 3e-2);
  // A wrong descriptor shape is an error, not a silent misread.
  ref.descriptor.resize(surface.size() - 1, field.dim());
  EXPECT_THROW(energy.evaluate(ref, {x}, nullptr, nullptr, nullptr), std::invalid_argument);
}

TEST(FieldTerms, SurfaceDistanceTermIsTheMeanGapOfCappedDistances) {
  const Cylinder c = cylinder();
  const FeatureField field(c.points, c.features, FieldConfig{});
  HandSurfaceConfig sc;
  sc.num_points = 150;
  const HandSurfacePoints surface = sample_hand_surface(fixtures::shadow_hand_model(), sc);
  const GraspOptimizerConfig cfg = only(false);
  const GraspEnergy energy(fixtures::shadow_hand_model(), surface, cfg);
  EnergyReference ref;
  ref.target_field = &field;
  ref.target_cloud = std::make_shared<const NearestPoints>(c.points);
  ref.demo_distance.resize(surface.size());
  for (int p = 0; p < surface.size(); ++p) ref.demo_distance[p] = 0.001 * (p % 25);
  const GraspParamVector x = side_pose();

  const PointsF pts = energy.surface_points(x);
  const double cap = cfg.surface_distance_cap_m;
  double expected = 0.0;
  int capped = 0;
  for (int p = 0; p < surface.size(); ++p) {
    double best = 1e9;
    for (Eigen::Index i = 0; i < c.points.rows(); ++i)
      best = std::min(best, (pts.row(p) - c.points.row(i)).cast<double>().norm());
    capped += best > cap;
    expected += std::abs(std::min(best, cap) - ref.demo_distance[p]);
  }
  expected /= surface.size();
  ASSERT_GT(capped, 0) << "the pose should put some points beyond the cap";
  ASSERT_LT(capped, surface.size());
  const EnergyBatch e = energy.evaluate(ref, {x}, nullptr, nullptr, nullptr);
  EXPECT_NEAR(e.terms.at("surface_distance")[0], expected, 1e-6);
  EXPECT_EQ(e.terms.count("feature"), 0u);
  expect_gradient_matches(energy, ref, x, nullptr, 3e-2);
}

}  // namespace
}  // namespace dffeval
