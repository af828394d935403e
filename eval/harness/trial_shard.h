#pragma once
// Splitting a suite's trials over machines (`dffeval --shard K/N`) and
// putting the shards' result folders back together (`dffeval merge`).
//
// Shard K of N takes the trials whose position in the suite's trial list is
// K-1 modulo N: round robin, so every shard gets a share of every task (the
// expensive source models are per task) and shards take about equally long.
// A trial's outcome depends only on the suite, its seed and id, the method
// and the build, never on which shard ran it, so the merged files are those
// of a single run apart from timings, provenance and cache metadata
// (`method_metrics.source_from_disk_cache`).

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/harness/suite.h"
#include "eval/harness/trial_runner.h"

namespace dffeval {

struct TrialShard {
  int index = 1;  ///< K, from 1
  int count = 1;  ///< N
  nlohmann::json to_json() const { return {{"index", index}, {"count", count}}; }
  std::string label() const { return std::to_string(index) + "/" + std::to_string(count); }
};

/// Parses "K/N" (1 <= K <= N <= 100000); InputError naming the text otherwise.
TrialShard parse_trial_shard(const std::string& text);

/// The trials of one shard, in the suite's order.
std::vector<Trial> shard_trials(const std::vector<Trial>& trials, const TrialShard& shard);

/// Shard result folders read back as one run.
struct MergedRun {
  SuiteSpec suite;
  std::string method;
  /// In the suite's trial order, one per trial.
  std::vector<TrialResult> results;
  /// The longest shard's wall time: the elapsed time when they ran at once.
  double wall_time_s = 0;
  /// {"count": N, "dirs": [...]} for the merged summary.
  nlohmann::json merged_from;
};

/// Reads the result folders of `dffeval --shard K/N` runs (summary.json,
/// resolved_config.json, trials.jsonl) and checks that they are the N
/// shards of one run: each a finished shard, K = 1..N once each, the same
/// suite settings, method, method settings and build, and every trial of
/// the suite present exactly once. The suite is read again from its file
/// and must resolve as the shards recorded it. Throws InputError naming the
/// folder or file and the reason.
MergedRun merge_shard_dirs(const std::vector<std::filesystem::path>& dirs);

}  // namespace dffeval
