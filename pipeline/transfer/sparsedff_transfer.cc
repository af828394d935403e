#include "pipeline/transfer/sparsedff_transfer.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/input_error.h"
#include "common/project_paths.h"
#include "common/results_root.h"
#include "common/stopwatch.h"
#include "pipeline/transfer/source_model_cache.h"

namespace dffeval {

void set_torch_threads(int threads) {
  at::set_num_threads(std::max(1, threads));
  // LibTorch on Debian calls OpenBLAS (libopenblas0-pthread), whose own thread
  // pool ignores at::set_num_threads and spins in sched_yield beside the
  // harness's workers: one optimizer iteration took 37 ms instead of 30 ms
  // (BM_OptimizerStepKnn). Looked up at run time: with reference BLAS the
  // symbol is absent and nothing needs doing.
  using SetThreads = void (*)(int);
  if (auto* set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set(std::max(1, threads));
  }
}

std::string blas_kernels() {
  using CoreName = char* (*)();
  if (auto* core = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename"))) {
    if (const char* name = core()) return std::string("OpenBLAS ") + name;
    return "OpenBLAS";
  }
  return "not OpenBLAS";
}

SparseDffPipeline::SparseDffPipeline(SparseDffConfig config) : config_(std::move(config)) {
  featurizer_ = make_featurizer(config_.backbone);
  hand_ = std::make_unique<HandModel>(HandModel::load());
  optimizer_ = std::make_unique<GraspOptimizer>(
      *hand_, sample_hand_surface(*hand_, config_.hand_surface), config_.optimizer);
  if (config_.cache_dir != "off") {
    if (!config_.cache_dir.empty()) {
      cache_dir_ = resolve_project_path(config_.cache_dir);
    } else if (const char* env = std::getenv("DFFEVAL_CACHE"); env && *env) {
      // "off" disables the disk cache, as the config key does.
      if (std::string(env) != "off") cache_dir_ = env;
    } else {
      cache_dir_ = results_root() / "cache" / "sparsedff";
    }
    // A cache that cannot be used costs time, not results: warn once and
    // run uncached rather than fail every trial.
    std::error_code ec;
    if (!cache_dir_.empty()) std::filesystem::create_directories(cache_dir_, ec);
    if (!cache_dir_.empty() && !std::filesystem::is_directory(cache_dir_, ec)) {
      static std::atomic<bool> warned{false};
      if (!warned.exchange(true)) {
        std::fprintf(stderr,
                     "warning: source-model cache '%s' is not a usable folder; running "
                     "without the disk cache\n",
                     cache_dir_.c_str());
      }
      cache_dir_.clear();
    }
  }
}

SparseDffPipeline::~SparseDffPipeline() = default;

std::string SparseDffPipeline::source_cache_key(const Observation& source,
                                                std::optional<std::uint64_t> refiner_seed) const {
  SparseDffConfig config = config_;
  if (refiner_seed) config.refiner.seed = *refiner_seed;
  return source_model_key(config, source);
}

std::shared_ptr<const SourceModel> SparseDffPipeline::source_model(
    const Observation& source, std::optional<std::uint64_t> refiner_seed, bool use_disk_cache) {
  const std::string key = source_cache_key(source, refiner_seed);
  RefinerConfig refiner_config = config_.refiner;
  if (refiner_seed) refiner_config.seed = *refiner_seed;
  if (auto it = memory_cache_.find(key); it != memory_cache_.end()) {
    memory_cache_order_.erase(
        std::find(memory_cache_order_.begin(), memory_cache_order_.end(), key));
    memory_cache_order_.push_back(key);
    return it->second;
  }

  auto model = std::make_shared<SourceModel>();
  PointCloud cloud;
  FeaturesF raw;
  std::shared_ptr<const FeatureRefiner> refiner;
  const std::filesystem::path dir =
      cache_dir_.empty() || !use_disk_cache ? std::filesystem::path() : cache_dir_ / key;
  bool cached = false;
  if (!dir.empty()) {
    try {
      cached = load_source_model(dir, config_.refine, &cloud, &raw, &refiner);
    } catch (const std::exception&) {
      cached = false;  // a damaged entry is recomputed and replaced below
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
  if (!cached) {
    auto t0 = std::chrono::steady_clock::now();
    const Observation aligned = rig_aligned(source, config_.scene);
    cloud = foreground_cloud(aligned, config_.scene);
    raw = featurizer_->featurize(aligned, cloud);
    model->timing_s["source_features"] = seconds_since(t0);
    if (config_.refine) {
      t0 = std::chrono::steady_clock::now();
      refiner = std::make_shared<const FeatureRefiner>(
          FeatureRefiner::train(points_of(cloud), cloud.view, raw, refiner_config));
      model->timing_s["source_refiner_training"] = seconds_since(t0);
    }
    if (!dir.empty()) {
      std::filesystem::create_directories(dir.parent_path());
      save_source_model(dir, cloud, raw, refiner.get());
    }
  }
  model->from_disk_cache = cached;
  model->refiner = refiner;
  auto t0 = std::chrono::steady_clock::now();
  model->field = std::make_shared<const ObservationField>(
      build_observation_field(std::move(cloud), std::move(raw), refiner.get(), config_.scene));
  model->timing_s["source_field"] = seconds_since(t0);
  model->centroid = model->field->points.colwise().mean().cast<double>().transpose();
  memory_cache_[key] = model;
  memory_cache_order_.push_back(key);
  if (memory_cache_order_.size() > kMemoryCacheEntries) {
    memory_cache_.erase(memory_cache_order_.front());
    memory_cache_order_.pop_front();
  }
  return model;
}

ObservationField SparseDffPipeline::target_field(const Observation& target,
                                                 const SourceModel& source) const {
  return build_observation_field(target, *featurizer_, source.refiner.get(), config_.scene);
}

OptimizedGrasp SparseDffPipeline::transfer(const SourceModel& source,
                                           const ObservationField& target, const Grasp& demo_grasp,
                                           std::optional<std::uint64_t> optimizer_seed) const {
  TransferProblem problem;
  problem.source_field = source.field->field.get();
  problem.demo_grasp = demo_grasp;
  problem.source_centroid = source.centroid;
  problem.target_field = target.field.get();
  problem.target_points = target.points;
  problem.seed = optimizer_seed;
  return optimizer_->optimize(problem);
}

}  // namespace dffeval
