// From a rendered demonstration scene to its feature field: foreground_cloud (workspace box,
// table, stride, even subsampling, nothing left), points_of, and build_observation_field's
// stages (raw and refined features, pruned subset, the field over it), with the geometric
// backbone so the tests stay fast.

#include "pipeline/transfer/observation_field.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <stdexcept>

#include "pipeline/backbone/point_featurizer.h"
#include "tests/fixtures/rendered_demo.h"

namespace dffeval {
namespace {

const Observation& scene() { return fixtures::rendered_demo("mug_wrap").source; }

std::unique_ptr<PointFeaturizer> geometric() {
  BackboneConfig backbone;
  backbone.name = "geometric";
  return make_featurizer(backbone);
}

ObservationFieldConfig small_scene() {
  ObservationFieldConfig config;
  config.max_points = 1500;  // seconds, not tens of them, for the whole chain
  return config;
}

TEST(ForegroundCloud, KeepsBackProjectedPixelsInTheWorkspaceAboveTheTable) {
  const Observation& obs = scene();
  ObservationFieldConfig config;
  config.max_points = 0;  // no subsampling
  const PointCloud fg = foreground_cloud(obs, config);
  ASSERT_GT(fg.size(), 3000u);
  ASSERT_EQ(fg.rgb.size(), fg.size());
  ASSERT_EQ(fg.view.size(), fg.size());
  ASSERT_EQ(fg.pixel.size(), fg.size());
  const ForegroundConfig& f = config.foreground;
  std::set<int> views;
  for (std::size_t i = 0; i < fg.size(); ++i) {
    const Eigen::Vector3d& p = fg.p_W[i];
    ASSERT_TRUE((p.array() >= f.box_min_m.array()).all() &&
                (p.array() <= f.box_max_m.array()).all())
        << "point " << i << " at " << p.transpose();
    ASSERT_GT(p.z(), f.table_height_m + f.table_margin_m) << "point " << i;
    // Each point is its pixel seen at its depth, with its colour.
    ASSERT_GE(fg.view[i], 0);
    ASSERT_LT(fg.view[i], static_cast<int>(obs.views.size()));
    const CameraView& view = obs.views[static_cast<std::size_t>(fg.view[i])];
    const int u = fg.pixel[i].x(), v = fg.pixel[i].y();
    ASSERT_TRUE(u >= 0 && u < view.width && v >= 0 && v < view.height);
    ASSERT_LT((backproject_pixel(view, u, v, view.depth_at(u, v)) - p).norm(), 1e-12);
    const std::size_t k = (static_cast<std::size_t>(v) * view.width + u) * 3;
    ASSERT_EQ(fg.rgb[i].x(), view.rgb[k] / 255.f);
    ASSERT_EQ(fg.rgb[i].z(), view.rgb[k + 2] / 255.f);
    views.insert(fg.view[i]);
  }
  // The object is seen by more than one camera (the refiner and pruning rely on it).
  EXPECT_GT(views.size(), 1u);

  // Every second pixel per axis: only even pixels, about a quarter of the points.
  config.backproject_stride = 2;
  const PointCloud strided = foreground_cloud(obs, config);
  for (const Eigen::Vector2i& px : strided.pixel) {
    ASSERT_EQ(px.x() % 2, 0);
    ASSERT_EQ(px.y() % 2, 0);
  }
  EXPECT_GT(strided.size(), fg.size() / 6);
  EXPECT_LT(strided.size(), fg.size() / 3);
}

TEST(ForegroundCloud, SubsamplesEvenlyToMaxPoints) {
  const Observation& obs = scene();
  ObservationFieldConfig config;
  config.max_points = 0;
  const PointCloud full = foreground_cloud(obs, config);
  config.max_points = 1500;
  const PointCloud sub = foreground_cloud(obs, config);
  ASSERT_EQ(sub.size(), 1500u);
  // Point k is point floor(k N / 1500) of the whole cloud, so the order (view, row, column)
  // is kept and every view keeps its share.
  const double step = static_cast<double>(full.size()) / 1500;
  std::set<int> full_views(full.view.begin(), full.view.end());
  std::set<int> sub_views(sub.view.begin(), sub.view.end());
  for (std::size_t k = 0; k < sub.size(); ++k) {
    const auto i = static_cast<std::size_t>(k * step);
    ASSERT_EQ(sub.p_W[k], full.p_W[i]) << "point " << k;
    ASSERT_EQ(sub.pixel[k], full.pixel[i]) << "point " << k;
    ASSERT_EQ(sub.view[k], full.view[i]) << "point " << k;
  }
  EXPECT_EQ(sub_views, full_views);
  // A cap above the cloud's size changes nothing.
  config.max_points = static_cast<int>(full.size()) + 1;
  EXPECT_EQ(foreground_cloud(obs, config).p_W, full.p_W);
}

TEST(ForegroundCloud, ThrowsWhenNothingIsLeft) {
  ObservationFieldConfig config;
  // A workspace box above everything in the scene.
  config.foreground.box_min_m = Eigen::Vector3d(-0.3, -0.3, 2.0);
  config.foreground.box_max_m = Eigen::Vector3d(0.3, 0.3, 3.0);
  EXPECT_THROW(foreground_cloud(scene(), config), std::invalid_argument);
  // And the whole chain with it.
  EXPECT_THROW(build_observation_field(scene(), *geometric(), nullptr, config),
               std::invalid_argument);
}

TEST(PointsOf, RowsAreThePointsInFloat) {
  PointCloud cloud;
  cloud.push_back({0.1, -0.2, 0.3}, {0, 0, 0}, 0, {1, 2});
  cloud.push_back({1.0 / 3, 2.5, -7.0}, {1, 1, 1}, 1, {3, 4});
  const PointsF p = points_of(cloud);
  ASSERT_EQ(p.rows(), 2);
  for (int i = 0; i < 2; ++i)
    for (int c = 0; c < 3; ++c) EXPECT_EQ(p(i, c), static_cast<float>(cloud.p_W[i][c]));
  EXPECT_EQ(points_of(PointCloud{}).rows(), 0);
}

// Everything ObservationField holds, against the stages computed one by one.
void expect_consistent(const ObservationField& f, const PointCloud& cloud, const FeaturesF& raw,
                       const FeaturesF& refined) {
  ASSERT_EQ(f.cloud.p_W, cloud.p_W);
  ASSERT_EQ(f.view, cloud.view);
  ASSERT_EQ(f.points, points_of(cloud));
  ASSERT_EQ(f.raw, raw);
  ASSERT_EQ(f.refined, refined);
  ASSERT_FALSE(f.kept.empty());
  ASSERT_TRUE(std::is_sorted(f.kept.begin(), f.kept.end()));
  ASSERT_EQ(std::adjacent_find(f.kept.begin(), f.kept.end()), f.kept.end());
  ASSERT_LT(f.kept.back(), cloud.size());
  ASSERT_TRUE(f.field);
  ASSERT_EQ(f.field->size(), f.kept.size());
  ASSERT_EQ(f.field->dim(), refined.cols());
  for (std::size_t k = 0; k < f.kept.size(); ++k) {
    ASSERT_EQ(f.field->points().row(k), f.points.row(f.kept[k])) << "kept " << k;
    ASSERT_EQ(f.field->features().row(k), refined.row(f.kept[k])) << "kept " << k;
  }
  for (const char* stage : {"refine", "prune", "field"}) {
    ASSERT_TRUE(f.timing_s.count(stage)) << stage;
    EXPECT_GE(f.timing_s.at(stage), 0.0) << stage;
  }
}

TEST(BuildObservationField, GeometricFeaturesPrunedIntoAField) {
  at::set_num_threads(1);
  const Observation& obs = scene();
  const auto featurizer = geometric();
  const ObservationFieldConfig config = small_scene();
  const ObservationField f = build_observation_field(obs, *featurizer, nullptr, config);

  const PointCloud cloud = foreground_cloud(obs, config);
  ASSERT_EQ(cloud.size(), 1500u);
  const FeaturesF raw = featurizer->featurize(obs, cloud);
  ASSERT_EQ(raw.cols(), featurizer->dim());
  // No refiner: the refined features are the raw ones.
  expect_consistent(f, cloud, raw, raw);
  EXPECT_EQ(f.field->dim(), featurizer->dim());
  // vote_3d keeps round(0.8 N).
  EXPECT_EQ(f.kept.size(), 1200u);
  EXPECT_TRUE(f.timing_s.count("backproject"));
  EXPECT_TRUE(f.timing_s.count("features"));

  // The field at a kept point is that point's feature.
  FeaturesF at_point;
  f.field->evaluate(f.field->points().topRows(1), &at_point);
  EXPECT_LT((at_point.row(0) - f.field->features().row(0)).norm(),
            1e-4 * f.field->features().row(0).norm());
}

TEST(BuildObservationField, RefinedFeaturesAreTheRefinersOutput) {
  at::set_num_threads(1);
  const Observation& obs = scene();
  const auto featurizer = geometric();
  ObservationFieldConfig config = small_scene();
  config.pruning.method = PruningMethod::kNone;
  PointCloud cloud = foreground_cloud(obs, config);
  FeaturesF raw = featurizer->featurize(obs, cloud);
  RefinerConfig rc;
  rc.steps = 20;
  const FeatureRefiner refiner = FeatureRefiner::train(points_of(cloud), cloud.view, raw, rc);
  const FeaturesF refined = refiner.apply(raw);
  ASSERT_NE(refined, raw);

  // Both overloads: from the observation, and from a featurized cloud.
  const ObservationField from_obs = build_observation_field(obs, *featurizer, &refiner, config);
  expect_consistent(from_obs, cloud, raw, refined);
  const ObservationField from_cloud = build_observation_field(cloud, raw, &refiner, config);
  expect_consistent(from_cloud, cloud, raw, refined);
  // Pruning off: every point is kept.
  EXPECT_EQ(from_obs.kept.size(), cloud.size());
}

TEST(BuildObservationField, RejectsMismatchedFeaturesAndAnEmptyPruning) {
  const Observation& obs = scene();
  ObservationFieldConfig config = small_scene();
  PointCloud cloud = foreground_cloud(obs, config);
  const FeaturesF one_short = FeaturesF::Ones(static_cast<Eigen::Index>(cloud.size()) - 1, 4);
  EXPECT_THROW(build_observation_field(cloud, one_short, nullptr, config), std::invalid_argument);
  config.pruning.keep_fraction = 0.0;  // valid, but leaves no point for a field
  const FeaturesF ones = FeaturesF::Ones(static_cast<Eigen::Index>(cloud.size()), 4);
  EXPECT_THROW(build_observation_field(cloud, ones, nullptr, config), std::invalid_argument);
}

}  // namespace
}  // namespace dffeval
