// Running a suite's trials: results in trial order whatever the number of
// workers, the crash-safe partial file and resuming from it, and a broken
// trial recorded as internal_error without losing the run.

#include "eval/harness/suite_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "eval/harness/grasp_method.h"
#include "eval/methods/builtin_methods.h"
#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

// Unique to this file: the registry is shared by the executable's tests.
constexpr const char* kRefuses = "suite-runner-test-refuses";

/// A method that must not be asked (for resumed runs).
class RefusingMethod : public GraspMethod {
 public:
  MethodOutput plan(const MethodInput&) override {
    throw std::runtime_error("suite-runner-test: plan() was called");
  }
};

/// The tiny suite of the fixtures: 4 trials (2 tasks x seen, novel; clean).
struct TinySuite {
  fs::path dir;
  SuiteSpec suite;
  std::vector<Trial> trials;
};

TinySuite tiny_suite(const std::string& name) {
  register_builtin_methods();
  register_method({kRefuses, "test", false, [] { return std::make_unique<RefusingMethod>(); }, {}});
  TinySuite t;
  t.dir = fixtures::fresh_temp_dir("suite_runner_" + name);
  t.suite = load_suite(fixtures::write_small_suite(t.dir).string());
  t.trials = expand_trials(t.suite);
  return t;
}

RunOptions options(const std::string& method, int jobs) {
  RunOptions o;
  o.method = method;
  o.jobs = jobs;
  o.progress = false;
  return o;
}

/// A record without its wall-clock timings (which differ between runs).
nlohmann::json without_timings(nlohmann::json record) {
  record.erase("timing_s");
  if (record.contains("execution")) record["execution"].erase("wall_time_s");
  return record;
}

TEST(SuiteRunner, OneOrTwoJobsGiveTheSameRecordsInTrialOrder) {
  const TinySuite t = tiny_suite("jobs");
  ASSERT_EQ(t.trials.size(), 4u);
  const auto one = run_trials(t.suite, t.trials, options("heuristic", 1));
  const auto two = run_trials(t.suite, t.trials, options("heuristic", 2));
  ASSERT_EQ(one.size(), t.trials.size());
  ASSERT_EQ(two.size(), t.trials.size());
  for (std::size_t i = 0; i < t.trials.size(); ++i) {
    EXPECT_EQ(one[i].trial.id, t.trials[i].id);
    EXPECT_EQ(two[i].trial.id, t.trials[i].id);
    EXPECT_EQ(one[i].record["id"], t.trials[i].id);
    EXPECT_EQ(one[i].record["method"], "heuristic");
    EXPECT_TRUE(one[i].record.contains("execution")) << one[i].record.dump();
    EXPECT_EQ(one[i].success, two[i].success) << t.trials[i].id;
    EXPECT_EQ(one[i].failure_mode, two[i].failure_mode) << t.trials[i].id;
    EXPECT_EQ(without_timings(one[i].record).dump(), without_timings(two[i].record).dump())
        << t.trials[i].id;
    EXPECT_GT(one[i].timing_s.at("total"), 0.0);
  }
}

/// RemoteWorkers and TrialChannel joined in one process: serve() runs
/// serve_trials() on a thread of its own, talking through a mailbox, as an
/// MPI worker rank would (eval/harness/mpi_trial_pool.h).
class InProcessWorker : public RemoteWorkers, public TrialChannel {
 public:
  InProcessWorker(const SuiteSpec& suite, const std::vector<Trial>& trials)
      : suite_(suite), trials_(trials) {}

  void serve(const std::function<std::optional<std::size_t>()>& take,
             const std::function<void(std::size_t, const nlohmann::json&)>& finished) override {
    take_ = &take;
    finished_ = &finished;
    ran_ = serve_trials(suite_, trials_, "heuristic", *this);
  }
  std::optional<std::size_t> exchange(std::size_t index, const nlohmann::json* record) override {
    if (record) (*finished_)(index, *record);
    return (*take_)();
  }
  std::size_t ran() const { return ran_; }

 private:
  const SuiteSpec& suite_;
  const std::vector<Trial>& trials_;
  const std::function<std::optional<std::size_t>()>* take_ = nullptr;
  const std::function<void(std::size_t, const nlohmann::json&)>* finished_ = nullptr;
  std::size_t ran_ = 0;
};

