// The demonstration files: the shipped tasks cover the categories, and bad
// files are named with the key and reason.

#include "eval/harness/demonstration.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/input_error.h"

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
  const auto dir = std::filesystem::temp_directory_path() / "dffeval_demo_test";
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

}  // namespace
}  // namespace dffeval
