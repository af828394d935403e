// A TorchScript module as the backbone: patches sampled, bad modules named.

#include "pipeline/backbone/torchscript_backbone.h"

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

// Saves a TorchScript module made here: a 4x4 stride-4 convolution with
// `out_channels` outputs whose weights average the input.
fs::path save_patch_module(const fs::path& dir, int out_channels) {
  torch::jit::Module m("PatchEncoder");
  m.register_parameter("w", torch::full({out_channels, 3, 4, 4}, 1.0 / 48.0), false);
  m.define(R"JIT(
def forward(self, x):
    return torch.conv2d(x, self.w, None, [4, 4])
)JIT");
  const fs::path file = dir / ("patch" + std::to_string(out_channels) + ".pt");
  m.save(file.string());
  return file;
}

TEST(TorchScriptBackbone, RunsAModuleAndSamplesItsPatches) {
  const fs::path dir = temp_dir("torchscript");
  TorchScriptBackboneConfig cfg;
  cfg.module_path = save_patch_module(dir, 5).string();
  cfg.patch_px = 4;
  cfg.feature_dim = 5;
  cfg.mean = {0.5, 0.5, 0.5};
  cfg.std = {0.25, 0.25, 0.25};
  cfg.size_multiple_px = 4;
  TorchScriptBackbone backbone(cfg);
  // 30 x 22 pads to 32 x 24: 8 x 6 patches.
  const CameraView view = flat_view(30, 22, 0.5f, 191);
  const FeatureMap map = backbone.compute(view);
  EXPECT_EQ(map.channels, 5);
  EXPECT_EQ(map.width, 8);
  EXPECT_EQ(map.height, 6);
  EXPECT_DOUBLE_EQ(map.stride_px, 4.0);
  // An interior patch averages the normalized colour (191/255 - 0.5) / 0.25.
  EXPECT_NEAR(map.at(3, 2, 3), (191.0 / 255.0 - 0.5) / 0.25, 1e-5);

  // Through the factory, per point.
  BackboneConfig bc;
  bc.name = "torchscript";
  bc.torchscript = cfg;
  bc.l2_normalize = false;
  const auto featurizer = make_featurizer(bc);
  Observation obs;
  obs.views = {view};
  PointCloud cloud = backproject(obs, 3);
  const FeaturesF f = featurizer->featurize(obs, cloud);
  ASSERT_EQ(f.rows(), static_cast<Eigen::Index>(cloud.size()));
  ASSERT_EQ(f.cols(), 5);
  EXPECT_TRUE(f.allFinite());
  EXPECT_EQ(featurizer->name(), "torchscript");
}

TEST(TorchScriptBackbone, WrongShapeMissingFileAndBadFileGiveClearErrors) {
  const fs::path dir = temp_dir("torchscript_errors");
  TorchScriptBackboneConfig cfg;
  cfg.module_path = save_patch_module(dir, 5).string();
  cfg.patch_px = 4;
  cfg.size_multiple_px = 4;
  cfg.feature_dim = 7;  // the module returns 5 channels
  TorchScriptBackbone wrong_dim(cfg);
  try {
    wrong_dim.compute(flat_view(32, 24, 0.5f));
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(cfg.module_path), std::string::npos) << msg;
    EXPECT_NE(msg.find("(1, 5, 6, 8)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("expected (1, 7, 6, 8)"), std::string::npos) << msg;
  }
  cfg.feature_dim = 5;
  cfg.patch_px = 8;  // the module's patches are 4 pixels
  cfg.size_multiple_px = 8;
  EXPECT_THROW(TorchScriptBackbone(cfg).compute(flat_view(32, 24, 0.5f)), std::runtime_error);

  cfg.module_path = (dir / "missing.pt").string();
  try {
    TorchScriptBackbone missing(cfg);
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.pt"), std::string::npos) << e.what();
  }
  const fs::path junk = dir / "junk.pt";
  std::ofstream(junk) << "not a module";
  cfg.module_path = junk.string();
  try {
    TorchScriptBackbone bad(cfg);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("junk.pt"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dffeval