TEST(SuiteRunner, ARemoteWorkerGivesTheSameRecordsAsOneProcess) {
  TinySuite t = tiny_suite("remote");
  // 12 trials: time for the remote worker to get ready (it builds its world
  // and scene sets after the local one) while trials are left.
  t.suite.trials = 3;
  t.trials = expand_trials(t.suite);
  const auto one = run_trials(t.suite, t.trials, options("heuristic", 1));
  InProcessWorker remote(t.suite, t.trials);
  RunOptions o = options("heuristic", 1);
  o.remote = &remote;
  const auto shared = run_trials(t.suite, t.trials, o);
  ASSERT_EQ(shared.size(), t.trials.size());
  EXPECT_GT(remote.ran(), 0u) << "the remote worker ran none";
  for (std::size_t i = 0; i < t.trials.size(); ++i) {
    EXPECT_EQ(shared[i].trial.id, t.trials[i].id);
    EXPECT_EQ(shared[i].failure_mode, one[i].failure_mode) << t.trials[i].id;
    EXPECT_EQ(without_timings(shared[i].record).dump(), without_timings(one[i].record).dump())
        << t.trials[i].id;
  }
}

TEST(SuiteRunner, PartialFileHoldsEveryFinishedTrial) {
  const TinySuite t = tiny_suite("partial");
  RunOptions o = options("oracle-pose", 2);
  PartialResultsFile file = PartialResultsFile::create(t.dir / "partial.jsonl", {{"run", 1}});
  o.partial = &file;
  const auto results = run_trials(t.suite, t.trials, o);
  const auto lines = fixtures::read_jsonl(file.path());
  ASSERT_EQ(lines.size(), t.trials.size() + 1);  // the header and a line per trial
  EXPECT_TRUE(lines[0].contains("dffeval_partial"));
  const auto partial = read_partial_results(file.path());
  ASSERT_EQ(partial.size(), t.trials.size());
  for (const TrialResult& r : results) {
    ASSERT_TRUE(partial.count(r.trial.id)) << r.trial.id;
    EXPECT_EQ(partial.at(r.trial.id), r.record) << r.trial.id;
  }
}

TEST(SuiteRunner, ReadPartialResultsSkipsATornLine) {
  const fs::path dir = fixtures::fresh_temp_dir("suite_runner_torn");
  std::ofstream(dir / "partial.jsonl") << "{\"id\": \"a/seen/clean/000\", \"success\": true}\n"
                                       << "{\"id\": \"b/seen/clean/000\", \"success\": false}\n"
                                       << "{\"no_id\": 1}\n"
                                       << "{\"id\": \"c/seen/clean/000\", \"succ";
  const auto partial = read_partial_results(dir / "partial.jsonl");
  ASSERT_EQ(partial.size(), 2u);
  EXPECT_EQ(partial.at("a/seen/clean/000")["success"], true);
  EXPECT_EQ(partial.at("b/seen/clean/000")["success"], false);
  EXPECT_TRUE(read_partial_results(dir / "absent.jsonl").empty());
}

TEST(SuiteRunner, ResumedTrialsAreNotRunAgain) {
  const TinySuite t = tiny_suite("resume");
  RunOptions first = options("oracle-pose", 1);
  const fs::path path = t.dir / "partial.jsonl";
  const RunFingerprint print = {{"run", 1}};
  std::vector<TrialResult> done;
  {
    PartialResultsFile file = PartialResultsFile::create(path, print);
    first.partial = &file;
    // An interrupted run: only the first two trials finished.
    const std::vector<Trial> head(t.trials.begin(), t.trials.begin() + 2);
    done = run_trials(t.suite, head, first);
  }

  // Resumed with a method that throws if asked: the two finished trials come
  // from their records, the other two fail with method_error.
  RunOptions again = options(kRefuses, 1);
  ResumedRecords resumed;
  PartialResultsFile file = PartialResultsFile::resume(path, print, resumed);
  again.partial = &file;
  again.resumed = resumed.records;
  ASSERT_EQ(again.resumed.size(), 2u);
  const auto results = run_trials(t.suite, t.trials, again);
  ASSERT_EQ(results.size(), 4u);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(results[i].record, done[i].record) << i;
    EXPECT_EQ(results[i].success, done[i].success) << i;
    EXPECT_EQ(results[i].failure_mode, done[i].failure_mode) << i;
    EXPECT_EQ(results[i].trial.id, t.trials[i].id);
  }
  for (int i = 2; i < 4; ++i) {
    EXPECT_EQ(results[i].failure_mode, "method_error") << i;
    EXPECT_FALSE(results[i].success);
    EXPECT_EQ(results[i].record["method"], kRefuses);
  }
  // Only the two new trials were appended (after the one header).
  EXPECT_EQ(fixtures::read_jsonl(path).size(), 5u);
  EXPECT_EQ(read_partial_results(path).size(), 4u);
}

