#pragma once
// `dffeval train-backbone`: renders the training set (seen instances only),
// trains the learned backbone, scores it on held-out scenes and writes the
// weights with a JSON sidecar that says how they were made.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "eval/harness/backbone_dataset.h"
#include "pipeline/backbone/backbone_training.h"

namespace dffeval {

struct TrainBackboneOptions {
  /// Optimizer steps (overrides training.steps), >= 1.
  int steps = 1000;
  /// Training scenes rendered (overrides dataset.scenes), >= 1.
  int scenes = 48;
  /// The one seed everything derives from (dataset, initialization,
  /// training, held-out scenes).
  std::uint64_t seed = 1;
  /// Weights file; relative paths are under the project root. The sidecar
  /// goes beside it with the extension .json.
  std::string out_path = "assets/backbone/learned_backbone.pt";
  /// LibTorch intra-op threads (results are reproducible for a given count);
  /// <= 0 leaves LibTorch's default.
  int threads = 2;
  /// Held-out scenes of seen instances (other seeds) scored before and after
  /// training, and held-out scenes of novel instances scored after training
  /// (evaluation only; novel instances are never trained on). 0: skip.
  int heldout_scenes = 6;
  int novel_scenes = 6;
  /// The command line that started the job, recorded in the sidecar.
  std::string command_line;
  /// Descriptor dimension D of the net.
  int feature_dim = 32;
  /// Everything else; steps, scenes and seeds above take precedence.
  BackboneTrainingOptions training;
  BackboneDatasetOptions dataset;
};

/// What the job measured (also in the sidecar).
struct TrainBackboneReport {
  std::string weights_path;
  std::string sidecar_path;
  std::vector<double> loss_history;
  nlohmann::json sidecar;
};

/// Runs the job, printing progress and the loss to `log`. Throws InputError
/// for invalid options.
TrainBackboneReport run_train_backbone(const TrainBackboneOptions& options, std::ostream& log);

}  // namespace dffeval
