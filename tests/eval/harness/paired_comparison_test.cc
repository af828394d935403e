// McNemar's exact test against values computed by hand, and the pairing of
// two result folders written here by hand (one line of trials.jsonl per
// trial, only the keys the comparison reads), with each kind of bad input.

#include "eval/harness/paired_comparison.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/input_error.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// p = min(1, 2 * sum_{i<=min(b,c)} C(b+c, i) / 2^(b+c)):
//   b=0, c=5:  2 * 1/32                     = 0.0625
//   b=1, c=9:  2 * (1 + 10)/1024            = 0.021484375
//   b=3, c=1:  2 * (1 + 4)/16               = 0.625
//   b=5, c=5:  2 * 638/1024 > 1             -> 1
//   b=0, c=0:  no discordant trial          -> 1
//   b=2, c=8:  2 * (1 + 10 + 45)/1024       = 0.109375
TEST(McNemarExact, HandComputedValues) {
  EXPECT_NEAR(mcnemar_exact_p(0, 5), 0.0625, 1e-12);
  EXPECT_NEAR(mcnemar_exact_p(5, 0), 0.0625, 1e-12);
  EXPECT_NEAR(mcnemar_exact_p(1, 9), 0.021484375, 1e-12);
  EXPECT_NEAR(mcnemar_exact_p(3, 1), 0.625, 1e-12);
  EXPECT_NEAR(mcnemar_exact_p(2, 8), 0.109375, 1e-12);
  EXPECT_DOUBLE_EQ(mcnemar_exact_p(5, 5), 1.0);
  EXPECT_DOUBLE_EQ(mcnemar_exact_p(0, 0), 1.0);
  EXPECT_DOUBLE_EQ(mcnemar_exact_p(0, 1), 1.0);  // 2 * 1/2
}

TEST(McNemarExact, LargeCountsStayFinite) {
  // C(2100, 1000) and 2^-2100 are both outside double's range.
  const double p = mcnemar_exact_p(1000, 1100);
  ASSERT_TRUE(std::isfinite(p));
  EXPECT_GT(p, 0.0);
  EXPECT_LT(p, 1.0);
  // A 1000/1100 split is ~2.2 sigma from even: p near 0.03.
  EXPECT_NEAR(p, 0.03, 0.01);
  EXPECT_DOUBLE_EQ(mcnemar_exact_p(3000, 3000), 1.0);
  const double tiny = mcnemar_exact_p(0, 5000);
  EXPECT_TRUE(std::isfinite(tiny));
  EXPECT_GE(tiny, 0.0);
  EXPECT_LT(tiny, 1e-300);
  // Symmetric in its arguments.
  EXPECT_DOUBLE_EQ(mcnemar_exact_p(1100, 1000), p);
}

struct Trial {
  std::string id, task, object_set;
  bool a_success, b_success;
  int seed = 0;
};

std::string fmt_id(int i) {
  std::string k = std::to_string(i);
  return "can_wrap/seen/clean/" + std::string(3 - std::min<std::size_t>(3, k.size()), '0') + k;
}

json record(const Trial& t, bool success, bool with_robust) {
  json r = {{"id", t.id},           {"task", t.task}, {"object_set", t.object_set},
            {"scene_set", "clean"}, {"seed", t.seed}, {"success", success}};
  if (with_robust) r["robust"] = !success;
  r["transfer"] = success;
  return r;
}

void write_run(const fs::path& dir, const std::string& method, int seed,
               const std::vector<json>& records, const std::string& suite = "tiny") {
  fs::create_directories(dir);
  std::ofstream(dir / "summary.json")
      << json{{"suite", suite}, {"method", method}, {"seed", seed}}.dump(2);
  std::ofstream out(dir / "trials.jsonl");
  for (const json& r : records) out << r.dump() << "\n";
}

// Rows: can_wrap/seen (4 trials) then mug_top/novel (2 trials).
std::vector<Trial> trials() {
  return {{"can_wrap/seen/clean/000", "can_wrap", "seen", true, true, 11},
          {"can_wrap/seen/clean/001", "can_wrap", "seen", true, false, 12},
          {"can_wrap/seen/clean/002", "can_wrap", "seen", false, true, 13},
          {"can_wrap/seen/clean/003", "can_wrap", "seen", false, true, 14},
          {"mug_top/novel/clean/000", "mug_top", "novel", false, false, 15},
          {"mug_top/novel/clean/001", "mug_top", "novel", false, true, 16}};
}

// Writes A and B from trials(); B's lines in reverse order, which pairing by
// id must not notice.
void write_pair(const fs::path& a, const fs::path& b, bool b_has_robust = true) {
  std::vector<json> ra, rb;
  for (const Trial& t : trials()) {
    ra.push_back(record(t, t.a_success, true));
    rb.insert(rb.begin(), record(t, t.b_success, b_has_robust));
  }
  write_run(a, "heuristic", 5, ra);
  write_run(b, "sparsedff", 5, rb);
}

