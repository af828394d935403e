// `dffeval vis` through the real binary: the PCA mode on the default scene
// pair with the geometric backbone writes its picture and PLY files (read
// back), and bad options are exit code 2.

#include <gtest/gtest.h>
#include <stb/stb_image.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "eval/viz/point_splat.h"
#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

using fixtures::run_dffeval;

using fixtures::contains;

TEST(VisVerb, PcaModeWritesThePictureAndClouds) {
  const fs::path out = fixtures::fresh_temp_dir("cli_vis_pca") / "vis";
  const auto r =
      run_dffeval("vis --mode pca --backbone geometric --out " + out.string(), "DFFEVAL_CACHE=off");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "pca.png")) << r.output;
  for (const char* f : {"pca.png", "pca_raw.png", "pca_ref.ply", "pca_test.ply"}) {
    EXPECT_TRUE(fs::exists(out / f)) << f;
  }
  // Only the mode asked for.
  EXPECT_FALSE(fs::exists(out / "similarity.png"));
  EXPECT_FALSE(fs::exists(out / "volume.png"));

  // The picture decodes and shows the PCA colours, not a blank image
  // (decoded with stb, the library the picture kit writes with).
  int w = 0, h = 0, n = 0;
  unsigned char* px = stbi_load((out / "pca.png").c_str(), &w, &h, &n, 3);
  ASSERT_NE(px, nullptr) << stbi_failure_reason();
  EXPECT_GT(w, 300);
  EXPECT_GT(h, 200);
  int coloured = 0;
  for (int i = 0; i < w * h; ++i) {
    const unsigned char* c = px + 3 * i;
    const int lo = std::min({c[0], c[1], c[2]}), hi = std::max({c[0], c[1], c[2]});
    coloured += hi - lo > 30;
  }
  stbi_image_free(px);
  EXPECT_GT(coloured, 2000);

  // Both clouds, with colours that vary (a PCA of varying features).
  for (const char* f : {"pca_ref.ply", "pca_test.ply"}) {
    std::vector<Eigen::Vector3d> p;
    std::vector<Eigen::Vector3f> c;
    read_ply(out / f, &p, &c);
    EXPECT_GT(p.size(), 500u) << f;
    ASSERT_EQ(c.size(), p.size()) << f;
    std::set<std::tuple<int, int, int>> distinct;
    for (const auto& rgb : c) {
      distinct.emplace(int(255 * rgb.x()), int(255 * rgb.y()), int(255 * rgb.z()));
    }
    EXPECT_GT(distinct.size(), 50u) << f;
    // The points are on the tabletop object, metres from the origin at most.
    for (const auto& q : p) ASSERT_LT(q.norm(), 0.5) << f;
  }
}

TEST(VisVerb, BadOptionsAreExitCode2) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_vis_bad");
  auto r = run_dffeval("vis --mode bogus --backbone geometric --out " + (dir / "a").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "unknown mode 'bogus'")) << r.output;
  EXPECT_TRUE(contains(r.output, "similarity, volume, pca, all")) << r.output;
  r = run_dffeval("vis --mode pca --backbone bogus --out " + (dir / "b").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "unknown backbone 'bogus'")) << r.output;
  r = run_dffeval("vis --mode pca --backbone geometric --metric dot --out " + (dir / "c").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "dot")) << r.output;
  // A reference capture without a test capture.
  r = run_dffeval("vis --mode pca --backbone geometric --ref " + dir.string() + " --out " +
                  (dir / "d").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--test")) << r.output;
  for (const char* sub : {"a", "b", "c", "d"}) EXPECT_FALSE(fs::exists(dir / sub)) << sub;
}

}  // namespace
}  // namespace dffeval
