// `dffeval render`: a scene's RGB-D views in the capture layout.

#include <fmt/format.h>
#include <mujoco/mujoco.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>

#include "common/input_error.h"
#include "common/pose_json.h"
#include "common/provenance.h"
#include "eval/cli/verbs.h"
#include "eval/harness/demonstration.h"
#include "eval/harness/draw_recipe.h"
#include "eval/harness/trial_runner.h"
#include "eval/viz/capture_comparison.h"
#include "pipeline/cloud/observation_io.h"
#include "sim/mesh_object_set.h"
#include "sim/rgbd_renderer.h"
#include "sim/scene_set.h"
#include "sim/sensed_observation.h"
#include "sim/world.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

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
  std::string object;  // a mesh object's object.yaml
};

int render_scene(const RenderArgs& a) {
  DrawnScene scene;
  std::optional<DrawRecipe> recipe;
  const SceneSet scene_set = load_scene_set(a.scene_set);
  if (!a.object.empty()) {
    // A mesh object at the canonical pose (the table centre, no yaw), so a
    // user sees the frame their object.yaml declares.
    const Eigen::Isometry3d X_WObj = Eigen::Isometry3d::Identity();
    scene = draw_scene(scene_set, load_mesh_object(a.object), static_cast<std::uint64_t>(a.seed),
                       &X_WObj);
  } else if (!a.task.empty()) {
    scene = draw_source_scene(load_demonstration(a.task), scene_set);
  } else {
    DrawRecipe r;
    r.scene_set = a.scene_set;
    r.category = a.category;
    r.set = instance_set_from_string(a.set);
    r.index = a.index;
    r.seed = static_cast<std::uint64_t>(a.seed);
    scene = realize_scene(r);
    recipe = r;
  }
  auto world = World::compose(scene);
  const MjDataPtr d_data = world->make_settled_data();
  mjData* d = d_data.get();
  if (a.hand) {
    if (a.task.empty() || !a.object.empty())
      throw InputError("--hand needs --task (the demonstration's grasp is shown)");
    const Demonstration demo = load_demonstration(a.task);
    const Grasp g = demo.grasp_in_world(world->body_pose(d, world->target_body()));
    world->teleport_hand(d, g.X_WPalm, g.joints_rad);
  }
  RgbdRenderer renderer;
  const RenderedViews views = renderer.render(*world, d, a.segmentation);
  // The capture is what a method would receive: through the scene set's
  // sensor and calibration error. The exact render goes to ground_truth/
  // (diagnostics) when the two differ.
  const SensedObservation sensed = sense_observation(scene_set, views.observation, scene.seed);
  const bool exact =
      std::equal(views.observation.views.begin(), views.observation.views.end(),
                 sensed.observation.views.begin(), [](const CameraView& x, const CameraView& y) {
                   return x.depth_m == y.depth_m && x.rgb == y.rgb && x.K == y.K &&
                          x.X_WC.matrix() == y.X_WC.matrix();
                 });
  nlohmann::json extra;
  extra["scene"] = scene.to_json();
  extra["scene"]["X_WTargetObj_settled"] = pose_to_json(world->body_pose(d, world->target_body()));
  extra["capture"] = sensed.to_json();
  extra["provenance"] = provenance();
  // How to draw this scene again (for `dffeval transfer --execute`).
  if (recipe) extra["scene_recipe"] = recipe_to_json(*recipe);
  save_observation(sensed.observation, a.out, extra);
  if (!exact) {
    nlohmann::json truth_extra = extra;
    truth_extra["ground_truth"] =
        "exact depth and true cameras, for diagnostics: not what a method receives";
    save_observation(views.observation, fs::path(a.out) / "ground_truth", truth_extra);
    write_capture_comparison(fs::path(a.out) / "sensor_vs_truth.png", views.observation,
                             sensed.observation);
  }
  for (std::size_t i = 0; i < views.segmentation_body.size(); ++i) {
    const auto& v = views.observation.views[i];
    write_rgb_png(fs::path(a.out) / (v.name + "_seg.png"), v.width, v.height,
                  segmentation_picture(*world, views.segmentation_body[i]));
  }
  fmt::print("rendered {} views of {} ({}, target {}, sensor {}{}) with {} -> {}{}\n",
             views.observation.views.size(),
             !a.object.empty() ? a.object
             : a.task.empty()  ? a.category
                               : a.task,
             a.scene_set, scene.target.object.id(), scene_set.sensor.preset,
             scene_set.calibration.enabled() ? ", calibration error" : "", renderer.gl_backend(),
             a.out, exact ? "" : " (exact render in ground_truth/, picture sensor_vs_truth.png)");
  return 0;
}

}  // namespace

Verb add_render_verb(CLI::App& app) {
  auto args = std::make_shared<RenderArgs>();
  RenderArgs& render = *args;
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
  rend->add_option("--object", render.object,
                   "render a mesh object (its object.yaml) at the canonical pose instead");

  return {rend, [args] { return render_scene(*args); }};
}

}  // namespace dffeval
