// The refinement network on a rendered scene: training on the source scene's
// cross-view pairs makes the views agree more than the backbone did.

#include "pipeline/field/feature_refiner.h"

#include <gtest/gtest.h>
#include <mujoco/mujoco.h>
#include <torch/torch.h>

#include "eval/harness/demonstration.h"
#include "eval/harness/trial_runner.h"
#include "pipeline/backbone/point_featurizer.h"
#include "pipeline/transfer/observation_field.h"
#include "sim/rgbd_renderer.h"
#include "sim/scene_set.h"
#include "sim/world.h"
#include "tests/fixtures/rendered_demo.h"

namespace dffeval {
namespace {

TEST(FeatureRefiner, LowersTheCrossViewFeatureDistanceOnARenderedScene) {
  at::set_num_threads(1);
  const Observation& obs = fixtures::rendered_demo("mug_wrap").source;

  ObservationFieldConfig scene;
  scene.max_points = 3000;
  const PointCloud cloud = foreground_cloud(obs, scene);
  BackboneConfig backbone;
  backbone.name = "geometric";
  const auto featurizer = make_featurizer(backbone);
  const FeaturesF raw = featurizer->featurize(obs, cloud);
  const PointsF points = points_of(cloud);
  const std::vector<int>& view = cloud.view;

  RefinerConfig rc;
  rc.steps = 200;
  const FeatureRefiner refiner = FeatureRefiner::train(points, view, raw, rc);
  const FeaturesF refined = refiner.apply(raw);
  ASSERT_EQ(refined.rows(), raw.rows());
  ASSERT_EQ(refined.cols(), raw.cols());
  const double before = cross_view_feature_distance(points, view, raw);
  const double after = cross_view_feature_distance(points, view, refined);
  EXPECT_LT(after, 0.8 * before) << "raw " << before << ", refined " << after;
  // The training loss went down.
  const auto& loss = refiner.loss_history();
  ASSERT_GE(loss.size(), 20u);
  double first = 0, last = 0;
  for (int i = 0; i < 10; ++i) first += loss[i], last += loss[loss.size() - 1 - i];
  EXPECT_LT(last, first);
}

}  // namespace
}  // namespace dffeval
