// `dffeval demo verify|author` through the real binary: replaying a shipped
// demonstration, authoring one into a file that then verifies, and the exit
// code 2 of bad input.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "eval/harness/demonstration.h"
#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

using fixtures::run_dffeval;

using fixtures::contains;

TEST(DemoVerb, VerifyReplaysOneTaskAndPrintsSuccess) {
  const auto r = run_dffeval("demo verify --task can_wrap");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "can_wrap")) << r.output;
  EXPECT_TRUE(contains(r.output, "success")) << r.output;
  EXPECT_TRUE(contains(r.output, "lift")) << r.output;
  // Only the task asked for is replayed.
  EXPECT_FALSE(contains(r.output, "mug_wrap")) << r.output;
}

TEST(DemoVerb, UnknownTaskIsExitCode2ListingTheKnownOnes) {
  const auto r = run_dffeval("demo verify --task no_such_task");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "no_such_task")) << r.output;
  EXPECT_TRUE(contains(r.output, "known: ")) << r.output;
  EXPECT_TRUE(contains(r.output, "can_wrap")) << r.output;
}

TEST(DemoVerb, ASubcommandIsRequired) {
  const auto r = run_dffeval("demo");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "subcommand")) << r.output;
}

TEST(DemoVerb, AuthorWritesADemonstrationThatVerifies) {
  // can_wrap's own palm pose (palm_in_object in assets/demos/can_wrap.yaml):
  // the palm beside the can, facing it (+x), fingers along -y.
  // Into folders that do not exist yet: they are made.
  const fs::path file =
      fixtures::fresh_temp_dir("cli_demo_author") / "new" / "folder" / "test_can.yaml";
  const auto r = run_dffeval(
      "demo author --task test_can --category can --description 'a test grasp' "
      "--pos -0.054 0.07 0.06 --normal 1 0 0 --fingers 0 -1 0 --out " +
      file.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "test_can: success")) << r.output;
  EXPECT_TRUE(contains(r.output, "wrote " + file.string())) << r.output;
  ASSERT_TRUE(fs::exists(file)) << r.output;

  const Demonstration d = load_demonstration(file.string());
  EXPECT_EQ(d.task, "test_can");
  EXPECT_EQ(d.category, "can");
  EXPECT_EQ(d.description, "a test grasp");
  EXPECT_EQ(d.source_index, 0);
  EXPECT_TRUE(d.X_ObjPalm.translation().isApprox(Eigen::Vector3d(-0.054, 0.07, 0.06), 1e-6));
  // Palm -y is the palmar normal, palm +z the fingers.
  EXPECT_TRUE((-d.X_ObjPalm.linear().col(1)).isApprox(Eigen::Vector3d::UnitX(), 1e-5));
  EXPECT_TRUE(d.X_ObjPalm.linear().col(2).isApprox(-Eigen::Vector3d::UnitY(), 1e-5));
  // The fingers were closed onto the object: not the open hand.
  double flexion = 0;
  for (double q : d.joints_rad) flexion += q;
  EXPECT_GT(flexion, 2.0);

  const auto v = run_dffeval("demo verify --task " + file.string());
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_TRUE(contains(v.output, "success")) << v.output;
}

TEST(DemoVerb, AuthorRejectsBadInputWithExitCode2) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_demo_author_bad");
  const std::string common =
      " --task t --description d --pos -0.054 0.07 0.06 --out " + (dir / "t.yaml").string();
  auto r = run_dffeval("demo author --category can --normal 1 0 0 --fingers 2 0 0" + common);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "parallel")) << r.output;
  r = run_dffeval("demo author --category teapot --normal 1 0 0 --fingers 0 -1 0" + common);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "teapot")) << r.output;
  r = run_dffeval("demo author --category can --normal 1 0 0 --fingers 0 -1 0 --preset fist" +
                  common);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "power, power_flat, pinch, tripod")) << r.output;
  // A file where the folder should be: nothing can be written, so no "wrote".
  std::ofstream(dir / "plain") << "x";
  r = run_dffeval(
      "demo author --task t --category can --description d --pos -0.054 0.07 0.06 "
      "--normal 1 0 0 --fingers 0 -1 0 --out " +
      (dir / "plain" / "t.yaml").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(
      contains(r.output, (dir / "plain" / "t.yaml").string() + ": cannot create the folder"))
      << r.output;
  EXPECT_FALSE(contains(r.output, "wrote")) << r.output;
  // A required option missing is a usage error.
  r = run_dffeval("demo author --task t --category can");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  // Nothing was written for any of them.
  EXPECT_FALSE(fs::exists(dir / "t.yaml"));
}

}  // namespace
}  // namespace dffeval
