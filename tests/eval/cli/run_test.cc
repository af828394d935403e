// The dffeval CLI end to end: the contract files, determinism across --jobs,
// and documented errors (exit code 2 with file, key and reason).

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/project_paths.h"
#include "eval/harness/success_stats.h"
#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/temp_dir.h"

namespace fs = std::filesystem;

namespace dffeval {
namespace {

using fixtures::read_jsonl;
using fixtures::write_small_suite;

fixtures::CommandResult run(const std::string& args, const std::string& env = "") {
  return fixtures::run_dffeval(args, env);
}

fs::path temp_dir(const std::string& name) { return fixtures::fresh_temp_dir("cli_run_" + name); }

TEST(Harness, SmokeRunWritesTheContractFiles) {
  const fs::path out = temp_dir("contract");
  const auto r = run("--suite " + write_small_suite(out).string() + " --method oracle-pose --out " +
                     out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* f :
       {"summary.json", "trials.jsonl", "table.md", "table.csv", "resolved_config.json"}) {
    EXPECT_TRUE(fs::exists(out / f)) << f;
  }
  std::ifstream in(out / "summary.json");
  const auto s = nlohmann::json::parse(in);
  EXPECT_EQ(s["suite"], "tiny");
  EXPECT_EQ(s["method"], "oracle-pose");
  EXPECT_EQ(s["seed"], 5);
  ASSERT_EQ(s["rows"].size(), 4u);
  int total = 0, ok = 0;
  for (const auto& row : s["rows"]) {
    for (const char* k :
         {"task", "category", "object_set", "scene_set", "trials", "lift", "robust", "transfer"}) {
      EXPECT_TRUE(row.contains(k)) << k;
    }
    const auto ci = wilson_interval_95(row["transfer"]["successes"], row["trials"]);
    EXPECT_DOUBLE_EQ(row["transfer"]["ci95"][0].get<double>(), ci[0]);
    // Both robust and transfer need the lift first.
    EXPECT_LE(row["robust"]["successes"], row["lift"]["successes"]);
    EXPECT_LE(row["transfer"]["successes"], row["lift"]["successes"]);
    total += row["trials"].get<int>();
    ok += row["lift"]["successes"].get<int>();
  }
  EXPECT_EQ(s["overall"]["trials"], total);
  EXPECT_EQ(s["overall"]["lift"]["successes"], ok);
  EXPECT_TRUE(s["timing_s"].contains("total"));
  EXPECT_TRUE(s["provenance"].contains("git_commit"));
  EXPECT_TRUE(s["provenance"].contains("mujoco_version"));
  const auto trials = read_jsonl(out / "trials.jsonl");
  ASSERT_EQ(trials.size(), 4u);
  for (const auto& t : trials) {
    for (const char* k : {"id", "seed", "scene", "grasp", "success", "robust", "transfer",
                          "failure_mode", "execution", "fidelity", "timing_s"}) {
      EXPECT_TRUE(t.contains(k)) << k;
    }
  }
  std::ifstream csv(out / "table.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("task,category,object_set,scene_set,trials,lift_successes,", 0), 0u)
      << header;
}

TEST(Harness, SameSeedSameResultsWhateverTheJobs) {
  const fs::path a = temp_dir("jobs1"), b = temp_dir("jobs2");
  const std::string suite = write_small_suite(a).string();
  ASSERT_EQ(run("--suite " + suite + " --method heuristic --jobs 1 --quiet --out " + a.string())
                .exit_code,
            0);
  ASSERT_EQ(run("--suite " + suite + " --method heuristic --jobs 2 --quiet --out " + b.string())
                .exit_code,
            0);
  auto ra = read_jsonl(a / "trials.jsonl"), rb = read_jsonl(b / "trials.jsonl");
  ASSERT_EQ(ra.size(), rb.size());
  for (std::size_t i = 0; i < ra.size(); ++i) {
    // Everything but wall-clock timings must match exactly.
    ra[i].erase("timing_s"), rb[i].erase("timing_s");
    ra[i]["execution"].erase("wall_time_s"), rb[i]["execution"].erase("wall_time_s");
    EXPECT_EQ(ra[i].dump(), rb[i].dump()) << "trial " << i;
  }
}

TEST(Harness, SmokeSuiteRunsWithSparseDffByDefault) {
  // The CI regression run of the real method: every task on a seen and a
  // novel instance, source fields computed from scratch (empty cache).
  const fs::path out = temp_dir("smoke_sparsedff");
  const auto r = run("--suite smoke --jobs 2 --quiet --out " + (out / "run").string(),
                     "DFFEVAL_CACHE=" + (out / "cache").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(out / "run" / "summary.json");
  const auto s = nlohmann::json::parse(in);
  EXPECT_EQ(s["method"], "sparsedff");
  const int trials = s["overall"]["trials"].get<int>();
  // One trial per task and object set (seen, novel).
  EXPECT_EQ(trials, static_cast<int>(s["rows"].size()));
  EXPECT_GE(trials, 12);
  // A regression floor, far below what the method reaches (README results),
  // so that only a real break fails it.
  EXPECT_GE(s["overall"]["lift"]["successes"].get<int>(), trials / 2) << r.output;
  for (const auto& t : read_jsonl(out / "run" / "trials.jsonl")) {
    EXPECT_TRUE(t["timing_s"].contains("method.optimize")) << t["id"];
    EXPECT_TRUE(t["method_metrics"].contains("energy")) << t["id"];
  }
  // The settings the run used are recorded with it: the settings file's
  // text as read, and the variant.
  std::ifstream rc(out / "run" / "resolved_config.json");
  const auto resolved = nlohmann::json::parse(rc);
  ASSERT_TRUE(resolved.contains("method_settings")) << resolved.dump();
  const auto& settings = resolved["method_settings"];
  EXPECT_EQ(settings["variant"], "sparsedff");
  EXPECT_EQ(settings["variant_change"], "none");
  std::ifstream yaml(project_root() / "config" / "methods" / "sparsedff.yaml");
  const std::string text((std::istreambuf_iterator<char>(yaml)), std::istreambuf_iterator<char>());
  EXPECT_EQ(settings["yaml"].get<std::string>(), text);
}

TEST(Harness, BadInputsGiveExitCode2AndNameTheProblem) {
  const fs::path dir = temp_dir("bad");
  auto r = run("--suite no_such_suite");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("known: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("smoke"), std::string::npos) << r.output;

  r = run("--suite smoke --method no_such_method --out " + dir.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("oracle-pose"), std::string::npos) << r.output;

  std::ofstream(dir / "syntax.yaml") << "name: x\nseed: [1, 2\ntrials: 1\n";
  r = run("--suite " + (dir / "syntax.yaml").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("syntax.yaml:"), std::string::npos) << r.output;

  std::ofstream(dir / "unknown.yaml") << "name: x\nseed: 1\ntasks: all\nobject_sets: [seen]\n"
                                         "scene_sets: [clean]\ntrials: 1\ntrails: 3\n";
  r = run("--suite " + (dir / "unknown.yaml").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown.yaml:7"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("trails"), std::string::npos) << r.output;

  // A project root without the hand model: the missing asset is named.
  const fs::path root = temp_dir("root");
  fs::create_directories(root / "config" / "suites");
  fs::copy(fs::path(DFFEVAL_SOURCE_DIR) / "config" / "suites" / "smoke.yaml",
           root / "config" / "suites");
  r = run("--suite smoke --out " + dir.string(), "DFFEVAL_ROOT=" + root.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("shadow_hand.xml"), std::string::npos) << r.output;

  r = run("--jobs 0");
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace dffeval
