// SparseDffPipeline on a rendered demonstration scene: the source model is built once per
// observation and kept in memory; the disk cache gives a new pipeline the same field, a
// damaged entry is rebuilt, "off" (in the config or DFFEVAL_CACHE) disables it, a cache
// path that is a file runs uncached; the
// refiner seed is part of the key; the target side reuses the source's refiner and the
// transfer is deterministic per seed; set_torch_threads. Geometric backbone, a few
// refiner steps and optimizer iterations, so that each test takes seconds.

#include "pipeline/transfer/sparsedff_transfer.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "pipeline/transfer/source_model_cache.h"
#include "pipeline/transfer/sparsedff_settings.h"
#include "tests/fixtures/rendered_demo.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

const fixtures::RenderedDemo& demo() { return fixtures::rendered_demo("mug_wrap"); }

SparseDffConfig fast_config(const std::string& cache_dir) {
  set_torch_threads(1);
  SparseDffConfig c = default_sparsedff_config();
  c.backbone.name = "geometric";
  c.refiner.steps = 10;
  c.scene.max_points = 1500;
  c.hand_surface.num_points = 100;
  c.optimizer.starts = 2;
  c.optimizer.start_candidates = 4;
  c.optimizer.iterations = 3;
  c.cache_dir = cache_dir;
  return c;
}

// Sets DFFEVAL_CACHE for one scope and puts back what was there.
class ScopedCacheEnv {
 public:
  explicit ScopedCacheEnv(const std::string& value) {
    if (const char* old = std::getenv("DFFEVAL_CACHE")) old_ = old;
    ::setenv("DFFEVAL_CACHE", value.c_str(), 1);
  }
  ~ScopedCacheEnv() {
    if (old_) {
      ::setenv("DFFEVAL_CACHE", old_->c_str(), 1);
    } else {
      ::unsetenv("DFFEVAL_CACHE");
    }
  }

 private:
  std::optional<std::string> old_;
};

// The same source model: cloud, features, pruning, refiner and field values.
void expect_same_model(const SourceModel& a, const SourceModel& b) {
  ASSERT_TRUE(a.field && b.field);
  EXPECT_EQ(a.field->cloud.p_W, b.field->cloud.p_W);
  EXPECT_EQ(a.field->cloud.pixel, b.field->cloud.pixel);
  EXPECT_EQ(a.field->view, b.field->view);
  EXPECT_EQ(a.field->points, b.field->points);
  EXPECT_EQ(a.field->raw, b.field->raw);
  EXPECT_EQ(a.field->refined, b.field->refined);
  EXPECT_EQ(a.field->kept, b.field->kept);
  EXPECT_EQ(a.centroid, b.centroid);
  ASSERT_EQ(static_cast<bool>(a.refiner), static_cast<bool>(b.refiner));
  if (a.refiner) {
    EXPECT_EQ(a.refiner->apply(a.field->raw), b.refiner->apply(a.field->raw));
  }
  // The fields answer alike, on and off the surface.
  PointsF x = a.field->points.topRows(50);
  x.rowwise() += Eigen::RowVector3f(0.003f, -0.002f, 0.004f);
  FeaturesF fa, fb;
  a.field->field->evaluate(x, &fa);
  b.field->field->evaluate(x, &fb);
  EXPECT_EQ(fa, fb);
}

TEST(SparseDffPipeline, SourceModelIsBuiltOnceAndKeptInMemory) {
  const Observation& obs = demo().source;
  SparseDffPipeline pipeline(fast_config("off"));
  const auto model = pipeline.source_model(obs);
  ASSERT_TRUE(model);
  EXPECT_FALSE(model->from_disk_cache);
  ASSERT_TRUE(model->field);
  ASSERT_TRUE(model->refiner);
  EXPECT_EQ(model->refiner->loss_history().size(), 10u);  // refiner.steps
  const ObservationField& f = *model->field;
  EXPECT_EQ(f.cloud.size(), 1500u);  // scene.max_points
  EXPECT_EQ(f.raw.cols(), pipeline.featurizer().dim());
  EXPECT_EQ(f.field->dim(), pipeline.featurizer().dim());
  EXPECT_EQ(f.refined, model->refiner->apply(f.raw));
  const Eigen::Vector3d mean = f.points.colwise().mean().cast<double>().transpose();
  EXPECT_LT((model->centroid - mean).norm(), 1e-9);
  for (const char* stage : {"source_features", "source_refiner_training", "source_field"}) {
    EXPECT_TRUE(model->timing_s.count(stage)) << stage;
  }

  // The same observation, and an equal copy of it: the same object.
  EXPECT_EQ(pipeline.source_model(obs), model);
  const Observation copy = obs;
  EXPECT_EQ(pipeline.source_model(copy), model);
  // One depth value changed: another source model; the first stays cached.
  Observation changed = obs;
  changed.views[0].depth_m[0] += 0.001f;
  const auto other = pipeline.source_model(changed);
  EXPECT_NE(other, model);
  EXPECT_NE(pipeline.source_cache_key(changed), pipeline.source_cache_key(obs));
  EXPECT_EQ(pipeline.source_model(obs), model);
}

