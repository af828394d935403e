#pragma once
// sparsedff: the full SparseDFF method in the harness, and its ablations.
//
// Per demonstration (source scene) once: back-project, featurize, train the
// refiner, build the source field; cached in memory per worker and on disk
// (keyed by a hash of the source observation and every setting that shapes the
// result), so trials of one task reuse it. Per trial: the target field with the
// same backbone and refiner, then the grasp optimizer.

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "eval/grasp_method.h"
#include "pipeline/feature_refiner.h"
#include "pipeline/grasp_optimizer.h"
#include "pipeline/hand_kinematics.h"
#include "pipeline/hand_surface.h"
#include "pipeline/point_featurizer.h"
#include "pipeline/scene_field.h"

namespace dffeval {

class StrictYaml;

struct SparseDffConfig {
  BackboneConfig backbone;
  /// Train and apply the refinement network (off: the no-refine ablation).
  bool refine = true;
  RefinerConfig refiner;
  SceneFieldConfig scene;
  HandSurfaceConfig hand_surface;
  GraspOptimizerConfig optimizer;
  /// Where source fields are cached; empty: results/cache/sparsedff under the
  /// project root (DFFEVAL_CACHE overrides). "off", here or in DFFEVAL_CACHE, disables the disk
  /// cache.
  std::string cache_dir;
};

/// Reads config/methods/sparsedff.yaml-shaped YAML; missing keys keep their
/// defaults, unknown keys throw InputError naming the file and key.
SparseDffConfig read_sparsedff_config(const StrictYaml& node);
/// The shipped defaults: config/methods/sparsedff.yaml.
SparseDffConfig default_sparsedff_config();

/// The settings of the method `name` ("sparsedff" or one of its ablations:
/// "no-refine", "no-prune", "dense-field", "geometric").
SparseDffConfig sparsedff_variant(const std::string& name);

/// What a run of `name` depends on beyond the suite, for resolved_config.json:
/// the settings file (path and text) and the variant's one change.
nlohmann::json sparsedff_settings_record(const std::string& name);

/// The source side of a transfer, reused across trials.
struct SourceModel {
  std::shared_ptr<const FeatureRefiner> refiner;  // null without refinement
  std::shared_ptr<const SceneField> field;
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
  /// cache, then computed and stored).
  std::shared_ptr<const SourceModel> source_model(const Observation& source);
  /// The target scene's field with the source's refiner.
  SceneField target_field(const Observation& target, const SourceModel& source) const;
  /// The transfer: optimized grasp on the target.
  OptimizedGrasp transfer(const SourceModel& source, const SceneField& target,
                          const Grasp& demo_grasp) const;

  const SparseDffConfig& config() const { return config_; }
  const HandKinematics& hand() const { return *hand_; }
  const GraspOptimizer& optimizer() const { return *optimizer_; }
  const PointFeaturizer& featurizer() const { return *featurizer_; }
  /// Hex key of the source model of `source` under this config.
  std::string source_cache_key(const Observation& source) const;

 private:
  SparseDffConfig config_;
  std::unique_ptr<PointFeaturizer> featurizer_;
  std::unique_ptr<HandKinematics> hand_;
  std::unique_ptr<GraspOptimizer> optimizer_;
  std::map<std::string, std::shared_ptr<const SourceModel>> memory_cache_;
  std::filesystem::path cache_dir_;
};

class SparseDffMethod : public GraspMethod {
 public:
  explicit SparseDffMethod(SparseDffConfig config);
  MethodOutput plan(const MethodInput& input) override;

 private:
  SparseDffPipeline pipeline_;
  /// Source models whose build time was already reported by a trial.
  std::set<const SourceModel*> reported_;
};

/// Registers sparsedff and its ablations (called by register_builtin_methods).
void register_sparsedff_methods();

}  // namespace dffeval
