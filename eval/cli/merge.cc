// `dffeval merge SHARD_DIR... --out DIR`: the result files a single run
// would have written, from the folders of `dffeval --shard K/N` runs
// (eval/harness/trial_shard.h).

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <vector>

#include "common/input_error.h"
#include "common/provenance.h"
#include "eval/cli/verbs.h"
#include "eval/harness/output_folder.h"
#include "eval/harness/result_report.h"
#include "eval/harness/results_store.h"
#include "eval/harness/trial_shard.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

struct MergeArgs {
  std::vector<std::string> dirs;
  std::string out;
  std::string db;
};

/// Adds the merged run to the results store as one finished run (the
/// shards' own rows stay). A store that cannot be written costs a warning:
/// the merged files are the primary output and are written already.
void store_merged_run(const MergedRun& run, const fs::path& out, const fs::path& first_shard,
                      const std::string& db_option) {
  const auto file = results_store_path(db_option);
  if (!file) return;
  try {
    StoredRunStart start;
    start.suite = run.suite.name;
    start.method = run.method;
    start.seed = run.suite.seed;
    std::ifstream in(first_shard / "resolved_config.json");
    const nlohmann::json resolved = nlohmann::json::parse(in, nullptr, false);
    const nlohmann::json settings = resolved.is_object()
                                        ? resolved.value("method_settings", nlohmann::json())
                                        : nlohmann::json();
    start.settings_hash =
        run_settings_hash(text_digest(run.suite.to_json().dump()),
                          settings.is_null() ? "none" : text_digest(settings.dump()));
    start.provenance = provenance();
    start.commit = start.provenance.value("git_commit", "unknown");
    start.out_dir = fs::absolute(out).lexically_normal().string();
    start.overrides = run.suite.overrides;
    start.trials_planned = run.results.size();
    ResultsStore store(*file);
    store.end_run(store.begin_run(start), run.results, "finished");
    fmt::print(stderr, "results store: the merged run added to {}\n", file->string());
  } catch (const std::exception& e) {
    fmt::print(stderr, "warning: the merged run is not in the results store: {}\n", e.what());
  }
}

int run_merge(const MergeArgs& args) {
  std::vector<fs::path> dirs(args.dirs.begin(), args.dirs.end());
  // Everything is checked before the output folder is touched.
  const MergedRun run = merge_shard_dirs(dirs);
  const OutputFolder folder(args.out);
  write_results(args.out, run.suite, run.method, run.results, run.wall_time_s,
                {{"merged_from", run.merged_from}});
  store_merged_run(run, args.out, dirs[0], args.db);
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
  cmd->add_option("--db", args->db,
                  "results store the merged run is added to; 'none': no store (default: "
                  "$DFFEVAL_DB, else results/dffeval.sqlite)");
  return {cmd, [args] { return run_merge(*args); }};
}

}  // namespace dffeval
