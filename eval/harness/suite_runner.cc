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

/// Runs one trial; a trial that throws becomes its error record.
TrialResult run_guarded(std::unique_ptr<TrialRunner>& runner, const SuiteSpec& suite,
                        const MethodInfo& method, const std::string& method_name,
                        const Trial& trial) {
  try {
    if (!runner) runner = std::make_unique<TrialRunner>(suite, method);
    return runner->run(trial);
  } catch (const SimulationError& e) {
    return error_result(trial, method_name, "sim_error", e.what());  // diverged settling
  } catch (const std::exception& e) {
    // One broken trial must not lose the run.
    return error_result(trial, method_name, "internal_error", e.what());
  }
}

/// The tasks and scene sets of `trials` at `positions`, in first-seen order.
std::pair<std::vector<std::string>, std::vector<std::string>> tasks_and_scene_sets(
    const std::vector<Trial>& trials, const std::vector<std::size_t>& positions) {
  std::vector<std::string> tasks, scene_sets;
  for (std::size_t i : positions) {
    if (std::find(tasks.begin(), tasks.end(), trials[i].task) == tasks.end())
      tasks.push_back(trials[i].task);
    if (std::find(scene_sets.begin(), scene_sets.end(), trials[i].scene_set) == scene_sets.end())
      scene_sets.push_back(trials[i].scene_set);
  }
  return {tasks, scene_sets};
}
}  // namespace

std::size_t serve_trials(const SuiteSpec& suite, const std::vector<Trial>& trials,
                         const std::string& method, TrialChannel& channel) {
  const MethodInfo& info = find_method(method);
  std::vector<std::size_t> all(trials.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  const auto [tasks, scene_sets] = tasks_and_scene_sets(trials, all);
  auto runner = std::make_unique<TrialRunner>(suite, info);
  runner->prepare(tasks, scene_sets);
  std::size_t ran = 0;
  for (auto next = channel.exchange(0, nullptr); next; ++ran) {
    if (*next >= trials.size())
      throw std::runtime_error(
          fmt::format("serve_trials: trial index {} of {}", *next, trials.size()));
    const TrialResult r = run_guarded(runner, suite, info, method, trials[*next]);
    next = channel.exchange(*next, &r.record);
  }
  return ran;
}

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
    const auto [tasks, scene_sets] = tasks_and_scene_sets(trials, pending);
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

  // Under the mutex: keeps the result, appends it to the partial file and
  // prints the progress line.
  auto finish = [&](std::size_t position, TrialResult r) {
    const Trial& trial = trials[position];
    results[position] = std::move(r);
    const TrialResult& kept = results[position];
    if (options.partial) options.partial->append(kept.record);
    ++done;
    transfers += kept.transfer;
    if (options.progress) {
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const std::size_t ran = done - (trials.size() - pending.size());
      const double eta = ran ? elapsed / ran * (trials.size() - done) : 0.0;
      const auto total = kept.timing_s.find("total");
      fmt::print(stderr, "{}[{:>4}/{}] {:<40} {:<19} {:5.1f}s | {:.0f}% transfer | eta {:.0f}s{}",
                 tty ? "\r\033[K" : "", done, trials.size(), trial.id,
                 kept.failure_mode == "none" ? "success" : kept.failure_mode,
                 total == kept.timing_s.end() ? 0.0 : total->second, 100.0 * transfers / done, eta,
                 tty && done < trials.size() ? "" : "\n");
    }
  };
  auto take = [&]() -> std::optional<std::size_t> {
    if (options.stop && options.stop->load()) return std::nullopt;
    const std::size_t n = next.fetch_add(1);
    if (n >= pending.size()) return std::nullopt;
    return pending[n];
  };
  auto worker = [&](std::unique_ptr<TrialRunner> runner) {
    const TrialHook hook = options.per_worker_hook ? options.per_worker_hook() : TrialHook();
    while (const auto position = take()) {
      TrialResult r = run_guarded(runner, suite, method, options.method, trials[*position]);
      if (hook) hook(r);
      std::lock_guard<std::mutex> lock(mutex);
      finish(*position, std::move(r));
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
  if (options.remote) {  // even with nothing pending: it tells the workers to stop
    threads.emplace_back([&] {
      try {
        const TrialHook hook = options.per_worker_hook ? options.per_worker_hook() : TrialHook();
        options.remote->serve(take, [&](std::size_t position, const nlohmann::json& record) {
          TrialResult r = trial_result_from_record(trials[position], record);
          if (hook) hook(r);
          std::lock_guard<std::mutex> lock(mutex);
          finish(position, std::move(r));
        });
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!error) error = std::current_exception();
        next = pending.size();
      }
    });
  }
  guarded(std::move(first));
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
  return results;
}

}  // namespace dffeval
