// Grasp optimizer speed: one Adam iteration of the published-size problem
// (10 starts x 500 hand surface points, 31 parameters each) on a rendered
// scene (mug_wrap's source scene, default (learned) backbone, refined, vote-pruned),
// one thread.
//   BM_OptimizerStepKnn    with the kNN field (the default)
//   BM_OptimizerStepDense  with the published dense field
//   BM_OptimizerStepKnnTreeSearch  kNN, KD-tree search without the cell cache
//   BM_OptimizerStepNoField without the feature term (what the rest costs)
// Issue #4's target: kNN at least 50x faster than dense, same run.
// main() is in dffeval_bench.cc.

#include <benchmark/benchmark.h>
#include <mujoco/mujoco.h>
#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>

#include "eval/harness/demonstration.h"
#include "eval/harness/trial_runner.h"
#include "eval/methods/sparsedff_method.h"
#include "pipeline/backbone/point_featurizer.h"
#include "pipeline/field/feature_refiner.h"
#include "pipeline/transfer/observation_field.h"
#include "pipeline/transfer/sparsedff_transfer.h"
#include "sim/rgbd_renderer.h"
#include "sim/scene_set.h"
#include "sim/world.h"
#include "tests/fixtures/rendered_demo.h"

namespace dffeval {
namespace {

struct RenderedSource {
  Observation observation;
  Grasp demo_grasp;
};

const RenderedSource& rendered_source() {
  static const RenderedSource source = [] {
    const fixtures::RenderedDemo& r = fixtures::rendered_demo("mug_wrap");
    return RenderedSource{r.source, r.demo_grasp};
  }();
  return source;
}

void optimizer_step(benchmark::State& state, FieldInterpolator interpolator,
                    bool feature_term = true, bool cell_cache = true) {
  set_torch_threads(1);
  SparseDffConfig config = sparsedff_variant("sparsedff");
  config.cache_dir = "off";
  config.scene.field.interpolator = interpolator;
  if (!feature_term) config.optimizer.weights.feature = 0.0;
  if (!cell_cache) config.scene.field.knn_cell_m = 0.0;
  SparseDffPipeline pipeline(config);
  const RenderedSource& src = rendered_source();
  const auto model = pipeline.source_model(src.observation);
  // The target is the source scene itself: the cost does not depend on it.
  // Each optimization gets a new target field, as each trial does, so that
  // the field's neighbour-search cache starts empty every time.
  const FeatureField& source_field = *model->field->field;
  auto fresh_target = [&] {
    return std::make_unique<FeatureField>(source_field.points(), source_field.features(),
                                          source_field.config());
  };
  std::unique_ptr<FeatureField> target = fresh_target();
  TransferProblem problem;
  problem.source_field = &source_field;
  problem.demo_grasp = src.demo_grasp;
  problem.source_centroid = model->centroid;
  problem.target_field = target.get();
  problem.target_points = model->field->points;
  const GraspOptimizer& optimizer = pipeline.optimizer();
  auto run = optimizer.start(problem);
  int steps = 0;
  // Milliseconds per step by part of the step (the optimizer's own clocks),
  // reported as counters so that one run shows where the time goes.
  std::map<std::string, double> part_s;
  auto collect = [&] {
    for (const auto& [part, s] : optimizer.finish(*run).timing_s) {
      // start() and finish() run outside the timed steps.
      if (part != "start" && part != "finish") part_s[part] += s;
    }
  };
  for (auto _ : state) {
    if (steps == optimizer.config().iterations) {
      state.PauseTiming();
      collect();
      target = fresh_target();
      problem.target_field = target.get();
      run = optimizer.start(problem);
      steps = 0;
      state.ResumeTiming();
    }
    optimizer.step(*run);
    ++steps;
  }
  collect();
  for (const auto& [part, s] : part_s) {
    state.counters[part + "_ms"] = 1e3 * s / static_cast<double>(state.iterations());
  }
  state.counters["field_points"] = static_cast<double>(model->field->field->size());
  state.counters["starts"] = optimizer.config().starts;
}

void BM_OptimizerStepKnn(benchmark::State& state) {
  optimizer_step(state, FieldInterpolator::kKnn);
}
void BM_OptimizerStepDense(benchmark::State& state) {
  optimizer_step(state, FieldInterpolator::kDense);
}
// The step without the feature term (the field is not evaluated; the
// surface-distance term then searches the cloud itself for every point, an
// exact search that the kNN step replaces by its field's search within the
// near radius and the distance grid beyond): what the other parts of the
// step cost, plus that search (its surface_distance_ms).
void BM_OptimizerStepNoField(benchmark::State& state) {
  optimizer_step(state, FieldInterpolator::kKnn, /*feature_term=*/false);
}
// The kNN step with the plain KD-tree search (no cell cache): what the cache
// saves, measured in the same run.
void BM_OptimizerStepKnnTreeSearch(benchmark::State& state) {
  optimizer_step(state, FieldInterpolator::kKnn, /*feature_term=*/true, /*cell_cache=*/false);
}
// Issue #3's aims, one thread: the default backbone's per-point features for
// the 4 views of one scene (320x240; the CNN plus bilinear sampling at the
// foreground points) under 1 s, and refinement training on one source scene
// (the default settings of config/methods/sparsedff.yaml) under 10 s.
struct SourceFeatures {
  PointCloud cloud;
  FeaturesF raw;
};

void BM_BackboneFeatures(benchmark::State& state) {
  set_torch_threads(1);
  const SparseDffConfig config = sparsedff_variant("sparsedff");
  const auto featurizer = make_featurizer(config.backbone);
  const RenderedSource& src = rendered_source();
  const PointCloud cloud = foreground_cloud(src.observation, config.scene);
  for (auto _ : state) {
    benchmark::DoNotOptimize(featurizer->featurize(src.observation, cloud));
  }
  state.counters["views"] = static_cast<double>(src.observation.views.size());
  state.counters["points"] = static_cast<double>(cloud.size());
  state.SetLabel(featurizer->name());
}

void BM_RefinerTraining(benchmark::State& state) {
  set_torch_threads(1);
  const SparseDffConfig config = sparsedff_variant("sparsedff");
  const RenderedSource& src = rendered_source();
  const PointCloud cloud = foreground_cloud(src.observation, config.scene);
  const FeaturesF raw = make_featurizer(config.backbone)->featurize(src.observation, cloud);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        FeatureRefiner::train(points_of(cloud), cloud.view, raw, config.refiner));
  }
  state.counters["points"] = static_cast<double>(cloud.size());
  state.counters["steps"] = config.refiner.steps;
}

BENCHMARK(BM_BackboneFeatures)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_RefinerTraining)->Unit(benchmark::kMillisecond)->Iterations(3);
BENCHMARK(BM_OptimizerStepKnn)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_OptimizerStepKnnTreeSearch)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_OptimizerStepDense)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_OptimizerStepNoField)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace
}  // namespace dffeval
