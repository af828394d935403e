// `dffeval [--suite S] [--method M] ...`: run a suite (the default verb).

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "common/project_paths.h"
#include "eval/cli/verbs.h"
#include "eval/harness/grasp_method.h"
#include "eval/harness/result_report.h"
#include "eval/harness/suite.h"
#include "eval/harness/suite_runner.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

struct RunArgs {
  std::string suite = "smoke";
  std::string method;
  int trials = 0;
  long long seed = -1;
  int jobs = 1;
  std::string out;
  bool resume = false;
  bool quiet = false;
};

int run_suite(const RunArgs& a) {
  // A missing asset is bad input, reported before any trial runs.
  require_project_file("assets/shadow_hand.xml", "Shadow hand model");
  SuiteSpec suite = load_suite(a.suite);
  if (a.trials > 0) suite.trials = a.trials;
  if (a.seed >= 0) suite.seed = static_cast<std::uint64_t>(a.seed);
  const std::string method = a.method.empty() ? suite.method : a.method;
  const MethodInfo& info = find_method(method);
  const fs::path out =
      a.out.empty() ? project_root() / "results" / (suite.name + "-" + method) : fs::path(a.out);
  fs::create_directories(out);
  const auto trials = expand_trials(suite);

  RunOptions opt;
  opt.method = method;
  opt.jobs = a.jobs;
  opt.progress = !a.quiet;
  opt.partial_file = out / "trials.partial.jsonl";
  if (a.resume) {
    for (auto& [id, rec] : read_partial_results(opt.partial_file)) {
      if (rec.value("method", "") == method) opt.resumed[id] = rec;
    }
  } else {
    fs::remove(opt.partial_file);
  }
  fmt::print(stderr, "suite {} ({} trials), method {}{}, seed {}, {} job(s) -> {}\n", suite.name,
             trials.size(), method,
             info.uses_ground_truth ? " [PRIVILEGED: reads ground truth]" : "", suite.seed, a.jobs,
             out.string());
  const auto t0 = std::chrono::steady_clock::now();
  const auto results = run_trials(suite, trials, opt);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  write_results(out, suite, method, results, wall);
  fs::remove(opt.partial_file);
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
                 "trials per task x object set x scene set (overrides the suite)");
  app.add_option("--seed", run.seed, "suite seed (overrides the suite)");
  app.add_option("--jobs,-j", run.jobs, "parallel workers; results do not depend on it")
      ->check(CLI::Range(1, 256));
  app.add_option("--out", run.out, "output folder (default: results/SUITE-METHOD)");
  app.add_flag("--resume", run.resume, "skip trials already in OUT/trials.partial.jsonl");
  app.add_flag("--quiet,-q", run.quiet, "no progress lines");

  return {&app, [args] { return run_suite(*args); }};
}

}  // namespace dffeval
