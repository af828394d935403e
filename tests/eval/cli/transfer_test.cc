// `dffeval transfer`: one real transfer of the default demonstration onto
// the default drawn target, executed (grasp.json and transfer.png), and the
// input errors for captures that cannot be used (exit code 2).

#include "eval/cli/transfer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/input_error.h"
#include "common/pose_json.h"
#include "eval/harness/demonstration.h"
#include "eval/harness/draw_recipe.h"
#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

using fixtures::run_dffeval;

using fixtures::contains;

TEST(TransferVerb, DefaultTransferWritesTheGraspAndThePicture) {
  const fs::path out = fixtures::fresh_temp_dir("cli_transfer_run") / "t";
  const auto r = run_dffeval("transfer --execute --out " + out.string(), "DFFEVAL_CACHE=off");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "executed: ")) << r.output;
  ASSERT_TRUE(fs::exists(out / "grasp.json")) << r.output;
  EXPECT_TRUE(fs::exists(out / "transfer.png")) << r.output;
  EXPECT_GT(fs::file_size(out / "transfer.png"), 1000u);

  const nlohmann::json j = fixtures::read_json(out / "grasp.json");
  // The defaults (TransferOptions): mug_wrap onto novel mug 0, clean, seed 1.
  EXPECT_EQ(j["task"], "mug_wrap");
  EXPECT_EQ(j["method"], "sparsedff");
  const DrawRecipe recipe = make_draw_recipe("clean", "mug", "novel", 0, 1);
  EXPECT_EQ(j["target_scene_recipe"], recipe_to_json(recipe));
  for (const char* g : {"grasp", "demo_grasp"}) {
    ASSERT_TRUE(j[g].contains("X_WPalm")) << g;
    EXPECT_EQ(j[g]["joints_rad"].size(), static_cast<std::size_t>(kNumHandJoints)) << g;
    for (const auto& [name, q] : j[g]["joints_rad"].items()) {
      EXPECT_TRUE(std::isfinite(q.get<double>())) << g << " " << name;
    }
  }
  // The demonstrated grasp is the demo on its source object, which settles
  // at the origin.
  const Demonstration demo = load_demonstration("mug_wrap");
  EXPECT_LT(
      (pose_from_json(j["demo_grasp"]["X_WPalm"]).translation() - demo.X_ObjPalm.translation())
          .norm(),
      0.005);
  // The optimized palm is at the target object, a hand's length at most.
  const Eigen::Vector3d palm = pose_from_json(j["grasp"]["X_WPalm"]).translation();
  const Eigen::Vector3d object = realize_scene(recipe).target.X_WObj.translation();
  EXPECT_LT((palm - object).norm(), 0.2) << palm.transpose();

  // The energy is the best of the starts.
  const auto& starts = j["start_energies"];
  ASSERT_FALSE(starts.empty());
  const int best = j["best_start"].get<int>();
  ASSERT_GE(best, 0);
  ASSERT_LT(best, static_cast<int>(starts.size()));
  EXPECT_DOUBLE_EQ(j["energy"].get<double>(), starts[best].get<double>());
  for (const auto& e : starts) EXPECT_GE(e.get<double>(), j["energy"].get<double>());
  EXPECT_TRUE(j["energy_terms"].contains("feature")) << j["energy_terms"];
  for (const char* t : {"source_model", "target_field", "optimize"}) {
    EXPECT_TRUE(j["timing_s"].contains(t)) << t;
  }
  // Executed in the simulator: the outcome is recorded (a failed grasp is a
  // result, not an error).
  ASSERT_TRUE(j.contains("execution")) << j.dump();
  EXPECT_TRUE(j["execution"]["success"].is_boolean());
  EXPECT_TRUE(j["execution"]["failure_mode"].is_string());
  EXPECT_TRUE(j.contains("provenance"));
}

TEST(TransferVerb, UnknownDemonstrationIsAnInputError) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_transfer_demo");
  const auto r = run_dffeval("transfer --demo no_such_task --out " + (dir / "t").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "no_such_task")) << r.output;
  EXPECT_TRUE(contains(r.output, "mug_wrap")) << r.output;  // the known ones are listed
  EXPECT_FALSE(fs::exists(dir / "t"));
  // The same through run_transfer.
  TransferOptions o;
  o.demo = "no_such_task";
  o.out = (dir / "u").string();
  std::ostringstream log;
  EXPECT_THROW(run_transfer(o, log), InputError);
  EXPECT_FALSE(fs::exists(dir / "u"));
}

TEST(TransferVerb, ABadMethodOrOutputIsRefusedBeforeAnyWork) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_transfer_out");
  std::ofstream(dir / "plain") << "x";
  auto r = run_dffeval("transfer --out " + (dir / "plain").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "is a file")) << r.output;
  EXPECT_FALSE(contains(r.output, "energy")) << r.output;  // nothing was optimized
  r = run_dffeval("transfer --method bogus --out " + (dir / "t").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "bogus")) << r.output;
  EXPECT_FALSE(contains(r.output, "transfer mug_wrap")) << r.output;  // nothing was rendered
}

TEST(TransferVerb, CapturesThatCannotBeUsedAreExitCode2) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_transfer_captures");
  // A folder without a capture.
  fs::create_directories(dir / "empty");
  auto r = run_dffeval("transfer --target " + (dir / "empty").string() + " --out " +
                       (dir / "a").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "cameras.json")) << r.output;

  // A demonstration's source scene, rendered: a capture without a recipe, so
  // it cannot be executed as a target.
  r = run_dffeval("render --task mug_wrap --out " + (dir / "source").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run_dffeval("transfer --execute --target " + (dir / "source").string() + " --out " +
                  (dir / "b").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "scene_recipe")) << r.output;
  EXPECT_TRUE(contains(r.output, "--execute")) << r.output;

  // A source capture that does not say where the object is.
  fs::copy(dir / "source", dir / "anonymous", fs::copy_options::recursive);
  nlohmann::json cams = fixtures::read_json(dir / "anonymous" / "cameras.json");
  cams.erase("scene");
  std::ofstream(dir / "anonymous" / "cameras.json") << cams.dump(2);
  r = run_dffeval("transfer --source " + (dir / "anonymous").string() + " --out " +
                  (dir / "c").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "scene.X_WTargetObj_settled")) << r.output;
  for (const char* sub : {"a", "b", "c"}) EXPECT_FALSE(fs::exists(dir / sub / "grasp.json"));
}

}  // namespace
}  // namespace dffeval
