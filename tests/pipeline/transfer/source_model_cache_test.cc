// The on-disk source model cache: save_source_model / load_source_model round trip exactly
// (cloud, raw features, refiner), missing entries and a missing refiner read as absent, damaged
// files throw, a second writer leaves one whole entry; source_model_key follows exactly the
// settings and pixels that shape a source model.

#include "pipeline/transfer/source_model_cache.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

// Two views of one sphere shell: point 2j in view 0, point 2j + 1 in view 1 a millimetre
// away (cross-view pairs for the refiner). Coordinates are doubles that no float holds, so
// the round trip must keep all 64 bits.
struct SourceData {
  PointCloud cloud;
  FeaturesF raw;
};

SourceData source_data(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  SourceData s;
  Eigen::Vector3d p = Eigen::Vector3d::Zero();
  for (int i = 0; i < n; ++i) {
    if (i % 2 == 0) p = 0.05 * Eigen::Vector3d(g(rng), g(rng), g(rng)).normalized();
    Eigen::Vector3d q = p;
    if (i % 2 == 1) q.x() += 0.001;
    q.z() += 1e-9 * g(rng);
    s.cloud.push_back(q, Eigen::Vector3f(u(rng), u(rng), u(rng)), i % 2,
                      Eigen::Vector2i(i % 37, 5 + i / 37));
  }
  s.raw.resize(n, 8);
  for (int i = 0; i < n; ++i) {
    const Eigen::Vector3d& q = s.cloud.p_W[static_cast<std::size_t>(i)];
    for (int d = 0; d < 8; ++d) {
      s.raw(i, d) = static_cast<float>(std::sin(40.0 * q[d % 3] + d) + 0.01 * g(rng));
    }
  }
  return s;
}

FeatureRefiner quick_refiner(const SourceData& s) {
  at::set_num_threads(1);
  RefinerConfig rc;
  rc.steps = 5;
  rc.batch_size = 32;
  return FeatureRefiner::train(points_of(s.cloud), s.cloud.view, s.raw, rc);
}

void expect_same_cloud(const PointCloud& a, const PointCloud& b) {
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a.p_W, b.p_W);
  EXPECT_EQ(a.rgb, b.rgb);
  EXPECT_EQ(a.view, b.view);
  EXPECT_EQ(a.pixel, b.pixel);
}

// Leftover temporary folders next to `dir` (a half-written or abandoned entry).
int temporaries_beside(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir.parent_path())) {
    n += e.path().filename().string().find(".tmp") != std::string::npos;
  }
  return n;
}

TEST(SourceModelCache, RoundTripIsExact) {
  const SourceData s = source_data(400, 1);
  const FeatureRefiner refiner = quick_refiner(s);
  const fs::path dir = fixtures::fresh_temp_dir("source_cache_round_trip") / "0123abcd";
  save_source_model(dir, s.cloud, s.raw, &refiner);
  EXPECT_TRUE(fs::exists(dir / "source_cloud.pt"));
  EXPECT_TRUE(fs::exists(dir / "refiner.pt"));
  EXPECT_EQ(temporaries_beside(dir), 0);

  PointCloud cloud;
  FeaturesF raw;
  std::shared_ptr<const FeatureRefiner> loaded;
  ASSERT_TRUE(load_source_model(dir, true, &cloud, &raw, &loaded));
  expect_same_cloud(cloud, s.cloud);
  EXPECT_EQ(raw, s.raw);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->dim(), refiner.dim());
  // The same weights: the same outputs, bit for bit (one thread, as trained).
  EXPECT_EQ(loaded->apply(s.raw), refiner.apply(s.raw));
}

