// Image backbones behind PointFeaturizer: bilinear sampling, the TorchScript
// loader and its errors, the geometric baseline, the learned net's weights
// round trip, and its self-supervised training on rendered correspondences.

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/input_error.h"
#include "eval/backbone_dataset.h"
#include "eval/train_backbone_job.h"
#include "pipeline/backbone_training.h"
#include "pipeline/geometric_features.h"
#include "pipeline/learned_backbone.h"
#include "pipeline/point_featurizer.h"
#include "pipeline/torchscript_backbone.h"

namespace fs = std::filesystem;

namespace dffeval {
namespace {

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("dffeval_backbone_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// A W x H view of a flat plane at depth_m facing the camera, uniform colour.
CameraView flat_view(int W, int H, float depth_m, std::uint8_t grey = 128) {
  CameraView v;
  v.name = "flat";
  v.width = W;
  v.height = H;
  v.K << 100, 0, W / 2.0, 0, 100, H / 2.0, 0, 0, 1;
  v.rgb.assign(static_cast<std::size_t>(W) * H * 3, grey);
  v.depth_m.assign(static_cast<std::size_t>(W) * H, depth_m);
  return v;
}

// value(c, y, x) = 100 c + 10 y + x: bilinear interpolation reproduces it
// exactly inside the grid.
FeatureMap ramp_map(int C, int H, int W, double stride) {
  FeatureMap m;
  m.channels = C;
  m.height = H;
  m.width = W;
  m.stride_px = stride;
  for (int c = 0; c < C; ++c)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) m.data.push_back(100.f * c + 10.f * y + x);
  return m;
}

TEST(SampleFeatures, BilinearIsExactOnARampAndClampsAtTheBorder) {
  const FeatureMap m = ramp_map(2, 3, 4, 2.0);
  // Pixel (u, v) -> cell ((u + 0.5) / 2 - 0.5, (v + 0.5) / 2 - 0.5).
  const std::vector<Eigen::Vector2i> px = {{2, 1}, {3, 2}, {5, 4}, {0, 0}, {7, 5}};
  const FeaturesF f = sample_features(m, px);
  ASSERT_EQ(f.rows(), 5);
  ASSERT_EQ(f.cols(), 2);
  auto expect = [](double x, double y, int c) { return 100.0 * c + 10.0 * y + x; };
  EXPECT_FLOAT_EQ(f(0, 0), expect(0.75, 0.25, 0));
  EXPECT_FLOAT_EQ(f(0, 1), expect(0.75, 0.25, 1));
  EXPECT_FLOAT_EQ(f(1, 0), expect(1.25, 0.75, 0));
  EXPECT_FLOAT_EQ(f(2, 1), expect(2.25, 1.75, 1));
  // (0, 0) maps to (-0.25, -0.25): clamped to cell (0, 0).
  EXPECT_FLOAT_EQ(f(3, 0), expect(0, 0, 0));
  // (7, 5) maps to (3.25, 2.25): clamped to the last cell (3, 2).
  EXPECT_FLOAT_EQ(f(4, 1), expect(3, 2, 1));

  // A non-linear map: one hot cell, sampled between four cells.
  FeatureMap hot;
  hot.channels = 1;
  hot.height = 2;
  hot.width = 2;
  hot.stride_px = 4;
  hot.data = {1.f, 0.f, 0.f, 0.f};
  // Pixel (3, 3) -> cell (0.375, 0.375): weight of cell (0,0) = 0.625^2.
  EXPECT_FLOAT_EQ(sample_features(hot, {{3, 3}})(0, 0), 0.625f * 0.625f);

  // sample_features_into fills only the rows of the given view.
  PointCloud cloud;
  cloud.push_back(Eigen::Vector3d::Zero(), Eigen::Vector3f::Zero(), 1, {2, 1});
  cloud.push_back(Eigen::Vector3d::Zero(), Eigen::Vector3f::Zero(), 0, {3, 2});
  FeaturesF out = FeaturesF::Constant(2, 2, -1.f);
  sample_features_into(m, cloud, 1, &out);
  EXPECT_FLOAT_EQ(out(0, 0), expect(0.75, 0.25, 0));
  EXPECT_FLOAT_EQ(out(1, 0), -1.f);
  FeaturesF wrong(3, 2);
  EXPECT_THROW(sample_features_into(m, cloud, 1, &wrong), std::invalid_argument);
}

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

TEST(MakeFeaturizer, UnknownNameListsTheValidOnes) {
  BackboneConfig bc;
  bc.name = "dino";
  try {
    make_featurizer(bc);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    for (const auto& n : backbone_names()) EXPECT_NE(msg.find(n), std::string::npos) << msg;
  }
  bc.name = "learned";
  bc.learned.weights_path = "/nonexistent/weights.pt";
  try {
    make_featurizer(bc);
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/weights.pt"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("train-backbone"), std::string::npos);
  }
}

TEST(GeometricFeaturizer, FiniteFeaturesOfTheDocumentedSize) {
  // A box-shaped cloud (top and two sides) seen by one camera above it.
  CameraView cam = flat_view(64, 48, 0.5f);
  cam.X_WC.translation() = Eigen::Vector3d(0.3, 0.0, 0.4);
  Observation obs;
  obs.views = {cam};
  PointCloud cloud;
  for (int i = 0; i <= 20; ++i) {
    for (int j = 0; j <= 20; ++j) {
      const double a = -0.04 + 0.004 * i, b = 0.004 * j;
      cloud.push_back({a, -0.04 + 0.004 * j, 0.08}, Eigen::Vector3f::Zero(), 0, {i, j});  // top
      cloud.push_back({0.04, a, b}, Eigen::Vector3f::Zero(), 0, {i, j});                  // side
    }
  }
  GeometricFeaturizer g(GeometricFeaturesConfig{});
  const FeaturesF f = g.featurize(obs, cloud);
  ASSERT_EQ(f.rows(), static_cast<Eigen::Index>(cloud.size()));
  ASSERT_EQ(f.cols(), 37);
  EXPECT_EQ(g.dim(), 37);
  EXPECT_TRUE(f.allFinite());
  // Top points: normal +z; side points (x = 0.04, camera at x = 0.3): +x.
  EXPECT_NEAR(f(0, 2), 1.0, 1e-4);
  EXPECT_NEAR(f(1, 0), 1.0, 1e-4);
  for (Eigen::Index i = 0; i < f.rows(); ++i) {
    EXPECT_NEAR(f.row(i).head<3>().norm(), 1.0, 1e-5);
    EXPECT_NEAR(f.row(i).segment<33>(3).norm(), 1.0, 1e-5);
    EXPECT_GE(f(i, 36), 0.0);
    EXPECT_LE(f(i, 36), 1.0);
  }
  EXPECT_NEAR(f(0, 36), 0.08 / 0.3, 1e-5);  // height 8 cm over the 0.3 m scale
}

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

// Two rendered scenes of seen mugs, shared by the training tests.
class BackboneTraining : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    BackboneDatasetOptions o;
    o.categories = {"mug"};
    o.scenes = 2;
    o.seed = 11;
    dataset_ = new BackboneDataset(build_backbone_dataset(o));
  }
  static void TearDownTestSuite() {
    delete dataset_;
    dataset_ = nullptr;
  }
  static BackboneTrainingOptions small_options() {
    BackboneTrainingOptions t;
    t.pairs_per_step = 2;
    t.matches_per_pair = 64;
    t.random_negatives_per_pair = 32;
    t.crop_px = 96;
    t.seed = 5;
    t.log_every = 5;
    return t;
  }
  static BackboneDataset* dataset_;
};
BackboneDataset* BackboneTraining::dataset_ = nullptr;

