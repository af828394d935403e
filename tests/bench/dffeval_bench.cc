// dffeval_bench: speed targets, measured with Google Benchmark.
//   BM_RenderViews   the 4 RGB-D views of a clean scene at 320x240 (target < 0.3 s)
//   BM_ExecuteGrasp  one grasp trial's physics on mug_wrap, the slowest wrap
//                    (target > 20x real time: the counter sim_s_per_wall_s
//                    reports the ratio)
//   BM_ExecuteGraspEveryTask  one trial of every demonstration per iteration
//                    (mugs and bowls, built of many box parts, cost the most)
//   BM_ForceTest     the six pushes of the force test on mug_wrap's held
//                    grasp (compare with BM_ExecuteGrasp: target well below it)
//   BM_WholeTrial    whole novel_objects trials with sparsedff on one core
//                    (compose, render, method, execute, force test), one per
//                    task in turn after each task's source model is made;
//                    target median < 1.3 s (the counter median_s)

#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

#include "eval/harness/demonstration.h"
#include "eval/harness/grasp_method.h"
#include "eval/harness/suite.h"
#include "eval/harness/trial_runner.h"
#include "eval/methods/builtin_methods.h"
#include "pipeline/transfer/sparsedff_transfer.h"
#include "sim/force_test.h"
#include "sim/grasp_executor.h"
#include "sim/rgbd_renderer.h"

namespace dffeval {
namespace {

void BM_RenderViews(benchmark::State& state) {
  const Demonstration demo = load_demonstration("mug_wrap");
  auto world = World::compose(draw_source_scene(demo, load_scene_set("clean")));
  const MjDataPtr d_data = world->make_settled_data();
  mjData* d = d_data.get();
  RgbdRenderer renderer;
  renderer.render(*world, d);  // warm-up: uploads the model to the GL context
  for (auto _ : state) benchmark::DoNotOptimize(renderer.render(*world, d));
  state.counters["views"] = static_cast<double>(world->scene().cameras.size());
}
BENCHMARK(BM_RenderViews)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_ExecuteGrasp(benchmark::State& state) {
  const Demonstration demo = load_demonstration("mug_wrap");
  auto world = World::compose(draw_source_scene(demo, load_scene_set("clean")));
  const MjDataPtr settled_data = world->make_settled_data();
  mjData* settled = settled_data.get();
  const Grasp g = demo.grasp_in_world(world->body_pose(settled, world->target_body()));
  const MjDataPtr d_data = world->make_data();
  mjData* d = d_data.get();
  double sim_s = 0, wall_s = 0;
  for (auto _ : state) {
    state.PauseTiming();
    mj_copyData(d, world->model(), settled);  // restore the snapshot
    state.ResumeTiming();
    const ExecutionResult r = execute_grasp(*world, d, g);
    sim_s += r.sim_time_s;
    wall_s += r.wall_time_s;
    if (!r.success) state.SkipWithError("the demonstration failed");
  }
  state.counters["sim_s_per_wall_s"] = sim_s / wall_s;
}
BENCHMARK(BM_ExecuteGrasp)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_ExecuteGraspEveryTask(benchmark::State& state) {
  struct Case {
    std::unique_ptr<World> world;
    MjDataPtr settled;
    MjDataPtr d;
    Grasp grasp;
  };
  std::vector<Case> cases;
  for (const auto& task : list_tasks()) {
    const Demonstration demo = load_demonstration(task);
    Case c;
    c.world = World::compose(draw_source_scene(demo, load_scene_set("clean")));
    c.settled = c.world->make_settled_data();
    c.grasp = demo.grasp_in_world(c.world->body_pose(c.settled.get(), c.world->target_body()));
    c.d = c.world->make_data();
    cases.push_back(std::move(c));
  }
  double sim_s = 0, wall_s = 0;
  int failed = 0;
  for (auto _ : state) {
    for (auto& c : cases) {
      state.PauseTiming();
      mj_copyData(c.d.get(), c.world->model(), c.settled.get());
      state.ResumeTiming();
      const ExecutionResult r = execute_grasp(*c.world, c.d.get(), c.grasp);
      sim_s += r.sim_time_s;
      wall_s += r.wall_time_s;
      failed += !r.success;
    }
  }
  state.counters["tasks"] = static_cast<double>(cases.size());
  state.counters["sim_s_per_wall_s"] = sim_s / wall_s;
  if (failed) state.SkipWithError("a demonstration failed");
}
BENCHMARK(BM_ExecuteGraspEveryTask)->Unit(benchmark::kMillisecond)->MinTime(4.0);

void BM_ForceTest(benchmark::State& state) {
  const Demonstration demo = load_demonstration("mug_wrap");
  auto world = World::compose(draw_source_scene(demo, load_scene_set("clean")));
  const MjDataPtr held = world->make_settled_data();
  const Grasp g = demo.grasp_in_world(world->body_pose(held.get(), world->target_body()));
  if (!execute_grasp(*world, held.get(), g).success) {
    state.SkipWithError("the demonstration failed");
    return;
  }
  double sim_s = 0;
  for (auto _ : state) {
    const ForceTestResult r = run_force_test(*world, held.get());
    sim_s += r.sim_time_s;
    if (!r.holds) state.SkipWithError("the demonstration did not hold under force");
  }
  state.counters["sim_s"] = sim_s / static_cast<double>(state.iterations());
}
BENCHMARK(BM_ForceTest)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_WholeTrial(benchmark::State& state) {
  set_torch_threads(1);
  register_builtin_methods();
  const SuiteSpec suite = load_suite("novel_objects");
  std::vector<Trial> trials;
  for (const Trial& t : expand_trials(suite))
    if (t.k == 1) trials.push_back(t);  // one per task
  TrialRunner runner(suite, find_method("sparsedff"));
  for (const Trial& t : trials) runner.run(t);  // warm-up: each task's source model
  std::map<std::string, std::vector<double>> seconds;
  std::size_t next = 0;
  for (auto _ : state) {
    TrialResult r = runner.run(trials[next++ % trials.size()]);
    for (const char* part : {"total", "method", "execute", "force_test"})
      seconds[part].push_back(r.timing_s[part]);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  state.counters["median_s"] = median(seconds["total"]);
  // The parts, so that the force test's share is read in the same run.
  state.counters["method_median_s"] = median(seconds["method"]);
  state.counters["execute_median_s"] = median(seconds["execute"]);
  state.counters["force_test_median_s"] = median(seconds["force_test"]);
  state.counters["trials"] = static_cast<double>(seconds["total"].size());
}
BENCHMARK(BM_WholeTrial)->Unit(benchmark::kMillisecond)->Iterations(16);

}  // namespace
}  // namespace dffeval

BENCHMARK_MAIN();
