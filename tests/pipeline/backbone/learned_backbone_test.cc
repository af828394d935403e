// The learned CNN backbone: unit features and exact weight round trips.

#include "pipeline/backbone/learned_backbone.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/input_error.h"
#include "tests/fixtures/synthetic_views.h"
#include "tests/fixtures/temp_dir.h"

namespace fs = std::filesystem;

namespace dffeval {
namespace {

using fixtures::flat_view;

fs::path temp_dir(const std::string& name) { return fixtures::fresh_temp_dir("backbone_" + name); }

TEST(LearnedBackbone, UnitFeaturesAndAnExactWeightsRoundTrip) {
  LearnedBackboneSpec spec;
  spec.feature_dim = 16;
  LearnedBackbone net(spec, 3);
  CameraView view = flat_view(70, 50, 0.4f);
  for (int v = 10; v < 30; ++v)
    for (int u = 20; u < 40; ++u) view.depth_m[v * 70 + u] = 0.35f;  // a raised square
  const FeatureMap map = net.compute(view);
  EXPECT_EQ(map.channels, 16);
  EXPECT_EQ(map.width, 35);
  EXPECT_EQ(map.height, 25);
  EXPECT_DOUBLE_EQ(map.stride_px, 2.0);
  for (int y = 0; y < map.height; y += 4) {
    for (int x = 0; x < map.width; x += 4) {
      double n = 0;
      for (int c = 0; c < map.channels; ++c) n += map.at(c, y, x) * map.at(c, y, x);
      EXPECT_NEAR(n, 1.0, 1e-4);
    }
  }

  const fs::path file = temp_dir("learned") / "w.pt";
  net.save(file, {{"note", "test"}});
  ASSERT_TRUE(fs::exists(sidecar_path(file)));
  const auto loaded = LearnedBackbone::load(file);
  EXPECT_EQ(loaded->dim(), 16);
  EXPECT_EQ(loaded->compute(view).data, map.data);

  std::ofstream(file.parent_path() / "junk.pt") << "junk";
  EXPECT_THROW(LearnedBackbone::load(file.parent_path() / "junk.pt"), std::runtime_error);
}

}  // namespace
}  // namespace dffeval
