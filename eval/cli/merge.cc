// `dffeval merge SHARD_DIR... --out DIR`: the result files a single run
// would have written, from the folders of `dffeval --shard K/N` runs
// (eval/harness/trial_shard.h).

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <vector>

#include "eval/cli/verbs.h"
#include "eval/harness/output_folder.h"
#include "eval/harness/result_report.h"
#include "eval/harness/trial_shard.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

struct MergeArgs {
  std::vector<std::string> dirs;
  std::string out;
};

int run_merge(const MergeArgs& args) {
  std::vector<fs::path> dirs(args.dirs.begin(), args.dirs.end());
  // Everything is checked before the output folder is touched.
  const MergedRun run = merge_shard_dirs(dirs);
  const OutputFolder folder(args.out);
  write_results(args.out, run.suite, run.method, run.results, run.wall_time_s,
                {{"merged_from", run.merged_from}});
  std::ifstream table(fs::path(args.out) / "table.md");
  std::cout << table.rdbuf() << "\n";
  fmt::print(stderr,
             "merged {} shards ({} trials of suite {}, method {}) into "
             "{}/{{summary.json,trials.jsonl,table.md,table.csv,resolved_config.json}}\n",
             dirs.size(), run.results.size(), run.suite.name, run.method, args.out);
  return 0;
}

}  // namespace

Verb add_merge_verb(CLI::App& app) {
  auto args = std::make_shared<MergeArgs>();
  auto* cmd = app.add_subcommand(
      "merge", "join the result folders of `dffeval --shard K/N` runs into one run's files");
  cmd->add_option("SHARD_DIRS", args->dirs, "the N shard folders, in any order")->required();
  cmd->add_option("--out", args->out, "output folder of the merged run")->required();
  return {cmd, [args] { return run_merge(*args); }};
}

}  // namespace dffeval
