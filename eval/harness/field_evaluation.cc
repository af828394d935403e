#include "eval/harness/field_evaluation.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <mujoco/mujoco.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "common/input_error.h"
#include "common/pose_json.h"
#include "common/provenance.h"
#include "common/results_root.h"
#include "common/seeded_rng.h"
#include "common/stopwatch.h"
#include "eval/harness/demonstration.h"
#include "eval/harness/suite.h"
#include "eval/harness/trial_runner.h"
#include "pipeline/cloud/point_cloud.h"
#include "pipeline/field/feature_refiner.h"
#include "pipeline/transfer/sparsedff_settings.h"
#include "sim/rgbd_renderer.h"
#include "sim/scene_set.h"
#include "sim/sensed_observation.h"
#include "sim/world.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

/// Points of different views closer than this pair up for the cross-view
/// distance, metres (the brief's 5 mm).
constexpr double kCrossViewRadiusM = 0.005;

const std::vector<std::string> kVariants = {"raw", "refined", "refined+pruned"};

/// One category's scenes: the demonstration source and K pairs of targets.
struct CategoryScenes {
  std::string category;
  std::string task;
  SimScene source;
  /// Per pair: [0] the source instance in another pose, [1] another instance.
  std::vector<std::array<SimScene, 2>> pairs;
};

/// Rows of `f` scaled to unit L2 length (zero rows stay zero).
FeaturesF normalized_rows(const FeaturesF& f, const std::vector<std::size_t>& rows) {
  FeaturesF out(static_cast<Eigen::Index>(rows.size()), f.cols());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto r = f.row(static_cast<Eigen::Index>(rows[k]));
    out.row(static_cast<Eigen::Index>(k)) = r / std::max(r.norm(), 1e-12f);
  }
  return out;
}

/// Whether point i of a scene field's cloud saw the scene's target object.
bool on_object(const SimScene& s, const ObservationField& f, std::size_t i) {
  const int view = f.cloud.view[i];
  const Eigen::Vector2i px = f.cloud.pixel[i];
  const int width = s.observation.views[view].width;
  return s.segmentation_body[view][static_cast<std::size_t>(px.y()) * width + px.x()] ==
         s.target_body;
}

/// Where point i of a scene field's cloud truly is, in the world: its pixel
/// back-projected with the ground-truth depth and camera (the cloud's own
/// p_W carries the sensor's noise and the rig's calibration error, which
/// would otherwise count as correspondence error). Where the truth has no
/// depth at that pixel (a flying pixel over the background) the cloud's
/// point is used.
Eigen::Vector3d true_point_W(const SimScene& s, const ObservationField& f, std::size_t i) {
  const CameraView& truth = s.truth.views[f.cloud.view[i]];
  const Eigen::Vector2i px = f.cloud.pixel[i];
  const double z = truth.depth_at(px.x(), px.y());
  if (!(z > 0)) return f.cloud.p_W[i];
  return backproject_pixel(truth, px.x(), px.y(), z);
}

std::vector<std::size_t> variant_rows(const ObservationField& f, const std::string& variant) {
  if (variant == "refined+pruned") return f.kept;
  std::vector<std::size_t> all(f.cloud.size());
  std::iota(all.begin(), all.end(), std::size_t{0});
  return all;
}

const FeaturesF& variant_features(const ObservationField& f, const std::string& variant) {
  return variant == "raw" ? f.raw : f.refined;
}

double cross_view_distance_of(const ObservationField& f, const std::string& variant) {
  const std::vector<std::size_t> rows = variant_rows(f, variant);
  const FeaturesF& feats = variant_features(f, variant);
  PointsF p(static_cast<Eigen::Index>(rows.size()), 3);
  FeaturesF x(static_cast<Eigen::Index>(rows.size()), feats.cols());
  std::vector<int> view(rows.size());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    p.row(static_cast<Eigen::Index>(k)) = f.points.row(static_cast<Eigen::Index>(rows[k]));
    x.row(static_cast<Eigen::Index>(k)) = feats.row(static_cast<Eigen::Index>(rows[k]));
    view[k] = f.view[rows[k]];
  }
  return cross_view_feature_distance(p, view, x, kCrossViewRadiusM);
}

