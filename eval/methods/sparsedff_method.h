#pragma once
// sparsedff: the SparseDFF transfer (pipeline/transfer) as a harness method,
// and its ablations, each one change of config/methods/sparsedff.yaml.

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "eval/harness/grasp_method.h"
#include "pipeline/transfer/sparsedff_transfer.h"

namespace dffeval {

/// The settings of the method `name` ("sparsedff" or one of its ablations:
/// "no-refine", "no-prune", "dense-field", "geometric").
SparseDffConfig sparsedff_variant(const std::string& name);

/// What a run of `name` depends on beyond the suite, for resolved_config.json:
/// the settings file (path and text) and the variant's one change.
nlohmann::json sparsedff_settings_record(const std::string& name);

class SparseDffMethod : public GraspMethod {
 public:
  explicit SparseDffMethod(SparseDffConfig config);
  MethodOutput plan(const MethodInput& input) override;
  /// Builds the source model (backbone, features, refiner) of `input.source`.
  void prepare(const MethodInput& input) override;

 private:
  SparseDffPipeline pipeline_;
  /// Source keys (MethodInput::source_key) whose model's build time was
  /// already reported by a trial.
  std::set<std::string> reported_;
};

/// Registers sparsedff and its ablations (called by register_builtin_methods).
void register_sparsedff_methods();

}  // namespace dffeval