TEST(SourceModelCache, EntryWithoutARefiner) {
  const SourceData s = source_data(100, 2);
  const fs::path dir = fixtures::fresh_temp_dir("source_cache_no_refiner") / "entry";
  save_source_model(dir, s.cloud, s.raw, nullptr);
  EXPECT_FALSE(fs::exists(dir / "refiner.pt"));

  PointCloud cloud;
  FeaturesF raw;
  std::shared_ptr<const FeatureRefiner> refiner;
  // Wanted but absent: the entry does not count (the caller trains one).
  EXPECT_FALSE(load_source_model(dir, true, &cloud, &raw, &refiner));
  EXPECT_FALSE(refiner);
  // Not wanted: the cloud and features are there.
  ASSERT_TRUE(load_source_model(dir, false, &cloud, &raw, &refiner));
  expect_same_cloud(cloud, s.cloud);
  EXPECT_EQ(raw, s.raw);
  EXPECT_FALSE(refiner);
}

TEST(SourceModelCache, MissingEntryIsAbsent) {
  const fs::path root = fixtures::fresh_temp_dir("source_cache_missing");
  PointCloud cloud;
  FeaturesF raw;
  std::shared_ptr<const FeatureRefiner> refiner;
  EXPECT_FALSE(load_source_model(root / "no_such_key", false, &cloud, &raw, &refiner));
  fs::create_directories(root / "empty_key");
  EXPECT_FALSE(load_source_model(root / "empty_key", false, &cloud, &raw, &refiner));
  EXPECT_EQ(cloud.size(), 0u);
}

TEST(SourceModelCache, DamagedFilesThrow) {
  const SourceData s = source_data(200, 3);
  const FeatureRefiner refiner = quick_refiner(s);
  const fs::path root = fixtures::fresh_temp_dir("source_cache_damaged");
  PointCloud cloud;
  FeaturesF raw;
  std::shared_ptr<const FeatureRefiner> loaded;

  // Not an archive at all.
  save_source_model(root / "garbage", s.cloud, s.raw, &refiner);
  std::ofstream(root / "garbage" / "source_cloud.pt", std::ios::trunc) << "not a torch archive";
  EXPECT_THROW(load_source_model(root / "garbage", true, &cloud, &raw, &loaded), std::exception);

  // Cut short.
  save_source_model(root / "truncated", s.cloud, s.raw, &refiner);
  const fs::path file = root / "truncated" / "source_cloud.pt";
  fs::resize_file(file, fs::file_size(file) / 2);
  cloud = PointCloud();
  EXPECT_THROW(load_source_model(root / "truncated", true, &cloud, &raw, &loaded), std::exception);

  // A damaged refiner: std::runtime_error naming the file.
  save_source_model(root / "bad_refiner", s.cloud, s.raw, &refiner);
  std::ofstream(root / "bad_refiner" / "refiner.pt", std::ios::trunc) << "zzz";
  cloud = PointCloud();
  try {
    load_source_model(root / "bad_refiner", true, &cloud, &raw, &loaded);
    ADD_FAILURE() << "a damaged refiner.pt was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("refiner.pt"), std::string::npos) << e.what();
  }
}

TEST(SourceModelCache, SecondWriterLeavesOneWholeEntry) {
  const SourceData a = source_data(150, 4), b = source_data(220, 5);
  const fs::path dir = fixtures::fresh_temp_dir("source_cache_race") / "key";
  save_source_model(dir, a.cloud, a.raw, nullptr);
  save_source_model(dir, b.cloud, b.raw, nullptr);
  EXPECT_EQ(temporaries_beside(dir), 0);
  PointCloud cloud;
  FeaturesF raw;
  std::shared_ptr<const FeatureRefiner> refiner;
  ASSERT_TRUE(load_source_model(dir, false, &cloud, &raw, &refiner));
  // One of the two, whole: its cloud and its features together.
  const SourceData& kept = cloud.size() == a.cloud.size() ? a : b;
  expect_same_cloud(cloud, kept.cloud);
  EXPECT_EQ(raw, kept.raw);
}