/// Axis-aligned box of an object in its canonical frame, metres.
Eigen::AlignedBox3d object_box(const SimScene& s) { return s.scene.target.object.bounds_obj(); }

/// Per-sample correspondence errors of one (source, target) scene pair, cm.
struct PairErrors {
  std::vector<double> plain_cm, symmetric_cm, size_normalized_cm;
  int off_object = 0;
  int samples = 0;
};

/// `samples` source points on the object (evenly spaced in cloud order among
/// the variant's rows), each matched to the target row of nearest
/// normalized feature.
PairErrors correspondence_errors(const SimScene& src_scene, const ObservationField& src,
                                 const SimScene& tgt_scene, const ObservationField& tgt,
                                 const std::string& variant, int samples) {
  PairErrors out;
  std::vector<std::size_t> src_rows;
  for (std::size_t i : variant_rows(src, variant))
    if (on_object(src_scene, src, i)) src_rows.push_back(i);
  const std::vector<std::size_t> tgt_rows = variant_rows(tgt, variant);
  if (src_rows.empty() || tgt_rows.empty()) return out;
  std::vector<std::size_t> picked;
  const std::size_t m = std::min<std::size_t>(src_rows.size(), static_cast<std::size_t>(samples));
  for (std::size_t k = 0; k < m; ++k) picked.push_back(src_rows[k * src_rows.size() / m]);

  const FeaturesF fs = normalized_rows(variant_features(src, variant), picked);
  const FeaturesF ft = normalized_rows(variant_features(tgt, variant), tgt_rows);
  // For unit vectors the nearest in L2 is the largest dot product.
  const Eigen::MatrixXf dots = fs * ft.transpose();

  const Eigen::Isometry3d X_ObjW_src = src_scene.X_WObj.inverse();
  const Eigen::Isometry3d X_ObjW_tgt = tgt_scene.X_WObj.inverse();
  const ShapeSymmetry sym = category_symmetry(src_scene.scene.target.object.category);
  const Eigen::AlignedBox3d box_s = object_box(src_scene), box_t = object_box(tgt_scene);
  const Eigen::Vector3d scale = box_s.sizes().cwiseQuotient(box_t.sizes().cwiseMax(1e-6));
  for (std::size_t k = 0; k < picked.size(); ++k) {
    Eigen::Index best = 0;
    dots.row(static_cast<Eigen::Index>(k)).maxCoeff(&best);
    const std::size_t j = tgt_rows[static_cast<std::size_t>(best)];
    const Eigen::Vector3d p_src = X_ObjW_src * true_point_W(src_scene, src, picked[k]);
    const Eigen::Vector3d p_tgt = X_ObjW_tgt * true_point_W(tgt_scene, tgt, j);
    out.plain_cm.push_back(100.0 * (p_src - p_tgt).norm());
    out.symmetric_cm.push_back(100.0 * symmetric_distance(p_src, p_tgt, sym));
    // The target's canonical point stretched box to box onto the source's
    // size: what is left is feature confusion, not the size difference.
    const Eigen::Vector3d p_tgt_scaled = box_s.min() + (p_tgt - box_t.min()).cwiseProduct(scale);
    out.size_normalized_cm.push_back(100.0 * (p_src - p_tgt_scaled).norm());
    out.off_object += on_object(tgt_scene, tgt, j) ? 0 : 1;
    ++out.samples;
  }
  return out;
}