TEST_F(BackboneTraining, DatasetHasMatchesOfEveryKindThatReallyCorrespond) {
  const BackboneDataset& d = *dataset_;
  ASSERT_EQ(d.data.views.size(), 8u);
  ASSERT_EQ(d.scene_views.size(), 2u);
  EXPECT_EQ(d.description["object_set"], "seen");
  std::map<std::string, int> kinds;
  for (const auto& p : d.data.pairs) {
    ++kinds[p.kind];
    ASSERT_EQ(p.pix_a.size(), p.pix_b.size());
    ASSERT_EQ(p.key.size(), p.pix_a.size());
    if (p.kind != "cross_view") continue;
    // Cross-view matches back-project to one world point (within a few mm).
    const CameraView& a = d.data.views[p.view_a];
    const CameraView& b = d.data.views[p.view_b];
    for (std::size_t i = 0; i < p.pix_a.size(); i += 37) {
      const Eigen::Vector3d pa = backproject_pixel(a, p.pix_a[i].x(), p.pix_a[i].y(),
                                                   a.depth_at(p.pix_a[i].x(), p.pix_a[i].y()));
      const Eigen::Vector3d pb = backproject_pixel(b, p.pix_b[i].x(), p.pix_b[i].y(),
                                                   b.depth_at(p.pix_b[i].x(), p.pix_b[i].y()));
      EXPECT_LT((pa - pb).norm(), 0.006);
    }
  }
  EXPECT_GE(kinds["cross_view"], 4);
  // Both scenes show the same instance (scenes_per_instance = 2).
  EXPECT_GE(kinds["cross_scene"], 1);
}

