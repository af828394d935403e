// The results store through the real binary: a run adds itself with its
// trials, `dffeval runs` lists and filters it, and a store that cannot be
// used is exit 2 before any trial.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

using fixtures::contains;
using fixtures::run_dffeval;

TEST(RunsVerb, ARunLandsInTheStoreAndIsListed) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_runs");
  const std::string db = (dir / "store.sqlite").string();
  const std::string suite = fixtures::write_small_suite(dir).string();
  auto r = run_dffeval("--suite " + suite + " --method heuristic -q --db " + db + " --out " +
                       (dir / "a").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "results store: run 1 (finished)")) << r.output;
  // The store's default comes from $DFFEVAL_DB.
  r = run_dffeval("--suite " + suite + " --method oracle-pose -q --out " + (dir / "b").string(),
                  "DFFEVAL_DB=" + db);
  ASSERT_EQ(r.exit_code, 0) << r.output;

  r = run_dffeval("runs --db " + db);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "| 2 | tiny | oracle-pose | - | 5 |")) << r.output;
  EXPECT_TRUE(contains(r.output, "| 1 | tiny | heuristic | - | 5 |")) << r.output;
  EXPECT_TRUE(contains(r.output, "2 run(s) in " + db)) << r.output;
  r = run_dffeval("runs --db " + db + " --method heuristic --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto runs = nlohmann::json::parse(r.output);  // --json prints nothing else
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["status"], "finished");
  EXPECT_EQ(runs[0]["trials"], 4);
  EXPECT_EQ(runs[0]["out_dir"], (dir / "a").string());
  // The store's trials are the folder's: the same number of transfers.
  const auto summary = fixtures::read_json(dir / "a" / "summary.json");
  EXPECT_EQ(runs[0]["transfer"], summary["overall"]["transfer"]["successes"]);
  EXPECT_EQ(runs[0]["lift"], summary["overall"]["lift"]["successes"]);
}

TEST(RunsVerb, AStoreThatCannotBeUsedIsExitCode2BeforeAnyTrial) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_runs_bad");
  const std::string suite = fixtures::write_small_suite(dir).string();
  std::ofstream(dir / "text.sqlite") << "not a database at all, only text that SQLite refuses\n";
  auto r = run_dffeval("--suite " + suite + " --method heuristic -q --db " +
                       (dir / "text.sqlite").string() + " --out " + (dir / "a").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "text.sqlite")) << r.output;
  EXPECT_TRUE(contains(r.output, "--db none")) << r.output;
  EXPECT_FALSE(fs::exists(dir / "a" / "trials.partial.jsonl"));
  r = run_dffeval("runs --db " + (dir / "missing.sqlite").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "no results store yet")) << r.output;
  r = run_dffeval("runs --db none");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace dffeval