/// Mean canonical distance, cm, from the source samples to every target
/// foreground point: the error of a match drawn at random (a scale for the
/// numbers above).
double chance_error_cm(const SimScene& src_scene, const ObservationField& src,
                       const SimScene& tgt_scene, const ObservationField& tgt, int samples) {
  std::vector<std::size_t> src_rows;
  for (std::size_t i = 0; i < src.cloud.size(); ++i)
    if (on_object(src_scene, src, i)) src_rows.push_back(i);
  if (src_rows.empty() || tgt.cloud.size() == 0) return std::nan("");
  const std::size_t m = std::min<std::size_t>(src_rows.size(), static_cast<std::size_t>(samples));
  const std::size_t n = std::min<std::size_t>(tgt.cloud.size(), 2000);
  const Eigen::Isometry3d X_ObjW_src = src_scene.X_WObj.inverse();
  const Eigen::Isometry3d X_ObjW_tgt = tgt_scene.X_WObj.inverse();
  double sum = 0;
  for (std::size_t k = 0; k < m; ++k) {
    const Eigen::Vector3d p_src =
        X_ObjW_src * true_point_W(src_scene, src, src_rows[k * src_rows.size() / m]);
    for (std::size_t t = 0; t < n; ++t) {
      sum += (p_src - X_ObjW_tgt * true_point_W(tgt_scene, tgt, t * tgt.cloud.size() / n)).norm();
    }
  }
  return 100.0 * sum / static_cast<double>(m * n);
}

double mean_of(const std::vector<double>& v) {
  if (v.empty()) return std::nan("");
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double median_of(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  const std::size_t h = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h), v.end());
  if (v.size() % 2) return v[h];
  const double hi = v[h];
  return 0.5 * (hi + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h)));
}

/// JSON has no NaN: missing values are written as null.
nlohmann::json number(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); }

/// Accumulated measurements of one (backbone, variant).
struct Tally {
  std::vector<double> cross_view_targets, cross_view_source;
  std::array<PairErrors, 2> errors;  // [0] same instance, [1] other instance
  std::vector<double> source_points, target_points;
};

void append(PairErrors* into, const PairErrors& e) {
  into->plain_cm.insert(into->plain_cm.end(), e.plain_cm.begin(), e.plain_cm.end());
  into->symmetric_cm.insert(into->symmetric_cm.end(), e.symmetric_cm.begin(), e.symmetric_cm.end());
  into->size_normalized_cm.insert(into->size_normalized_cm.end(), e.size_normalized_cm.begin(),
                                  e.size_normalized_cm.end());
  into->off_object += e.off_object;
  into->samples += e.samples;
}

nlohmann::json scene_json(const SimScene& s) {
  const Eigen::Vector3d size = object_box(s).sizes();
  return {{"object", s.scene.target.object.id()},
          {"scene_set", s.scene.scene_set},
          {"seed", s.scene.seed},
          {"X_WObj", pose_to_json(s.X_WObj)},
          {"object_size_cm", {100 * size.x(), 100 * size.y(), 100 * size.z()}}};
}

std::vector<std::string> default_backbones(const SparseDffConfig& config) {
  std::vector<std::string> b = {"learned", "geometric"};
  if (!config.backbone.torchscript.module_path.empty()) b.push_back("torchscript");
  return b;
}

std::string fmt_cell(double x, int precision = 2) {
  return std::isfinite(x) ? fmt::format("{:.{}f}", x, precision) : std::string("-");
}

