#include "eval/harness/suite_runner.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>

namespace dffeval {

std::map<std::string, nlohmann::json> read_partial_results(const std::filesystem::path& file) {
  std::map<std::string, nlohmann::json> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    try {
      auto j = nlohmann::json::parse(line);
      out[j.at("id").get<std::string>()] = j;
    } catch (const std::exception&) {
      // A line torn by a crash: the trial is simply run again.
    }
  }
  return out;
}

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

std::vector<TrialResult> run_trials(const SuiteSpec& suite, const std::vector<Trial>& trials,
                                    const RunOptions& options) {
  const MethodInfo& method = find_method(options.method);
  std::vector<TrialResult> results(trials.size());
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    auto it = options.resumed.find(trials[i].id);
    if (it != options.resumed.end())
      results[i] = trial_result_from_record(trials[i], it->second);
    else
      todo.push_back(i);
  }

  std::ofstream partial;
  if (!options.partial_file.empty()) partial.open(options.partial_file, std::ios::app);
  std::mutex mutex;
  std::atomic<std::size_t> next{0};
  std::size_t done = trials.size() - todo.size(), transfers = 0;
  for (const auto& r : results) transfers += r.transfer;
  const auto t0 = std::chrono::steady_clock::now();
  const bool tty = isatty(STDERR_FILENO);
  if (options.progress && done > 0) {
    fmt::print(stderr, "resuming: {} of {} trials already done\n", done, trials.size());
  }

  auto worker = [&]() {
    std::unique_ptr<TrialRunner> runner;
    while (true) {
      const std::size_t n = next.fetch_add(1);
      if (n >= todo.size()) break;
      const Trial& trial = trials[todo[n]];
      TrialResult r;
      try {
        if (!runner) runner = std::make_unique<TrialRunner>(suite, method);
        r = runner->run(trial);
      } catch (const std::exception& e) {
        // One broken trial must not lose the run.
        r.trial = trial;
        r.failure_mode = "internal_error";
        r.record = {{"id", trial.id},
                    {"index", trial.index},
                    {"task", trial.task},
                    {"category", trial.category},
                    {"object_set", to_string(trial.object_set)},
                    {"scene_set", trial.scene_set},
                    {"seed", trial.seed},
                    {"method", options.method},
                    {"success", false},
                    {"robust", false},
                    {"transfer", false},
                    {"failure_mode", "internal_error"},
                    {"error", e.what()}};
      }
      std::lock_guard<std::mutex> lock(mutex);
      results[todo[n]] = r;
      if (partial.is_open()) partial << r.record.dump() << std::endl;
      ++done;
      transfers += r.transfer;
      if (options.progress) {
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const std::size_t ran = done - (trials.size() - todo.size());
        const double eta = ran ? elapsed / ran * (trials.size() - done) : 0.0;
        fmt::print(stderr, "{}[{:>4}/{}] {:<40} {:<19} {:5.1f}s | {:.0f}% transfer | eta {:.0f}s{}",
                   tty ? "\r\033[K" : "", done, trials.size(), trial.id,
                   r.failure_mode == "none" ? "success" : r.failure_mode, r.timing_s["total"],
                   100.0 * transfers / done, eta, tty && done < trials.size() ? "" : "\n");
      }
    }
  };
  const int jobs = std::max(
      1, std::min<int>(options.jobs, static_cast<int>(std::max<std::size_t>(1, todo.size()))));
  std::vector<std::thread> threads;
  for (int j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  return results;
}

}  // namespace dffeval
