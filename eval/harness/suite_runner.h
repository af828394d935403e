#pragma once
// Runs a suite's trials on J worker threads. Each worker owns its renderer,
// method instance and caches; trials are independent and seeded by their id,
// so results do not depend on J or on scheduling.

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "eval/harness/partial_results.h"
#include "eval/harness/suite.h"
#include "eval/harness/trial_runner.h"

namespace dffeval {

struct RunOptions {
  std::string method;
  int jobs = 1;
  /// Where trials are appended as they finish (crash-safe); null for none.
  PartialResultsFile* partial = nullptr;
  /// Records already done (from a previous, interrupted run), by trial id.
  std::map<std::string, nlohmann::json> resumed;
  /// Print a progress line per finished trial to stderr.
  bool progress = true;
  /// When set (e.g. by SIGINT), workers finish the trial in hand and take no
  /// new one; the trials not run are left default (empty id) in the result.
  const std::atomic<bool>* stop = nullptr;
};

/// Runs every trial; a trial that throws is recorded as failed with mode
/// "internal_error" and the run goes on. Results are in trial order.
/// Before any trial, the world, the scene sets, the demonstrations and the
/// method (with its per-source work) are built once for the tasks to run:
/// a broken asset or settings file throws from here, so it never turns into
/// a table of failed trials.
std::vector<TrialResult> run_trials(const SuiteSpec& suite, const std::vector<Trial>& trials,
                                    const RunOptions& options);

/// A TrialResult from a record of trials.jsonl (for resumed runs).
TrialResult trial_result_from_record(const Trial& trial, const nlohmann::json& record);

}  // namespace dffeval
