// `dffeval runs [--suite S] [--method M] [--commit C] [--db PATH] [--json]`:
// the runs of the results store (eval/harness/results_store.h), newest
// first, with their three rates.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "common/input_error.h"
#include "eval/cli/verbs.h"
#include "eval/harness/results_store.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

struct RunsArgs {
  std::string db;
  StoredRunFilter filter;
  bool json = false;
};

std::string percent(int successes, int trials) {
  return trials ? fmt::format("{:.1f}%", 100.0 * successes / trials) : "-";
}

int run_runs(const RunsArgs& args) {
  const auto path = results_store_path(args.db);
  if (!path) throw InputError("runs: --db none names no store");
  if (!fs::exists(*path))
    throw InputError(
        fmt::format("{}: no results store yet (runs add themselves to it)", path->string()));
  const ResultsStore store(*path);
  const auto runs = store.runs(args.filter);
  if (args.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const StoredRun& r : runs)
      out.push_back({{"id", r.id},
                     {"suite", r.start.suite},
                     {"method", r.start.method},
                     {"seed", r.start.seed},
                     {"settings_hash", r.start.settings_hash},
                     {"commit", r.start.commit},
                     {"shard", r.start.shard},
                     {"overrides", r.start.overrides},
                     {"out_dir", r.start.out_dir},
                     {"started_utc", r.started_utc},
                     {"ended_utc", r.ended_utc},
                     {"status", r.status},
                     {"error", r.error},
                     {"trials_planned", r.start.trials_planned},
                     {"trials", r.trials},
                     {"lift", r.lift},
                     {"robust", r.robust},
                     {"transfer", r.transfer}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout
      << "| id | suite | method | overrides | seed | commit | status | trials | transfer | "
         "robust | lift | started (UTC) | folder |\n"
         "| ---: | --- | --- | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | --- | --- "
         "|\n";
  for (const StoredRun& r : runs)
    std::cout << fmt::format(
        "| {} | {} | {} | {} | {} | {} | {}{} | {}/{} | {} | {} | {} | {} | {} |\n", r.id,
        r.start.suite, r.start.method,
        r.start.overrides.empty() ? "-" : fmt::format("{}", fmt::join(r.start.overrides, " ")),
        r.start.seed, r.start.commit.substr(0, 12), r.status,
        r.start.shard.empty() ? "" : " (shard " + r.start.shard + ")", r.trials,
        r.start.trials_planned, percent(r.transfer, r.trials), percent(r.robust, r.trials),
        percent(r.lift, r.trials), r.started_utc, r.start.out_dir);
  std::cout << std::flush;
  fmt::print(stderr, "{} run(s) in {}\n", runs.size(), path->string());
  return 0;
}

}  // namespace

Verb add_runs_verb(CLI::App& app) {
  auto args = std::make_shared<RunsArgs>();
  auto* cmd = app.add_subcommand("runs", "list the runs of the results store, newest first");
  cmd->add_option("--db", args->db,
                  "the store (default: $DFFEVAL_DB, else results/dffeval.sqlite)");
  cmd->add_option("--suite", args->filter.suite, "only runs of this suite");
  cmd->add_option("--method", args->filter.method, "only runs of this method");
  cmd->add_option("--commit", args->filter.commit, "only runs of builds whose commit starts so");
  cmd->add_flag("--json", args->json, "print JSON instead of a table");
  return {cmd, [args] { return run_runs(*args); }};
}

}  // namespace dffeval