std::string error_of(const fs::path& a, const fs::path& b) {
  try {
    compare_result_dirs(a, b);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(PairedComparison, CountsPerRowAndOverall) {
  const fs::path dir = fixtures::fresh_temp_dir("paired_counts");
  write_pair(dir / "a", dir / "b");
  const json c = compare_result_dirs(dir / "a", dir / "b");
  EXPECT_EQ(c["a"]["method"], "heuristic");
  EXPECT_EQ(c["b"]["method"], "sparsedff");
  EXPECT_EQ(c["a"]["suite"], "tiny");
  EXPECT_EQ(c["b"]["seed"], 5);
  EXPECT_EQ(c["a"]["dir"], (dir / "a").string());
  ASSERT_EQ(c["rates"].size(), 3u);
  EXPECT_EQ(c["rates"][0], (json{{"name", "lift"}, {"key", "success"}}));
  EXPECT_TRUE(c["rates_left_out"].empty());

  ASSERT_EQ(c["rows"].size(), 2u);
  const json& can = c["rows"][0];
  EXPECT_EQ(can["task"], "can_wrap");
  EXPECT_EQ(can["object_set"], "seen");
  EXPECT_EQ(can["scene_set"], "clean");
  const json& lift = can["rates"]["lift"];
  EXPECT_EQ(lift["n"], 4);
  EXPECT_EQ(lift["both"], 1);
  EXPECT_EQ(lift["a_only"], 1);
  EXPECT_EQ(lift["b_only"], 2);
  EXPECT_EQ(lift["neither"], 0);
  EXPECT_DOUBLE_EQ(lift["rate_a"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(lift["rate_b"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(lift["difference"].get<double>(), 0.25);
  // b=1, c=2: 2 * (1 + 3)/8 = 1.
  EXPECT_DOUBLE_EQ(lift["mcnemar_p"].get<double>(), 1.0);
  // robust was recorded as !success: the same discordant trials, swapped.
  EXPECT_EQ(can["rates"]["robust"]["a_only"], 2);
  EXPECT_EQ(can["rates"]["robust"]["b_only"], 1);
  EXPECT_EQ(c["rows"][1]["task"], "mug_top");

  const json& all = c["overall"]["rates"]["lift"];
  EXPECT_EQ(c["overall"]["task"], "all");
  EXPECT_EQ(all["n"], 6);
  EXPECT_EQ(all["both"], 1);
  EXPECT_EQ(all["a_only"], 1);
  EXPECT_EQ(all["b_only"], 3);
  EXPECT_EQ(all["neither"], 1);
  EXPECT_DOUBLE_EQ(all["difference"].get<double>(), 4.0 / 6 - 2.0 / 6);
  // b=1, c=3: 2 * (1 + 4)/16 = 0.625.
  EXPECT_NEAR(all["mcnemar_p"].get<double>(), 0.625, 1e-12);

  const std::string md = comparison_markdown(c);
  EXPECT_TRUE(has(md, "## lift (`success`)")) << md;
  EXPECT_TRUE(has(md, "## robust (`robust`)")) << md;
  EXPECT_TRUE(has(md, "## transfer (`transfer`)")) << md;
  EXPECT_TRUE(
      has(md, "| can_wrap | seen | clean | 4 | 1 | 1 | 2 | 0 | 50.0% | 75.0% | +25.0 pp | 1 |"))
      << md;
  EXPECT_TRUE(has(md,
                  "| **all** | all | all | 6 | 1 | 1 | 3 | 1 | 33.3% | 66.7% | **+33.3 pp** | "
                  "**0.625** |"))
      << md;
}

TEST(PairedComparison, PValuesHaveThreeSignificantDigits) {
  const fs::path dir = fixtures::fresh_temp_dir("paired_digits");
  // b=1, c=9 on ten trials: p = 0.021484375 -> "0.0215".
  std::vector<json> ra, rb;
  for (int i = 0; i < 10; ++i) {
    const Trial t{fmt_id(i), "can_wrap", "seen", i == 0, i != 0, i};
    ra.push_back(record(t, t.a_success, true));
    rb.push_back(record(t, t.b_success, true));
  }
  write_run(dir / "a", "heuristic", 5, ra);
  write_run(dir / "b", "sparsedff", 5, rb);
  const std::string md = comparison_markdown(compare_result_dirs(dir / "a", dir / "b"));
  EXPECT_TRUE(has(md, "| 0.0215 |")) << md;
  EXPECT_TRUE(has(md, "**0.0215**")) << md;
}

TEST(PairedComparison, RateMissingFromOlderRunIsLeftOut) {
  const fs::path dir = fixtures::fresh_temp_dir("paired_left_out");
  write_pair(dir / "a", dir / "b", /*b_has_robust=*/false);
  const json c = compare_result_dirs(dir / "a", dir / "b");
  ASSERT_EQ(c["rates"].size(), 2u);
  EXPECT_EQ(c["rates"][0]["name"], "lift");
  EXPECT_EQ(c["rates"][1]["name"], "transfer");
  ASSERT_EQ(c["rates_left_out"].size(), 1u);
  EXPECT_EQ(c["rates_left_out"][0]["name"], "robust");
  const std::string reason = c["rates_left_out"][0]["reason"];
  EXPECT_TRUE(has(reason, "missing from 6 of 6 records of B")) << reason;
  EXPECT_FALSE(c["overall"]["rates"].contains("robust"));
  const std::string md = comparison_markdown(c);
  EXPECT_TRUE(has(md, "Rate `robust` left out")) << md;
  EXPECT_FALSE(has(md, "## robust")) << md;
}

TEST(PairedComparison, MissingFolderOrFile) {
  const fs::path dir = fixtures::fresh_temp_dir("paired_missing");
  write_pair(dir / "a", dir / "b");
  std::string e = error_of(dir / "nope", dir / "b");
  EXPECT_TRUE(has(e, (dir / "nope").string()) && has(e, "no such folder")) << e;
  fs::remove(dir / "b" / "trials.jsonl");
  e = error_of(dir / "a", dir / "b");
  EXPECT_TRUE(has(e, (dir / "b" / "trials.jsonl").string()) && has(e, "no such file")) << e;
  fs::remove(dir / "a" / "summary.json");
  e = error_of(dir / "a", dir / "b");
  EXPECT_TRUE(has(e, (dir / "a" / "summary.json").string()) && has(e, "no such file")) << e;
}

TEST(PairedComparison, LineThatIsNotJsonIsNamed) {
  const fs::path dir = fixtures::fresh_temp_dir("paired_not_json");
  write_pair(dir / "a", dir / "b");
  std::ofstream(dir / "b" / "trials.jsonl", std::ios::app) << "{\"id\": oops\n";
  const std::string e = error_of(dir / "a", dir / "b");
  EXPECT_TRUE(has(e, (dir / "b" / "trials.jsonl").string() + ":7: not JSON")) << e;
}

TEST(PairedComparison, DifferentSuitesOrSeeds) {
  const fs::path dir = fixtures::fresh_temp_dir("paired_suite_seed");
  write_pair(dir / "a", dir / "b");
  write_run(dir / "c", "sparsedff", 6, {});
  std::string e = error_of(dir / "a", dir / "c");
  EXPECT_TRUE(has(e, "different seeds") && has(e, "seed 5") && has(e, "seed 6")) << e;
  write_run(dir / "d", "sparsedff", 5, {}, "other");
  e = error_of(dir / "a", dir / "d");
  EXPECT_TRUE(has(e, "different suites") && has(e, "'tiny'") && has(e, "'other'")) << e;
}

TEST(PairedComparison, TrialIdsInOneRunOnly) {
  const fs::path dir = fixtures::fresh_temp_dir("paired_ids");
  std::vector<json> ra, rb;
  for (int i = 0; i < 5; ++i)
    ra.push_back(record({fmt_id(i), "can_wrap", "seen", true, true, i}, true, true));
  rb.push_back(ra[0]);
  rb.push_back(record({"can_wrap/seen/clean/999", "can_wrap", "seen", true, true, 9}, true, true));
  write_run(dir / "a", "heuristic", 5, ra);
  write_run(dir / "b", "sparsedff", 5, rb);
  const std::string e = error_of(dir / "a", dir / "b");
  EXPECT_TRUE(has(e, "trial ids differ")) << e;
  // Four in A only: three named, then "...".
  EXPECT_TRUE(
      has(e, "4 only in A ('" + fmt_id(1) + "', '" + fmt_id(2) + "', '" + fmt_id(3) + "', ...)"))
      << e;
  EXPECT_FALSE(has(e, fmt_id(4))) << e;
  EXPECT_TRUE(has(e, "1 only in B ('can_wrap/seen/clean/999')")) << e;
}

TEST(PairedComparison, TrialSeedThatDiffersIsNamed) {
  const fs::path dir = fixtures::fresh_temp_dir("paired_trial_seed");
  write_pair(dir / "a", dir / "b");
  std::vector<json> rb;
  for (const Trial& t : trials()) rb.push_back(record(t, t.b_success, true));
  rb[2]["seed"] = 99;
  write_run(dir / "b", "sparsedff", 5, rb);
  const std::string e = error_of(dir / "a", dir / "b");
  EXPECT_TRUE(has(e, "trial 'can_wrap/seen/clean/002': seed 13")) << e;
  EXPECT_TRUE(has(e, "99 in " + (dir / "b" / "trials.jsonl").string() + ":3")) << e;
  EXPECT_TRUE(has(e, "not the same")) << e;
}

}  // namespace
}  // namespace dffeval