std::string markdown(const nlohmann::json& result) {
  auto num = [](const nlohmann::json& j, int precision = 2) {
    return j.is_number() ? fmt_cell(j.get<double>(), precision) : std::string("-");
  };
  std::string t;
  t += fmt::format("fieldeval: suite {}, {} pair(s) per category, {} source samples per scene\n\n",
                   result["suite"].get<std::string>(), result["pairs_per_category"].get<int>(),
                   result["samples_per_scene"].get<int>());
  t += "| backbone | variant | xview dist (targets) | xview dist (source) | corr err same cm "
       "(mean / median) | corr err other cm (mean / median) | sym err same cm | sym err other cm "
       "| size-norm other cm | off-object same / other |\n";
  t += "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (const auto& e : result["entries"]) {
    const auto& c = e["correspondence_error_cm"];
    const auto& m = e["correspondence_error_median_cm"];
    const auto& s = e["correspondence_error_symmetric_cm"];
    const auto& o = e["off_object_match_fraction"];
    t += fmt::format("| {} | {} | {} | {} | {} / {} | {} / {} | {} | {} | {} | {} / {} |\n",
                     e["backbone"].get<std::string>(), e["variant"].get<std::string>(),
                     num(e["cross_view_distance"], 3), num(e["cross_view_distance_source"], 3),
                     num(c["same_instance"]), num(m["same_instance"]), num(c["other_instance"]),
                     num(m["other_instance"]), num(s["same_instance"]), num(s["other_instance"]),
                     num(e["correspondence_error_size_normalized_cm"]["other_instance"]),
                     num(o["same_instance"]), num(o["other_instance"]));
  }
  t += fmt::format(
      "\nchance level (random target point): same {} cm, other {} cm. Lower is better "
      "everywhere. xview dist: mean L2 distance of unit features of points of different views "
      "closer than 5 mm (0..2). corr err: canonical-frame distance between the "
      "feature-nearest target point and the true point; sym: modulo the category's shape "
      "symmetry; size-norm: the other instance's box stretched onto the source's.\n",
      num(result["chance_level_cm"]["same_instance"]),
      num(result["chance_level_cm"]["other_instance"]));
  return t;
}

}  // namespace

SimScene render_sim_scene(const DrawnScene& scene, const SceneSet& set, RgbdRenderer* renderer,
                          bool segmentation) {
  SimScene s;
  s.scene = scene;
  auto world = World::compose(scene);
  const MjDataPtr d_data = world->make_settled_data();
  mjData* d = d_data.get();
  RenderedViews views = renderer->render(*world, d, segmentation);
  s.truth = std::move(views.observation);
  s.observation = sense_observation(set, s.truth, scene.seed).observation;
  s.segmentation_body = std::move(views.segmentation_body);
  s.target_body = world->target_body();
  s.X_WObj = world->body_pose(d, world->target_body());
  return s;
}