TEST(SparseDffPipeline, RefinerSeedIsPartOfTheKey) {
  const Observation& obs = demo().source;
  const SparseDffConfig config = fast_config("off");
  SparseDffPipeline pipeline(config);
  const auto plain = pipeline.source_model(obs);
  // The config's own seed, given explicitly: the same model.
  EXPECT_EQ(pipeline.source_cache_key(obs, config.refiner.seed), pipeline.source_cache_key(obs));
  EXPECT_EQ(pipeline.source_model(obs, config.refiner.seed), plain);
  // Another seed: another key (the one of a config with that seed) and another refiner, on
  // the same cloud and backbone features.
  const std::uint64_t seed = config.refiner.seed + 41;
  SparseDffConfig reseeded = config;
  reseeded.refiner.seed = seed;
  EXPECT_EQ(pipeline.source_cache_key(obs, seed), source_model_key(reseeded, obs));
  EXPECT_NE(pipeline.source_cache_key(obs, seed), pipeline.source_cache_key(obs));
  const auto other = pipeline.source_model(obs, seed);
  EXPECT_NE(other, plain);
  EXPECT_EQ(other->field->raw, plain->field->raw);
  EXPECT_NE(other->field->refined, plain->field->refined);
  EXPECT_EQ(pipeline.source_model(obs, seed), other);
}

TEST(SparseDffPipeline, WithoutRefinementTheRawFeaturesAreTheField) {
  SparseDffConfig config = fast_config("off");
  config.refine = false;
  SparseDffPipeline pipeline(config);
  const auto model = pipeline.source_model(demo().source);
  EXPECT_FALSE(model->refiner);
  EXPECT_EQ(model->field->refined, model->field->raw);
  EXPECT_FALSE(model->timing_s.count("source_refiner_training"));
}

TEST(SparseDffPipeline, DiskCacheGivesANewPipelineTheSameModel) {
  const Observation& obs = demo().source;
  const fs::path dir = fixtures::fresh_temp_dir("sparsedff_disk_cache");
  const SparseDffConfig config = fast_config(dir.string());
  SparseDffPipeline first(config);
  const auto built = first.source_model(obs);
  EXPECT_FALSE(built->from_disk_cache);
  const std::string key = first.source_cache_key(obs);
  EXPECT_EQ(key, source_model_key(config, obs));
  EXPECT_TRUE(fs::exists(dir / key / "source_cloud.pt"));
  EXPECT_TRUE(fs::exists(dir / key / "refiner.pt"));

  SparseDffPipeline second(config);
  EXPECT_EQ(second.source_cache_key(obs), key);
  const auto loaded = second.source_model(obs);
  EXPECT_TRUE(loaded->from_disk_cache);
  expect_same_model(*built, *loaded);
  // Nothing was built: no feature or training time.
  for (const char* stage : {"source_features", "source_refiner_training"}) {
    const auto it = loaded->timing_s.find(stage);
    if (it != loaded->timing_s.end()) {
      EXPECT_EQ(it->second, 0.0) << stage;
    }
  }
  // And the memory cache holds the loaded one.
  EXPECT_EQ(second.source_model(obs), loaded);
}