// A small two-view observation and a config whose key needs no backbone file.
Observation tiny_observation() {
  Observation obs;
  for (int v = 0; v < 2; ++v) {
    CameraView view;
    view.name = "cam" + std::to_string(v);
    view.width = 4;
    view.height = 3;
    view.K << 300, 0, 2, 0, 300, 1.5, 0, 0, 1;
    view.X_WC.translation() << 0.1 * v, -0.3, 0.4;
    for (int i = 0; i < 36; ++i) view.rgb.push_back(static_cast<std::uint8_t>(7 * i + v));
    for (int i = 0; i < 12; ++i) view.depth_m.push_back(0.5f + 0.01f * i);
    obs.views.push_back(view);
  }
  return obs;
}

SparseDffConfig key_config() {
  at::set_num_threads(1);
  SparseDffConfig c;
  c.backbone.name = "geometric";
  return c;
}

using ConfigChange = std::pair<const char*, std::function<void(SparseDffConfig&)>>;

void expect_key_changes(const std::vector<ConfigChange>& changes) {
  const Observation obs = tiny_observation();
  const std::string base = source_model_key(key_config(), obs);
  for (const auto& [what, change] : changes) {
    SparseDffConfig c = key_config();
    change(c);
    EXPECT_NE(source_model_key(c, obs), base) << what;
  }
}

TEST(SourceModelKey, IsSixteenHexDigitsAndDependsOnContentOnly) {
  const Observation obs = tiny_observation();
  const std::string key = source_model_key(key_config(), obs);
  ASSERT_EQ(key.size(), 16u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos) << key;
  const Observation copy = obs;
  EXPECT_EQ(source_model_key(key_config(), copy), key);
}

TEST(SourceModelKey, ChangesWithTheSettingsThatShapeTheSourceModel) {
  expect_key_changes({
      // (learned: the shipped weights file is hashed too; it exists.)
      {"backbone.name", [](SparseDffConfig& c) { c.backbone.name = "learned"; }},
      {"backbone.l2_normalize", [](SparseDffConfig& c) { c.backbone.l2_normalize = false; }},
      {"learned.weights_path",
       [](SparseDffConfig& c) { c.backbone.learned.weights_path = "elsewhere.pt"; }},
      {"torchscript.module_path",
       [](SparseDffConfig& c) { c.backbone.torchscript.module_path = "dino.pt"; }},
      {"torchscript.patch_px", [](SparseDffConfig& c) { c.backbone.torchscript.patch_px = 8; }},
      {"torchscript.input_scale",
       [](SparseDffConfig& c) { c.backbone.torchscript.input_scale = 2.0; }},
      {"geometric.normal_radius_m",
       [](SparseDffConfig& c) { c.backbone.geometric.normal_radius_m = 0.02; }},
      {"geometric.fpfh_radius_m",
       [](SparseDffConfig& c) { c.backbone.geometric.fpfh_radius_m = 0.03; }},
      {"refine", [](SparseDffConfig& c) { c.refine = false; }},
      {"refiner.hidden_multiplier", [](SparseDffConfig& c) { c.refiner.hidden_multiplier = 2; }},
      {"refiner.projection_dim", [](SparseDffConfig& c) { c.refiner.projection_dim = 32; }},
      {"refiner.temperature", [](SparseDffConfig& c) { c.refiner.temperature = 0.1; }},
      {"refiner.positive_radius_m",
       [](SparseDffConfig& c) { c.refiner.positive_radius_m = 0.005; }},
      {"refiner.steps", [](SparseDffConfig& c) { c.refiner.steps = 401; }},
      {"refiner.learning_rate", [](SparseDffConfig& c) { c.refiner.learning_rate = 2e-3; }},
      {"refiner.batch_size", [](SparseDffConfig& c) { c.refiner.batch_size = 128; }},
      {"refiner.seed", [](SparseDffConfig& c) { c.refiner.seed = 2; }},
      {"scene.backproject_stride", [](SparseDffConfig& c) { c.scene.backproject_stride = 2; }},
      {"scene.max_points", [](SparseDffConfig& c) { c.scene.max_points = 5000; }},
      {"scene.workspace_min_m",
       [](SparseDffConfig& c) { c.scene.foreground.box_min_m.z() = -0.04; }},
      {"scene.workspace_max_m",
       [](SparseDffConfig& c) { c.scene.foreground.box_max_m.x() = 0.25; }},
      {"scene.table_height_m",
       [](SparseDffConfig& c) { c.scene.foreground.table_height_m = 0.01; }},
      {"scene.table_margin_m",
       [](SparseDffConfig& c) { c.scene.foreground.table_margin_m = 0.005; }},
      {"scene.fit_table_plane",
       [](SparseDffConfig& c) { c.scene.foreground.fit_table_plane = true; }},
  });
}

