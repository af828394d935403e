// The result files of a run, from trial results made by hand: summary.json
// rows and overall counts, Wilson intervals, failure modes, trials.jsonl,
// table.md, table.csv and resolved_config.json.

#include "eval/harness/result_report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "eval/harness/grasp_method.h"
#include "eval/harness/success_stats.h"
#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

// Unique to this file: the registry is shared by the executable's tests.
constexpr const char* kMethod = "result-report-test-method";
constexpr const char* kSettingsMethod = "result-report-test-with-settings";

class NeverCalled : public GraspMethod {
 public:
  MethodOutput plan(const MethodInput&) override { throw std::logic_error("not called"); }
};

void register_test_methods() {
  register_method({kMethod, "test", false, [] { return std::make_unique<NeverCalled>(); }, {}});
  register_method({kSettingsMethod, "test", false, [] { return std::make_unique<NeverCalled>(); },
                   [] {
                     return nlohmann::json{{"variant", "v1"}, {"alpha", 0.5}};
                   }});
}

SuiteSpec hand_suite() {
  SuiteSpec s;
  s.name = "handmade";
  s.seed = 9;
  s.tasks = {"mug_wrap", "can_top"};
  s.object_sets = {InstanceSet::kSeen, InstanceSet::kNovel};
  s.scene_sets = {"clean", "clutter"};
  s.trials = 2;
  return s;
}

TrialResult result(const std::string& task, const std::string& category, InstanceSet set,
                   const std::string& scene, int k, bool success, const std::string& mode,
                   double total_s) {
  TrialResult r;
  r.trial.task = task;
  r.trial.category = category;
  r.trial.object_set = to_string(set);
  r.trial.scene_set = scene;
  r.trial.k = k;
  r.trial.id = task + "/" + to_string(set) + "/" + scene + "/00" + std::to_string(k);
  // Outcomes that tell the three rates apart: a lifted mug is the
  // demonstrated grasp but drops under force; a lifted can holds but is
  // grasped elsewhere.
  r.success = success;
  r.robust = success && task == "can_top";
  r.transfer = success && task == "mug_wrap";
  r.failure_mode = !success     ? mode
                   : r.transfer ? (r.robust ? "none" : "dropped_under_force")
                                : "wrong_part";
  r.timing_s = {{"total", total_s}, {"method", total_s / 2}};
  r.record = {{"id", r.trial.id},
              {"success", success},
              {"robust", r.robust},
              {"transfer", r.transfer},
              {"failure_mode", r.failure_mode}};
  return r;
}

/// Six trials over three cells, in the suite's order; the mug cell mixes
/// outcomes.
std::vector<TrialResult> hand_results() {
  return {result("mug_wrap", "mug", InstanceSet::kSeen, "clean", 0, true, "", 1.0),
          result("mug_wrap", "mug", InstanceSet::kSeen, "clean", 1, false, "slipped", 2.0),
          result("mug_wrap", "mug", InstanceSet::kSeen, "clean", 2, false, "slipped", 3.0),
          result("mug_wrap", "mug", InstanceSet::kNovel, "clean", 0, false, "no_contact", 4.0),
          result("can_top", "can", InstanceSet::kSeen, "clutter", 0, true, "", 5.0),
          result("can_top", "can", InstanceSet::kSeen, "clutter", 1, false, "method_error", 6.0)};
}

