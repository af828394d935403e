// Project paths: the root is the source tree unless DFFEVAL_ROOT moves it (an installed copy),
// relative paths resolve under it, a missing file is an InputError that names it, and the
// YAML listings behind suite and scene-set names are sorted stems of *.yaml only.

#include "common/project_paths.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/input_error.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

/// Sets (or, with nullopt, unsets) DFFEVAL_ROOT for one scope and restores
/// the value the test process started with, so tests cannot leak a root.
class ScopedRoot {
 public:
  explicit ScopedRoot(const std::optional<std::string>& value) {
    if (const char* old = std::getenv("DFFEVAL_ROOT")) old_ = old;
    if (value) {
      ::setenv("DFFEVAL_ROOT", value->c_str(), 1);
    } else {
      ::unsetenv("DFFEVAL_ROOT");
    }
  }
  ~ScopedRoot() {
    if (old_) {
      ::setenv("DFFEVAL_ROOT", old_->c_str(), 1);
    } else {
      ::unsetenv("DFFEVAL_ROOT");
    }
  }

 private:
  std::optional<std::string> old_;
};

void touch(const fs::path& p) { std::ofstream(p) << "name: x\n"; }

std::string input_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ProjectPaths, RootIsTheSourceTreeWithoutDffevalRoot) {
  const ScopedRoot unset(std::nullopt);
  const fs::path root = project_root();
  EXPECT_EQ(root.string(), std::string(DFFEVAL_SOURCE_DIR));
  // It holds what the rest of the project loads from it.
  EXPECT_TRUE(fs::exists(root / "assets" / "shadow_hand.xml")) << root;
  EXPECT_TRUE(fs::is_directory(root / "scenes")) << root;
  // An empty variable is the same as none (a blank `export DFFEVAL_ROOT=`).
  const ScopedRoot empty(std::string(""));
  EXPECT_EQ(project_root().string(), root.string());
}

TEST(ProjectPaths, DffevalRootMovesEveryLookup) {
  const fs::path dir = fixtures::fresh_temp_dir("project_paths_root");
  fs::create_directories(dir / "assets");
  touch(dir / "assets" / "thing.xml");
  const ScopedRoot moved(dir.string());
  EXPECT_EQ(project_root().string(), dir.string());
  EXPECT_EQ(resolve_project_path("assets/thing.xml").string(),
            (dir / "assets" / "thing.xml").string());
  EXPECT_EQ(require_project_file("assets/thing.xml", "thing").string(),
            (dir / "assets" / "thing.xml").string());
  // The source tree's files are no longer found through the moved root.
  const std::string e =
      input_error_of([] { require_project_file("assets/shadow_hand.xml", "hand model"); });
  EXPECT_NE(e.find((dir / "assets" / "shadow_hand.xml").string()), std::string::npos) << e;
  fs::remove_all(dir);
}

TEST(ProjectPaths, ResolveKeepsAbsolutePathsAndRootsRelativeOnes) {
  const ScopedRoot unset(std::nullopt);
  EXPECT_EQ(resolve_project_path("/etc/some/file.yaml").string(), "/etc/some/file.yaml");
  EXPECT_EQ(resolve_project_path("scenes/clean.yaml").string(),
            (project_root() / "scenes" / "clean.yaml").string());
  EXPECT_TRUE(resolve_project_path("scenes/clean.yaml").is_absolute());
}

TEST(ProjectPaths, MissingRequiredFileNamesThePathWhatAndTheRoot) {
  const ScopedRoot unset(std::nullopt);
  EXPECT_EQ(require_project_file("assets/shadow_hand.xml", "hand model").string(),
            (project_root() / "assets" / "shadow_hand.xml").string());
  const std::string e = input_error_of([] { require_project_file("assets/nope.xml", "widget"); });
  ASSERT_FALSE(e.empty()) << "no InputError";
  EXPECT_NE(e.find((project_root() / "assets" / "nope.xml").string()), std::string::npos) << e;
  EXPECT_NE(e.find("widget not found"), std::string::npos) << e;
  EXPECT_NE(e.find("DFFEVAL_ROOT"), std::string::npos) << e;
}

TEST(ProjectPaths, ListsSortedYamlStemsOnly) {
  const fs::path dir = fixtures::fresh_temp_dir("project_paths_list");
  fs::create_directories(dir / "sets" / "nested");
  // Created out of order; only *.yaml counts (not .yml, .txt, nor files in subfolders).
  for (const char* f : {"zeta.yaml", "alpha.yaml", "mid.yaml", "other.yml", "notes.txt"})
    touch(dir / "sets" / f);
  touch(dir / "sets" / "nested" / "deep.yaml");
  const ScopedRoot moved(dir.string());
  EXPECT_EQ(list_yaml_names("sets"), (std::vector<std::string>{"alpha", "mid", "zeta"}));
  // A folder that does not exist lists nothing rather than throwing.
  EXPECT_TRUE(list_yaml_names("no_such_folder").empty());
  fs::remove_all(dir);
}

TEST(ProjectPaths, ListsTheShippedSceneSets) {
  const ScopedRoot unset(std::nullopt);
  // The scene sets the README documents, in sorted order.
  const std::vector<std::string> names = list_yaml_names("scenes");
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const char* name : {"clean", "clutter", "shift"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
}

}  // namespace
}  // namespace dffeval
