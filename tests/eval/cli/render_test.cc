// `dffeval render` through the real binary: the capture layout it writes
// (cameras.json and 4 views of RGB and depth PNGs, read back with the
// pipeline's reader), the scene recipe, --task and --hand, and bad input.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "common/pose_json.h"
#include "eval/harness/demonstration.h"
#include "eval/harness/draw_recipe.h"
#include "pipeline/cloud/observation_io.h"
#include "sim/mesh_object_set.h"
#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

using fixtures::run_dffeval;

using fixtures::contains;

TEST(RenderVerb, WritesFourViewsInTheCaptureLayout) {
  const fs::path out = fixtures::fresh_temp_dir("cli_render_layout") / "capture";
  const auto r = run_dffeval("render --segmentation --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "rendered 4 views")) << r.output;

  const nlohmann::json cams = fixtures::read_json(out / "cameras.json");
  EXPECT_EQ(cams["format"], "dffeval-capture-v1");
  EXPECT_EQ(cams["depth_unit_m"], 0.001);
  ASSERT_EQ(cams["views"].size(), 4u);
  for (int i = 0; i < 4; ++i) {
    const std::string name = "cam" + std::to_string(i);
    const auto& v = cams["views"][i];
    EXPECT_EQ(v["name"], name);
    EXPECT_EQ(v["rgb"], name + "_rgb.png");
    EXPECT_EQ(v["depth"], name + "_depth.png");
    EXPECT_EQ(v["K"].size(), 9u);
    for (const char* f : {"_rgb.png", "_depth.png", "_seg.png"}) {
      EXPECT_TRUE(fs::exists(out / (name + f))) << name + f;
    }
  }

  // The files read back as an observation: full-size views that see the
  // object on the table at the rig's distance.
  const Observation obs = load_observation(out);
  ASSERT_EQ(obs.views.size(), 4u);
  for (const CameraView& v : obs.views) {
    ASSERT_EQ(v.width, 320) << v.name;
    ASSERT_EQ(v.height, 240) << v.name;
    EXPECT_EQ(v.rgb.size(), 320u * 240u * 3u) << v.name;
    int valid = 0;
    for (float d : v.depth_m) valid += d > 0;
    EXPECT_GT(valid, 320 * 240 / 2) << v.name;
    // Every camera looks at the object: the nearest point around the image
    // centre is on it (the table there is over 0.5 m away), not nearer than
    // the rig allows.
    float nearest = 1e9f;
    for (int y = 100; y < 140; ++y) {
      for (int x = 140; x < 180; ++x) {
        if (v.depth_at(x, y) > 0) nearest = std::min(nearest, v.depth_at(x, y));
      }
    }
    EXPECT_GT(nearest, 0.2f) << v.name;
    EXPECT_LT(nearest, 0.5f) << v.name;
  }
}

TEST(RenderVerb, RecordsTheSceneAndHowToDrawItAgain) {
  const fs::path out = fixtures::fresh_temp_dir("cli_render_recipe");
  const auto r =
      run_dffeval("render --category can --set novel --index 2 --seed 9 --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json cams = fixtures::read_json(out / "cameras.json");
  ASSERT_TRUE(cams.contains("scene_recipe")) << cams.dump();
  const DrawRecipe recipe = recipe_from_json(cams["scene_recipe"], "cameras.json");
  EXPECT_EQ(recipe.scene_set, "clean");
  EXPECT_EQ(recipe.category, "can");
  EXPECT_EQ(recipe.set, InstanceSet::kNovel);
  EXPECT_EQ(recipe.index, 2);
  EXPECT_EQ(recipe.seed, 9u);
  // Drawing the recipe again gives the scene that was rendered.
  const DrawnScene again = realize_scene(recipe);
  EXPECT_EQ(cams["scene"]["target"]["id"], "can/novel/2");
  EXPECT_EQ(cams["scene"]["target"]["X_WObj"], again.to_json()["target"]["X_WObj"]);
  ASSERT_EQ(again.cameras.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(pose_from_json(cams["views"][i]["X_WC"]).isApprox(again.cameras[i].X_WC, 1e-6))
        << i;
  }
  // The settled pose is near the drawn one (the object only settles).
  const Eigen::Isometry3d settled = pose_from_json(cams["scene"]["X_WTargetObj_settled"]);
  EXPECT_LT((settled.translation() - again.target.X_WObj.translation()).norm(), 0.01);
  EXPECT_TRUE(cams["provenance"].is_object());
}

TEST(RenderVerb, ANoisyMiscalibratedRigWritesWhatAMethodSeesAndTheTruthApart) {
  const fs::path out = fixtures::fresh_temp_dir("cli_render_real_like");
  const auto r = run_dffeval("render --scene-set real_like --seed 4 --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "sensor kinect_v1, calibration error")) << r.output;
  ASSERT_TRUE(fs::exists(out / "ground_truth" / "cameras.json"));
  EXPECT_TRUE(fs::exists(out / "sensor_vs_truth.png"));
  const nlohmann::json truth_meta = fixtures::read_json(out / "ground_truth" / "cameras.json");
  EXPECT_TRUE(truth_meta.contains("ground_truth")) << "the truth must be labelled";
  const Observation sensed = load_observation(out);
  const Observation truth = load_observation(out / "ground_truth");
  ASSERT_EQ(sensed.views.size(), truth.views.size());
  const nlohmann::json cams = fixtures::read_json(out / "cameras.json");
  for (std::size_t i = 0; i < truth.views.size(); ++i) {
    const CameraView& s = sensed.views[i];
    const CameraView& t = truth.views[i];
    // The ground truth has the scene's true cameras; the capture has them
    // moved by the recorded calibration error.
    EXPECT_TRUE(pose_from_json(cams["scene"]["cameras"][i]["X_WC"]).isApprox(t.X_WC, 1e-6));
    const double moved_m = (s.X_WC.translation() - t.X_WC.translation()).norm();
    EXPECT_NEAR(moved_m,
                cams["capture"]["calibration_error"][s.name]["translation_m"].get<double>(), 1e-6);
    EXPECT_NE(s.depth_m, t.depth_m) << s.name;
    int holes = 0, truth_holes = 0;
    for (std::size_t p = 0; p < s.depth_m.size(); ++p) {
      holes += s.depth_m[p] > 0 ? 0 : 1;
      truth_holes += t.depth_m[p] > 0 ? 0 : 1;
    }
    EXPECT_GT(holes, truth_holes) << s.name;
  }
  // The clean rig writes the capture alone: nothing to tell apart.
  const fs::path clean = fixtures::fresh_temp_dir("cli_render_clean_truth");
  ASSERT_EQ(run_dffeval("render --out " + clean.string()).exit_code, 0);
  EXPECT_FALSE(fs::exists(clean / "ground_truth"));
  EXPECT_FALSE(fs::exists(clean / "sensor_vs_truth.png"));
}

TEST(RenderVerb, ObjectRendersAMeshObjectAtTheCanonicalPose) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_render_mesh_object");
  export_mesh_object(make_object_instance("bottle", InstanceSet::kSeen, 0), dir / "bottle");
  const auto r = run_dffeval("render --object " + (dir / "bottle" / "object.yaml").string() +
                             " --out " + (dir / "capture").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json cams = fixtures::read_json(dir / "capture" / "cameras.json");
  EXPECT_EQ(cams["scene"]["target"]["id"], "bottle/mesh/bottle");
  const Observation obs = load_observation(dir / "capture");
  // The bottle stands at the table centre: every camera sees it there.
  for (const CameraView& v : obs.views) {
    float nearest = 1e9f;
    for (int y = 100; y < 140; ++y)
      for (int x = 140; x < 180; ++x)
        if (v.depth_at(x, y) > 0) nearest = std::min(nearest, v.depth_at(x, y));
    EXPECT_LT(nearest, 0.5f) << v.name;
  }
  const auto bad = run_dffeval("render --object " + (dir / "missing.yaml").string() + " --out " +
                               (dir / "x").string());
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_TRUE(contains(bad.output, "missing.yaml")) << bad.output;
}

TEST(RenderVerb, TaskRendersTheSourceSceneAndHandShowsTheGrasp) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_render_task");
  auto r = run_dffeval("render --task mug_wrap --out " + (dir / "plain").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run_dffeval("render --task mug_wrap --hand --out " + (dir / "hand").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json cams = fixtures::read_json(dir / "plain" / "cameras.json");
  EXPECT_EQ(cams["scene"]["target"]["id"], load_demonstration("mug_wrap").source_object().id());
  // A demonstration's source scene is not a recipe draw: no recipe.
  EXPECT_FALSE(cams.contains("scene_recipe"));
  // The hand is in the picture: some pixels come nearer.
  const Observation plain = load_observation(dir / "plain");
  const Observation hand = load_observation(dir / "hand");
  ASSERT_EQ(plain.views.size(), hand.views.size());
  int nearer = 0;
  for (std::size_t v = 0; v < plain.views.size(); ++v) {
    const auto& a = plain.views[v].depth_m;
    const auto& b = hand.views[v].depth_m;
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) nearer += b[i] > 0 && b[i] < a[i] - 0.005f;
  }
  EXPECT_GT(nearer, 500);
}

TEST(RenderVerb, BadInputIsExitCode2) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_render_bad");
  auto r = run_dffeval("render --hand --out " + (dir / "a").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--hand needs --task")) << r.output;
  r = run_dffeval("render --set unseen --out " + (dir / "b").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "unseen")) << r.output;
  r = run_dffeval("render --scene-set foggy --out " + (dir / "c").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "foggy")) << r.output;
  for (const char* sub : {"a", "b", "c"}) EXPECT_FALSE(fs::exists(dir / sub / "cameras.json"));
}

}  // namespace
}  // namespace dffeval
