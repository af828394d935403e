// dffeval: the command line. Thin: parses arguments and calls eval/.
// Exit codes: 0 run completed (whatever the success rate), 2 bad usage or bad
// input (the message names the file, key and reason), 1 internal failure.

#include <fmt/format.h>
#include <mujoco/mujoco.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "common/input_error.h"
#include "common/project_paths.h"
#include "common/provenance.h"
#include "eval/demo_authoring.h"
#include "eval/demonstration.h"
#include "eval/field_evaluation.h"
#include "eval/field_views.h"
#include "eval/grasp_method.h"
#include "eval/result_report.h"
#include "eval/scene_recipe.h"
#include "eval/suite.h"
#include "eval/suite_runner.h"
#include "eval/train_backbone_job.h"
#include "eval/transfer_job.h"
#include "eval/trial_runner.h"
#include "pipeline/observation_io.h"
#include "sim/rgbd_renderer.h"
#include "sim/scene_spec.h"

namespace fs = std::filesystem;
using namespace dffeval;

namespace {

struct RunArgs {
  std::string suite = "smoke";
  std::string method;
  int trials = 0;
  long long seed = -1;
  int jobs = 1;
  std::string out;
  bool resume = false;
  bool quiet = false;
};

int run_suite(const RunArgs& a) {
  // A missing asset is bad input, reported before any trial runs.
  require_project_file("assets/shadow_hand.xml", "Shadow hand model");
  SuiteSpec suite = load_suite(a.suite);
  if (a.trials > 0) suite.trials = a.trials;
  if (a.seed >= 0) suite.seed = static_cast<std::uint64_t>(a.seed);
  const std::string method = a.method.empty() ? suite.method : a.method;
  const MethodInfo& info = find_method(method);
  const fs::path out =
      a.out.empty() ? project_root() / "results" / (suite.name + "-" + method) : fs::path(a.out);
  fs::create_directories(out);
  const auto trials = expand_trials(suite);

  RunOptions opt;
  opt.method = method;
  opt.jobs = a.jobs;
  opt.progress = !a.quiet;
  opt.partial_file = out / "trials.partial.jsonl";
  if (a.resume) {
    for (auto& [id, rec] : read_partial_results(opt.partial_file)) {
      if (rec.value("method", "") == method) opt.resumed[id] = rec;
    }
  } else {
    fs::remove(opt.partial_file);
  }
  fmt::print(stderr, "suite {} ({} trials), method {}{}, seed {}, {} job(s) -> {}\n", suite.name,
             trials.size(), method,
             info.uses_ground_truth ? " [PRIVILEGED: reads ground truth]" : "", suite.seed, a.jobs,
             out.string());
  const auto t0 = std::chrono::steady_clock::now();
  const auto results = run_trials(suite, trials, opt);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  write_results(out, suite, method, results, wall);
  fs::remove(opt.partial_file);
  std::ifstream table(out / "table.md");
  std::cout << table.rdbuf() << "\n";
  fmt::print(stderr,
             "wrote {}/{{summary.json,trials.jsonl,table.md,table.csv,resolved_config.json}} in "
             "{:.1f} s\n",
             out.string(), wall);
  return 0;
}

int list_everything() {
  fmt::print("suites:\n");
  for (const auto& s : list_suites()) {
    std::string desc;
    try {
      desc = load_suite(s).description;
    } catch (const std::exception& e) {
      desc = std::string("(invalid: ") + e.what() + ")";
    }
    fmt::print("  {:<16} {}\n", s, desc);
  }
  fmt::print("tasks:\n");
  for (const auto& t : list_tasks()) {
    const Demonstration d = load_demonstration(t);
    fmt::print("  {:<16} {:<8} {}\n", t, d.category, d.description);
  }
  fmt::print("methods:\n");
  for (const auto* m : list_methods()) fmt::print("  {:<16} {}\n", m->name, m->description);
  fmt::print("scene sets:\n");
  for (const auto& s : list_scene_sets())
    fmt::print("  {:<16} {}\n", s, load_scene_spec(s).description);
  fmt::print("object categories (seen / novel instances each):\n");
  for (const auto& c : object_categories())
    fmt::print("  {:<16} {} / {}\n", c, instances_per_set(), instances_per_set());
  return 0;
}

struct RenderArgs {
  std::string scene_set = "clean";
  std::string task;
  std::string category = "mug";
  std::string set = "seen";
  int index = 0;
  long long seed = 0;
  std::string out = "results/render";
  bool segmentation = false;
  bool hand = false;
};

int render_scene(const RenderArgs& a) {
  SceneInstance scene;
  std::optional<SceneRecipe> recipe;
  if (!a.task.empty()) {
    scene = source_scene_instance(load_demonstration(a.task), load_scene_spec(a.scene_set));
  } else {
    SceneRecipe r;
    r.scene_set = a.scene_set;
    r.category = a.category;
    r.set = instance_set_from_string(a.set);
    r.index = a.index;
    r.seed = static_cast<std::uint64_t>(a.seed);
    scene = realize_scene(r);
    recipe = r;
  }
  auto world = World::compose(scene);
  mjData* d = world->make_settled_data();
  if (a.hand) {
    if (a.task.empty())
      throw InputError("--hand needs --task (the demonstration's grasp is shown)");
    const Demonstration demo = load_demonstration(a.task);
    const Grasp g = demo.grasp_in_world(world->body_pose(d, world->target_body()));
    world->teleport_hand(d, g.X_WPalm, g.joints_rad);
  }
  RgbdRenderer renderer;
  const RenderedViews views = renderer.render(*world, d, a.segmentation);
  nlohmann::json extra;
  extra["scene"] = scene.to_json();
  extra["scene"]["X_WTargetObj_settled"] = pose_to_json(world->body_pose(d, world->target_body()));
  extra["provenance"] = provenance();
  // How to draw this scene again (for `dffeval transfer --execute`).
  if (recipe) extra["scene_recipe"] = recipe_to_json(*recipe);
  save_observation(views.observation, a.out, extra);
  for (std::size_t i = 0; i < views.segmentation_body.size(); ++i) {
    const auto& v = views.observation.views[i];
    write_rgb_png(fs::path(a.out) / (v.name + "_seg.png"), v.width, v.height,
                  segmentation_picture(*world, views.segmentation_body[i]));
  }
  mj_deleteData(d);
  fmt::print("rendered {} views of {} ({}, target {}) with {} -> {}\n",
             views.observation.views.size(), a.task.empty() ? a.category : a.task, a.scene_set,
             scene.target.object.id(), renderer.gl_backend(), a.out);
  return 0;
}

int verify_demos(const std::string& task) {
  int failed = 0;
  for (const auto& t : task == "all" ? list_tasks() : std::vector<std::string>{task}) {
    const Demonstration demo = load_demonstration(t);
    const ExecutionResult r = verify_demonstration(demo);
    fmt::print("{:<16} {:<8} lift {:.3f} m  penetration {:.1f} mm  contacts {}  ({})\n", t,
               r.success ? "success" : to_string(r.failure), r.object_lift_m,
               1000 * r.initial_penetration_m, r.hand_object_contacts_at_end, demo.description);
    failed += !r.success;
  }
  return failed ? 1 : 0;
}

struct AuthorArgs {
  std::string task, category, description, preset = "power";
  int index = 0;
  std::vector<double> pos, normal, fingers;
  std::string out;
};

int author_demo(const AuthorArgs& a) {
  Demonstration d;
  d.task = a.task;
  d.category = a.category;
  d.description = a.description;
  d.source_set = InstanceSet::kSeen;
  d.source_index = a.index;
  d.X_ObjPalm = palm_pose_from_axes(Eigen::Vector3d(a.pos[0], a.pos[1], a.pos[2]),
                                    Eigen::Vector3d(a.normal[0], a.normal[1], a.normal[2]),
                                    Eigen::Vector3d(a.fingers[0], a.fingers[1], a.fingers[2]));
  d.joints_rad = close_fingers_on_object(d, closure_preset(a.preset));
  const ExecutionResult r = verify_demonstration(d);
  fmt::print("{}: {} (lift {:.3f} m, penetration {:.1f} mm {}, contacts {})\n", a.task,
             r.success ? "success" : to_string(r.failure), r.object_lift_m,
             1000 * r.initial_penetration_m, r.initial_penetration_pair,
             r.hand_object_contacts_at_end);
  const fs::path out =
      a.out.empty() ? project_root() / "assets" / "demos" / (a.task + ".yaml") : fs::path(a.out);
  save_demonstration(d, out);
  fmt::print("wrote {}\n", out.string());
  return r.success ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  add_provenance_entry("mujoco_version", std::to_string(mj_version()));
  // One LibTorch thread per worker: suites parallelize across trials
  // (--jobs), and results then do not depend on the machine's core count.
  set_torch_threads(1);
  CLI::App app{
      "dffeval: one-shot dexterous grasp transfer with sparse-view feature fields, "
      "evaluated in MuJoCo.\nWithout a subcommand: run a suite (default: smoke)."};
  app.require_subcommand(0, 1);
  RunArgs run;
  app.add_option("--suite", run.suite, "suite name in config/suites/ or a path to a .yaml")
      ->capture_default_str();
  app.add_option("--method", run.method, "grasp method (default: the suite's); see `dffeval list`");
  app.add_option("--trials", run.trials,
                 "trials per task x object set x scene set (overrides the suite)");
  app.add_option("--seed", run.seed, "suite seed (overrides the suite)");
  app.add_option("--jobs,-j", run.jobs, "parallel workers; results do not depend on it")
      ->check(CLI::Range(1, 256));
  app.add_option("--out", run.out, "output folder (default: results/SUITE-METHOD)");
  app.add_flag("--resume", run.resume, "skip trials already in OUT/trials.partial.jsonl");
  app.add_flag("--quiet,-q", run.quiet, "no progress lines");

  auto* list =
      app.add_subcommand("list", "show suites, tasks, methods, scene sets and object categories");

  RenderArgs render;
  auto* rend =
      app.add_subcommand("render", "render a scene's RGB-D views to a folder (the capture layout)");
  rend->add_option("--scene-set", render.scene_set, "scene set")->capture_default_str();
  rend->add_option("--task", render.task, "render this task's demonstration source scene");
  rend->add_option("--category", render.category, "object category")->capture_default_str();
  rend->add_option("--set", render.set, "instance set: seen | novel")->capture_default_str();
  rend->add_option("--index", render.index, "instance index")->capture_default_str();
  rend->add_option("--seed", render.seed, "scene seed")->capture_default_str();
  rend->add_option("--out", render.out, "output folder")->capture_default_str();
  rend->add_flag("--segmentation", render.segmentation, "also write diagnostic segmentation PNGs");
  rend->add_flag("--hand", render.hand, "with --task: show the hand at the demonstrated grasp");

  auto* demo = app.add_subcommand("demo", "author and verify demonstrations");
  demo->require_subcommand(1);
  std::string verify_task = "all";
  auto* verify = demo->add_subcommand("verify", "replay demonstrations on their source objects");
  verify->add_option("--task", verify_task, "task name or all")->capture_default_str();
  AuthorArgs author;
  auto* auth = demo->add_subcommand(
      "author", "place the hand, close the fingers on the object, verify, save");
  auth->add_option("--task", author.task, "task name")->required();
  auth->add_option("--category", author.category, "object category")->required();
  auth->add_option("--description", author.description, "one line for people")->required();
  auth->add_option("--index", author.index, "seen instance index of the source object");
  auth->add_option("--pos", author.pos, "palm position in the object frame, metres")
      ->expected(3)
      ->required();
  auth->add_option("--normal", author.normal, "palmar normal (palm -y) in the object frame")
      ->expected(3)
      ->required();
  auth->add_option("--fingers", author.fingers, "finger direction (palm +z) in the object frame")
      ->expected(3)
      ->required();
  auth->add_option("--preset", author.preset, "closure: power | power_flat | pinch | tripod")
      ->capture_default_str();
  auth->add_option("--out", author.out, "file (default assets/demos/TASK.yaml)");

  TrainBackboneOptions train;
  auto* tb = app.add_subcommand(
      "train-backbone", "train the learned dense-descriptor backbone on renders of seen instances");
  tb->add_option("--steps", train.steps, "optimizer steps")->capture_default_str();
  tb->add_option("--scenes", train.scenes, "training scenes rendered")->capture_default_str();
  tb->add_option("--seed", train.seed, "seed of everything")->capture_default_str();
  tb->add_option("--threads", train.threads, "LibTorch threads")->capture_default_str();
  tb->add_option("--out", train.out_path, "weights file (a .json sidecar goes beside it)")
      ->capture_default_str();

  VisOptions vis;
  auto* vi = app.add_subcommand(
      "vis", "pictures (PNG) and PLY files of feature fields (vis_features.py's modes)");
  vi->add_option("--mode", vis.mode, "similarity | volume | pca | all")->capture_default_str();
  vi->add_option("--ref", vis.ref_dir, "reference capture folder (default: embedded pair)");
  vi->add_option("--test", vis.test_dir, "test capture folder (default: embedded pair)");
  vi->add_option("--backbone", vis.backbone, "learned | geometric | torchscript");
  vi->add_option("--metric", vis.metric, "l2 | cosine")->capture_default_str();
  vi->add_option("--ref-idx", vis.ref_idx, "reference point index (-1: automatic)");
  vi->add_option("--grid", vis.grid, "volume: grid cells along the longest side")
      ->capture_default_str();
  vi->add_option("--threshold", vis.threshold, "volume: similarity drawn, in [0, 1]")
      ->capture_default_str();
  vi->add_option("--slices", vis.slices, "volume: draw this many slices instead");
  vi->add_option("--out", vis.out, "output folder (default results/vis)");

  FieldEvalOptions fe;
  auto* fev = app.add_subcommand("fieldeval",
                                 "measure feature-field quality against simulator ground truth");
  fev->add_option("--suite", fe.suite, "suite whose tasks/scenes are used")->capture_default_str();
  fev->add_option("--pairs", fe.pairs, "scene pairs per category")->capture_default_str();
  fev->add_option("--categories", fe.categories, "only these categories");
  fev->add_option("--backbones", fe.backbones, "backbones to compare");
  fev->add_option("--out", fe.out, "output folder (default results/fieldeval)");

  TransferOptions tr;
  auto* tra = app.add_subcommand(
      "transfer", "one-shot transfer of a demonstration onto one target scene (grasp + picture)");
  tra->add_option("--source", tr.source_dir, "source capture folder (default: the demo's scene)");
  tra->add_option("--target", tr.target_dir, "target capture folder (default: a drawn scene)");
  tra->add_option("--demo", tr.demo, "task name or demonstration YAML")->capture_default_str();
  tra->add_option("--method", tr.method, "sparsedff or an ablation")->capture_default_str();
  tra->add_option("--out", tr.out, "output folder")->capture_default_str();
  tra->add_flag("--execute", tr.execute, "execute the grasp in the simulator");
  tra->add_option("--target-set", tr.target_set, "drawn target: seen | novel")
      ->capture_default_str();
  tra->add_option("--target-index", tr.target_index, "drawn target: instance index")
      ->capture_default_str();
  tra->add_option("--scene-set", tr.scene_set, "drawn target: scene set")->capture_default_str();
  tra->add_option("--seed", tr.seed, "drawn target: scene seed")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    if (*list) return list_everything();
    if (*rend) return render_scene(render);
    if (*verify) return verify_demos(verify_task);
    if (*auth) return author_demo(author);
    if (*tb) {
      std::string cmd;
      for (int i = 0; i < argc; ++i) cmd += (i ? " " : "") + std::string(argv[i]);
      train.command_line = cmd;
      run_train_backbone(train, std::cout);
      return 0;
    }
    if (*vi) return run_vis(vis, std::cout);
    if (*fev) return run_fieldeval(fe, std::cout);
    if (*tra) return run_transfer(tr, std::cout);
    return run_suite(run);
  } catch (const InputError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "internal error: {}\n", e.what());
    return 1;
  }
}
