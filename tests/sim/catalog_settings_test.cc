// Catalog settings (config/catalog.yaml): the shipped file gives the set sizes
// the catalog uses, and bad files are InputErrors naming the file and the key.

#include "sim/catalog_settings.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/input_error.h"
#include "common/project_paths.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

/// A temporary folder of settings files for one test (fixtures'
/// header-only fresh_temp_dir: removed when the test process exits).
class TempFiles {
 public:
  explicit TempFiles(const std::string& name) : dir_(fixtures::fresh_temp_dir("catalog_" + name)) {}
  /// Writes `text` to NAME.yaml in the folder; returns the path.
  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path p = dir_ / (name + ".yaml");
    std::ofstream(p) << text;
    return p;
  }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
};

std::string read_error(const fs::path& file) {
  try {
    read_catalog_settings(file);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

TEST(CatalogSettings, ShippedFileIsWhatTheCatalogUses) {
  const CatalogSettings shipped = read_catalog_settings(project_root() / "config" / "catalog.yaml");
  EXPECT_EQ(shipped.seen_instances, 50);
  EXPECT_EQ(shipped.novel_instances, 50);
  EXPECT_EQ(catalog_settings().seen_instances, shipped.seen_instances);
  EXPECT_EQ(catalog_settings().novel_instances, shipped.novel_instances);
  EXPECT_EQ(instances_per_set(InstanceSet::kSeen), shipped.instances(InstanceSet::kSeen));
  EXPECT_EQ(instances_per_set(InstanceSet::kNovel), shipped.instances(InstanceSet::kNovel));
}

TEST(CatalogSettings, SetsMayDifferInSize) {
  const TempFiles files("sizes");
  const CatalogSettings s =
      read_catalog_settings(files.write("sizes", "instances_per_set:\n  seen: 3\n  novel: 7\n"));
  EXPECT_EQ(s.instances(InstanceSet::kSeen), 3);
  EXPECT_EQ(s.instances(InstanceSet::kNovel), 7);
}

TEST(CatalogSettings, BadFilesNameTheFileAndKey) {
  const TempFiles files("bad");
  struct Case {
    const char* name;
    std::string text;
    std::vector<std::string> expected;  // parts of the message
  };
  const std::vector<Case> cases = {
      {"no_novel",
       "instances_per_set:\n  seen: 5\n",
       {"no_novel.yaml", "instances_per_set.novel", "missing"}},
      {"no_counts", "instances: 5\n", {"no_counts.yaml", "instances_per_set", "missing"}},
      {"unknown_set",
       "instances_per_set:\n  seen: 5\n  novel: 5\n  unseen: 5\n",
       {"unknown_set.yaml:4", "instances_per_set.unseen", "unknown key"}},
      {"unknown_top",
       "instances_per_set:\n  seen: 5\n  novel: 5\nseed: 3\n",
       {"unknown_top.yaml:4", "seed", "unknown key"}},
      {"zero",
       "instances_per_set:\n  seen: 0\n  novel: 5\n",
       {"zero.yaml:2", "instances_per_set.seen", "at least 1"}},
      {"negative",
       "instances_per_set:\n  seen: 5\n  novel: -2\n",
       {"negative.yaml:3", "instances_per_set.novel", "at least 1"}},
      {"not_integer",
       "instances_per_set:\n  seen: many\n  novel: 5\n",
       {"not_integer.yaml:2", "instances_per_set.seen"}},
  };
  for (const Case& c : cases) {
    const std::string what = read_error(files.write(c.name, c.text));
    for (const std::string& part : c.expected) {
      EXPECT_NE(what.find(part), std::string::npos)
          << c.name << ": '" << part << "' not in: " << what;
    }
  }
  const fs::path missing = files.dir() / "absent.yaml";
  const std::string what = read_error(missing);
  EXPECT_NE(what.find(missing.string()), std::string::npos) << what;
  EXPECT_NE(what.find("not found"), std::string::npos) << what;
}

}  // namespace
}  // namespace dffeval