// Every setting of the geometric featurizer and the TorchScript backbone changes the raw
// features, so a cached entry made under another value must not be reused; the RANSAC
// settings change the foreground when the table plane is fitted.
TEST(SourceModelKey, ChangesWithEveryFeaturizerAndForegroundSetting) {
  expect_key_changes({
      {"geometric.max_neighbours",
       [](SparseDffConfig& c) { c.backbone.geometric.max_neighbours = 30; }},
      {"geometric.table_height_m",
       [](SparseDffConfig& c) { c.backbone.geometric.table_height_m = 0.01; }},
      {"geometric.height_scale_m",
       [](SparseDffConfig& c) { c.backbone.geometric.height_scale_m = 0.2; }},
      {"geometric.normal_weight",
       [](SparseDffConfig& c) { c.backbone.geometric.normal_weight = 2.0; }},
      {"geometric.fpfh_weight", [](SparseDffConfig& c) { c.backbone.geometric.fpfh_weight = 2.0; }},
      {"geometric.height_weight",
       [](SparseDffConfig& c) { c.backbone.geometric.height_weight = 0.0; }},
      {"torchscript.feature_dim",
       [](SparseDffConfig& c) { c.backbone.torchscript.feature_dim = 384; }},
      {"torchscript.mean", [](SparseDffConfig& c) { c.backbone.torchscript.mean[0] = 0.5; }},
      {"torchscript.std", [](SparseDffConfig& c) { c.backbone.torchscript.std[2] = 0.3; }},
      {"torchscript.size_multiple_px",
       [](SparseDffConfig& c) { c.backbone.torchscript.size_multiple_px = 16; }},
  });
  // fit_table_plane alone changes the key, so the RANSAC settings are compared under it.
  const Observation obs = tiny_observation();
  SparseDffConfig fitted = key_config();
  fitted.scene.foreground.fit_table_plane = true;
  SparseDffConfig reseeded = fitted;
  reseeded.scene.foreground.ransac_seed = 8;
  SparseDffConfig fewer = fitted;
  fewer.scene.foreground.ransac_iterations = 50;
  EXPECT_NE(source_model_key(reseeded, obs), source_model_key(fitted, obs)) << "ransac_seed";
  EXPECT_NE(source_model_key(fewer, obs), source_model_key(fitted, obs)) << "ransac_iterations";

  // The rig alignment moves every source point: on, and each of its
  // settings while on, change the key.
  SparseDffConfig aligned = key_config();
  aligned.scene.rig_alignment.enabled = true;
  EXPECT_NE(source_model_key(aligned, obs), source_model_key(key_config(), obs)) << "rig_alignment";
  SparseDffConfig tangential = aligned;
  tangential.scene.rig_alignment.icp_max_tangential_m = 0.005;
  SparseDffConfig prior = aligned;
  prior.scene.rig_alignment.prior_yaw_rad = 0.01;
  SparseDffConfig passes = aligned;
  passes.scene.rig_alignment.icp_passes = 1;
  for (const SparseDffConfig* other : {&tangential, &prior, &passes}) {
    EXPECT_NE(source_model_key(*other, obs), source_model_key(aligned, obs));
  }
}

