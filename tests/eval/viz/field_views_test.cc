// `dffeval vis` (run_vis) on the embedded default scenes writes every picture.

#include "eval/viz/field_views.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/input_error.h"
#include "eval/viz/point_splat.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) { return fixtures::fresh_temp_dir("viz_" + name); }

TEST(FieldViews, DefaultScenesWriteEveryPicture) {
  const fs::path dir = temp_dir("vis");
  VisOptions o;
  o.mode = "all";
  o.backbone = "geometric";
  o.grid = 16;
  o.out = dir.string();
  o.cache_dir = "off";
  o.panel_width = 160;
  o.panel_height = 128;
  std::ostringstream log;
  ASSERT_EQ(run_vis(o, log), 0) << log.str();
  for (const char* f :
       {"similarity.png", "volume.png", "pca.png", "pca_raw.png", "similarity_ref.ply",
        "similarity_test.ply", "volume.ply", "pca_ref.ply", "pca_test.ply"}) {
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  }
  std::vector<Eigen::Vector3d> p;
  std::vector<Eigen::Vector3f> c;
  read_ply(dir / "pca_ref.ply", &p, &c);
  EXPECT_GT(p.size(), 100u);
  // Bad options are input errors.
  o.metric = "dot";
  EXPECT_THROW(run_vis(o, log), InputError);
  o.metric = "cosine";
  o.ref_dir = dir.string();  // --ref without --test
  EXPECT_THROW(run_vis(o, log), InputError);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dffeval
