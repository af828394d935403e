// The results store on real SQLite files: a run and its trials round-trip,
// filters select, two writers at once both land, and a file that is not a
// store is refused naming it.

#include "eval/harness/results_store.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "common/input_error.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

StoredRunStart start(const std::string& suite, const std::string& method,
                     const std::string& commit) {
  StoredRunStart s;
  s.suite = suite;
  s.method = method;
  s.seed = 18446744073709551615ull;  // beyond SQLite's signed integers
  s.settings_hash = "abc";
  s.commit = commit;
  s.provenance = {{"host", "test"}};
  s.out_dir = "/tmp/x";
  s.trials_planned = 3;
  return s;
}

std::vector<TrialResult> results(int n, int transfers) {
  std::vector<TrialResult> out(n);
  for (int i = 0; i < n; ++i) {
    TrialResult& r = out[i];
    r.trial.id = "mug_top/novel/clean/" + std::to_string(i);
    r.trial.task = "mug_top";
    r.trial.category = "mug";
    r.trial.object_set = "novel";
    r.trial.scene_set = "clean";
    r.trial.k = i;
    r.trial.seed = 1000 + i;
    r.success = true;
    r.robust = i % 2 == 0;
    r.transfer = i < transfers;
    r.failure_mode = r.transfer ? "none" : "wrong_part";
    r.timing_s["total"] = 1.5;
    r.record = {{"id", r.trial.id}, {"fidelity", {{"contact_error", 0.1 * i}}}};
  }
  return out;
}

TEST(ResultsStore, ARunAndItsTrialsRoundTrip) {
  const fs::path file = fixtures::fresh_temp_dir("store_roundtrip") / "sub" / "store.sqlite";
  std::int64_t id = 0;
  {
    ResultsStore store(file);
    id = store.begin_run(start("novel_objects", "sparsedff", "abcdef123456"));
    const auto running = store.runs();
    ASSERT_EQ(running.size(), 1u);
    EXPECT_EQ(running[0].status, "running");
    EXPECT_EQ(running[0].trials, 0);
    store.end_run(id, results(3, 2), "finished");
  }
  const ResultsStore again(file);  // reopened: what was written is on disk
  const auto runs = again.runs();
  ASSERT_EQ(runs.size(), 1u);
  const StoredRun& r = runs[0];
  EXPECT_EQ(r.id, id);
  EXPECT_EQ(r.status, "finished");
  EXPECT_EQ(r.start.seed, 18446744073709551615ull);
  EXPECT_EQ(r.start.provenance["host"], "test");
  EXPECT_EQ(r.trials, 3);
  EXPECT_EQ(r.lift, 3);
  EXPECT_EQ(r.robust, 2);
  EXPECT_EQ(r.transfer, 2);
  EXPECT_FALSE(r.ended_utc.empty());
  const auto records = again.trial_records(id);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2]["id"], "mug_top/novel/clean/2");
  EXPECT_DOUBLE_EQ(records[1]["fidelity"]["contact_error"].get<double>(), 0.1);
}

TEST(ResultsStore, FiltersSelectBySuiteMethodAndCommitPrefix) {
  ResultsStore store(fixtures::fresh_temp_dir("store_filter") / "s.sqlite");
  store.end_run(store.begin_run(start("smoke", "sparsedff", "aaaa1111")), results(1, 1),
                "finished");
  store.end_run(store.begin_run(start("smoke", "heuristic", "aaaa2222")), results(1, 0), "failed",
                "why");
  store.end_run(store.begin_run(start("novel_objects", "sparsedff", "bbbb")), {}, "interrupted");
  EXPECT_EQ(store.runs().size(), 3u);
  EXPECT_EQ(store.runs({"smoke", "", ""}).size(), 2u);
  EXPECT_EQ(store.runs({"", "sparsedff", ""}).size(), 2u);
  EXPECT_EQ(store.runs({"", "", "aaaa"}).size(), 2u);
  const auto one = store.runs({"smoke", "", "aaaa2"});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].status, "failed");
  EXPECT_EQ(one[0].error, "why");
  EXPECT_TRUE(store.runs({"no_such_suite", "", ""}).empty());
  // Newest first.
  EXPECT_EQ(store.runs()[0].start.suite, "novel_objects");
}

TEST(ResultsStore, TwoWritersAtOnceBothLand) {
  const fs::path file = fixtures::fresh_temp_dir("store_writers") / "s.sqlite";
  { ResultsStore create(file); }
  auto writer = [&](const std::string& method) {
    ResultsStore store(file);  // a connection of its own, as another process would have
    for (int i = 0; i < 10; ++i)
      store.end_run(store.begin_run(start("smoke", method, "c")), results(50, 10), "finished");
  };
  std::thread a(writer, "sparsedff"), b(writer, "heuristic");
  a.join();
  b.join();
  const ResultsStore store(file);
  EXPECT_EQ(store.runs({"", "sparsedff", ""}).size(), 10u);
  EXPECT_EQ(store.runs({"", "heuristic", ""}).size(), 10u);
  for (const StoredRun& r : store.runs()) EXPECT_EQ(r.trials, 50);
}

TEST(ResultsStore, AFileThatIsNotAStoreIsRefusedNamingIt) {
  const fs::path dir = fixtures::fresh_temp_dir("store_bad");
  std::ofstream(dir / "text.sqlite") << "this is not a database, just some text to be refused\n";
  for (const fs::path& bad : {dir / "text.sqlite", dir}) {
    try {
      ResultsStore store(bad);
      ADD_FAILURE() << bad << " opened";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(bad.string()), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace dffeval

namespace dffeval {
namespace {

// FNV-1a 64 of "" is its offset basis, of "a" the published test value
// (Fowler, Noll, Vo: the FNV test suite).
TEST(ResultsStore, SettingsDigestIsFnv1a64) {
  EXPECT_EQ(text_digest(""), "cbf29ce484222325");
  EXPECT_EQ(text_digest("a"), "af63dc4c8601ec8c");
  EXPECT_EQ(run_settings_hash("x", "y"), text_digest("x/y"));
}

}  // namespace
}  // namespace dffeval
