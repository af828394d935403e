#pragma once
// Runs a suite's trials on J worker threads. Each worker owns its renderer,
// method instance and caches; trials are independent and seeded by their id,
// so results do not depend on J or on scheduling.

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "eval/harness/partial_results.h"
#include "eval/harness/suite.h"
#include "eval/harness/trial_runner.h"

namespace dffeval {

/// Trials run by other processes (the ranks of an MPI run,
/// eval/harness/mpi_trial_pool.h). run_trials calls serve() on a thread of
/// its own, beside its local workers, all taking from one queue.
class RemoteWorkers {
 public:
  virtual ~RemoteWorkers() = default;
  /// Hands out the indices `take` gives (into run_trials' `trials`) to the
  /// remote workers as they ask, passes each record they send back to
  /// `finished`, and returns once `take` is exhausted and every remote
  /// worker has been told to stop.
  virtual void serve(const std::function<std::optional<std::size_t>()>& take,
                     const std::function<void(std::size_t, const nlohmann::json&)>& finished) = 0;
};

/// The worker's end of RemoteWorkers, in the other process.
class TrialChannel {
 public:
  virtual ~TrialChannel() = default;
  /// Sends the record of trial `index` (none on the first call: nullptr)
  /// and returns the index of the next trial to run, or nullopt to stop.
  virtual std::optional<std::size_t> exchange(std::size_t index, const nlohmann::json* record) = 0;
};

/// Something done with each finished trial on the thread that has it (a
/// video of it), before it is kept.
using TrialHook = std::function<void(const TrialResult&)>;

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
  /// Other processes that take trials too (null: this process runs all).
  RemoteWorkers* remote = nullptr;
  /// Called once by each worker thread (and the thread serving `remote`)
  /// for the hook it then calls on every trial it finishes; what the hook
  /// owns (a renderer) lives and dies on that thread. Empty: no hook.
  std::function<TrialHook()> per_worker_hook;
};

/// Runs every trial; a trial that throws is recorded as failed with mode
/// "internal_error" and the run goes on. Results are in trial order.
/// Before any trial, the world, the scene sets, the demonstrations and the
/// method (with its per-source work) are built once for the tasks to run:
/// a broken asset or settings file throws from here, so it never turns into
/// a table of failed trials.
std::vector<TrialResult> run_trials(const SuiteSpec& suite, const std::vector<Trial>& trials,
                                    const RunOptions& options);

/// The worker side of a distributed run: builds the world, scene sets,
/// demonstrations and method for every trial of `trials` (bad input throws,
/// as in run_trials), then runs the trials `channel` hands out, one at a
/// time, and sends back their records, until it says stop. Returns how many
/// trials it ran.
std::size_t serve_trials(const SuiteSpec& suite, const std::vector<Trial>& trials,
                         const std::string& method, TrialChannel& channel);

/// A TrialResult from a record of trials.jsonl (for resumed runs).
TrialResult trial_result_from_record(const Trial& trial, const nlohmann::json& record);

}  // namespace dffeval
