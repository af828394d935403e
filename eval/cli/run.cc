// `dffeval [--suite S] [--method M] ...`: run a suite (the default verb).

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "common/project_paths.h"
#include "common/provenance.h"
#include "eval/cli/verbs.h"
#include "eval/harness/grasp_method.h"
#include "eval/harness/output_folder.h"
#include "eval/harness/partial_results.h"
#include "eval/harness/result_report.h"
#include "eval/harness/suite.h"
#include "eval/harness/suite_runner.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

struct RunArgs {
  std::string suite = "smoke";
  std::string method;
  std::optional<int> trials;
  std::optional<std::uint64_t> seed;
  int jobs = 1;
  std::string out;
  bool resume = false;
  bool quiet = false;
};

/// Set by the first SIGINT: workers finish the trials in hand and stop. A
/// second SIGINT exits at once (the partial file keeps every finished trial).
std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int) {
  if (g_interrupted.exchange(true)) std::_Exit(130);
  constexpr char kMsg[] =
      "\ninterrupted: finishing the trials in flight (Ctrl-C again to stop at once)\n";
  [[maybe_unused]] const auto n = ::write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
}

/// 64-bit FNV-1a as hex: a stable digest for the run fingerprint.
std::string digest(const std::string& text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", h);
}

/// What decides every trial's outcome (see partial_results.h). The build is
/// part of it: another commit may grasp differently.
RunFingerprint fingerprint(const SuiteSpec& suite, const std::string& method,
                           const MethodInfo& info) {
  return {{"record_version", 2},
          {"suite", suite.name},
          {"suite_settings", digest(suite.to_json().dump())},
          {"seed", suite.seed},
          {"method", method},
          {"method_settings", info.settings ? digest(info.settings().dump()) : "none"},
          {"commit", provenance().value("git_commit", "unknown")}};
}

std::string resume_command(const RunArgs& a, const SuiteSpec& suite, const std::string& method,
                           const fs::path& out) {
  std::string cmd = fmt::format("dffeval --suite {} --method {}", a.suite, method);
  if (a.trials) cmd += fmt::format(" --trials {}", *a.trials);
  if (a.seed) cmd += fmt::format(" --seed {}", suite.seed);
  return cmd + fmt::format(" --jobs {} --out {} --resume", a.jobs, out.string());
}

int run_suite(const RunArgs& a) {
  // A missing asset is bad input, reported before any trial runs.
  require_project_file("assets/shadow_hand.xml", "Shadow hand model");
  SuiteSpec suite = load_suite(a.suite);
  if (a.trials) suite.trials = *a.trials;
  if (a.seed) suite.seed = *a.seed;
  const std::string method = a.method.empty() ? suite.method : a.method;
  const MethodInfo& info = find_method(method);
  // The method's settings are read now, not when the results are written.
  const RunFingerprint print = fingerprint(suite, method, info);
  const fs::path out =
      a.out.empty() ? project_root() / "results" / (suite.name + "-" + method) : fs::path(a.out);
  const OutputFolder folder(out);  // locked until the run ends
  const auto trials = expand_trials(suite);

  RunOptions opt;
  opt.method = method;
  opt.jobs = a.jobs;
  opt.progress = !a.quiet;
  opt.stop = &g_interrupted;
  const fs::path partial_path = out / "trials.partial.jsonl";
  ResumedRecords resumed;
  PartialResultsFile partial = a.resume ? PartialResultsFile::resume(partial_path, print, resumed)
                                        : PartialResultsFile::create(partial_path, print);
  opt.resumed = std::move(resumed.records);
  opt.partial = &partial;
  if (resumed.torn_bytes > 0) {
    fmt::print(stderr, "resume: cut off a torn last line ({} bytes) of {}\n", resumed.torn_bytes,
               partial_path.string());
  }
  if (!resumed.rerun_errors.empty()) {
    fmt::print(stderr, "resume: running again {} trial(s) that ended in an error (first: {})\n",
               resumed.rerun_errors.size(), resumed.rerun_errors.front());
  }
  fmt::print(stderr, "suite {} ({} trials), method {}{}, seed {}, {} job(s) -> {}\n", suite.name,
             trials.size(), method,
             info.uses_ground_truth ? " [PRIVILEGED: reads ground truth]" : "", suite.seed, a.jobs,
             out.string());
  const auto t0 = std::chrono::steady_clock::now();
  std::signal(SIGINT, on_sigint);
  std::vector<TrialResult> results;
  try {
    results = run_trials(suite, trials, opt);
  } catch (...) {
    std::signal(SIGINT, SIG_DFL);
    // Stopped before any trial (bad input): a header-only file keeps nothing.
    std::error_code ec;
    if (!a.resume && partial.appended() == 0) fs::remove(partial_path, ec);
    throw;
  }
  std::signal(SIGINT, SIG_DFL);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (g_interrupted) {
    std::vector<TrialResult> finished;
    for (auto& r : results)
      if (!r.trial.id.empty()) finished.push_back(std::move(r));
    write_results(out, suite, method, finished, wall,
                  {{"incomplete", true}, {"trials_planned", trials.size()}});
    fmt::print(stderr,
               "interrupted: {} of {} trials done; summary of those (marked incomplete) in {}\n"
               "resume with: {}\n",
               finished.size(), trials.size(), (out / "summary.json").string(),
               resume_command(a, suite, method, out));
    return 130;
  }
  write_results(out, suite, method, results, wall);
  fs::remove(partial_path);
  std::ifstream table(out / "table.md");
  std::cout << table.rdbuf() << "\n";
  fmt::print(stderr,
             "wrote {}/{{summary.json,trials.jsonl,table.md,table.csv,resolved_config.json}} in "
             "{:.1f} s\n",
             out.string(), wall);
  return 0;
}

}  // namespace

Verb add_run_verb(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  RunArgs& run = *args;
  app.add_option("--suite", run.suite, "suite name in config/suites/ or a path to a .yaml")
      ->capture_default_str();
  app.add_option("--method", run.method, "grasp method (default: the suite's); see `dffeval list`");
  app.add_option("--trials", run.trials,
                 "trials per task x object set x scene set (overrides the suite)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--seed", run.seed, "suite seed, 0 to 2^64-1 (overrides the suite)")
      ->check(CLI::Validator(
          [](const std::string& v) {
            // Digits only (no sign) and inside 64 bits: CLI11 alone would
            // wrap a negative number and saturate a big one.
            errno = 0;
            const bool digits =
                !v.empty() && v.find_first_not_of("0123456789") == std::string::npos;
            if (digits) std::strtoull(v.c_str(), nullptr, 10);
            return digits && errno != ERANGE ? std::string()
                                             : "must be a whole number from 0 to 2^64-1";
          },
          "UINT64"));
  app.add_option("--jobs,-j", run.jobs, "parallel workers; results do not depend on it")
      ->check(CLI::Range(1, 256));
  app.add_option("--out", run.out, "output folder (default: results/SUITE-METHOD)");
  app.add_flag("--resume", run.resume, "skip trials already in OUT/trials.partial.jsonl");
  app.add_flag("--quiet,-q", run.quiet, "no progress lines");

  return {&app, [args] { return run_suite(*args); }};
}

}  // namespace dffeval
