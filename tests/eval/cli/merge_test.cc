// `dffeval --shard K/N` and `dffeval merge` through the real binary: three
// shards of an eight-trial suite merge into the files one run writes (apart
// from timings, provenance and the merge's own record), and everything that
// would make a wrong merge is refused with exit 2 before anything is written.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

using fixtures::contains;
using fixtures::read_json;
using fixtures::read_jsonl;
using fixtures::run_dffeval;

fs::path write_suite(const fs::path& dir) {
  fs::create_directories(dir);
  const fs::path f = dir / "eight.yaml";
  std::ofstream(f) << "name: eight\nseed: 11\ntasks: [can_wrap, mug_top]\n"
                      "object_sets: [seen, novel]\nscene_sets: [clean]\ntrials: 2\n";
  return f;
}

std::string text_of(const fs::path& file) {
  std::ifstream in(file);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// A record without what may differ between a single and a sharded run.
nlohmann::json outcome(nlohmann::json r) {
  r.erase("timing_s");
  if (r.contains("execution")) r["execution"].erase("wall_time_s");
  if (r.contains("method_metrics")) r["method_metrics"].erase("source_from_disk_cache");
  return r;
}

TEST(MergeVerb, ThreeShardsMergeIntoTheFilesOfOneRun) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_merge");
  const std::string suite = " --suite " + write_suite(dir).string() + " --method heuristic -q";
  auto r = run_dffeval(suite + " --out " + (dir / "whole").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string shards;
  for (int k = 1; k <= 3; ++k) {
    const fs::path out = dir / ("shard" + std::to_string(k));
    r = run_dffeval(suite + " --shard " + std::to_string(k) + "/3 --out " + out.string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto s = read_json(out / "summary.json");
    EXPECT_EQ(s["shard"]["index"], k);
    EXPECT_EQ(s["trials_in_suite"], 8);
    EXPECT_EQ(s["overall"]["trials"], k < 3 ? 3 : 2);                        // trials k-1, k+2, k+5
    shards = (dir / ("shard" + std::to_string(k))).string() + " " + shards;  // any order
  }
  const fs::path db = dir / "store.sqlite";
  r = run_dffeval("merge " + shards + "--out " + (dir / "merged").string() + " --db " +
                  db.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "merged 3 shards (8 trials of suite eight")) << r.output;
  // The merged run is in the store, as one finished run of 8 trials.
  r = run_dffeval("runs --json --db " + db.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto listed = nlohmann::json::parse(r.output.substr(r.output.find('[')));
  ASSERT_EQ(listed.size(), 1u) << r.output;
  EXPECT_EQ(listed[0]["trials"], 8) << r.output;
  EXPECT_EQ(listed[0]["status"], "finished");
  EXPECT_EQ(listed[0]["out_dir"], fs::absolute(dir / "merged").lexically_normal().string());

  const auto whole = read_jsonl(dir / "whole" / "trials.jsonl");
  const auto merged = read_jsonl(dir / "merged" / "trials.jsonl");
  ASSERT_EQ(merged.size(), whole.size());
  for (std::size_t i = 0; i < whole.size(); ++i)
    EXPECT_EQ(outcome(merged[i]).dump(), outcome(whole[i]).dump()) << "trial " << i;
  for (const char* f : {"table.md", "table.csv"})
    EXPECT_EQ(text_of(dir / "merged" / f), text_of(dir / "whole" / f)) << f;
  auto sw = read_json(dir / "whole" / "summary.json");
  auto sm = read_json(dir / "merged" / "summary.json");
  EXPECT_EQ(sm["merged_from"]["count"], 3);
  EXPECT_EQ(sm["merged_from"]["dirs"][0], (dir / "shard1").string());
  for (auto* s : {&sw, &sm}) s->erase("timing_s"), s->erase("provenance"), s->erase("merged_from");
  EXPECT_EQ(sm.dump(), sw.dump());
  auto cw = read_json(dir / "whole" / "resolved_config.json");
  auto cm = read_json(dir / "merged" / "resolved_config.json");
  cw.erase("provenance"), cm.erase("provenance");
  EXPECT_EQ(cm.dump(), cw.dump());
}

TEST(MergeVerb, WhatWouldMakeAWrongMergeIsExitCode2) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_merge_bad");
  const std::string suite = " --suite " + write_suite(dir).string() + " --method heuristic -q";
  for (int k = 1; k <= 2; ++k)
    ASSERT_EQ(run_dffeval(suite + " --shard " + std::to_string(k) + "/2 --out " +
                          (dir / ("s" + std::to_string(k))).string())
                  .exit_code,
              0);
  ASSERT_EQ(
      run_dffeval(suite + " --seed 12 --shard 2/2 --out " + (dir / "seed12").string()).exit_code,
      0);
  ASSERT_EQ(run_dffeval(suite + " --out " + (dir / "whole").string()).exit_code, 0);
  const std::string s1 = (dir / "s1").string() + " ", s2 = (dir / "s2").string() + " ";
  const std::string out = " --out " + (dir / "m").string();

  auto r = run_dffeval("merge " + s1 + out);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "shard(s) 2/2 missing")) << r.output;
  r = run_dffeval("merge " + s1 + s1 + s2 + out);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "shard 1/2 given twice")) << r.output;
  r = run_dffeval("merge " + s1 + (dir / "seed12").string() + out);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "different suite settings")) << r.output;
  r = run_dffeval("merge " + s1 + (dir / "whole").string() + out);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "not the result of a `dffeval --shard K/N` run")) << r.output;
  // A trial record removed from a shard.
  fs::copy(dir / "s2", dir / "s2_cut");
  {
    auto lines = read_jsonl(dir / "s2_cut" / "trials.jsonl");
    std::ofstream cut(dir / "s2_cut" / "trials.jsonl");
    for (std::size_t i = 1; i < lines.size(); ++i) cut << lines[i].dump() << "\n";
  }
  r = run_dffeval("merge " + s1 + (dir / "s2_cut").string() + out);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "is in no shard (shard 2/2)")) << r.output;
  EXPECT_FALSE(fs::exists(dir / "m" / "summary.json"));

  // Shards that cannot be: refused by the run, before any trial.
  for (const char* bad : {"0/2", "3/2", "x"}) {
    r = run_dffeval(suite + " --shard " + bad + " --out " + (dir / "bad").string());
    EXPECT_EQ(r.exit_code, 2) << bad << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, "expected K/N")) << r.output;
  }
  r = run_dffeval(suite + " --shard 9/9 --out " + (dir / "bad").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "no trials (suite eight has 8")) << r.output;
}

}  // namespace
}  // namespace dffeval