namespace {

/// One demonstration per category: the suite's first task of it (only the
/// categories asked for, if any).
std::vector<std::pair<std::string, std::string>> category_tasks(const SuiteSpec& suite,
                                                                const FieldEvalOptions& options) {
  std::vector<std::pair<std::string, std::string>> category_task;
  std::set<std::string> seen_categories;
  for (const auto& task : suite.tasks) {
    const Demonstration demo = load_demonstration(task);
    if (!options.categories.empty() &&
        std::find(options.categories.begin(), options.categories.end(), demo.category) ==
            options.categories.end()) {
      continue;
    }
    if (seen_categories.insert(demo.category).second)
      category_task.emplace_back(demo.category, task);
  }
  for (const auto& c : options.categories) {
    if (!seen_categories.count(c)) {
      throw InputError(
          fmt::format("fieldeval: no task of suite '{}' has category '{}'", suite.name, c));
    }
  }
  if (category_task.empty()) throw InputError("fieldeval: the suite has no tasks");

  return category_task;
}

/// Every scene rendered once (with segmentation), for every backbone: per
/// category the demonstration's source scene and `pairs` pairs (the source
/// instance in another pose, another instance); their records go to
/// *scenes_json.
std::vector<CategoryScenes> render_category_scenes(
    const SuiteSpec& suite, const std::vector<std::pair<std::string, std::string>>& category_task,
    int pairs, nlohmann::json* scenes_json_out) {
  nlohmann::json& scenes_json = *scenes_json_out;
  RgbdRenderer renderer;
  std::map<std::string, SceneSet> specs;
  auto spec = [&](const std::string& name) -> const SceneSet& {
    auto it = specs.find(name);
    if (it == specs.end()) it = specs.emplace(name, load_scene_set(name)).first;
    return it->second;
  };
  // Partners come from catalog sets: their instance pool keeps field results reproducible.
  std::vector<InstanceSet> catalog_sets;
  for (const auto& set : suite.object_sets)
    if (set.catalog) catalog_sets.push_back(*set.catalog);
  if (catalog_sets.empty()) {
    throw InputError(
        fmt::format("fieldeval: suite '{}' has no catalog object set (seen, novel) "
                    "to draw the other instances from",
                    suite.name));
  }
  std::vector<CategoryScenes> categories;
  for (const auto& [category, task] : category_task) {
    CategoryScenes c;
    c.category = category;
    c.task = task;
    const Demonstration demo = load_demonstration(task);
    const SceneSet& source_set = spec(suite.source_scene_set);
    c.source = render_sim_scene(draw_source_scene(demo, source_set), source_set, &renderer, true);
    for (int k = 0; k < pairs; ++k) {
      const std::string label = fmt::format("fieldeval/{}/{}", category, k);
      const std::string& scene_set = suite.scene_sets[k % suite.scene_sets.size()];
      const InstanceSet other_set = catalog_sets[k % catalog_sets.size()];
      SeededRng rng(derive_seed(suite.seed, label + "/other_index"));
      // Another instance: never the demonstration's own object.
      const int pool = auxiliary_instance_count(other_set);
      int other_index = other_set == InstanceSet::kSeen ? rng.uniform_int(0, pool - 2)
                                                        : rng.uniform_int(0, pool - 1);
      if (other_set == demo.source_set && other_index >= demo.source_index) ++other_index;
      std::array<SimScene, 2> pair;
      pair[0] = render_sim_scene(draw_scene(spec(scene_set), demo.source_object(),
                                            derive_seed(suite.seed, label + "/same")),
                                 spec(scene_set), &renderer, true);
      pair[1] = render_sim_scene(
          draw_scene(spec(scene_set), make_object_instance(category, other_set, other_index),
                     derive_seed(suite.seed, label + "/other")),
          spec(scene_set), &renderer, true);
      scenes_json.push_back({{"category", category},
                             {"task", task},
                             {"pair", k},
                             {"source", scene_json(c.source)},
                             {"same_instance", scene_json(pair[0])},
                             {"other_instance", scene_json(pair[1])}});
      c.pairs.push_back(std::move(pair));
    }
    categories.push_back(std::move(c));
  }
  return categories;
}

/// One entry of fieldeval.json: a backbone and variant's tallies.
nlohmann::json entry_json(const std::string& backbone, const std::string& variant, const Tally& t,
                          const std::map<std::string, std::map<std::string, Tally>>& per_category) {
  auto off = [](const PairErrors& e) {
    return e.samples ? static_cast<double>(e.off_object) / e.samples : std::nan("");
  };
  nlohmann::json entry = {
      {"backbone", backbone},
      {"variant", variant},
      {"cross_view_distance", number(mean_of(t.cross_view_targets))},
      {"cross_view_distance_source", number(mean_of(t.cross_view_source))},
      {"correspondence_error_cm",
       {{"same_instance", number(mean_of(t.errors[0].plain_cm))},
        {"other_instance", number(mean_of(t.errors[1].plain_cm))}}},
      {"correspondence_error_median_cm",
       {{"same_instance", number(median_of(t.errors[0].plain_cm))},
        {"other_instance", number(median_of(t.errors[1].plain_cm))}}},
      {"correspondence_error_symmetric_cm",
       {{"same_instance", number(mean_of(t.errors[0].symmetric_cm))},
        {"other_instance", number(mean_of(t.errors[1].symmetric_cm))}}},
      {"correspondence_error_size_normalized_cm",
       {{"other_instance", number(mean_of(t.errors[1].size_normalized_cm))}}},
      {"off_object_match_fraction",
       {{"same_instance", number(off(t.errors[0]))}, {"other_instance", number(off(t.errors[1]))}}},
      {"samples",
       {{"same_instance", t.errors[0].samples}, {"other_instance", t.errors[1].samples}}},
      {"points",
       {{"source", number(mean_of(t.source_points))},
        {"target", number(mean_of(t.target_points))}}},
  };
  nlohmann::json cats = nlohmann::json::object();
  for (const auto& [category, by_variant] : per_category) {
    const Tally& ct = by_variant.at(variant);
    cats[category] = {{"cross_view_distance", number(mean_of(ct.cross_view_targets))},
                      {"correspondence_error_cm",
                       {{"same_instance", number(mean_of(ct.errors[0].plain_cm))},
                        {"other_instance", number(mean_of(ct.errors[1].plain_cm))}}},
                      {"correspondence_error_symmetric_cm",
                       {{"same_instance", number(mean_of(ct.errors[0].symmetric_cm))},
                        {"other_instance", number(mean_of(ct.errors[1].symmetric_cm))}}}};
  }
  entry["per_category"] = cats;
  return entry;
}

/// What the numbers of fieldeval.json mean.
nlohmann::json fieldeval_notes() {
  return {
      "correspondence errors are distances in the target object's canonical frame "
      "(p_Obj = X_WObj^-1 p_W from the simulator's object poses), in cm",
      "other_instance compares canonical coordinates as they are although the instances' "
      "sizes differ (see scenes[].*.object_size_cm); correspondence_error_size_normalized_cm "
      "first stretches the target's bounding box onto the source's",
      "correspondence_error_symmetric_cm takes the smallest error over the category's shape "
      "symmetries (mug: mirror y; box, basket: mirror x and y; bottle, can, bowl: rotation "
      "about z), which a feature cannot be expected to resolve without texture",
      "refined features come from the refiner trained on the category's demonstration source "
      "scene; refined+pruned keeps only the points the SparseDFF pruning keeps, on both sides",
      "target candidates are all foreground points the method sees (distractors included); "
      "off_object_match_fraction counts matches that are not on the target object"};
}

/// Writes fieldeval.json and fieldeval.md into the output folder and
/// prints the table.
void write_fieldeval_files(const FieldEvalOptions& options, const nlohmann::json& result,
                           Clock::time_point t_start, std::ostream& log) {
  const fs::path out = options.out.empty() ? results_root() / "fieldeval" : fs::path(options.out);
  fs::create_directories(out);
  {
    std::ofstream f(out / "fieldeval.json");
    f << result.dump(2) << "\n";
    if (!f) throw std::runtime_error("cannot write " + (out / "fieldeval.json").string());
  }
  const std::string table = markdown(result);
  {
    std::ofstream f(out / "fieldeval.md");
    f << table;
  }
  log << "\n"
      << table
      << fmt::format("wrote {} in {:.1f} s\n", (out / "fieldeval.json").string(),
                     seconds_since(t_start));
}

}  // namespace

