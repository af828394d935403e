#include "eval/cli/transfer.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "common/input_error.h"
#include "common/pose_json.h"
#include "common/project_paths.h"
#include "common/provenance.h"
#include "common/stopwatch.h"
#include "eval/cli/verbs.h"
#include "eval/harness/demonstration.h"
#include "eval/harness/draw_recipe.h"
#include "eval/harness/output_folder.h"
#include "eval/harness/trial_runner.h"
#include "eval/methods/sparsedff_method.h"
#include "eval/viz/transfer_picture.h"
#include "pipeline/cloud/observation_io.h"
#include "sim/grasp_executor.h"
#include "sim/rgbd_renderer.h"
#include "sim/sensed_observation.h"
#include "sim/world.h"

namespace dffeval {
namespace fs = std::filesystem;

namespace {

nlohmann::json grasp_to_json(const Grasp& g) {
  nlohmann::json joints = nlohmann::json::object();
  for (int i = 0; i < kNumHandJoints; ++i) joints[hand_joint_names()[i]] = g.joints_rad[i];
  return {{"X_WPalm", pose_to_json(g.X_WPalm)}, {"joints_rad", joints}};
}

/// A scene that exists in the simulator: its world, settled state and views.
struct LiveScene {
  std::unique_ptr<World> world;
  MjDataPtr data;
  mjData* d = nullptr;  // data.get()
  /// The views through the scene set's sensor and calibration error.
  Observation observation;
  Eigen::Isometry3d X_WObj = Eigen::Isometry3d::Identity();
};

std::unique_ptr<LiveScene> live_scene(const DrawnScene& scene, const SceneSet& set,
                                      RgbdRenderer& renderer) {
  auto s = std::make_unique<LiveScene>();
  s->world = World::compose(scene);
  s->data = s->world->make_settled_data();
  s->d = s->data.get();
  s->observation =
      sense_observation(set, renderer.render(*s->world, s->d).observation, scene.seed).observation;
  s->X_WObj = s->world->body_pose(s->d, s->world->target_body());
  return s;
}

}  // namespace

int run_transfer(const TransferOptions& o, std::ostream& log) {
  const Demonstration demo = load_demonstration(o.demo);
  SparseDffPipeline pipeline(sparsedff_variant(o.method));  // an unknown method fails here
  // The output is checked (created, locked, probed) before the grasp is
  // computed, so a bad --out costs nothing and loses nothing.
  const OutputFolder folder(o.out);
  const fs::path out = folder.path();
  std::unique_ptr<RgbdRenderer> renderer;
  auto need_renderer = [&]() -> RgbdRenderer& {
    if (!renderer) renderer = std::make_unique<RgbdRenderer>();
    return *renderer;
  };

  // Source: a capture with the source object's settled pose in its metadata,
  // or the demonstration's own source scene, rendered.
  Observation source_obs;
  Eigen::Isometry3d X_WSourceObj;
  if (!o.source_dir.empty()) {
    source_obs = load_observation(o.source_dir);
    const nlohmann::json meta = load_capture_metadata(o.source_dir);
    if (!meta.contains("scene") || !meta["scene"].contains("X_WTargetObj_settled")) {
      throw InputError(o.source_dir +
                       "/cameras.json: key 'scene.X_WTargetObj_settled' is missing: the "
                       "demonstration is given in the object's frame, so the source capture "
                       "must say where the object is (captures from `dffeval render` do)");
    }
    X_WSourceObj = pose_from_json(meta["scene"]["X_WTargetObj_settled"]);
  } else {
    const SceneSet clean = load_scene_set("clean");
    const auto src = live_scene(draw_source_scene(demo, clean), clean, need_renderer());
    source_obs = src->observation;
    X_WSourceObj = src->X_WObj;
  }
  const Grasp demo_grasp = demo.grasp_in_world(X_WSourceObj);

  // Target: a capture (executable if it carries a scene recipe) or a drawn scene.
  std::optional<DrawRecipe> recipe;
  Observation target_obs;
  if (!o.target_dir.empty()) {
    target_obs = load_observation(o.target_dir);
    const nlohmann::json meta = load_capture_metadata(o.target_dir);
    if (meta.contains("scene_recipe")) {
      recipe = recipe_from_json(meta["scene_recipe"], o.target_dir + "/cameras.json");
    }
  } else {
    recipe = make_draw_recipe(o.scene_set, demo.category, o.target_set, o.target_index, o.seed);
  }
  std::unique_ptr<LiveScene> target_live;
  if (recipe && (o.target_dir.empty() || o.execute)) {
    target_live =
        live_scene(realize_scene(*recipe), load_scene_set(recipe->scene_set), need_renderer());
    if (o.target_dir.empty()) target_obs = target_live->observation;
  }
  if (o.execute && !target_live) {
    throw InputError(o.target_dir +
                     "/cameras.json: no 'scene_recipe', so the simulator cannot rebuild this "
                     "scene for --execute (render targets with `dffeval render`)");
  }

  log << fmt::format("transfer {} ({}) with {}: source {}, target {}\n", demo.task,
                     demo.description, o.method,
                     o.source_dir.empty() ? "demo source scene (rendered)" : o.source_dir,
                     o.target_dir.empty() ? recipe_to_json(*recipe).dump() : o.target_dir);

  auto t0 = std::chrono::steady_clock::now();
  const auto source = pipeline.source_model(source_obs);
  const double t_source = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  const ObservationField target = pipeline.target_field(target_obs, *source);
  const double t_target = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  const OptimizedGrasp result = pipeline.transfer(*source, target, demo_grasp);
  const double t_opt = seconds_since(t0);

  log << fmt::format("energy {:.4f} (best of {} starts: start {})\n", result.energy.total,
                     result.start_energies.size(), result.best_start);
  for (const auto& [term, v] : result.energy.terms)
    log << fmt::format("  {:<15} {:.5f}\n", term, v);
  log << fmt::format(
      "timing: source model {:.2f} s{}, target field {:.2f} s, optimization {:.2f} s\n", t_source,
      source->from_disk_cache ? " (disk cache)" : "", t_target, t_opt);
  std::string parts;
  for (const auto& [part, sec] : result.timing_s) parts += fmt::format(" {} {:.2f}", part, sec);
  log << "optimization by part (s):" << parts << "\n";

  nlohmann::json j;
  j["task"] = demo.task;
  j["method"] = o.method;
  j["grasp"] = grasp_to_json(result.grasp);
  j["demo_grasp"] = grasp_to_json(demo_grasp);
  j["energy"] = result.energy.total;
  j["energy_terms"] = result.energy.terms;
  j["start_energies"] = result.start_energies;
  j["best_start"] = result.best_start;
  j["timing_s"] = {{"source_model", t_source}, {"target_field", t_target}, {"optimize", t_opt}};
  for (const auto& [part, sec] : result.timing_s) j["timing_s"]["optimize." + part] = sec;
  if (recipe) j["target_scene_recipe"] = recipe_to_json(*recipe);
  j["provenance"] = provenance();

  if (o.execute) {
    const ExecutionResult ex =
        execute_grasp(*target_live->world, target_live->d, result.grasp, ExecutionConfig{});
    j["execution"] = ex.to_json();
    log << fmt::format("executed: {} (object lift {:.3f} m, {})\n",
                       ex.success ? "SUCCESS" : "failure", ex.object_lift_m, to_string(ex.failure));
  }
  write_file_checked(out / "grasp.json", j.dump(2) + "\n");
  log << fmt::format("wrote {}\n", (out / "grasp.json").string());
  write_transfer_picture(out / "transfer.png", *source->field, target,
                         pipeline.optimizer().surface_points(result.grasp),
                         pipeline.optimizer().surface_points(demo_grasp));
  log << fmt::format("wrote {}\n", (out / "transfer.png").string());

  return 0;
}

Verb add_transfer_verb(CLI::App& app) {
  auto options = std::make_shared<TransferOptions>();
  TransferOptions& tr = *options;
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
  return {tra, [options] { return run_transfer(*options, std::cout); }};
}

}  // namespace dffeval