TEST_F(BackboneTraining, LossDecreasesAndMatchesGetCloserThanRandomPixels) {
  torch::set_num_threads(2);
  const BackboneDataset& d = *dataset_;
  LearnedBackbone net(LearnedBackboneSpec{}, 7);
  BackboneTrainingOptions t = small_options();
  t.steps = 40;
  t.learning_rate = 2e-3;
  const double loss_before = evaluate_backbone_loss(net, d.data, t, 8, 99);
  const DescriptorMatchStats before = evaluate_descriptor_matches(net, d.data, 6, 64, 4.0, 99);
  std::vector<TrainingLogEntry> log;
  const BackboneTrainingResult r =
      train_learned_backbone(net, d.data, t, [&](const TrainingLogEntry& e) { log.push_back(e); });
  ASSERT_EQ(r.loss_history.size(), 40u);
  for (double l : r.loss_history) ASSERT_TRUE(std::isfinite(l));
  EXPECT_EQ(log.size(), 8u);
  const double loss_after = evaluate_backbone_loss(net, d.data, t, 8, 99);
  const DescriptorMatchStats after = evaluate_descriptor_matches(net, d.data, 6, 64, 4.0, 99);
  EXPECT_LT(loss_after, loss_before - 0.3) << loss_before << " -> " << loss_after;
  EXPECT_GT(after.positive_cosine - after.random_cosine,
            before.positive_cosine - before.random_cosine + 0.05)
      << "before " << before.positive_cosine << " vs " << before.random_cosine << ", after "
      << after.positive_cosine << " vs " << after.random_cosine;
}

TEST_F(BackboneTraining, SameSeedSameLosses) {
  torch::set_num_threads(2);
  BackboneTrainingOptions t = small_options();
  t.steps = 3;
  LearnedBackbone a(LearnedBackboneSpec{}, 1), b(LearnedBackboneSpec{}, 1);
  const auto ra = train_learned_backbone(a, dataset_->data, t);
  const auto rb = train_learned_backbone(b, dataset_->data, t);
  EXPECT_EQ(ra.loss_history, rb.loss_history);
}

TEST(TrainBackboneJob, TinyRunWritesLoadableWeightsAndASidecar) {
  const fs::path dir = temp_dir("job");
  TrainBackboneOptions o;
  o.steps = 5;
  o.scenes = 2;
  o.seed = 3;
  o.heldout_scenes = 1;
  o.novel_scenes = 1;
  o.threads = 2;
  o.out_path = (dir / "w.pt").string();
  o.command_line = "dffeval train-backbone --steps 5 --scenes 2";
  o.dataset.categories = {"box"};
  o.training.pairs_per_step = 2;
  o.training.matches_per_pair = 32;
  o.training.crop_px = 96;
  std::ostringstream log;
  const TrainBackboneReport r = run_train_backbone(o, log);
  ASSERT_EQ(r.loss_history.size(), 5u);
  for (double l : r.loss_history) EXPECT_TRUE(std::isfinite(l));
  EXPECT_NE(log.str().find("step     5/5"), std::string::npos) << log.str();
  ASSERT_TRUE(fs::exists(dir / "w.pt"));
  ASSERT_TRUE(fs::exists(dir / "w.json"));
  const nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / "w.json"));
  EXPECT_EQ(j["command"], o.command_line);
  EXPECT_EQ(j["seed"], 3);
  EXPECT_EQ(j["data"]["object_set"], "seen");
  for (const auto& id : j["data"]["instances"]) {
    EXPECT_NE(id.get<std::string>().find("/seen/"), std::string::npos) << id;
  }
  EXPECT_TRUE(j["provenance"].contains("git_commit"));
  EXPECT_TRUE(j["metrics"]["heldout_seen"]["trained"].contains("within_radius"));

  BackboneConfig bc;
  bc.learned.weights_path = (dir / "w.pt").string();
  const auto f = make_featurizer(bc);
  EXPECT_EQ(f->dim(), 32);
  EXPECT_EQ(f->name(), "learned");
}

}  // namespace
}  // namespace dffeval