TEST(SparseDffPipeline, DamagedDiskEntryIsRebuiltAndReplaced) {
  const Observation& obs = demo().source;
  const fs::path dir = fixtures::fresh_temp_dir("sparsedff_damaged_cache");
  const SparseDffConfig config = fast_config(dir.string());
  const std::string key = source_model_key(config, obs);
  const auto built = SparseDffPipeline(config).source_model(obs);
  std::ofstream(dir / key / "source_cloud.pt", std::ios::trunc) << "damaged";

  const auto rebuilt = SparseDffPipeline(config).source_model(obs);
  EXPECT_FALSE(rebuilt->from_disk_cache);
  expect_same_model(*built, *rebuilt);  // deterministic: the same model again
  // The entry is whole again.
  PointCloud cloud;
  FeaturesF raw;
  std::shared_ptr<const FeatureRefiner> refiner;
  EXPECT_TRUE(load_source_model(dir / key, true, &cloud, &raw, &refiner));
  EXPECT_EQ(cloud.size(), 1500u);
  EXPECT_TRUE(SparseDffPipeline(config).source_model(obs)->from_disk_cache);
}

TEST(SparseDffPipeline, OffDisablesTheDiskCache) {
  const Observation& obs = demo().source;
  const fs::path dir = fixtures::fresh_temp_dir("sparsedff_cache_env");
  const std::string key = source_model_key(fast_config(""), obs);
  {
    const ScopedCacheEnv env(dir.string());
    // "off" in the config: nothing written, even with DFFEVAL_CACHE set.
    EXPECT_FALSE(SparseDffPipeline(fast_config("off")).source_model(obs)->from_disk_cache);
    EXPECT_TRUE(fs::is_empty(dir));
    // No cache_dir: DFFEVAL_CACHE names the folder.
    EXPECT_FALSE(SparseDffPipeline(fast_config("")).source_model(obs)->from_disk_cache);
    EXPECT_TRUE(fs::exists(dir / key / "source_cloud.pt"));
    EXPECT_TRUE(SparseDffPipeline(fast_config("")).source_model(obs)->from_disk_cache);
    // "off" does not read the entry that is there either.
    EXPECT_FALSE(SparseDffPipeline(fast_config("off")).source_model(obs)->from_disk_cache);
  }
  {
    // "off" in DFFEVAL_CACHE disables the default folder; a folder in the config still wins.
    const ScopedCacheEnv env("off");
    EXPECT_FALSE(SparseDffPipeline(fast_config("")).source_model(obs)->from_disk_cache);
    EXPECT_TRUE(SparseDffPipeline(fast_config(dir.string())).source_model(obs)->from_disk_cache);
  }
}

TEST(SparseDffPipeline, AOneTrialSourceSkipsTheDiskCache) {
  const Observation& obs = demo().source;
  const fs::path dir = fixtures::fresh_temp_dir("sparsedff_one_trial_source");
  const SparseDffConfig config = fast_config(dir.string());
  SparseDffPipeline pipeline(config);
  const auto model = pipeline.source_model(obs, std::nullopt, /*use_disk_cache=*/false);
  EXPECT_FALSE(model->from_disk_cache);
  EXPECT_TRUE(fs::is_empty(dir));
  // Kept in memory all the same.
  EXPECT_EQ(pipeline.source_model(obs, std::nullopt, false), model);
  // An entry that is there is not read either.
  SparseDffPipeline(config).source_model(obs);
  EXPECT_FALSE(fs::is_empty(dir));
  EXPECT_FALSE(SparseDffPipeline(config).source_model(obs, std::nullopt, false)->from_disk_cache);
}

TEST(SparseDffPipeline, TheMemoryCacheKeepsTheModelsUsedLast) {
  const Observation& obs = demo().source;
  SparseDffConfig config = fast_config("off");
  config.refine = false;  // the cache's bookkeeping is under test, not the model
  SparseDffPipeline pipeline(config);
  const auto first = pipeline.source_model(obs);
  std::vector<std::shared_ptr<const SourceModel>> others;
  for (std::size_t i = 0; i + 1 < SparseDffPipeline::kMemoryCacheEntries; ++i) {
    Observation changed = obs;
    changed.views[0].depth_m[i] += 0.001f;
    others.push_back(pipeline.source_model(changed));
  }
  // Full, with `first` the oldest: using it makes it the newest, so the next
  // new model pushes out the oldest other one instead.
  EXPECT_EQ(pipeline.source_model(obs), first);
  Observation one_more = obs;
  one_more.views[1].depth_m[0] += 0.001f;
  pipeline.source_model(one_more);
  EXPECT_EQ(pipeline.source_model(obs), first);
  Observation oldest = obs;
  oldest.views[0].depth_m[0] += 0.001f;
  EXPECT_NE(pipeline.source_model(oldest), others.front());  // rebuilt: evicted
  Observation newest = obs;
  newest.views[0].depth_m[others.size() - 1] += 0.001f;
  EXPECT_EQ(pipeline.source_model(newest), others.back());
}

