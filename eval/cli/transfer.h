#pragma once
// `dffeval transfer`: one source capture with its demonstration, one target
// capture; optimize the grasp, write it and a picture, optionally execute it
// in the simulator (the original implementation's unified_optimize.py).

#include <cstdint>
#include <ostream>
#include <string>

namespace dffeval {

struct TransferOptions {
  /// Source capture folder (render layout). Empty: the demonstration's own
  /// source scene is rendered.
  std::string source_dir;
  /// Target capture folder. Empty: a scene is drawn from the options below.
  std::string target_dir;
  /// Demonstration: a task name or a YAML file (default: the embedded demo).
  std::string demo = "mug_wrap";
  /// sparsedff or one of its ablations.
  std::string method = "sparsedff";
  std::string out = "results/transfer";
  /// Execute the grasp in the simulator (needs a target whose scene is known:
  /// a drawn one, or a capture written by `dffeval render`).
  bool execute = false;
  /// The drawn target: the demonstration's category, this instance set and
  /// index, in this scene set, with this seed.
  std::string target_set = "novel";
  int target_index = 0;
  std::string scene_set = "clean";
  std::uint64_t seed = 1;
};

/// Returns the exit code (0, or 1 when --execute was asked and the grasp
/// failed is still 0: a failed grasp is a result, not an error).
int run_transfer(const TransferOptions& options, std::ostream& log);

}  // namespace dffeval
