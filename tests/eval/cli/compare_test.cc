// `dffeval compare` through the real binary on two small result folders
// written here by hand (summary.json and trials.jsonl with only the keys the
// comparison reads): the table it prints, the files it writes, and exit code
// 2 with a message when the runs cannot be paired.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

using fixtures::contains;
using fixtures::run_dffeval;

// Four trials of one row; A passes 000 and 001, B passes 001, 002 and 003.
void write_run(const fs::path& dir, const std::string& method, int seed, bool a_side) {
  fs::create_directories(dir);
  std::ofstream(dir / "summary.json")
      << "{\"suite\": \"tiny\", \"method\": \"" << method << "\", \"seed\": " << seed << "}\n";
  std::ofstream out(dir / "trials.jsonl");
  for (int i = 0; i < 4; ++i) {
    const bool success = a_side ? i < 2 : i > 0;
    out << "{\"id\": \"can_wrap/seen/clean/00" << i
        << "\", \"task\": \"can_wrap\", \"object_set\": \"seen\", \"scene_set\": \"clean\", "
           "\"seed\": "
        << 100 + i << ", \"success\": " << (success ? "true" : "false") << "}\n";
  }
}

TEST(CompareVerb, PrintsTheTableAndWritesBothFiles) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_compare");
  write_run(dir / "heur", "heuristic", 5, true);
  write_run(dir / "sdff", "sparsedff", 5, false);
  const auto r = run_dffeval("compare " + (dir / "heur").string() + " " + (dir / "sdff").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // b=1, c=2: p = 2 * (1 + 3)/8 -> 1.
  EXPECT_TRUE(contains(r.output, "## lift (`success`)")) << r.output;
  EXPECT_TRUE(contains(
      r.output, "| can_wrap | seen | clean | 4 | 1 | 1 | 2 | 0 | 50.0% | 75.0% | +25.0 pp | 1 |"))
      << r.output;
  EXPECT_TRUE(contains(r.output, "| **all** |")) << r.output;
  // Only "success" is recorded: the other rates are left out, and said so.
  EXPECT_TRUE(contains(r.output, "Rate `robust` left out")) << r.output;
  EXPECT_TRUE(contains(r.output, "Rate `transfer` left out")) << r.output;

  const fs::path out = dir / "sdff" / "compare_vs_heur";
  ASSERT_TRUE(fs::exists(out / "comparison.md")) << r.output;
  ASSERT_TRUE(fs::exists(out / "comparison.json")) << r.output;
  const nlohmann::json j = fixtures::read_json(out / "comparison.json");
  EXPECT_EQ(j["a"]["method"], "heuristic");
  EXPECT_EQ(j["b"]["method"], "sparsedff");
  EXPECT_EQ(j["a"]["seed"], 5);
  ASSERT_EQ(j["rates"].size(), 1u);
  EXPECT_EQ(j["rates_left_out"].size(), 2u);
  ASSERT_EQ(j["rows"].size(), 1u);
  const auto& lift = j["overall"]["rates"]["lift"];
  EXPECT_EQ(lift["n"], 4);
  EXPECT_EQ(lift["a_only"], 1);
  EXPECT_EQ(lift["b_only"], 2);
  EXPECT_DOUBLE_EQ(lift["difference"].get<double>(), 0.25);
  std::ifstream md(out / "comparison.md");
  const std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(contains(r.output, text.substr(0, text.find('\n')))) << text;

  // --out is where the files go instead.
  const auto r2 = run_dffeval("compare " + (dir / "heur").string() + " " + (dir / "sdff").string() +
                              " --out " + (dir / "cmp").string());
  ASSERT_EQ(r2.exit_code, 0) << r2.output;
  EXPECT_TRUE(fs::exists(dir / "cmp" / "comparison.json")) << r2.output;
  EXPECT_TRUE(fs::exists(dir / "cmp" / "comparison.md")) << r2.output;
}

// Ten trials of one row with all three rates; `passes` says which pass (all
// three rates alike), the others fail as "wrong_part".
void write_rated_run(const fs::path& dir, const std::string& method,
                     const std::vector<bool>& passes) {
  fs::create_directories(dir);
  std::ofstream(dir / "summary.json")
      << "{\"suite\": \"tiny\", \"method\": \"" << method << "\", \"seed\": 9}\n";
  std::ofstream out(dir / "trials.jsonl");
  for (std::size_t i = 0; i < passes.size(); ++i) {
    const std::string ok = passes[i] ? "true" : "false";
    out << "{\"id\": \"mug_top/novel/clean/00" << i
        << "\", \"task\": \"mug_top\", \"object_set\": \"novel\", \"scene_set\": \"clean\", "
           "\"seed\": "
        << 200 + i << ", \"success\": " << ok << ", \"robust\": " << ok << ", \"transfer\": " << ok
        << ", \"failure_mode\": \"" << (passes[i] ? "none" : "wrong_part") << "\"}\n";
  }
}