TEST(SparseDffPipeline, ACacheThatIsAFileRunsUncached) {
  const Observation& obs = demo().source;
  const fs::path dir = fixtures::fresh_temp_dir("sparsedff_cache_file");
  std::ofstream(dir / "plain") << "x";
  const ScopedCacheEnv env((dir / "plain").string());
  // Built, not thrown: the cache is an optimisation (a warning goes to stderr).
  const auto model = SparseDffPipeline(fast_config("")).source_model(obs);
  ASSERT_TRUE(model);
  EXPECT_FALSE(model->from_disk_cache);
  EXPECT_TRUE(fs::is_regular_file(dir / "plain"));
}

TEST(SparseDffPipeline, TargetFieldUsesTheSourcesRefinerAndTransferOptimizes) {
  const fixtures::RenderedDemo& d = demo();
  SparseDffPipeline pipeline(fast_config("off"));
  const auto source = pipeline.source_model(d.source);
  // The source scene as a target: the same cloud, features and field.
  const ObservationField target = pipeline.target_field(d.source, *source);
  EXPECT_EQ(target.points, source->field->points);
  EXPECT_EQ(target.raw, source->field->raw);
  EXPECT_EQ(target.refined, source->refiner->apply(target.raw));
  EXPECT_EQ(target.refined, source->field->refined);
  EXPECT_EQ(target.kept, source->field->kept);

  const OptimizedGrasp g = pipeline.transfer(*source, target, d.demo_grasp);
  EXPECT_TRUE(std::isfinite(g.energy.total));
  // The config's seed by default; a given seed is as deterministic.
  const std::uint64_t seed = pipeline.config().optimizer.seed;
  EXPECT_EQ(pipeline.transfer(*source, target, d.demo_grasp, seed).energy.total, g.energy.total);
  const OptimizedGrasp a = pipeline.transfer(*source, target, d.demo_grasp, seed + 7);
  const OptimizedGrasp b = pipeline.transfer(*source, target, d.demo_grasp, seed + 7);
  EXPECT_EQ(a.energy.total, b.energy.total);
  EXPECT_EQ(a.grasp.X_WPalm.matrix(), b.grasp.X_WPalm.matrix());
  EXPECT_EQ(a.grasp.joints_rad, b.grasp.joints_rad);
  EXPECT_EQ(g.start_energies.size(), 2u);  // optimizer.starts
  EXPECT_TRUE(g.grasp.X_WPalm.matrix().allFinite());
  // The palm stays near the object it was placed on.
  EXPECT_LT((g.grasp.X_WPalm.translation() - source->centroid).norm(), 0.3);
}

TEST(SetTorchThreads, SetsLibTorchAndOpenBlasAndClampsToOne) {
  using GetThreads = int (*)();
  auto* openblas = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  for (const auto& [asked, expected] :
       {std::pair{2, 2}, std::pair{0, 1}, std::pair{-3, 1}, std::pair{1, 1}}) {
    set_torch_threads(asked);
    EXPECT_EQ(at::get_num_threads(), expected) << "asked " << asked;
    if (openblas) {
      EXPECT_EQ(openblas(), expected) << "OpenBLAS, asked " << asked;
    }
  }
}

TEST(BlasKernels, NamesTheCoreOpenBlasRunsOn) {
  using CoreName = char* (*)();
  auto* core = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
  if (core) {
    // install_deps.sh installs OpenBLAS: its core type decides the kernels.
    EXPECT_EQ(blas_kernels(), std::string("OpenBLAS ") + core());
    EXPECT_GT(std::string(core()).size(), 0u);
  } else {
    EXPECT_EQ(blas_kernels(), "not OpenBLAS");
  }
}

}  // namespace
}  // namespace dffeval
