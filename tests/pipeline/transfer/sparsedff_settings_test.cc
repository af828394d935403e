// The SparseDFF settings reader: the shipped config/methods/sparsedff.yaml reads to its
// values; every invalid value and unknown key is an InputError naming the file, the line and
// the key path; values on the edge of the valid ranges are accepted; partial files keep the
// defaults.

#include "pipeline/transfer/sparsedff_settings.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/input_error.h"
#include "common/strict_yaml.h"

namespace dffeval {
namespace {

constexpr const char* kOrigin = "settings.yaml";

SparseDffConfig read(const std::string& yaml) {
  return read_sparsedff_config(StrictYaml::load_string(yaml, kOrigin));
}

TEST(SparseDffSettings, ShippedFileReadsToItsValues) {
  const ShippedSparseDffSettings& shipped = shipped_sparsedff_settings();
  EXPECT_EQ(shipped.file.filename().string(), "sparsedff.yaml");
  EXPECT_EQ(shipped.file.parent_path().filename().string(), "methods");
  // The text is the file's, as read.
  std::ifstream in(shipped.file);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(shipped.text, text.str());

  // Values the file sets (not all of them the built-in defaults).
  const SparseDffConfig& c = shipped.config;
  EXPECT_EQ(c.backbone.name, "learned");
  EXPECT_TRUE(c.refine);
  EXPECT_EQ(c.refiner.hidden_multiplier, 4);
  EXPECT_EQ(c.refiner.projection_dim, 64);
  EXPECT_DOUBLE_EQ(c.refiner.temperature, 0.07);
  EXPECT_EQ(c.refiner.steps, 400);
  EXPECT_EQ(c.refiner.batch_size, 256);
  EXPECT_EQ(c.scene.max_points, 6000);
  EXPECT_TRUE(c.scene.rig_alignment.enabled);  // the built-in default is off
  EXPECT_DOUBLE_EQ(c.scene.rig_alignment.icp_max_tangential_m, 0.003);
  EXPECT_DOUBLE_EQ(c.scene.rig_alignment.prior_yaw_rad, 0.005);
  EXPECT_EQ(c.scene.pruning.method, PruningMethod::kVote3D);
  EXPECT_DOUBLE_EQ(c.scene.pruning.keep_fraction, 0.8);
  EXPECT_EQ(c.scene.field.interpolator, FieldInterpolator::kKnn);
  EXPECT_EQ(c.scene.field.knn_k, 8);
  EXPECT_DOUBLE_EQ(c.scene.field.knn_cell_m, 0.004);
  EXPECT_DOUBLE_EQ(c.scene.field.knn_radius_m, 0.01);  // the built-in default is 0
  EXPECT_EQ(c.hand_surface.num_points, 500);
  EXPECT_DOUBLE_EQ(c.hand_surface.distal_weight, 4.0);
  EXPECT_EQ(c.optimizer.starts, 10);
  EXPECT_EQ(c.optimizer.start_candidates, 72);
  EXPECT_EQ(c.optimizer.iterations, 300);
  EXPECT_DOUBLE_EQ(c.optimizer.wrist_cone_rad, 0.5236);
  EXPECT_DOUBLE_EQ(c.optimizer.weights.surface_distance, 40.0);  // the built-in default is 20
  EXPECT_DOUBLE_EQ(c.optimizer.weights.table, 50.0);
  EXPECT_DOUBLE_EQ(c.optimizer.weights.joint_prior, 0.0);

  // default_sparsedff_config() is the shipped one, and reading the recorded text again
  // gives the same settings.
  const SparseDffConfig d = default_sparsedff_config();
  const SparseDffConfig again = read(shipped.text);
  for (const SparseDffConfig* other : {&d, &again}) {
    EXPECT_EQ(other->backbone.name, c.backbone.name);
    EXPECT_EQ(other->refiner.steps, c.refiner.steps);
    EXPECT_EQ(other->scene.field.knn_radius_m, c.scene.field.knn_radius_m);
    EXPECT_EQ(other->optimizer.wrist_cone_rad, c.optimizer.wrist_cone_rad);
    EXPECT_EQ(other->optimizer.weights.surface_distance, c.optimizer.weights.surface_distance);
  }
  // Read once: the same object every time.
  EXPECT_EQ(&shipped_sparsedff_settings(), &shipped);
}

struct BadSetting {
  const char* yaml;
  int line;
  const char* key;     // the key path the message must name
  const char* reason;  // a part of the reason
};

void PrintTo(const BadSetting& b, std::ostream* os) { *os << b.key; }

class SparseDffSettingsRejects : public ::testing::TestWithParam<BadSetting> {};

TEST_P(SparseDffSettingsRejects, WithFileLineAndKey) {
  const BadSetting& bad = GetParam();
  try {
    read(bad.yaml);
    FAIL() << "accepted:\n" << bad.yaml;
  } catch (const InputError& e) {
    const std::string what = e.what();
    const std::string where = std::string(kOrigin) + ":" + std::to_string(bad.line) + ":";
    EXPECT_EQ(what.rfind(where, 0), 0u) << "expected to start with " << where << ": " << what;
    EXPECT_NE(what.find(std::string("'") + bad.key + "'"), std::string::npos) << what;
    EXPECT_NE(what.find(bad.reason), std::string::npos) << what;
  }
}

// A harmless key or two before the bad one, so that the line is the bad key's own.
INSTANTIATE_TEST_SUITE_P(
    BadValues, SparseDffSettingsRejects,
    ::testing::Values(
        BadSetting{"refine: true\noptimizer:\n  iterations: 5\n  starts: 0\n", 4,
                   "optimizer.starts", "must be >= 1"},
        BadSetting{"refine: true\nscene:\n  max_points: 100\n  pruning:\n    keep_fraction: 1.5\n",
                   5, "scene.pruning.keep_fraction", "(0, 1]"},
        BadSetting{"scene:\n  pruning:\n    keep_fraction: 0\n", 3, "scene.pruning.keep_fraction",
                   "(0, 1]"},
        BadSetting{"refine: true\nscene:\n  field:\n    knn_k: 4\n    interpolator: bogus\n", 5,
                   "scene.field.interpolator", "bogus"},
        BadSetting{"optimizer:\n  weights:\n    table: 2\n    feature: -1\n", 4,
                   "optimizer.weights.feature", "must be >= 0"},
        BadSetting{"optimizer:\n  weights:\n    table: 2\n    featur: 1\n", 4,
                   "optimizer.weights.featur", "unknown key"},
        BadSetting{"optimizer:\n  weights:\n    penetration: .nan\n", 3,
                   "optimizer.weights.penetration", "must be a finite number"},
        BadSetting{"optimizer:\n  weights:\n    table: .inf\n", 3, "optimizer.weights.table",
                   "must be a finite number"},
        BadSetting{"refiner:\n  steps: 10\n  learning_rate: .nan\n", 3, "refiner.learning_rate",
                   "must be a finite number"},
        BadSetting{"backbone:\n  name: dino\n", 2, "backbone.name", "unknown backbone"},
        BadSetting{"backbone:\n  torchscript:\n    std: [0.2, 0, 0.2]\n", 3,
                   "backbone.torchscript.std", "must be > 0"},
        BadSetting{"backbone:\n  torchscript:\n    mean: [0.5, 0.5]\n", 3,
                   "backbone.torchscript.mean", "needs 3 values"},
        BadSetting{"backbone:\n  torchscript:\n    patch_px: 0\n", 3,
                   "backbone.torchscript.patch_px", "must be > 0"},
        BadSetting{"backbone:\n  geometric:\n    max_neighbours: 2\n", 3,
                   "backbone.geometric.max_neighbours", "must be >= 3"},
        BadSetting{"refiner:\n  temperature: 0\n", 2, "refiner.temperature", "must be > 0"},
        BadSetting{"refiner:\n  batch_size: 1\n", 2, "refiner.batch_size", "must be >= 2"},
        BadSetting{"refiner:\n  steps: -1\n", 2, "refiner.steps", "must be >= 0"},
        BadSetting{"scene:\n  backproject_stride: 0\n", 2, "scene.backproject_stride",
                   "must be >= 1"},
        BadSetting{"scene:\n  workspace_min_m: [0, 0]\n", 2, "scene.workspace_min_m",
                   "expected [x, y, z]"},
        BadSetting{"scene:\n  pruning:\n    method: bogus\n", 3, "scene.pruning.method", "bogus"},
        BadSetting{"scene:\n  rig_alignment:\n    enabled: true\n    prior_yaw_rad: 1\n", 4,
                   "scene.rig_alignment.prior_yaw_rad", "(0, 0.5] radians"},
        BadSetting{"scene:\n  rig_alignment:\n    icp_max_distance_m: 0\n", 3,
                   "scene.rig_alignment.icp_max_distance_m", "(0, 1] metres"},
        BadSetting{"scene:\n  rig_alignment:\n    icp_min_normal_cosine: 2\n", 3,
                   "scene.rig_alignment.icp_min_normal_cosine", "[-1, 1]"},
        BadSetting{"scene:\n  rig_alignment:\n    stride: 0\n", 3, "scene.rig_alignment.stride",
                   "must be >= 1"},
        BadSetting{"scene:\n  pruning:\n    vote_radius_m: 0\n", 3, "scene.pruning.vote_radius_m",
                   "must be > 0"},
        BadSetting{"scene:\n  field:\n    knn_cell_m: 2\n", 3, "scene.field.knn_cell_m", "[0, 1]"},
        BadSetting{"scene:\n  field:\n    knn_radius_m: -0.01\n", 3, "scene.field.knn_radius_m",
                   "[0, 1]"},
        BadSetting{"scene:\n  field:\n    tree_theta: 0.7\n", 3, "scene.field.tree_theta",
                   "(0, 0.6]"},
        BadSetting{"hand_surface:\n  num_points: 0\n", 2, "hand_surface.num_points",
                   "must be >= 1"},
        BadSetting{"optimizer:\n  max_clusters: 0\n", 2, "optimizer.max_clusters", "must be >= 1"},
        BadSetting{"optimizer:\n  cluster_link_distance_m: 0\n", 2,
                   "optimizer.cluster_link_distance_m", "must be > 0"},
        BadSetting{"optimizer:\n  surface_distance_cap_m: 0\n", 2,
                   "optimizer.surface_distance_cap_m", "must be > 0"},
        BadSetting{"optimizer:\n  penetration_tolerance_m: -0.001\n", 2,
                   "optimizer.penetration_tolerance_m", "must be >= 0"},
        BadSetting{"optimizer:\n  iterations: -1\n", 2, "optimizer.iterations", "must be >= 0"},
        // Not a number, not a mapping, not a known section.
        BadSetting{"optimizer:\n  starts: many\n", 2, "optimizer.starts", "wrong type"},
        BadSetting{"refine: true\noptimizer: 5\n", 2, "optimizer", "expected a mapping"},
        BadSetting{"refine: true\noptimiser:\n  starts: 3\n", 2, "optimiser", "unknown key"}));

// Ranges that the settings structs' own headers document (hand/hand_surface.h,
// pipeline/cloud/point_pruning.h): a value outside them must not get past the reader either.
INSTANTIATE_TEST_SUITE_P(
    RangesDocumentedInTheStructHeaders, SparseDffSettingsRejects,
    ::testing::Values(
        BadSetting{"scene:\n  pruning:\n    ratio: 1.5\n", 3, "scene.pruning.ratio", ""},
        BadSetting{"scene:\n  pruning:\n    ratio: 0\n", 3, "scene.pruning.ratio", ""},
        BadSetting{"scene:\n  pruning:\n    min_votes: -1\n", 3, "scene.pruning.min_votes", ""},
        BadSetting{"hand_surface:\n  distal_weight: 0\n", 2, "hand_surface.distal_weight", ""},
        BadSetting{"hand_surface:\n  middle_weight: -1\n", 2, "hand_surface.middle_weight", ""}));

TEST(SparseDffSettings, ValuesOnTheEdgesOfTheRangesAreAccepted) {
  const SparseDffConfig c = read(
      "refiner:\n  steps: 0\n  batch_size: 2\n"
      "scene:\n  backproject_stride: 1\n"
      "  pruning:\n    keep_fraction: 1\n"
      "  field:\n    knn_k: 1\n    knn_cell_m: 0\n    knn_radius_m: 1\n    tree_theta: 0.6\n"
      "optimizer:\n  starts: 1\n  iterations: 0\n  penetration_tolerance_m: 0\n"
      "  weights:\n    feature: 0\n    joint_prior: 0\n");
  EXPECT_EQ(c.refiner.steps, 0);
  EXPECT_EQ(c.refiner.batch_size, 2);
  EXPECT_EQ(c.scene.pruning.keep_fraction, 1.0);
  EXPECT_EQ(c.scene.field.knn_cell_m, 0.0);
  EXPECT_EQ(c.scene.field.knn_radius_m, 1.0);
  EXPECT_EQ(c.scene.field.tree_theta, 0.6);
  EXPECT_EQ(c.optimizer.starts, 1);
  EXPECT_EQ(c.optimizer.iterations, 0);
  EXPECT_EQ(c.optimizer.weights.feature, 0.0);
}

TEST(SparseDffSettings, PartialFilesKeepTheDefaults) {
  const SparseDffConfig defaults;
  const SparseDffConfig c = read(
      "optimizer:\n  iterations: 7\n  weights:\n    table: 3\n"
      "scene:\n  field:\n    interpolator: dense\n");
  // What the file sets.
  EXPECT_EQ(c.optimizer.iterations, 7);
  EXPECT_EQ(c.optimizer.weights.table, 3.0);
  EXPECT_EQ(c.scene.field.interpolator, FieldInterpolator::kDense);
  // Its neighbours in the same mappings, and the sections it leaves out, keep the defaults.
  EXPECT_EQ(c.optimizer.starts, defaults.optimizer.starts);
  EXPECT_EQ(c.optimizer.lr_rotation, defaults.optimizer.lr_rotation);
  EXPECT_EQ(c.optimizer.clusters.min_points, defaults.optimizer.clusters.min_points);
  EXPECT_EQ(c.optimizer.weights.feature, defaults.optimizer.weights.feature);
  EXPECT_EQ(c.optimizer.weights.penetration, defaults.optimizer.weights.penetration);
  EXPECT_EQ(c.optimizer.weights.joint_prior, defaults.optimizer.weights.joint_prior);
  EXPECT_EQ(c.scene.field.knn_k, defaults.scene.field.knn_k);
  EXPECT_EQ(c.scene.field.knn_radius_m, defaults.scene.field.knn_radius_m);
  EXPECT_EQ(c.scene.max_points, defaults.scene.max_points);
  EXPECT_EQ(c.scene.pruning.method, defaults.scene.pruning.method);
  EXPECT_EQ(c.scene.foreground.box_max_m, defaults.scene.foreground.box_max_m);
  EXPECT_EQ(c.backbone.name, defaults.backbone.name);
  EXPECT_EQ(c.backbone.geometric.fpfh_radius_m, defaults.backbone.geometric.fpfh_radius_m);
  EXPECT_EQ(c.refine, defaults.refine);
  EXPECT_EQ(c.refiner.steps, defaults.refiner.steps);
  EXPECT_EQ(c.refiner.temperature, defaults.refiner.temperature);
  EXPECT_EQ(c.hand_surface.num_points, defaults.hand_surface.num_points);
  EXPECT_EQ(c.cache_dir, defaults.cache_dir);

  // An empty mapping is all defaults; keys land where they say.
  const SparseDffConfig empty = read("{}\n");
  EXPECT_EQ(empty.optimizer.iterations, defaults.optimizer.iterations);
  const SparseDffConfig more = read(
      "cache_dir: off\nrefine: false\n"
      "scene:\n  workspace_min_m: [-0.2, -0.1, 0.01]\n  fit_table_plane: true\n"
      "optimizer:\n  cluster_min_points: 25\n  max_clusters: 2\n");
  EXPECT_EQ(more.cache_dir, "off");
  EXPECT_FALSE(more.refine);
  EXPECT_EQ(more.scene.foreground.box_min_m, Eigen::Vector3d(-0.2, -0.1, 0.01));
  EXPECT_TRUE(more.scene.foreground.fit_table_plane);
  EXPECT_EQ(more.optimizer.clusters.min_points, 25);
  EXPECT_EQ(more.optimizer.clusters.max_clusters, 2);
  EXPECT_EQ(more.optimizer.clusters.link_distance_m, defaults.optimizer.clusters.link_distance_m);
}

TEST(SparseDffSettings, BackboneMappingOnItsOwn) {
  const BackboneConfig b = read_backbone_config(
      StrictYaml::load_string("name: geometric\ngeometric:\n  fpfh_radius_m: 0.03\n", kOrigin));
  const BackboneConfig defaults;
  EXPECT_EQ(b.name, "geometric");
  EXPECT_EQ(b.geometric.fpfh_radius_m, 0.03);
  EXPECT_EQ(b.geometric.normal_radius_m, defaults.geometric.normal_radius_m);
  EXPECT_EQ(b.l2_normalize, defaults.l2_normalize);
  EXPECT_EQ(b.torchscript.patch_px, defaults.torchscript.patch_px);
  try {
    read_backbone_config(StrictYaml::load_string("name: geometric\nweights: x.pt\n", kOrigin));
    FAIL() << "an unknown backbone key was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("settings.yaml:2: unknown key 'weights'"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace dffeval
