// `dffeval compare DIR_A DIR_B [--out DIR]`: paired comparison of two runs
// of the same suite and seed (eval/harness/paired_comparison.h);
// `dffeval compare CANDIDATE --against BASELINE --fail-on-regression`: the
// same with the baseline as A, exit 3 when the candidate is significantly
// worse (eval/harness/regression_check.h).

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <vector>

#include "common/input_error.h"
#include "eval/cli/verbs.h"
#include "eval/harness/paired_comparison.h"
#include "eval/harness/regression_check.h"
#include "eval/harness/run_reference.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

/// Exit code of a check that found a regression (2 stays "bad input").
constexpr int kExitRegression = 3;

struct CompareArgs {
  std::vector<std::string> dirs;
  std::string against;
  std::string out;
  bool fail_on_regression = false;
  double alpha = kDefaultRegressionAlpha;
  std::string db;
};

void write_file(const fs::path& file, const std::string& text) {
  std::ofstream out(file);
  out << text;
  if (!out) throw InputError(fmt::format("{}: cannot write", file.string()));
}

int run_compare(const CompareArgs& args) {
  std::string dir_a, dir_b;
  if (!args.against.empty()) {
    if (args.dirs.size() != 1)
      throw InputError(fmt::format(
          "compare --against BASELINE takes one candidate folder, {} given", args.dirs.size()));
    dir_a = args.against, dir_b = args.dirs[0];
  } else {
    if (args.dirs.size() != 2)
      throw InputError(fmt::format(
          "compare takes two result folders (A B) or one with --against BASELINE, {} given",
          args.dirs.size()));
    dir_a = args.dirs[0], dir_b = args.dirs[1];
  }
  // Run ids of the results store stand for their folders.
  dir_a = result_folder_of(dir_a, args.db).string();
  dir_b = result_folder_of(dir_b, args.db).string();
  nlohmann::json cmp = compare_result_dirs(dir_a, dir_b);
  const nlohmann::json regressions = find_regressions(cmp, args.alpha);
  cmp["regression_check"] = {{"alpha", args.alpha}, {"regressions", regressions}};
  // Canonical, so that "results/x/" and "." still name the folder of A.
  const std::string a_name = fs::canonical(dir_a).filename().string();
  const fs::path out =
      args.out.empty() ? fs::path(dir_b) / ("compare_vs_" + a_name) : fs::path(args.out);
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create folder: {}", out.string(), ec.message()));
  const std::string md = comparison_markdown(cmp) + regression_markdown(regressions, args.alpha);
  write_file(out / "comparison.json", cmp.dump(2) + "\n");
  write_file(out / "comparison.md", md);
  std::cout << md << std::flush;
  fmt::print(stderr, "wrote {}/{{comparison.json,comparison.md}}\n", out.string());
  if (args.fail_on_regression && !regressions.empty()) {
    fmt::print(stderr, "regression: {} is significantly worse than {} on {} line(s); exit {}\n",
               dir_b, dir_a, regressions.size(), kExitRegression);
    return kExitRegression;
  }
  return 0;
}

}  // namespace

Verb add_compare_verb(CLI::App& app) {
  auto args = std::make_shared<CompareArgs>();
  auto* cmd = app.add_subcommand(
      "compare",
      "paired comparison of two result folders of the same suite and seed; with --against and "
      "--fail-on-regression, a regression check (exit 3 when the candidate is worse)");
  cmd->add_option("DIRS", args->dirs,
                  "DIR_A DIR_B (A the baseline), or one candidate folder with --against; a run "
                  "id of the results store (`dffeval runs`) stands for its folder")
      ->required()
      ->expected(1, 2);
  cmd->add_option("--against", args->against, "the baseline's result folder (run A)");
  cmd->add_flag("--fail-on-regression", args->fail_on_regression,
                "exit 3 when B is significantly worse than A on any rate, row or overall");
  cmd->add_option("--alpha", args->alpha, "significance level of the regression check")
      ->check(CLI::Range(1e-9, 0.5))
      ->capture_default_str();
  cmd->add_option("--out", args->out, "output folder (default: DIR_B/compare_vs_<name of DIR_A>)");
  cmd->add_option("--db", args->db,
                  "results store to look run ids up in (default: $DFFEVAL_DB, else "
                  "results/dffeval.sqlite)");
  return {cmd, [args] { return run_compare(*args); }};
}

}  // namespace dffeval
