// BM_StoreRun: what the results store adds to a run: one run of 320 trials
// (the size of real_conditions) added to a store on disk, records of the
// size a real trial writes (~10 KB of JSON). items_per_second gives the
// overhead per trial, to hold against a trial's ~1.3 s.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <filesystem>

#include "eval/harness/results_store.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

std::vector<TrialResult> trials_like_a_run(int n) {
  std::vector<TrialResult> out(n);
  for (int i = 0; i < n; ++i) {
    TrialResult& r = out[i];
    r.trial.id = "mug_top/novel/real_like/" + std::to_string(i);
    r.trial.task = "mug_top";
    r.trial.category = "mug";
    r.trial.object_set = "novel";
    r.trial.scene_set = "real_like";
    r.trial.k = i;
    r.trial.seed = 0x9e3779b97f4a7c15ull * (i + 1);
    r.success = r.robust = i % 3 != 0;
    r.transfer = i % 2 == 0;
    r.failure_mode = r.transfer ? "none" : "wrong_part";
    r.timing_s["total"] = 1.3;
    nlohmann::json rec = {{"id", r.trial.id}, {"fidelity", {{"contact_error", 0.05}}}};
    // The bulk of a real record: poses, joint angles, contacts, timings.
    for (int k = 0; k < 400; ++k) rec["numbers"].push_back(0.123456789 * k + i);
    r.record = std::move(rec);
  }
  return out;
}

void BM_StoreRun(benchmark::State& state) {
  const auto dir = fixtures::fresh_temp_dir("bench_store");
  const auto trials = trials_like_a_run(320);
  ResultsStore store(dir / "store.sqlite");
  StoredRunStart start;
  start.suite = "real_conditions";
  start.method = "sparsedff";
  start.trials_planned = trials.size();
  for (auto _ : state) store.end_run(store.begin_run(start), trials, "finished");
  // items_per_second: trials stored per second; 1e6 / it is us per trial.
  state.SetItemsProcessed(static_cast<std::int64_t>(trials.size()) * state.iterations());
}
BENCHMARK(BM_StoreRun)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace
}  // namespace dffeval