int run_fieldeval(const FieldEvalOptions& options, std::ostream& log) {
  const auto t_start = Clock::now();
  if (options.pairs < 1) throw InputError("fieldeval: --pairs must be >= 1");
  if (options.samples < 1) throw InputError("fieldeval: --samples must be >= 1");
  const SuiteSpec suite = load_suite(options.suite);
  const SparseDffConfig base = default_sparsedff_config();
  std::vector<std::string> backbones =
      options.backbones.empty() ? default_backbones(base) : options.backbones;
  for (const auto& b : backbones) {
    const auto& valid = backbone_names();
    if (std::find(valid.begin(), valid.end(), b) == valid.end()) {
      throw InputError(
          fmt::format("fieldeval: unknown backbone '{}' (valid: {})", b, fmt::join(valid, ", ")));
    }
  }

  const auto category_task = category_tasks(suite, options);

  auto t0 = Clock::now();
  nlohmann::json scenes_json = nlohmann::json::array();
  const std::vector<CategoryScenes> categories =
      render_category_scenes(suite, category_task, options.pairs, &scenes_json);
  nlohmann::json timing = {{"render", seconds_since(t0)}};
  log << fmt::format("fieldeval: {} categories x {} pair(s) rendered in {:.1f} s; backbones: {}\n",
                     categories.size(), options.pairs, seconds_since(t0),
                     fmt::join(backbones, ", "));

  std::array<std::vector<double>, 2> chance;  // per scene, [same, other]
  nlohmann::json entries = nlohmann::json::array();
  std::vector<std::string> evaluated;
  nlohmann::json skipped = nlohmann::json::object();
  for (const std::string& backbone : backbones) {
    t0 = Clock::now();
    SparseDffConfig config = base;
    config.backbone.name = backbone;
    if (!options.learned_weights.empty())
      config.backbone.learned.weights_path = options.learned_weights;
    config.refine = true;  // the raw variant reads the features before refinement
    if (!options.cache_dir.empty()) config.cache_dir = options.cache_dir;
    std::unique_ptr<SparseDffPipeline> made;
    try {
      made = std::make_unique<SparseDffPipeline>(config);
    } catch (const InputError& e) {
      // A default backbone whose weights were never trained is noted, not
      // fatal; one the user asked for is an error.
      if (!options.backbones.empty()) throw;
      skipped[backbone] = e.what();
      log << fmt::format("  {:<11} skipped: {}\n", backbone, e.what());
      continue;
    }
    SparseDffPipeline& pipeline = *made;
    const bool first = evaluated.empty();
    evaluated.push_back(backbone);
    std::map<std::string, Tally> tally;  // by variant
    std::map<std::string, std::map<std::string, Tally>> per_category;
    for (const CategoryScenes& c : categories) {
      const auto source = pipeline.source_model(c.source.observation);
      const ObservationField& src = *source->field;
      for (const auto& pair : c.pairs) {
        for (int which = 0; which < 2; ++which) {
          const ObservationField tgt = pipeline.target_field(pair[which].observation, *source);
          if (first) {
            chance[which].push_back(
                chance_error_cm(c.source, src, pair[which], tgt, options.samples));
          }
          for (const auto& variant : kVariants) {
            const PairErrors e =
                correspondence_errors(c.source, src, pair[which], tgt, variant, options.samples);
            const double xv = cross_view_distance_of(tgt, variant);
            for (Tally* t : {&tally[variant], &per_category[c.category][variant]}) {
              append(&t->errors[which], e);
              t->cross_view_targets.push_back(xv);
              t->target_points.push_back(static_cast<double>(variant_rows(tgt, variant).size()));
            }
          }
        }
      }
      for (const auto& variant : kVariants) {
        const double xs = cross_view_distance_of(src, variant);
        for (Tally* t : {&tally[variant], &per_category[c.category][variant]}) {
          t->cross_view_source.push_back(xs);
          t->source_points.push_back(static_cast<double>(variant_rows(src, variant).size()));
        }
      }
      log << fmt::format("  {:<11} {:<7} done ({:.1f} s so far)\n", backbone, c.category,
                         seconds_since(t0));
    }
    timing[backbone] = seconds_since(t0);

    for (const auto& variant : kVariants) {
      nlohmann::json entry = entry_json(backbone, variant, tally[variant], per_category);
      entries.push_back(entry);
    }
  }
  if (evaluated.empty()) {
    throw InputError("fieldeval: no backbone could be loaded: " + skipped.dump());
  }
  timing["total"] = seconds_since(t_start);

  nlohmann::json result = {
      {"tool", "fieldeval"},
      {"suite", suite.name},
      {"pairs_per_category", options.pairs},
      {"samples_per_scene", options.samples},
      {"cross_view_radius_m", kCrossViewRadiusM},
      {"variants", kVariants},
      {"backbones", evaluated},
      {"skipped_backbones", skipped},
      {"notes", fieldeval_notes()},
      {"scenes", scenes_json},
      {"chance_level_cm",
       {{"same_instance", number(mean_of(chance[0]))},
        {"other_instance", number(mean_of(chance[1]))}}},
      {"entries", entries},
      {"timing_s", timing},
      {"provenance", provenance()},
  };
  write_fieldeval_files(options, result, t_start, log);
  return 0;
}

}  // namespace dffeval
