#pragma once
// The one-shot SparseDFF transfer (reference/sparsedff_method.md): per
// demonstration (source scene) once: back-project, featurize, train the
// refiner, build the source field; cached in memory and on disk
// (source_model_cache.h), so transfers from one demonstration reuse it. Per
// target: the target field with the same backbone and refiner, then the
// grasp optimizer. Observation in, grasp out: nothing here knows of suites or
// the simulator.

#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "hand/hand_model.h"
#include "hand/hand_surface.h"
#include "pipeline/backbone/point_featurizer.h"
#include "pipeline/field/feature_refiner.h"
#include "pipeline/grasp/grasp_optimizer.h"
#include "pipeline/transfer/observation_field.h"

namespace dffeval {

/// Sets LibTorch's intra-op threads (the library starts with 1 here), and
/// OpenBLAS's where it is the BLAS. Results are deterministic for a given
/// thread count; the harness uses 1 per worker.
void set_torch_threads(int threads);

/// Which BLAS kernels LibTorch's matrix products run on: "OpenBLAS CORE"
/// (the core type OpenBLAS picked for this CPU, or OPENBLAS_CORETYPE's), or
/// "not OpenBLAS". Recorded in provenance because the SparseDFF grasps
/// depend on it in their last digits: the same build on an AVX-512 machine
/// (Cooperlake kernels) and an AVX2 one (Haswell) gives other grasps.
std::string blas_kernels();

struct SparseDffConfig {
  BackboneConfig backbone;
  /// Train and apply the refinement network (off: the no-refine ablation).
  bool refine = true;
  RefinerConfig refiner;
  ObservationFieldConfig scene;
  HandSurfaceConfig hand_surface;
  GraspOptimizerConfig optimizer;
  /// Where source fields are cached; empty: results/cache/sparsedff under the
  /// project root (DFFEVAL_CACHE overrides). "off", here or in DFFEVAL_CACHE, disables the disk
  /// cache.
  std::string cache_dir;
};

/// The source side of a transfer, reused across trials.
struct SourceModel {
  std::shared_ptr<const FeatureRefiner> refiner;  // null without refinement
  std::shared_ptr<const ObservationField> field;
  Eigen::Vector3d centroid = Eigen::Vector3d::Zero();
  /// Seconds spent building it (0 when it came from a cache).
  std::map<std::string, double> timing_s;
  bool from_disk_cache = false;
};

/// The pipeline with its heavy parts loaded once: featurizer, hand model,
/// optimizer. Not thread-safe; make one per worker.
class SparseDffPipeline {
 public:
  explicit SparseDffPipeline(SparseDffConfig config);
  ~SparseDffPipeline();

  /// The source model for a demonstration scene (memory cache, then disk
  /// cache, then computed and stored). `refiner_seed` seeds the refiner's
  /// training (unset: RefinerConfig::seed); it is part of the cache key.
  /// `use_disk_cache` false: the disk cache is neither read nor written (a
  /// capture drawn for one trial: some 1.2 MB per entry that no later trial
  /// would read). The memory cache keeps the kMemoryCacheEntries models used
  /// last.
  std::shared_ptr<const SourceModel> source_model(
      const Observation& source, std::optional<std::uint64_t> refiner_seed = std::nullopt,
      bool use_disk_cache = true);
  /// Source models kept in memory: more than a suite's tasks, so that
  /// suites with one capture per task compute each once per worker.
  static constexpr std::size_t kMemoryCacheEntries = 16;
  /// The target scene's field with the source's refiner.
  ObservationField target_field(const Observation& target, const SourceModel& source) const;
  /// The transfer: optimized grasp on the target. `optimizer_seed` seeds the
  /// optimizer's draws (unset: GraspOptimizerConfig::seed).
  OptimizedGrasp transfer(const SourceModel& source, const ObservationField& target,
                          const Grasp& demo_grasp,
                          std::optional<std::uint64_t> optimizer_seed = std::nullopt) const;

  const SparseDffConfig& config() const { return config_; }
  const HandModel& hand() const { return *hand_; }
  const GraspOptimizer& optimizer() const { return *optimizer_; }
  const PointFeaturizer& featurizer() const { return *featurizer_; }
  /// Hex key of the source model of `source` under this config (and
  /// `refiner_seed`, as source_model takes it).
  std::string source_cache_key(const Observation& source,
                               std::optional<std::uint64_t> refiner_seed = std::nullopt) const;

 private:
  SparseDffConfig config_;
  std::unique_ptr<PointFeaturizer> featurizer_;
  std::unique_ptr<HandModel> hand_;
  std::unique_ptr<GraspOptimizer> optimizer_;
  std::map<std::string, std::shared_ptr<const SourceModel>> memory_cache_;
  /// memory_cache_'s keys, oldest use first.
  std::deque<std::string> memory_cache_order_;
  std::filesystem::path cache_dir_;
};

}  // namespace dffeval