/// The Wilson score interval written out independently of success_stats.
std::array<double, 2> wilson(int s, int n) {
  // The 97.5% quantile of the standard normal (the header's z = 1.959964).
  const double z = 1.959963984540054, p = static_cast<double>(s) / n;
  const double denom = 1 + z * z / n;
  const double centre = (p + z * z / (2 * n)) / denom;
  const double half = z * std::sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / denom;
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> read_lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(ResultReport, SummaryRowsFollowTheSuiteOrderWithCounts) {
  const auto results = hand_results();
  const nlohmann::json s = summarize(hand_suite(), kMethod, results, 12.5);
  EXPECT_EQ(s["suite"], "handmade");
  EXPECT_EQ(s["method"], kMethod);
  EXPECT_EQ(s["seed"], 9);
  ASSERT_EQ(s["rows"].size(), 3u);
  const auto& mug = s["rows"][0];
  EXPECT_EQ(mug["task"], "mug_wrap");
  EXPECT_EQ(mug["category"], "mug");
  EXPECT_EQ(mug["object_set"], "seen");
  EXPECT_EQ(mug["scene_set"], "clean");
  EXPECT_EQ(mug["trials"], 3);
  EXPECT_EQ(mug["lift"]["successes"], 1);
  EXPECT_NEAR(mug["lift"]["rate"].get<double>(), 1.0 / 3.0, 1e-12);
  EXPECT_EQ(mug["robust"]["successes"], 0);
  EXPECT_EQ(mug["transfer"]["successes"], 1);
  EXPECT_EQ(mug["failure_modes"], (nlohmann::json{{"slipped", 2}, {"dropped_under_force", 1}}));
  EXPECT_EQ(s["rows"][1]["object_set"], "novel");
  EXPECT_EQ(s["rows"][1]["trials"], 1);
  EXPECT_EQ(s["rows"][1]["lift"]["successes"], 0);
  EXPECT_EQ(s["rows"][1]["failure_modes"], (nlohmann::json{{"no_contact", 1}}));
  EXPECT_EQ(s["rows"][2]["task"], "can_top");
  EXPECT_EQ(s["rows"][2]["scene_set"], "clutter");
  EXPECT_EQ(s["rows"][2]["failure_modes"],
            (nlohmann::json{{"method_error", 1}, {"wrong_part", 1}}));
  EXPECT_EQ(s["rows"][2]["robust"]["successes"], 1);
  EXPECT_EQ(s["rows"][2]["transfer"]["successes"], 0);

  const auto& all = s["overall"];
  EXPECT_EQ(all["task"], "all");
  EXPECT_EQ(all["object_set"], "all");
  EXPECT_EQ(all["trials"], 6);
  EXPECT_EQ(all["lift"]["successes"], 2);
  EXPECT_NEAR(all["lift"]["rate"].get<double>(), 2.0 / 6.0, 1e-12);
  EXPECT_EQ(all["robust"]["successes"], 1);
  EXPECT_EQ(all["transfer"]["successes"], 1);
  EXPECT_NEAR(all["transfer"]["rate"].get<double>(), 1.0 / 6.0, 1e-12);
  EXPECT_EQ(all["failure_modes"], (nlohmann::json{{"slipped", 2},
                                                  {"no_contact", 1},
                                                  {"method_error", 1},
                                                  {"dropped_under_force", 1},
                                                  {"wrong_part", 1}}));

  // Per-stage sums, per-trial means and the wall time.
  EXPECT_DOUBLE_EQ(s["timing_s"]["total"].get<double>(), 21.0);
  EXPECT_DOUBLE_EQ(s["timing_s"]["mean_per_trial.total"].get<double>(), 3.5);
  EXPECT_DOUBLE_EQ(s["timing_s"]["method"].get<double>(), 10.5);
  EXPECT_DOUBLE_EQ(s["timing_s"]["wall"].get<double>(), 12.5);
  EXPECT_TRUE(s["provenance"].is_object());
}

TEST(ResultReport, ConfidenceIntervalsAreWilson95) {
  const nlohmann::json s = summarize(hand_suite(), kMethod, hand_results(), 1.0);
  const std::vector<std::array<int, 2>> counts = {{1, 3}, {0, 1}, {1, 2}};
  for (std::size_t i = 0; i < counts.size(); ++i) {
    const auto expected = wilson(counts[i][0], counts[i][1]);
    const auto& ci = s["rows"][i]["lift"]["ci95"];
    EXPECT_NEAR(ci[0].get<double>(), expected[0], 1e-6) << i;
    EXPECT_NEAR(ci[1].get<double>(), expected[1], 1e-6) << i;
    const auto stats = wilson_interval_95(counts[i][0], counts[i][1]);
    EXPECT_DOUBLE_EQ(ci[0].get<double>(), stats[0]) << i;
  }
  const auto overall = wilson(2, 6);
  EXPECT_NEAR(s["overall"]["lift"]["ci95"][0].get<double>(), overall[0], 1e-6);
  EXPECT_NEAR(s["overall"]["lift"]["ci95"][1].get<double>(), overall[1], 1e-6);
  const auto transfer = wilson(1, 6);
  EXPECT_NEAR(s["overall"]["transfer"]["ci95"][0].get<double>(), transfer[0], 1e-6);
  EXPECT_NEAR(s["overall"]["robust"]["ci95"][1].get<double>(), transfer[1], 1e-6);
  // Zero successes: the interval starts at 0 but is not empty.
  EXPECT_NEAR(s["rows"][1]["lift"]["ci95"][0].get<double>(), 0.0, 1e-12);
  EXPECT_GT(s["rows"][1]["lift"]["ci95"][1].get<double>(), 0.5);
}

TEST(ResultReport, NoTrialsGiveZeroRateAndTheWholeInterval) {
  const nlohmann::json s = summarize(hand_suite(), kMethod, {}, 0.0);
  EXPECT_TRUE(s["rows"].empty());
  EXPECT_EQ(s["overall"]["trials"], 0);
  for (const char* rate : {"lift", "robust", "transfer"}) {
    EXPECT_EQ(s["overall"][rate]["rate"], 0.0) << rate;
    EXPECT_EQ(s["overall"][rate]["ci95"], (nlohmann::json{0.0, 1.0})) << rate;
  }
}

TEST(ResultReport, WriteResultsWritesEveryFile) {
  register_test_methods();
  const fs::path dir = fixtures::fresh_temp_dir("result_report_files") / "nested" / "run";
  const auto results = hand_results();
  write_results(dir, hand_suite(), kMethod, results, 7.0);
  for (const char* f :
       {"summary.json", "trials.jsonl", "table.md", "table.csv", "resolved_config.json"}) {
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  }
  // summary.json is summarize()'s output (provenance aside, it is the same).
  nlohmann::json summary = fixtures::read_json(dir / "summary.json");
  nlohmann::json expected = summarize(hand_suite(), kMethod, results, 7.0);
  summary.erase("provenance"), expected.erase("provenance");
  EXPECT_EQ(summary, expected);

  // trials.jsonl: one record per trial, in order, as given.
  const auto records = fixtures::read_jsonl(dir / "trials.jsonl");
  ASSERT_EQ(records.size(), results.size());
  for (std::size_t i = 0; i < results.size(); ++i) EXPECT_EQ(records[i], results[i].record) << i;

  // resolved_config.json: the suite as resolved; no settings for this method.
  const nlohmann::json resolved = fixtures::read_json(dir / "resolved_config.json");
  EXPECT_EQ(resolved["method"], kMethod);
  EXPECT_EQ(resolved["suite"], hand_suite().to_json());
  EXPECT_TRUE(resolved.contains("provenance"));
  EXPECT_FALSE(resolved.contains("method_settings")) << resolved.dump();
}

TEST(ResultReport, ResolvedConfigRecordsTheMethodSettings) {
  register_test_methods();
  const fs::path dir = fixtures::fresh_temp_dir("result_report_settings");
  write_results(dir, hand_suite(), kSettingsMethod, hand_results(), 1.0);
  const nlohmann::json resolved = fixtures::read_json(dir / "resolved_config.json");
  ASSERT_TRUE(resolved.contains("method_settings")) << resolved.dump();
  EXPECT_EQ(resolved["method_settings"]["variant"], "v1");
  EXPECT_EQ(resolved["method_settings"]["alpha"], 0.5);
}

TEST(ResultReport, CsvTableHasOneLinePerRowPlusOverall) {
  register_test_methods();
  const fs::path dir = fixtures::fresh_temp_dir("result_report_csv");
  write_results(dir, hand_suite(), kMethod, hand_results(), 1.0);
  const auto lines = read_lines(dir / "table.csv");
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0],
            "task,category,object_set,scene_set,trials,"
            "lift_successes,lift_rate,lift_ci95_low,lift_ci95_high,"
            "robust_successes,robust_rate,robust_ci95_low,robust_ci95_high,"
            "transfer_successes,transfer_rate,transfer_ci95_low,transfer_ci95_high");
  char expected[512];
  const auto mug = wilson(1, 3), none = wilson(0, 3);
  std::snprintf(
      expected, sizeof expected,
      "mug_wrap,mug,seen,clean,3,1,0.3333,%.4f,%.4f,0,0.0000,%.4f,%.4f,1,0.3333,%.4f,%.4f", mug[0],
      mug[1], none[0], none[1], mug[0], mug[1]);
  EXPECT_EQ(lines[1], expected);
  EXPECT_EQ(lines[2].rfind("mug_wrap,mug,novel,clean,1,0,0.0000,0.0000,", 0), 0u) << lines[2];
  EXPECT_EQ(lines[3].rfind("can_top,can,seen,clutter,2,1,0.5000,", 0), 0u) << lines[3];
  const auto all = wilson(2, 6), one = wilson(1, 6);
  std::snprintf(expected, sizeof expected,
                "all,all,all,all,6,2,0.3333,%.4f,%.4f,1,0.1667,%.4f,%.4f,1,0.1667,%.4f,%.4f",
                all[0], all[1], one[0], one[1], one[0], one[1]);
  EXPECT_EQ(lines[4], expected);
}

