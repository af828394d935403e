// The dffeval CLI end to end: the contract files, determinism across --jobs,
// and documented errors (exit code 2 with file, key and reason).

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>
#include <vector>

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

const fs::path kSmokeBaseline =
    fs::path(DFFEVAL_SOURCE_DIR) / "results" / "baselines" / "smoke-sparsedff";

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

  // The CI regression check: this build against the committed smoke
  // baseline (remade with `dffeval --suite smoke --out
  // results/baselines/smoke-sparsedff` when a change is meant to move it).
  const auto cmp =
      run("compare " + (out / "run").string() + " --against " + kSmokeBaseline.string() +
          " --fail-on-regression --out " + (out / "cmp").string());
  EXPECT_EQ(cmp.exit_code, 0) << cmp.output;
  EXPECT_TRUE(fixtures::contains(cmp.output, "Regression check: none")) << cmp.output;
}

TEST(Harness, ADeliberateRegressionFailsTheSmokeCheckWithExitCode3) {
  // A grasp anywhere on the object instead of the demonstrated one.
  const fs::path out = temp_dir("smoke_regression");
  auto r = run("--suite smoke --method heuristic --jobs 2 --quiet --out " + (out / "run").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run("compare " + (out / "run").string() + " --against " + kSmokeBaseline.string() +
          " --fail-on-regression --out " + (out / "cmp").string());
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_TRUE(fixtures::contains(r.output, "| all | all | all | transfer |")) << r.output;
  const auto cmp = fixtures::read_json(out / "cmp" / "comparison.json");
  EXPECT_FALSE(cmp["flipped"].empty());
  for (const auto& f : cmp["flipped"]) EXPECT_TRUE(f.contains("b_failure_mode")) << f.dump();
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

TEST(Harness, BadNumbersOnTheCommandLineAreRefused) {
  for (const std::string args : {"--trials 0", "--trials -4", "--trials 1000000000", "--seed -5",
                                 "--seed 1.5", "--seed 18446744073709551616"}) {
    // Cheap if wrongly accepted: one heuristic trial per cell.
    const auto r = run("--suite smoke --method heuristic --quiet --out " +
                       temp_dir("bad_number").string() + " " + args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
  }
  // Seeds at and above 2^63 are seeds like any other.
  const fs::path dir = temp_dir("big_seed");
  const auto r = run("--suite " + write_small_suite(dir).string() +
                     " --method heuristic --quiet --seed 18446744073709551615 --out " +
                     (dir / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(fixtures::read_json(dir / "out" / "summary.json")["seed"].dump(),
            "18446744073709551615");
}

TEST(Harness, AnOutputThatCannotBeWrittenIsExitCode2AndNeverWrote) {
  const fs::path dir = temp_dir("unwritable");
  const std::string suite = "--suite " + write_small_suite(dir).string() + " --method heuristic";
  std::ofstream(dir / "plain") << "x";
  auto r = run(suite + " --out " + (dir / "plain").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(fixtures::contains(r.output, "is a file")) << r.output;
  // trials.jsonl cannot be written: a (non-empty) folder stands in its place.
  fs::create_directories(dir / "out" / "trials.jsonl" / "x");
  r = run(suite + " --out " + (dir / "out").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(fixtures::contains(r.output, "trials.jsonl")) << r.output;
  EXPECT_FALSE(fixtures::contains(r.output, "wrote")) << r.output;
  // What was computed is kept: every trial is in the partial file.
  EXPECT_EQ(read_jsonl(dir / "out" / "trials.partial.jsonl").size(), 5u);
}

/// Runs `command` (bash) with $DFFEVAL set to the binary; exit code and output.
fixtures::CommandResult shell(const std::string& command) {
  const fs::path script = temp_dir("shell") / "run.sh";
  std::ofstream(script) << "export DFFEVAL_DB=${DFFEVAL_DB:-none}\nDFFEVAL=" << DFFEVAL_BINARY
                        << "\n"
                        << command << "\n";
  const std::string cmd = "bash " + script.string() + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  return {WEXITSTATUS(status), out};
}

/// Starts `args` in the background, waits until its partial file has
/// `lines` lines (header included), sends `signal`, and prints its exit code.
std::string interrupted_run(const std::string& args, const fs::path& partial, int lines,
                            const std::string& signal) {
  return fmt::format(
      "$DFFEVAL {0} & pid=$!\n"
      "for i in $(seq 600); do [ \"$(cat {1} 2>/dev/null | wc -l)\" -ge {2} ] && break; "
      "sleep 0.05; done\n"
      "kill -{3} $pid; wait $pid; echo \"rc=$?\"\n",
      args, partial.string(), lines, signal);
}

std::vector<std::string> outcomes(const fs::path& trials) {
  std::vector<std::string> out;
  for (auto r : read_jsonl(trials)) {
    r.erase("timing_s");
    if (r.contains("execution")) r["execution"].erase("wall_time_s");
    out.push_back(r.dump());
  }
  return out;
}

TEST(Harness, InterruptedRunsResumeToTheUninterruptedResult) {
  const fs::path dir = temp_dir("interrupt");
  const std::string base =
      "--suite " + write_small_suite(dir).string() + " --method heuristic --trials 2 --quiet";
  ASSERT_EQ(run(base + " --out " + (dir / "whole").string()).exit_code, 0);
  const auto whole = outcomes(dir / "whole" / "trials.jsonl");
  ASSERT_EQ(whole.size(), 8u);

  // Ctrl-C: the trials in flight finish, a summary marked incomplete is
  // written, the way to resume is printed, exit 130.
  const fs::path out = dir / "cut";
  const fs::path partial = out / "trials.partial.jsonl";
  const std::string args = base + " --out " + out.string();
  auto r = shell(interrupted_run(args, partial, 3, "INT"));
  EXPECT_TRUE(fixtures::contains(r.output, "rc=130")) << r.output;
  EXPECT_TRUE(fixtures::contains(r.output, "--resume")) << r.output;
  const auto summary = fixtures::read_json(out / "summary.json");
  EXPECT_EQ(summary["incomplete"], true);
  EXPECT_LT(summary["overall"]["trials"].get<int>(), 8);
  EXPECT_GE(summary["overall"]["trials"].get<int>(), 2);

  // Another seed's resume is refused, naming the difference.
  r = run(args + " --seed 9 --resume");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(fixtures::contains(r.output, "seed: was 5, now 9")) << r.output;

  // kill -9 at three more points (mid-run, after each resume), a torn line
  // after the last; each resume goes on from what was kept.
  for (const int lines : {5, 6, 7}) {
    r = shell(interrupted_run(args + " --resume", partial, lines, "KILL"));
    EXPECT_TRUE(fixtures::contains(r.output, "rc=137")) << r.output;
  }
  std::ofstream(partial, std::ios::app) << "{\"id\": \"can_wrap/seen/clean/0";
  r = run(args + " --resume");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fixtures::contains(r.output, "torn last line")) << r.output;
  EXPECT_EQ(outcomes(out / "trials.jsonl"), whole);
  EXPECT_FALSE(fs::exists(partial));
  EXPECT_FALSE(fixtures::read_json(out / "summary.json").contains("incomplete"));
}

TEST(Harness, ASecondRunOnTheSameOutputIsRefused) {
  const fs::path dir = temp_dir("locked");
  const fs::path out = dir / "out";
  fs::create_directories(out);
  // flock(1) holds the folder's lock while dffeval runs, as a first run would.
  const auto r = run(
      "--suite " + write_small_suite(dir).string() + " --method heuristic --out " + out.string(),
      "flock -n " + (out / ".dffeval.lock").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(fixtures::contains(r.output, "another dffeval run")) << r.output;
  EXPECT_FALSE(fs::exists(out / "summary.json"));
}

}  // namespace
}  // namespace dffeval

namespace dffeval {
namespace {

TEST(Harness, KeyValueOverridesAreAppliedRecordedAndValidated) {
  const fs::path dir = temp_dir("overrides");
  const std::string suite = "--suite " + write_small_suite(dir).string();
  auto r = run(suite + " --method heuristic -q trials=2 execution.hold_time_s=1.5 --out " +
               (dir / "ok").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto summary = fixtures::read_json(dir / "ok" / "summary.json");
  EXPECT_EQ(summary["overall"]["trials"], 8);  // 2 tasks x 2 sets x trials=2
  const auto resolved = fixtures::read_json(dir / "ok" / "resolved_config.json");
  EXPECT_DOUBLE_EQ(resolved["suite"]["execution"]["hold_time_s"].get<double>(), 1.5);
  ASSERT_EQ(resolved["suite"]["overrides"].size(), 2u);
  EXPECT_EQ(resolved["suite"]["overrides"][0], "trials=2");

  // Each refused with exit 2, naming the key and why, before any trial.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"execution.hold_tme_s=2", "unknown key 'execution.hold_tme_s'"},
      {"trials=0", "trials"},
      {"trials=many", "trials"},
      {"execution.hold_time_s=.nan", "hold_time_s"},
      {"execution.hold_time_s=0.5",
       "overrides): key 'execution.hold_time_s': must be at least 1 s"},
      {"method.optimizer.iterations=5", "method heuristic has no settings"},
      {"scenes.real_like.cameras.radius_m=0.6", "uses no scene set 'real_like'"},
      {"scenes.clean.cameras.radius_m=-1", "cameras.radius_m"},
      {"hold_time_s", "no '='"}};
  for (const auto& [arg, message] : bad) {
    r = run(suite + " --method heuristic -q " + arg + " --out " + (dir / "bad").string());
    EXPECT_EQ(r.exit_code, 2) << arg << "\n" << r.output;
    EXPECT_TRUE(fixtures::contains(r.output, message)) << arg << "\n" << r.output;
    EXPECT_FALSE(fs::exists(dir / "bad" / "trials.jsonl")) << arg;
  }
  // Method settings are validated by their own reader.
  r = run(suite + " -q method.optimizer.iterationz=5 --out " + (dir / "bad").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(fixtures::contains(r.output, "sparsedff.yaml (with command-line overrides)"))
      << r.output;
  EXPECT_TRUE(fixtures::contains(r.output, "optimizer.iterationz")) << r.output;
}

}  // namespace
}  // namespace dffeval

namespace dffeval {
namespace {

// `--record all`: an MP4 per trial in OUT/videos, counted in the summary,
// the records the same as without it, and the report links each video;
// without ffmpeg on the PATH the run is refused before any trial.
TEST(Harness, RecordWritesAVideoPerTrialAndChangesNoRecord) {
  const fs::path dir = temp_dir("record"), plain = dir / "plain", filmed = dir / "filmed";
  const std::string suite = "--suite " + write_small_suite(dir).string() + " --method heuristic";
  ASSERT_EQ(run(suite + " --quiet --out " + plain.string()).exit_code, 0);
  const auto r = run(suite + " --quiet --record all --jobs 2 --out " + filmed.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto ra = read_jsonl(plain / "trials.jsonl"), rb = read_jsonl(filmed / "trials.jsonl");
  ASSERT_EQ(ra.size(), 4u);
  ASSERT_EQ(rb.size(), 4u);
  for (std::size_t i = 0; i < ra.size(); ++i) {
    ra[i].erase("timing_s"), rb[i].erase("timing_s");
    ra[i]["execution"].erase("wall_time_s"), rb[i]["execution"].erase("wall_time_s");
    EXPECT_EQ(ra[i].dump(), rb[i].dump()) << "trial " << i;
    const std::string name = rb[i]["id"].get<std::string>();
    std::string file = name;
    std::replace(file.begin(), file.end(), '/', '_');
    EXPECT_GT(fs::file_size(filmed / "videos" / (file + ".mp4")), 1000u) << name;
  }
  const auto summary = fixtures::read_json(filmed / "summary.json");
  EXPECT_EQ(summary["videos"]["videos"], 4) << summary["videos"].dump();
  EXPECT_EQ(summary["videos"]["which"], "all");
  EXPECT_GT(summary["videos"]["mean_wall_time_s"].get<double>(), 0.0);

  const auto rep = run("report " + filmed.string() + " --gallery all");
  ASSERT_EQ(rep.exit_code, 0) << rep.output;
  std::ifstream in(filmed / "report.html");
  const std::string html{std::istreambuf_iterator<char>(in), {}};
  int links = 0;
  for (auto at = html.find(">video</a>"); at != std::string::npos;
       at = html.find(">video</a>", at + 1))
    ++links;
  EXPECT_EQ(links, 4);
  EXPECT_NE(html.find("href=\"videos/can_wrap_seen_clean_000.mp4\""), std::string::npos);

  const auto none = run(suite + " --record failures --out " + (dir / "nope").string(),
                        "PATH=" + (dir / "empty").string());
  EXPECT_EQ(none.exit_code, 2) << none.output;
  EXPECT_NE(none.output.find("--record needs the ffmpeg program"), std::string::npos)
      << none.output;
  EXPECT_FALSE(fs::exists(dir / "nope" / "trials.jsonl"));
}

}  // namespace
}  // namespace dffeval