TEST(SuiteRunner, TrialResultFromRecordReadsOutcomeAndTimings) {
  Trial trial;
  trial.id = "mug_wrap/seen/clean/000";
  const nlohmann::json record = {{"id", trial.id},
                                 {"success", false},
                                 {"failure_mode", "slipped"},
                                 {"timing_s", {{"total", 1.5}, {"method", 0.25}}}};
  const TrialResult r = trial_result_from_record(trial, record);
  EXPECT_EQ(r.trial.id, trial.id);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.failure_mode, "slipped");
  EXPECT_EQ(r.record, record);
  EXPECT_DOUBLE_EQ(r.timing_s.at("total"), 1.5);
  EXPECT_DOUBLE_EQ(r.timing_s.at("method"), 0.25);
  // A record without an outcome: a failure with no mode, no timings.
  const TrialResult bare = trial_result_from_record(trial, {{"id", trial.id}});
  EXPECT_FALSE(bare.success);
  EXPECT_EQ(bare.failure_mode, "none");
  EXPECT_TRUE(bare.timing_s.empty());
  EXPECT_TRUE(trial_result_from_record(trial, {{"success", true}}).success);
}

TEST(SuiteRunner, ATrialThatThrowsIsAnInternalErrorAndTheRunGoesOn) {
  const TinySuite t = tiny_suite("broken");
  std::vector<Trial> trials = {t.trials[0], t.trials[0]};
  trials[1].object_index = 1000000;  // no such instance: this trial alone throws
  trials[1].id = trials[0].task + "/seen/clean/999";
  trials[1].index = 1;
  const auto results = run_trials(t.suite, trials, options("oracle-pose", 1));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_NE(results[0].failure_mode, "internal_error");
  EXPECT_TRUE(results[0].record.contains("execution"));
  EXPECT_EQ(results[1].failure_mode, "internal_error");
  EXPECT_FALSE(results[1].success);
  EXPECT_EQ(results[1].record["id"], trials[1].id);
  EXPECT_EQ(results[1].record["failure_mode"], "internal_error");
  EXPECT_EQ(results[1].record["method"], "oracle-pose");
  EXPECT_NE(results[1].record["error"].get<std::string>().find("1000000"), std::string::npos)
      << results[1].record.dump();
}

TEST(SuiteRunner, BadInputStopsTheRunBeforeAnyTrial) {
  const TinySuite t = tiny_suite("preflight");
  std::vector<Trial> trials = {t.trials[0], t.trials[0]};
  trials[1].task = "no_such_task";  // its demonstration cannot be loaded
  trials[1].id = "no_such_task/seen/clean/000";
  PartialResultsFile file = PartialResultsFile::create(t.dir / "partial.jsonl", {{"run", 1}});
  RunOptions o = options("oracle-pose", 1);
  o.partial = &file;
  try {
    run_trials(t.suite, trials, o);
    FAIL() << "an unknown task must stop the run";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_task"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(read_partial_results(file.path()).empty());  // no trial ran
}

TEST(SuiteRunner, AStopRequestEndsTheRunWithTheFinishedTrialsOnly) {
  const TinySuite t = tiny_suite("stop");
  std::atomic<bool> stop{true};
  RunOptions o = options("oracle-pose", 2);
  o.stop = &stop;
  const auto results = run_trials(t.suite, t.trials, o);
  ASSERT_EQ(results.size(), t.trials.size());
  for (const auto& r : results) EXPECT_TRUE(r.trial.id.empty());
}

}  // namespace
}  // namespace dffeval