TEST(CompareVerb, ACandidateSignificantlyWorseThanItsBaselineIsExitCode3) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_compare_regression");
  // The baseline passes all ten; the candidate loses the first seven
  // (p = 2 / 2^7 = 0.0156 < 0.05), or only the first five (p = 0.0625).
  write_rated_run(dir / "base", "sparsedff", std::vector<bool>(10, true));
  std::vector<bool> seven_lost(10, true), five_lost(10, true);
  for (int i = 0; i < 7; ++i) seven_lost[i] = false;
  for (int i = 0; i < 5; ++i) five_lost[i] = false;
  write_rated_run(dir / "worse", "sparsedff", seven_lost);
  write_rated_run(dir / "noisy", "sparsedff", five_lost);
  const std::string base = (dir / "base").string();

  auto r = run_dffeval("compare " + (dir / "worse").string() + " --against " + base +
                       " --fail-on-regression");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(contains(r.output, "Regression check: 6 REGRESSION(S)")) << r.output;
  EXPECT_TRUE(contains(r.output, "| mug_top | novel | clean | transfer | 7 | 0 | 100.0% | 30.0% |"))
      << r.output;
  // Every flipped trial is listed, with both failure modes.
  EXPECT_TRUE(contains(r.output, "## Flipped trials (7)")) << r.output;
  EXPECT_TRUE(contains(r.output,
                       "| mug_top/novel/clean/006 | lift: A, robust: A, transfer: A | "
                       "none | wrong_part |"))
      << r.output;
  const nlohmann::json j =
      fixtures::read_json(dir / "worse" / "compare_vs_base" / "comparison.json");
  EXPECT_EQ(j["a"]["dir"], base);
  ASSERT_EQ(j["flipped"].size(), 7u);
  EXPECT_EQ(j["flipped"][0]["id"], "mug_top/novel/clean/000");
  EXPECT_EQ(j["flipped"][0]["b_failure_mode"], "wrong_part");
  EXPECT_EQ(j["regression_check"]["regressions"].size(), 6u);  // 3 rates x (row, overall)

  // Without --fail-on-regression the same finding is reported, exit 0.
  r = run_dffeval("compare " + base + " " + (dir / "worse").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "REGRESSION(S)")) << r.output;
  // Five lost of ten is not significant; better is never a regression.
  r = run_dffeval("compare " + (dir / "noisy").string() + " --against " + base +
                  " --fail-on-regression");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "Regression check: none")) << r.output;
  EXPECT_TRUE(contains(r.output, "## Flipped trials (5)")) << r.output;
  r = run_dffeval("compare " + base + " --against " + (dir / "worse").string() +
                  " --fail-on-regression");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // A stricter alpha lets the seven pass too.
  r = run_dffeval("compare " + (dir / "worse").string() + " --against " + base +
                  " --fail-on-regression --alpha 0.01");
  EXPECT_EQ(r.exit_code, 0) << r.output;

  // Wrong numbers of folders are exit 2, before anything is written.
  r = run_dffeval("compare " + base + " " + (dir / "worse").string() + " --against " + base);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "one candidate folder, 2 given")) << r.output;
  r = run_dffeval("compare " + base + " " + base + " " + base);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = run_dffeval("compare " + base + " " + base + " --alpha 2");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST(CompareVerb, MismatchedSeedsAreExitCode2) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_compare_bad");
  write_run(dir / "a", "heuristic", 5, true);
  write_run(dir / "b", "sparsedff", 6, false);
  auto r = run_dffeval("compare " + (dir / "a").string() + " " + (dir / "b").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "error: different seeds")) << r.output;
  EXPECT_TRUE(contains(r.output, (dir / "b" / "summary.json").string())) << r.output;
  EXPECT_FALSE(fs::exists(dir / "b" / "compare_vs_a")) << r.output;

  r = run_dffeval("compare " + (dir / "a").string() + " " + (dir / "missing").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "no such folder")) << r.output;
  r = run_dffeval("compare " + (dir / "a").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

}  // namespace
}  // namespace dffeval
