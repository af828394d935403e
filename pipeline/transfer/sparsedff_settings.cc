// The schemas of the SparseDFF settings: each struct's keys, where they land
// and their valid values, listed once (the struct's own header documents
// each field's meaning and units).

#include "pipeline/transfer/sparsedff_settings.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "common/input_error.h"
#include "common/project_paths.h"
#include "common/setting_overrides.h"
#include "common/settings_schema.h"
#include "common/strict_yaml.h"

namespace dffeval {
namespace {

const SettingsSchema<LearnedBackboneConfig>& learned_schema() {
  static const auto schema = SettingsSchema<LearnedBackboneConfig>().field(
      "weights_path", &LearnedBackboneConfig::weights_path);
  return schema;
}

const SettingsSchema<TorchScriptBackboneConfig>& torchscript_schema() {
  using C = TorchScriptBackboneConfig;
  const auto rgb = [](const char* key) {
    return [key](C& c) -> std::array<double, 3>& {
      return std::string(key) == "mean" ? c.mean : c.std;
    };
  };
  static const auto schema =
      SettingsSchema<C>()
          .field("module_path", &C::module_path)
          .field("patch_px", &C::patch_px, greater_than<int>(0))
          .field("feature_dim", &C::feature_dim, greater_than<int>(0))
          .field<std::array<double, 3>>("mean", rgb("mean"))
          .field<std::array<double, 3>>("std", rgb("std"),
                                        satisfies<std::array<double, 3>>(
                                            [](const auto& s) {
                                              return std::all_of(s.begin(), s.end(),
                                                                 [](double v) { return v > 0; });
                                            },
                                            "values must be > 0"))
          .field("input_scale", &C::input_scale, greater_than<double>(0))
          .field("size_multiple_px", &C::size_multiple_px, greater_than<int>(0));
  return schema;
}

const SettingsSchema<GeometricFeaturesConfig>& geometric_schema() {
  using C = GeometricFeaturesConfig;
  static const auto schema =
      SettingsSchema<C>()
          .field("normal_radius_m", &C::normal_radius_m, greater_than<double>(0))
          .field("fpfh_radius_m", &C::fpfh_radius_m, greater_than<double>(0))
          .field("max_neighbours", &C::max_neighbours, at_least<int>(3))
          .field("table_height_m", &C::table_height_m)
          .field("height_scale_m", &C::height_scale_m, greater_than<double>(0))
          .field("normal_weight", &C::normal_weight)
          .field("fpfh_weight", &C::fpfh_weight)
          .field("height_weight", &C::height_weight);
  return schema;
}

const SettingsSchema<BackboneConfig>& backbone_schema() {
  using C = BackboneConfig;
  static const auto schema =
      SettingsSchema<C>()
          .field("name", &C::name,
                 satisfies<std::string>(
                     [](const std::string& n) {
                       const auto& names = backbone_names();
                       return std::find(names.begin(), names.end(), n) != names.end();
                     },
                     "unknown backbone; valid: learned, torchscript, geometric"))
          .field("l2_normalize", &C::l2_normalize)
          .child("learned", &C::learned, learned_schema())
          .child("torchscript", &C::torchscript, torchscript_schema())
          .child("geometric", &C::geometric, geometric_schema());
  return schema;
}

const SettingsSchema<RefinerConfig>& refiner_schema() {
  using C = RefinerConfig;
  static const auto schema =
      SettingsSchema<C>()
          .field("hidden_multiplier", &C::hidden_multiplier)
          .field("projection_dim", &C::projection_dim)
          .field("temperature", &C::temperature, greater_than<double>(0))
          .field("positive_radius_m", &C::positive_radius_m, greater_than<double>(0))
          .field("steps", &C::steps, at_least<int>(0))
          .field("learning_rate", &C::learning_rate, greater_than<double>(0))
          .field("batch_size", &C::batch_size, at_least<int>(2))
          .field("seed", &C::seed);
  return schema;
}

const SettingsSchema<PruningConfig>& pruning_schema() {
  using C = PruningConfig;
  static const auto schema =
      SettingsSchema<C>()
          .parsed<PruningMethod>(
              "method", [](C& c) -> PruningMethod& { return c.method; }, parse_pruning_method)
          .field("vote_radius_m", &C::vote_radius_m, greater_than<double>(0))
          .field("keep_fraction", &C::keep_fraction,
                 satisfies<double>([](double v) { return v > 0 && v <= 1; }, "must be in (0, 1]"))
          .field("ratio", &C::ratio,
                 satisfies<double>([](double v) { return v > 0 && v <= 1; }, "must be in (0, 1]"))
          .field("min_votes", &C::min_votes, at_least<int>(0));
  return schema;
}

const SettingsSchema<FieldConfig>& field_schema() {
  using C = FieldConfig;
  static const auto schema =
      SettingsSchema<C>()
          .parsed<FieldInterpolator>(
              "interpolator", [](C& c) -> FieldInterpolator& { return c.interpolator; },
              parse_field_interpolator)
          .field("knn_k", &C::knn_k, at_least<int>(1))
          .field("knn_cell_m", &C::knn_cell_m,
                 satisfies<double>([](double v) { return v >= 0 && v <= 1; },
                                   "must be in [0, 1] metres"))
          .field("knn_radius_m", &C::knn_radius_m,
                 satisfies<double>([](double v) { return v >= 0 && v <= 1; },
                                   "must be in [0, 1] metres (0: no limit)"))
          .field(
              "tree_theta", &C::tree_theta,
              satisfies<double>([](double v) { return v > 0 && v <= 0.6; }, "must be in (0, 0.6]"));
  return schema;
}

const SettingsSchema<RigAlignmentConfig>& rig_alignment_schema() {
  using C = RigAlignmentConfig;
  const auto metres =
      satisfies<double>([](double v) { return v > 0 && v <= 1; }, "must be in (0, 1] metres");
  static const auto schema =
      SettingsSchema<C>()
          .field("enabled", &C::enabled)
          .field("stride", &C::stride, at_least<int>(1))
          .field("table_band_m", &C::table_band_m, metres)
          .field("table_inlier_m", &C::table_inlier_m, metres)
          .field("table_ransac_iterations", &C::table_ransac_iterations, at_least<int>(1))
          .field("seed", &C::seed)
          .field("table_min_inliers", &C::table_min_inliers, at_least<int>(3))
          .field("object_min_height_m", &C::object_min_height_m, metres)
          .field("normal_neighbours", &C::normal_neighbours, at_least<int>(3))
          .field("icp_max_distance_m", &C::icp_max_distance_m, metres)
          .field("icp_max_tangential_m", &C::icp_max_tangential_m, metres)
          .field("icp_tukey_m", &C::icp_tukey_m, metres)
          .field(
              "icp_min_normal_cosine", &C::icp_min_normal_cosine,
              satisfies<double>([](double v) { return v >= -1 && v <= 1; }, "must be in [-1, 1]"))
          .field("icp_noise_m", &C::icp_noise_m, metres)
          .field("prior_translation_m", &C::prior_translation_m, metres)
          .field("prior_yaw_rad", &C::prior_yaw_rad,
                 satisfies<double>([](double v) { return v > 0 && v <= 0.5; },
                                   "must be in (0, 0.5] radians"))
          .field("icp_passes", &C::icp_passes, at_least<int>(0))
          .field("icp_iterations", &C::icp_iterations, at_least<int>(1))
          .field("icp_min_matches", &C::icp_min_matches, at_least<int>(3))
          .field("max_translation_m", &C::max_translation_m, metres)
          .field("max_yaw_rad", &C::max_yaw_rad,
                 satisfies<double>([](double v) { return v > 0 && v <= 0.5; },
                                   "must be in (0, 0.5] radians"));
  return schema;
}

const SettingsSchema<ObservationFieldConfig>& scene_schema() {
  using C = ObservationFieldConfig;
  using F = ForegroundConfig;
  const auto fg = [](auto F::*m) {
    return [m](C & c) -> auto& { return c.foreground.*m; };
  };
  static const auto schema =
      SettingsSchema<C>()
          .field("backproject_stride", &C::backproject_stride, at_least<int>(1))
          .field("max_points", &C::max_points)
          .field<Eigen::Vector3d>("workspace_min_m", fg(&F::box_min_m))
          .field<Eigen::Vector3d>("workspace_max_m", fg(&F::box_max_m))
          .field<double>("table_height_m", fg(&F::table_height_m))
          .field<double>("table_margin_m", fg(&F::table_margin_m))
          .field<bool>("fit_table_plane", fg(&F::fit_table_plane))
          .child("rig_alignment", &C::rig_alignment, rig_alignment_schema())
          .child("pruning", &C::pruning, pruning_schema())
          .child("field", &C::field, field_schema());
  return schema;
}

const SettingsSchema<HandSurfaceConfig>& hand_surface_schema() {
  using C = HandSurfaceConfig;
  static const auto schema = SettingsSchema<C>()
                                 .field("num_points", &C::num_points, at_least<int>(1))
                                 .field("distal_weight", &C::distal_weight, greater_than<double>(0))
                                 .field("middle_weight", &C::middle_weight, greater_than<double>(0))
                                 .field("seed", &C::seed);
  return schema;
}

const SettingsSchema<EnergyWeights>& weights_schema() {
  using C = EnergyWeights;
  const auto w = satisfies<double>([](double v) { return v >= 0 && std::isfinite(v); },
                                   "weights must be >= 0 and finite");
  static const auto schema = SettingsSchema<C>()
                                 .field("feature", &C::feature, w)
                                 .field("surface_distance", &C::surface_distance, w)
                                 .field("penetration", &C::penetration, w)
                                 .field("table", &C::table, w)
                                 .field("joint_limits", &C::joint_limits, w)
                                 .field("self_collision", &C::self_collision, w)
                                 .field("wrist_prior", &C::wrist_prior, w)
                                 .field("joint_prior", &C::joint_prior, w);
  return schema;
}

const SettingsSchema<GraspOptimizerConfig>& optimizer_schema() {
  using C = GraspOptimizerConfig;
  using K = ClusterConfig;
  const auto cl = [](auto K::*m) {
    return [m](C & c) -> auto& { return c.clusters.*m; };
  };
  static const auto schema =
      SettingsSchema<C>()
          .field("starts", &C::starts, at_least<int>(1))
          .field("iterations", &C::iterations, at_least<int>(0))
          .field("lr_translation_m", &C::lr_translation_m)
          .field("lr_rotation", &C::lr_rotation)
          .field("lr_joints", &C::lr_joints)
          .field("point_noise_m", &C::point_noise_m)
          .field("wrist_cone_rad", &C::wrist_cone_rad)
          .field("start_noise_m", &C::start_noise_m)
          .field("start_yaw_noise_rad", &C::start_yaw_noise_rad)
          .field("start_candidates", &C::start_candidates)
          .field("starts_on_every_cluster", &C::starts_on_every_cluster)
          .field<double>("cluster_link_distance_m", cl(&K::link_distance_m),
                         greater_than<double>(0))
          .field<int>("cluster_min_points", cl(&K::min_points))
          .field<int>("max_clusters", cl(&K::max_clusters), at_least<int>(1))
          .field("min_starts_per_cluster", &C::min_starts_per_cluster, at_least<int>(0))
          .field("table_height_m", &C::table_height_m)
          .field("table_margin_m", &C::table_margin_m)
          .field("penetration_points", &C::penetration_points)
          .field("surface_distance_cap_m", &C::surface_distance_cap_m, greater_than<double>(0))
          .field("penetration_tolerance_m", &C::penetration_tolerance_m, at_least<double>(0))
          .field("seed", &C::seed)
          .child("weights", &C::weights, weights_schema());
  return schema;
}

const SettingsSchema<SparseDffConfig>& sparsedff_schema() {
  using C = SparseDffConfig;
  static const auto schema = SettingsSchema<C>()
                                 .child("backbone", &C::backbone, backbone_schema())
                                 .field("refine", &C::refine)
                                 .child("refiner", &C::refiner, refiner_schema())
                                 .child("scene", &C::scene, scene_schema())
                                 .child("hand_surface", &C::hand_surface, hand_surface_schema())
                                 .child("optimizer", &C::optimizer, optimizer_schema())
                                 .field("cache_dir", &C::cache_dir);
  return schema;
}

}  // namespace

SparseDffConfig read_sparsedff_config(const StrictYaml& node) {
  return sparsedff_schema().read(node);
}

BackboneConfig read_backbone_config(const StrictYaml& node) { return backbone_schema().read(node); }

const ShippedSparseDffSettings& shipped_sparsedff_settings() {
  static const ShippedSparseDffSettings settings = [] {
    ShippedSparseDffSettings s;
    s.file = require_project_file("config/methods/sparsedff.yaml", "SparseDFF settings");
    std::ifstream in(s.file);
    std::stringstream text;
    text << in.rdbuf();
    s.text = text.str();
    const auto overrides = process_overrides("method");
    for (const auto& o : overrides) s.overrides.push_back(o.argument);
    s.config =
        read_sparsedff_config(load_yaml_string_with_overrides(s.text, s.file.string(), overrides));
    return s;
  }();
  return settings;
}

SparseDffConfig default_sparsedff_config() { return shipped_sparsedff_settings().config; }

}  // namespace dffeval