TEST(SourceModelKey, IgnoresWhatOnlyTheTargetSideOrTheOptimizerUses) {
  const Observation obs = tiny_observation();
  const std::string base = source_model_key(key_config(), obs);
  const std::vector<ConfigChange> changes = {
      {"optimizer.iterations", [](SparseDffConfig& c) { c.optimizer.iterations = 7; }},
      {"optimizer.starts", [](SparseDffConfig& c) { c.optimizer.starts = 3; }},
      {"optimizer.weights.feature", [](SparseDffConfig& c) { c.optimizer.weights.feature = 5; }},
      {"hand_surface.num_points", [](SparseDffConfig& c) { c.hand_surface.num_points = 100; }},
      // Pruning and the field are built from the cached cloud each time.
      {"scene.pruning.keep_fraction",
       [](SparseDffConfig& c) { c.scene.pruning.keep_fraction = 0.5; }},
      {"scene.pruning.method",
       [](SparseDffConfig& c) { c.scene.pruning.method = PruningMethod::kNone; }},
      {"scene.field.interpolator",
       [](SparseDffConfig& c) { c.scene.field.interpolator = FieldInterpolator::kDense; }},
      {"scene.field.knn_k", [](SparseDffConfig& c) { c.scene.field.knn_k = 4; }},
      {"cache_dir", [](SparseDffConfig& c) { c.cache_dir = "off"; }},
  };
  for (const auto& [what, change] : changes) {
    SparseDffConfig c = key_config();
    change(c);
    EXPECT_EQ(source_model_key(c, obs), base) << what;
  }
}

TEST(SourceModelKey, ChangesWithEveryPixelAndCamera) {
  const Observation base_obs = tiny_observation();
  const SparseDffConfig config = key_config();
  const std::string base = source_model_key(config, base_obs);
  const std::vector<std::pair<const char*, std::function<void(Observation&)>>> changes = {
      {"one colour byte", [](Observation& o) { o.views[1].rgb[20] ^= 1; }},
      {"one depth value", [](Observation& o) { o.views[0].depth_m[5] += 1e-6f; }},
      {"intrinsics", [](Observation& o) { o.views[0].K(0, 0) = 301; }},
      {"camera pose", [](Observation& o) { o.views[1].X_WC.translation().z() += 1e-9; }},
      {"view name", [](Observation& o) { o.views[0].name = "other"; }},
      {"view order", [](Observation& o) { std::swap(o.views[0], o.views[1]); }},
      {"one view fewer", [](Observation& o) { o.views.pop_back(); }},
  };
  for (const auto& [what, change] : changes) {
    Observation obs = base_obs;
    change(obs);
    EXPECT_NE(source_model_key(config, obs), base) << what;
  }
}

TEST(SourceModelKey, ChangesWithTheContentOfTheBackboneFile) {
  const fs::path dir = fixtures::fresh_temp_dir("source_cache_key_weights");
  const fs::path weights = dir / "weights.pt";
  const Observation obs = tiny_observation();
  SparseDffConfig learned = key_config();
  learned.backbone.name = "learned";
  learned.backbone.learned.weights_path = weights.string();  // absolute: used as it is
  SparseDffConfig torchscript = key_config();
  torchscript.backbone.name = "torchscript";
  torchscript.backbone.torchscript.module_path = weights.string();
  for (const SparseDffConfig* config : {&learned, &torchscript}) {
    SCOPED_TRACE(config->backbone.name);
    std::ofstream(weights, std::ios::trunc) << "first weights";
    const std::string first = source_model_key(*config, obs);
    std::ofstream(weights, std::ios::trunc) << "other weights";
    const std::string other = source_model_key(*config, obs);
    EXPECT_NE(other, first);
    std::ofstream(weights, std::ios::trunc) << "first weights";
    EXPECT_EQ(source_model_key(*config, obs), first);
  }
}

}  // namespace
}  // namespace dffeval