TEST(ResultReport, MarkdownTableShowsRatesIntervalsAndFailures) {
  register_test_methods();
  const fs::path dir = fixtures::fresh_temp_dir("result_report_md");
  write_results(dir, hand_suite(), kMethod, hand_results(), 1.0);
  const std::string md = read_text(dir / "table.md");
  EXPECT_EQ(md, markdown_table(fixtures::read_json(dir / "summary.json")));
  const auto lines = read_lines(dir / "table.md");
  // title, blank, legend, blank, header, rule, 3 rows, overall
  ASSERT_EQ(lines.size(), 10u) << md;
  EXPECT_EQ(lines[0], std::string("# handmade — method `") + kMethod + "` (seed 9)");
  EXPECT_EQ(lines[4].rfind("| task | category | object set | scene set | trials | transfer | "
                           "robust | lift |",
                           0),
            0u)
      << lines[4];
  char expected[256];
  const auto mug = wilson(1, 3), none = wilson(0, 3);
  std::snprintf(expected, sizeof expected,
                "| mug_wrap | mug | seen | clean | 3 | 33.3 [%.1f, %.1f] | 0.0 [%.1f, %.1f] | "
                "33.3 [%.1f, %.1f] | dropped_under_force 1, slipped 2 |",
                100 * mug[0], 100 * mug[1], 100 * none[0], 100 * none[1], 100 * mug[0],
                100 * mug[1]);
  EXPECT_EQ(lines[6], expected);
  EXPECT_NE(lines[8].find("| method_error 1, wrong_part 1 |"), std::string::npos) << lines[8];
  // The overall row is bold (its headline rate too) and lists every failure
  // mode (sorted by name).
  EXPECT_EQ(lines[9].rfind("| **all** | all | all | all | 6 | **16.7** [", 0), 0u) << lines[9];
  EXPECT_NE(lines[9].find("| dropped_under_force 1, method_error 1, no_contact 1, slipped 2, "
                          "wrong_part 1 |"),
            std::string::npos)
      << lines[9];
  // A row without failures shows a dash.
  std::vector<TrialResult> all_ok = {
      result("mug_wrap", "mug", InstanceSet::kSeen, "clean", 0, true, "", 1.0)};
  all_ok[0].robust = true;
  all_ok[0].failure_mode = "none";
  const std::string ok_md = markdown_table(summarize(hand_suite(), kMethod, all_ok, 1.0));
  EXPECT_NE(ok_md.find("| 100.0 [20.7, 100.0] | - |"), std::string::npos) << ok_md;
}

}  // namespace
}  // namespace dffeval
