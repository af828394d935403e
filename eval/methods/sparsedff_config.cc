// Reading SparseDFF settings from YAML (config/methods/sparsedff.yaml), and
// the ablation presets.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/input_error.h"
#include "common/project_paths.h"
#include "common/strict_yaml.h"
#include "eval/methods/sparsedff_method.h"

namespace dffeval {
namespace {

Eigen::Vector3d read_vec3(const StrictYaml& node, const std::string& key,
                          const Eigen::Vector3d& fallback) {
  if (!node.has(key)) return fallback;
  const auto v = node.get<std::vector<double>>(key);
  if (v.size() != 3) node.fail(key, "expected [x, y, z]");
  return {v[0], v[1], v[2]};
}

void positive(const StrictYaml& node, const std::string& key, double value) {
  if (!(value > 0)) node.fail(key, "must be > 0");
}

void read_refiner(const StrictYaml& n, RefinerConfig* c) {
  c->hidden_multiplier = n.get_or("hidden_multiplier", c->hidden_multiplier);
  c->projection_dim = n.get_or("projection_dim", c->projection_dim);
  c->temperature = n.get_or("temperature", c->temperature);
  c->positive_radius_m = n.get_or("positive_radius_m", c->positive_radius_m);
  c->steps = n.get_or("steps", c->steps);
  c->learning_rate = n.get_or("learning_rate", c->learning_rate);
  c->batch_size = n.get_or("batch_size", c->batch_size);
  c->seed = n.get_or("seed", c->seed);
  positive(n, "temperature", c->temperature);
  positive(n, "positive_radius_m", c->positive_radius_m);
  positive(n, "learning_rate", c->learning_rate);
  if (c->steps < 0) n.fail("steps", "must be >= 0");
  if (c->batch_size < 2) n.fail("batch_size", "must be >= 2");
  n.reject_unknown_keys();
}

void read_scene(const StrictYaml& n, SceneFieldConfig* c) {
  c->backproject_stride = n.get_or("backproject_stride", c->backproject_stride);
  c->max_points = n.get_or("max_points", c->max_points);
  if (c->backproject_stride < 1) n.fail("backproject_stride", "must be >= 1");
  ForegroundConfig& f = c->foreground;
  f.box_min_m = read_vec3(n, "workspace_min_m", f.box_min_m);
  f.box_max_m = read_vec3(n, "workspace_max_m", f.box_max_m);
  f.table_height_m = n.get_or("table_height_m", f.table_height_m);
  f.table_margin_m = n.get_or("table_margin_m", f.table_margin_m);
  f.fit_table_plane = n.get_or("fit_table_plane", f.fit_table_plane);
  if (n.has("pruning")) {
    const StrictYaml p = n.child("pruning");
    PruningConfig& pc = c->pruning;
    if (p.has("method")) {
      try {
        pc.method = parse_pruning_method(p.get<std::string>("method"));
      } catch (const std::invalid_argument& e) {
        p.fail("method", e.what());
      }
    }
    pc.vote_radius_m = p.get_or("vote_radius_m", pc.vote_radius_m);
    pc.keep_fraction = p.get_or("keep_fraction", pc.keep_fraction);
    pc.ratio = p.get_or("ratio", pc.ratio);
    pc.min_votes = p.get_or("min_votes", pc.min_votes);
    positive(p, "vote_radius_m", pc.vote_radius_m);
    if (!(pc.keep_fraction > 0 && pc.keep_fraction <= 1))
      p.fail("keep_fraction", "must be in (0, 1]");
    p.reject_unknown_keys();
  }
  if (n.has("field")) {
    const StrictYaml fn = n.child("field");
    FieldConfig& fc = c->field;
    if (fn.has("interpolator")) {
      try {
        fc.interpolator = parse_field_interpolator(fn.get<std::string>("interpolator"));
      } catch (const std::invalid_argument& e) {
        fn.fail("interpolator", e.what());
      }
    }
    fc.knn_k = fn.get_or("knn_k", fc.knn_k);
    fc.knn_cell_m = fn.get_or("knn_cell_m", fc.knn_cell_m);
    fc.knn_radius_m = fn.get_or("knn_radius_m", fc.knn_radius_m);
    fc.tree_theta = fn.get_or("tree_theta", fc.tree_theta);
    if (fc.knn_k < 1) fn.fail("knn_k", "must be >= 1");
    if (!(fc.knn_cell_m >= 0 && fc.knn_cell_m <= 1))
      fn.fail("knn_cell_m", "must be in [0, 1] metres");
    if (!(fc.knn_radius_m >= 0 && fc.knn_radius_m <= 1))
      fn.fail("knn_radius_m", "must be in [0, 1] metres (0: no limit)");
    if (!(fc.tree_theta > 0 && fc.tree_theta <= 0.6)) fn.fail("tree_theta", "must be in (0, 0.6]");
    fn.reject_unknown_keys();
  }
  n.reject_unknown_keys();
}

void read_weights(const StrictYaml& n, EnergyWeights* w) {
  w->feature = n.get_or("feature", w->feature);
  w->surface_distance = n.get_or("surface_distance", w->surface_distance);
  w->penetration = n.get_or("penetration", w->penetration);
  w->table = n.get_or("table", w->table);
  w->joint_limits = n.get_or("joint_limits", w->joint_limits);
  w->self_collision = n.get_or("self_collision", w->self_collision);
  w->wrist_prior = n.get_or("wrist_prior", w->wrist_prior);
  w->joint_prior = n.get_or("joint_prior", w->joint_prior);
  for (const auto& key : n.keys()) {
    if (n.has(key) && n.node()[key].IsScalar() && n.get<double>(key) < 0) {
      n.fail(key, "weights must be >= 0");
    }
  }
  n.reject_unknown_keys();
}

void read_optimizer(const StrictYaml& n, GraspOptimizerConfig* c) {
  c->starts = n.get_or("starts", c->starts);
  c->iterations = n.get_or("iterations", c->iterations);
  c->lr_translation_m = n.get_or("lr_translation_m", c->lr_translation_m);
  c->lr_rotation = n.get_or("lr_rotation", c->lr_rotation);
  c->lr_joints = n.get_or("lr_joints", c->lr_joints);
  c->point_noise_m = n.get_or("point_noise_m", c->point_noise_m);
  c->wrist_cone_rad = n.get_or("wrist_cone_rad", c->wrist_cone_rad);
  c->start_noise_m = n.get_or("start_noise_m", c->start_noise_m);
  c->start_yaw_noise_rad = n.get_or("start_yaw_noise_rad", c->start_yaw_noise_rad);
  c->start_candidates = n.get_or("start_candidates", c->start_candidates);
  c->starts_on_every_cluster = n.get_or("starts_on_every_cluster", c->starts_on_every_cluster);
  c->clusters.link_distance_m = n.get_or("cluster_link_distance_m", c->clusters.link_distance_m);
  c->clusters.min_points = n.get_or("cluster_min_points", c->clusters.min_points);
  c->clusters.max_clusters = n.get_or("max_clusters", c->clusters.max_clusters);
  if (!(c->clusters.link_distance_m > 0)) n.fail("cluster_link_distance_m", "must be > 0");
  if (c->clusters.max_clusters < 1) n.fail("max_clusters", "must be >= 1");
  c->table_height_m = n.get_or("table_height_m", c->table_height_m);
  c->table_margin_m = n.get_or("table_margin_m", c->table_margin_m);
  c->penetration_points = n.get_or("penetration_points", c->penetration_points);
  c->surface_distance_cap_m = n.get_or("surface_distance_cap_m", c->surface_distance_cap_m);
  c->penetration_tolerance_m = n.get_or("penetration_tolerance_m", c->penetration_tolerance_m);
  if (c->penetration_tolerance_m < 0) n.fail("penetration_tolerance_m", "must be >= 0");
  if (!(c->surface_distance_cap_m > 0)) n.fail("surface_distance_cap_m", "must be > 0");
  c->seed = n.get_or("seed", c->seed);
  if (c->starts < 1) n.fail("starts", "must be >= 1");
  if (c->iterations < 0) n.fail("iterations", "must be >= 0");
  if (n.has("weights")) read_weights(n.child("weights"), &c->weights);
  n.reject_unknown_keys();
}

}  // namespace

SparseDffConfig read_sparsedff_config(const StrictYaml& node) {
  SparseDffConfig c;
  if (node.has("backbone")) c.backbone = read_backbone_config(node.child("backbone"));
  c.refine = node.get_or("refine", c.refine);
  if (node.has("refiner")) read_refiner(node.child("refiner"), &c.refiner);
  if (node.has("scene")) read_scene(node.child("scene"), &c.scene);
  if (node.has("hand_surface")) {
    const StrictYaml h = node.child("hand_surface");
    c.hand_surface.num_points = h.get_or("num_points", c.hand_surface.num_points);
    c.hand_surface.distal_weight = h.get_or("distal_weight", c.hand_surface.distal_weight);
    c.hand_surface.middle_weight = h.get_or("middle_weight", c.hand_surface.middle_weight);
    c.hand_surface.seed = h.get_or("seed", c.hand_surface.seed);
    if (c.hand_surface.num_points < 1) h.fail("num_points", "must be >= 1");
    h.reject_unknown_keys();
  }
  if (node.has("optimizer")) read_optimizer(node.child("optimizer"), &c.optimizer);
  c.cache_dir = node.get_or("cache_dir", c.cache_dir);
  node.reject_unknown_keys();
  return c;
}

namespace {

/// The shipped settings file, read once: its text is what the configuration
/// was parsed from and what results record (so a file edited during a run
/// does not make the record disagree with the run).
struct ShippedSettings {
  std::filesystem::path file;
  std::string text;
  SparseDffConfig config;
};

const ShippedSettings& shipped_settings() {
  static const ShippedSettings settings = [] {
    ShippedSettings s;
    s.file = require_project_file("config/methods/sparsedff.yaml", "SparseDFF settings");
    std::ifstream in(s.file);
    std::stringstream text;
    text << in.rdbuf();
    s.text = text.str();
    s.config = read_sparsedff_config(StrictYaml::load_string(s.text, s.file.string()));
    return s;
  }();
  return settings;
}

}  // namespace

SparseDffConfig default_sparsedff_config() { return shipped_settings().config; }

namespace {

/// The method and its ablations: each ablation changes one setting.
struct Variant {
  const char* name;
  const char* description;
  /// The one change against config/methods/sparsedff.yaml, as a YAML key.
  const char* change;
  void (*apply)(SparseDffConfig*);
};

const std::vector<Variant>& variants() {
  static const std::vector<Variant> all = {
      {"sparsedff",
       "SparseDFF: learned features, refined, pruned (vote_3D), kNN field, multi-start "
       "grasp optimization (the default method)",
       "none", [](SparseDffConfig*) {}},
      {"no-refine", "SparseDFF ablation: no refinement network", "refine: false",
       [](SparseDffConfig* c) { c->refine = false; }},
      {"no-prune", "SparseDFF ablation: no point pruning", "scene.pruning.method: none",
       [](SparseDffConfig* c) { c->scene.pruning.method = PruningMethod::kNone; }},
      {"dense-field", "SparseDFF ablation: the published dense inverse-square field",
       "scene.field.interpolator: dense",
       [](SparseDffConfig* c) { c->scene.field.interpolator = FieldInterpolator::kDense; }},
      {"geometric", "SparseDFF ablation: geometric features (normals, FPFH, height)",
       "backbone.name: geometric", [](SparseDffConfig* c) { c->backbone.name = "geometric"; }},
  };
  return all;
}

const Variant& find_variant(const std::string& name) {
  for (const Variant& v : variants())
    if (name == v.name) return v;
  throw InputError("unknown SparseDFF variant '" + name +
                   "' (valid: sparsedff, no-refine, no-prune, dense-field, geometric)");
}

}  // namespace

SparseDffConfig sparsedff_variant(const std::string& name) {
  const Variant& v = find_variant(name);
  SparseDffConfig c = default_sparsedff_config();
  v.apply(&c);
  return c;
}

nlohmann::json sparsedff_settings_record(const std::string& name) {
  const Variant& v = find_variant(name);
  const ShippedSettings& shipped = shipped_settings();
  return {{"file", shipped.file.string()},
          {"yaml", shipped.text},
          {"variant", v.name},
          {"variant_change", v.change}};
}

void register_sparsedff_methods() {
  for (const Variant& v : variants()) {
    const std::string name = v.name;
    register_method({name, v.description, false,
                     [name] { return std::make_unique<SparseDffMethod>(sparsedff_variant(name)); },
                     [name] { return sparsedff_settings_record(name); }});
  }
}

}  // namespace dffeval
