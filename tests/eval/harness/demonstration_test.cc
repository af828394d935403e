// The demonstration files: the shipped tasks cover the categories, and bad
// files are named with the key and reason.

#include "eval/harness/demonstration.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/input_error.h"
#include "common/project_paths.h"
#include "sim/grasp_executor.h"
#include "sim/mesh_object_set.h"
#include "sim/scene_set.h"
#include "sim/world.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

TEST(Demonstration, AtLeastSixTasksOverFiveCategories) {
  const auto tasks = list_tasks();
  EXPECT_GE(tasks.size(), 6u);
  std::set<std::string> categories;
  for (const auto& t : tasks) categories.insert(load_demonstration(t).category);
  EXPECT_GE(categories.size(), 5u);
}

TEST(Demonstration, BadFilesAreNamed) {
  const auto dir = fixtures::fresh_temp_dir("demo_test");
  std::filesystem::create_directories(dir);
  const Demonstration good = load_demonstration("mug_wrap");
  save_demonstration(good, dir / "ok.yaml");
  const Demonstration back = load_demonstration((dir / "ok.yaml").string());
  EXPECT_TRUE(back.X_ObjPalm.isApprox(good.X_ObjPalm, 1e-5));
  std::ofstream(dir / "bad.yaml") << "task: x\ncategory: teapot\ndescription: y\n";
  try {
    load_demonstration((dir / "bad.yaml").string());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("teapot"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bad.yaml:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_demonstration("no_such_task"), InputError);
  std::filesystem::remove_all(dir);
}

/// A shipped demo with one line replaced, and the error it must give.
struct BadDemo {
  std::string line, replacement;
  int error_line;
  std::string key, reason;
};

class DemonstrationRejects : public ::testing::TestWithParam<BadDemo> {};

TEST_P(DemonstrationRejects, WithFileLineAndKey) {
  const BadDemo& bad = GetParam();
  std::ifstream in(project_root() / "assets" / "demos" / "can_wrap.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  const auto at = yaml.find(bad.line);
  ASSERT_NE(at, std::string::npos) << bad.line;
  yaml.replace(at, bad.line.size(), bad.replacement);
  const auto dir = fixtures::fresh_temp_dir("demo_rejects");
  std::filesystem::create_directories(dir);
  const auto file = dir / "demo.yaml";
  std::ofstream(file) << yaml;
  std::string message;
  try {
    load_demonstration(file.string());
  } catch (const InputError& e) {
    message = e.what();
  }
  const std::string where =
      file.string() + ":" + std::to_string(bad.error_line) + ": key '" + bad.key + "'";
  EXPECT_NE(message.find(where), std::string::npos) << message;
  EXPECT_NE(message.find(bad.reason), std::string::npos) << message;
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(
    Values, DemonstrationRejects,
    ::testing::Values(BadDemo{"FFJ3: 0.851368", "FFJ3: .nan", 13, "joints_rad.FFJ3", "finite"},
                      BadDemo{"FFJ3: 0.851368", "FFJ3: .inf", 13, "joints_rad.FFJ3", "finite"},
                      BadDemo{"THJ1: 1.04624e-08", "THJ1: 0.3", 33, "joints_rad.THJ1",
                              "outside the joint's range"},
                      BadDemo{"FFJ3: 0.851368", "FFJ3: 9", 13, "joints_rad.FFJ3",
                              "outside the joint's range"},
                      BadDemo{"quat_wxyz: [0.5, 0.5, -0.5, 0.5]", "quat_wxyz: [0, 0, 0, 0]", 10,
                              "palm_in_object.quat_wxyz", "zero quaternion"},
                      BadDemo{"pos: [-0.054, 0.07, 0.06]", "pos: [-0.054, .nan, 0.06]", 9,
                              "palm_in_object.pos", "finite"},
                      BadDemo{"pos: [-0.054, 0.07, 0.06]", "pos: [-54, 70, 60]", 9,
                              "palm_in_object.pos", "from the object's origin"},
                      BadDemo{"pos: [-0.054, 0.07, 0.06]", "pos: [-0.054, 0.07]", 9,
                              "palm_in_object.pos", "expected 3 numbers"},
                      BadDemo{"index: 0", "index: -1", 7, "source.index", "must be in [0, "},
                      BadDemo{"index: 0", "index: 100000", 7, "source.index", "must be in [0, "}));

}  // namespace
}  // namespace dffeval

namespace dffeval {
namespace {

// A demonstration replayed on its source object exported to convex STL
// pieces and read back as a mesh object (sim/mesh_object_set.h) lifts it as
// it lifts the primitive object: the mesh path gives the same physics.
TEST(Demonstration, ReplaysOnItsSourceObjectExportedAsMeshes) {
  const auto root = fixtures::fresh_temp_dir("demo_on_mesh");
  for (const char* task : {"mug_wrap", "can_top", "box_top"}) {
    SCOPED_TRACE(task);
    const Demonstration demo = load_demonstration(task);
    export_mesh_object(demo.source_object(), root / task);
    for (const ObjectInstance& object :
         {demo.source_object(), load_mesh_object(root / task / "object.yaml")}) {
      SCOPED_TRACE(object.id());
      const Eigen::Isometry3d X_WObj = Eigen::Isometry3d::Identity();
      auto world = World::compose(draw_scene(load_scene_set("clean"), object, 0, &X_WObj));
      const MjDataPtr d = world->make_settled_data();
      const Grasp g = demo.grasp_in_world(world->body_pose(d.get(), world->target_body()));
      const ExecutionResult r = execute_grasp(*world, d.get(), g, ExecutionConfig{});
      EXPECT_TRUE(r.success) << to_string(r.failure) << ", lift " << r.object_lift_m;
    }
  }
}

}  // namespace
}  // namespace dffeval
