#pragma once
// Runs a suite's trials on J worker threads. Each worker owns its renderer,
// method instance and caches; trials are independent and seeded by their id,
// so results do not depend on J or on scheduling.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "eval/harness/suite.h"
#include "eval/harness/trial_runner.h"

namespace dffeval {

struct RunOptions {
  std::string method;
  int jobs = 1;
  /// Where trials are appended as they finish (crash-safe); empty for none.
  std::filesystem::path partial_file;
  /// Records already done (from a previous, interrupted run), by trial id.
  std::map<std::string, nlohmann::json> resumed;
  /// Print a progress line per finished trial to stderr.
  bool progress = true;
};

/// Runs every trial; a trial that throws is recorded as failed with mode
/// "internal_error" and the run goes on. Results are in trial order.
std::vector<TrialResult> run_trials(const SuiteSpec& suite, const std::vector<Trial>& trials,
                                    const RunOptions& options);

/// Reads a partial JSONL file of an interrupted run (ids -> records); lines
/// that do not parse (a torn last line) are skipped.
std::map<std::string, nlohmann::json> read_partial_results(const std::filesystem::path& file);

/// A TrialResult from a record of trials.jsonl (for resumed runs).
TrialResult trial_result_from_record(const Trial& trial, const nlohmann::json& record);

}  // namespace dffeval
