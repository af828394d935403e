#include "eval/harness/suite_runner.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>

#include "sim/world.h"

namespace dffeval {

TrialResult trial_result_from_record(const Trial& trial, const nlohmann::json& record) {
  TrialResult r;
  r.trial = trial;
  r.record = record;
  r.success = record.value("success", false);
  r.robust = record.value("robust", false);
  r.transfer = record.value("transfer", false);
  r.failure_mode = record.value("failure_mode", "none");
  if (record.contains("timing_s"))
    r.timing_s = record["timing_s"].get<std::map<std::string, double>>();
  return r;
}

namespace {
/// The record of a trial that threw.
TrialResult error_result(const Trial& trial, const std::string& method, const std::string& mode,
                         const std::string& error) {
  TrialResult r;
  r.trial = trial;
  r.failure_mode = mode;
  r.record = trial_identity(trial, method);
  r.record["success"] = false;
  r.record["robust"] = false;
  r.record["transfer"] = false;
  r.record["failure_mode"] = mode;
  r.record["error"] = error;
  return r;
}
}  // namespace

std::vector<TrialResult> run_trials(const SuiteSpec& suite, const std::vector<Trial>& trials,
                                    const RunOptions& options) {
  const MethodInfo& method = find_method(options.method);
  std::vector<TrialResult> results(trials.size());
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    auto it = options.resumed.find(trials[i].id);
    if (it != options.resumed.end())
      results[i] = trial_result_from_record(trials[i], it->second);
    else
      pending.push_back(i);
  }

  // Built here, on the caller's thread, so that bad input stops the run
  // before any trial (see the header); the first worker then uses it.
  std::unique_ptr<TrialRunner> first;
  if (!pending.empty()) {
    std::vector<std::string> tasks, scene_sets;
    for (std::size_t i : pending) {
      if (std::find(tasks.begin(), tasks.end(), trials[i].task) == tasks.end())
        tasks.push_back(trials[i].task);
      if (std::find(scene_sets.begin(), scene_sets.end(), trials[i].scene_set) == scene_sets.end())
        scene_sets.push_back(trials[i].scene_set);
    }
    first = std::make_unique<TrialRunner>(suite, method);
    first->prepare(tasks, scene_sets);
  }
  std::mutex mutex;
  std::atomic<std::size_t> next{0};
  std::size_t done = trials.size() - pending.size(), transfers = 0;
  for (const auto& r : results) transfers += r.transfer;
  const auto t0 = std::chrono::steady_clock::now();
  const bool tty = isatty(STDERR_FILENO);
  if (options.progress && done > 0) {
    fmt::print(stderr, "resuming: {} of {} trials already done\n", done, trials.size());
  }

  auto worker = [&](std::unique_ptr<TrialRunner> runner) {
    while (true) {
      if (options.stop && options.stop->load()) break;
      const std::size_t n = next.fetch_add(1);
      if (n >= pending.size()) break;
      const Trial& trial = trials[pending[n]];
      TrialResult r;
      try {
        if (!runner) runner = std::make_unique<TrialRunner>(suite, method);
        r = runner->run(trial);
      } catch (const SimulationError& e) {
        r = error_result(trial, options.method, "sim_error", e.what());  // diverged settling
      } catch (const std::exception& e) {
        // One broken trial must not lose the run.
        r = error_result(trial, options.method, "internal_error", e.what());
      }
      std::lock_guard<std::mutex> lock(mutex);
      results[pending[n]] = r;
      if (options.partial) options.partial->append(r.record);
      ++done;
      transfers += r.transfer;
      if (options.progress) {
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const std::size_t ran = done - (trials.size() - pending.size());
        const double eta = ran ? elapsed / ran * (trials.size() - done) : 0.0;
        fmt::print(stderr, "{}[{:>4}/{}] {:<40} {:<19} {:5.1f}s | {:.0f}% transfer | eta {:.0f}s{}",
                   tty ? "\r\033[K" : "", done, trials.size(), trial.id,
                   r.failure_mode == "none" ? "success" : r.failure_mode, r.timing_s["total"],
                   100.0 * transfers / done, eta, tty && done < trials.size() ? "" : "\n");
      }
    }
  };
  const int jobs = std::max(
      1, std::min<int>(options.jobs, static_cast<int>(std::max<std::size_t>(1, pending.size()))));
  std::vector<std::thread> threads;
  // A worker that throws (a failed write of the partial file) stops the run:
  // the others finish their trial in hand, then the error is rethrown.
  std::exception_ptr error;
  auto guarded = [&](std::unique_ptr<TrialRunner> runner) {
    try {
      worker(std::move(runner));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      if (!error) error = std::current_exception();
      next = pending.size();
    }
  };
  for (int j = 1; j < jobs; ++j) threads.emplace_back(guarded, nullptr);
  guarded(std::move(first));
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
  return results;
}

}  // namespace dffeval
