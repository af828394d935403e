#include "eval/harness/backbone_dataset.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

#include "common/input_error.h"
#include "common/seeded_rng.h"
#include "pipeline/cloud/point_cloud.h"
#include "sim/depth_sensor_model.h"
#include "sim/drawn_scene.h"
#include "sim/rgbd_renderer.h"
#include "sim/scene_set.h"
#include "sim/world.h"

namespace dffeval {
namespace {

// A view-b point must lie this close to a view-a point for the evaluation to
// count the pair as seeing the same surface spot, metres.
constexpr double kSameSpotM = 0.003;

// Per-pixel ground truth of one rendered view of the target object.
struct ViewTruth {
  int width = 0, height = 0;
  // 1 where the target is seen with valid depth and a usable normal.
  std::vector<std::uint8_t> ok;
  std::vector<Eigen::Vector3f> p_Obj;  // object-frame position, metres
  std::vector<Eigen::Vector3f> n_Obj;  // object-frame unit normal (outward)
  std::vector<Eigen::Vector3f> q;      // bounding-box-normalized position
};

struct SceneRecord {
  ObjectInstance object;
  Eigen::Isometry3d X_WObj = Eigen::Isometry3d::Identity();
  std::vector<int> views;  // indices into the dataset's views
  std::vector<ViewTruth> truth;
  // Per view, the exact rendered depth where the dataset's view is sensed;
  // empty when the views are the exact render.
  std::vector<std::vector<float>> exact_depth_m;
  const std::vector<float>& exact_depth(const CorrespondenceDataset& data, int i) const {
    return exact_depth_m.empty() ? data.views[views[i]].depth_m : exact_depth_m[i];
  }
};

// Object-frame position reduced by the category's symmetries, divided by the
// object's largest extent (see the header).
Eigen::Vector3f symmetry_key(const ObjectInstance& object, const Eigen::Vector3f& p_Obj) {
  const Eigen::AlignedBox3d b = object.bounds_obj();
  const Eigen::Vector3f c = b.center().cast<float>();
  const float s = static_cast<float>(b.sizes().maxCoeff());
  const Eigen::Vector3f d = (p_Obj - c) / s;
  const std::string& cat = object.category;
  if (cat == "bottle" || cat == "can" || cat == "bowl") {
    return {std::hypot(d.x(), d.y()), 0.f, d.z()};
  }
  if (cat == "mug") return {d.x(), std::abs(d.y()), d.z()};
  return {std::abs(d.x()), std::abs(d.y()), d.z()};  // box, basket
}

// Outward world-frame surface normal at (u, v) from depth by central
// (or one-sided) differences; false across silhouettes or without neighbours.
bool depth_normal(const CameraView& view, int u, int v, Eigen::Vector3d* n_W) {
  const float d = view.depth_at(u, v);
  auto point = [&](int uu, int vv) {
    return backproject_pixel(view, uu, vv, view.depth_at(uu, vv));  // world
  };
  auto ok = [&](int uu, int vv) {
    if (uu < 0 || vv < 0 || uu >= view.width || vv >= view.height) return false;
    const float dd = view.depth_at(uu, vv);
    return dd > 0.f && std::abs(dd - d) < 0.03f * d;
  };
  auto tangent = [&](int du, int dv, Eigen::Vector3d* t) {
    const bool f = ok(u + du, v + dv), b = ok(u - du, v - dv);
    if (!f && !b) return false;
    *t = (f ? point(u + du, v + dv) : point(u, v)) - (b ? point(u - du, v - dv) : point(u, v));
    return true;
  };
  Eigen::Vector3d tu, tv;
  if (!tangent(1, 0, &tu) || !tangent(0, 1, &tv)) return false;
  Eigen::Vector3d n = tu.cross(tv);
  if (n.norm() < 1e-15) return false;
  n.normalize();
  // World-frame normal facing the camera.
  if (n.dot(view.X_WC.translation() - point(u, v)) < 0) n = -n;
  *n_W = n;
  return true;
}

ViewTruth view_truth(const CameraView& view, const std::vector<std::int32_t>& seg, int target_body,
                     const ObjectInstance& object, const Eigen::Isometry3d& X_WObj) {
  ViewTruth t;
  t.width = view.width;
  t.height = view.height;
  const std::size_t n = static_cast<std::size_t>(view.width) * view.height;
  t.ok.assign(n, 0);
  t.p_Obj.assign(n, Eigen::Vector3f::Zero());
  t.n_Obj.assign(n, Eigen::Vector3f::Zero());
  t.q.assign(n, Eigen::Vector3f::Zero());
  const Eigen::Isometry3d X_ObjW = X_WObj.inverse();
  const Eigen::AlignedBox3d b = object.bounds_obj();
  const Eigen::Vector3d ext = b.sizes().cwiseMax(1e-6);
  for (int v = 0; v < view.height; ++v) {
    for (int u = 0; u < view.width; ++u) {
      const std::size_t k = static_cast<std::size_t>(v) * view.width + u;
      if (seg[k] != target_body || !(view.depth_m[k] > 0.f)) continue;
      Eigen::Vector3d n_W;
      if (!depth_normal(view, u, v, &n_W)) continue;
      const Eigen::Vector3d p_Obj = X_ObjW * backproject_pixel(view, u, v, view.depth_m[k]);
      t.ok[k] = 1;
      t.p_Obj[k] = p_Obj.cast<float>();
      t.n_Obj[k] = (X_ObjW.linear() * n_W).cast<float>();
      t.q[k] = ((p_Obj - b.min()).cwiseQuotient(ext)).cast<float>();
    }
  }
  return t;
}

// Uniform hash grid over 3D points for radius queries (radius = cell size).
class HashGrid {
 public:
  HashGrid(double cell) : cell_(cell) {}
  void insert(const Eigen::Vector3f& p, int id) { cells_[key(cell_of(p))].push_back({p, id}); }
  // Nearest point within the cell size accepted by `accept`; -1 if none.
  template <class Accept>
  int nearest(const Eigen::Vector3f& p, Accept accept) const {
    const Eigen::Vector3i c = cell_of(p);
    int best = -1;
    double best_d2 = cell_ * cell_;
    for (int dx = -1; dx <= 1; ++dx)
      for (int dy = -1; dy <= 1; ++dy)
        for (int dz = -1; dz <= 1; ++dz) {
          auto it = cells_.find(key(c + Eigen::Vector3i(dx, dy, dz)));
          if (it == cells_.end()) continue;
          for (const auto& [q, id] : it->second) {
            const double d2 = (q - p).squaredNorm();
            if (d2 <= best_d2 && accept(id)) {
              best_d2 = d2;
              best = id;
            }
          }
        }
    return best;
  }

 private:
  Eigen::Vector3i cell_of(const Eigen::Vector3f& p) const {
    return (p.cast<double>() / cell_).array().floor().cast<int>();
  }
  static std::int64_t key(const Eigen::Vector3i& c) {
    return (static_cast<std::int64_t>(c.x()) * 73856093) ^
           (static_cast<std::int64_t>(c.y()) * 19349663) ^
           (static_cast<std::int64_t>(c.z()) * 83492791);
  }
  double cell_;
  std::unordered_map<std::int64_t, std::vector<std::pair<Eigen::Vector3f, int>>> cells_;
};

// Keeps a seeded random subset of at most `max` matches.
void subsample(SeededRng& rng, CorrespondencePair* pair, int max) {
  const int n = static_cast<int>(pair->pix_a.size());
  if (n <= max) return;
  std::vector<int> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  for (int i = 0; i < max; ++i) std::swap(idx[i], idx[rng.uniform_int(i, n - 1)]);
  idx.resize(max);
  std::sort(idx.begin(), idx.end());
  CorrespondencePair out;
  out.view_a = pair->view_a;
  out.view_b = pair->view_b;
  out.kind = pair->kind;
  for (int i : idx) {
    out.pix_a.push_back(pair->pix_a[i]);
    out.pix_b.push_back(pair->pix_b[i]);
    out.key.push_back(pair->key[i]);
  }
  *pair = std::move(out);
}

CorrespondencePair cross_view_pair(const CorrespondenceDataset& data, const SceneRecord& s, int i,
                                   int j, const BackboneDatasetOptions& o) {
  const CameraView& va = data.views[s.views[i]];
  const CameraView& vb = data.views[s.views[j]];
  const ViewTruth& ta = s.truth[i];
  const ViewTruth& tb = s.truth[j];
  const std::vector<float>& depth_a = s.exact_depth(data, i);
  const std::vector<float>& depth_b = s.exact_depth(data, j);
  const Eigen::Isometry3d X_CbW = vb.X_WC.inverse();
  CorrespondencePair pair;
  pair.view_a = s.views[i];
  pair.view_b = s.views[j];
  pair.kind = "cross_view";
  for (int v = 0; v < va.height; v += o.pixel_step) {
    for (int u = 0; u < va.width; u += o.pixel_step) {
      const std::size_t k = static_cast<std::size_t>(v) * va.width + u;
      if (!ta.ok[k]) continue;
      const Eigen::Vector3d p_C = X_CbW * backproject_pixel(va, u, v, depth_a[k]);
      if (p_C.z() <= 0) continue;
      // Pixel (ub, vb) covers image coordinates [ub, ub + 1).
      const int ub = static_cast<int>(std::floor(vb.K(0, 0) * p_C.x() / p_C.z() + vb.K(0, 2)));
      const int vb_ = static_cast<int>(std::floor(vb.K(1, 1) * p_C.y() / p_C.z() + vb.K(1, 2)));
      if (ub < 0 || vb_ < 0 || ub >= vb.width || vb_ >= vb.height) continue;
      const std::size_t kb = static_cast<std::size_t>(vb_) * vb.width + ub;
      if (!tb.ok[kb] || std::abs(depth_b[kb] - p_C.z()) > o.depth_tolerance_m) continue;
      pair.pix_a.emplace_back(u, v);
      pair.pix_b.emplace_back(ub, vb_);
      pair.key.push_back(symmetry_key(s.object, ta.p_Obj[k]));
    }
  }
  return pair;
}

// Matches by object-frame (normalized = false) or bounding-box-normalized
// coordinates between view ia of scene a and view ib of scene b.
CorrespondencePair object_frame_pair(const SceneRecord& a, int ia, const SceneRecord& b, int ib,
                                     bool normalized, const BackboneDatasetOptions& o) {
  const ViewTruth& ta = a.truth[ia];
  const ViewTruth& tb = b.truth[ib];
  const double tol = normalized ? o.cross_instance_tolerance : o.canonical_tolerance_m;
  auto coord = [&](const ViewTruth& t, std::size_t k) { return normalized ? t.q[k] : t.p_Obj[k]; };
  HashGrid grid(tol);
  for (std::size_t k = 0; k < tb.ok.size(); ++k)
    if (tb.ok[k]) grid.insert(coord(tb, k), static_cast<int>(k));
  CorrespondencePair pair;
  pair.view_a = a.views[ia];
  pair.view_b = b.views[ib];
  pair.kind = normalized ? "cross_instance" : "cross_scene";
  for (int v = 0; v < ta.height; v += o.pixel_step) {
    for (int u = 0; u < ta.width; u += o.pixel_step) {
      const std::size_t k = static_cast<std::size_t>(v) * ta.width + u;
      if (!ta.ok[k]) continue;
      const Eigen::Vector3f n = ta.n_Obj[k];
      const int m = grid.nearest(coord(ta, k),
                                 [&](int id) { return tb.n_Obj[id].dot(n) >= o.normal_min_cos; });
      if (m < 0) continue;
      pair.pix_a.emplace_back(u, v);
      pair.pix_b.emplace_back(m % tb.width, m / tb.width);
      pair.key.push_back(symmetry_key(a.object, ta.p_Obj[k]));
    }
  }
  return pair;
}

void validate(const BackboneDatasetOptions& o) {
  if (o.scenes < 1 || o.scenes_per_instance < 1 || o.pixel_step < 1 || !(o.depth_tolerance_m > 0) ||
      !(o.canonical_tolerance_m > 0) || !(o.cross_instance_tolerance > 0) ||
      o.max_matches_per_pair < 8 || o.cross_scene_pairs_per_scene < 0 ||
      o.cross_instance_pairs_per_scene < 0 ||
      !(o.sensor_noise_fraction >= 0 && o.sensor_noise_fraction <= 1)) {
    throw std::invalid_argument(
        "backbone dataset: need scenes >= 1, scenes_per_instance >= 1, pixel_step >= 1, "
        "positive tolerances, max_matches_per_pair >= 8, non-negative pair counts and "
        "sensor_noise_fraction in [0, 1]");
  }
}

/// What the dataset is made of, for the weights' sidecar: the options, the
/// instances drawn and the pairs of each kind.
nlohmann::json dataset_description(const BackboneDatasetOptions& options,
                                   const std::vector<std::string>& categories,
                                   const std::vector<SceneRecord>& scenes,
                                   const BackboneDataset& out,
                                   std::chrono::steady_clock::time_point t0) {
  nlohmann::json j;
  std::map<std::string, std::pair<int, std::size_t>> per_kind;
  for (const auto& p : out.data.pairs) {
    per_kind[p.kind].first += 1;
    per_kind[p.kind].second += p.pix_a.size();
  }
  nlohmann::json kinds = nlohmann::json::object();
  for (const auto& [kind, c] : per_kind) kinds[kind] = {{"pairs", c.first}, {"matches", c.second}};
  std::vector<std::string> ids;
  for (const auto& s : scenes)
    if (std::find(ids.begin(), ids.end(), s.object.id()) == ids.end()) ids.push_back(s.object.id());
  std::sort(ids.begin(), ids.end());
  j["scene_set"] = options.scene_set;
  j["clutter"] = "none (the scene set's distractors are dropped)";
  j["object_set"] = to_string(options.object_set);
  j["categories"] = categories;
  j["instances"] = ids;
  j["scenes"] = options.scenes;
  j["scenes_per_instance"] = options.scenes_per_instance;
  j["views"] = out.data.views.size();
  j["seed"] = options.seed;
  j["extra_randomization"] = {{"camera_jitter_m", options.camera_jitter_m},
                              {"look_at_jitter_m", options.look_at_jitter_m},
                              {"light_jitter", options.light_jitter},
                              {"light_direction_jitter_deg", options.light_direction_jitter_deg},
                              {"table_rgb_jitter", options.table_rgb_jitter},
                              {"table_checker_probability", options.table_checker_probability}};
  j["tolerances"] = {{"depth_m", options.depth_tolerance_m},
                     {"canonical_m", options.canonical_tolerance_m},
                     {"cross_instance_normalized", options.cross_instance_tolerance},
                     {"normal_min_cos", options.normal_min_cos}};
  j["pairs"] = kinds;
  j["build_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return j;
}

}  // namespace

BackboneDataset build_backbone_dataset(const BackboneDatasetOptions& options, std::ostream* log) {
  validate(options);
  const auto t0 = std::chrono::steady_clock::now();
  SceneSet spec = load_scene_set(options.scene_set);
  // Clutter is dropped: the scene set's distractors may be novel instances.
  spec.clutter.min_count = spec.clutter.max_count = 0;
  spec.cameras.position_jitter_m += options.camera_jitter_m;
  spec.cameras.look_at_jitter_m += options.look_at_jitter_m;
  spec.lighting.diffuse_jitter += options.light_jitter;
  spec.lighting.ambient_jitter += options.light_jitter;
  spec.lighting.direction_jitter_deg += options.light_direction_jitter_deg;
  spec.table.rgb_jitter += options.table_rgb_jitter;
  spec.table.checker_probability =
      std::max(spec.table.checker_probability, options.table_checker_probability);

  std::vector<std::string> categories =
      options.categories.empty() ? object_categories() : options.categories;
  for (const auto& c : categories) object_param_ranges(c);  // throws for unknown names

  BackboneDataset out;
  std::vector<SceneRecord> scenes;
  int sensed_scenes = 0;
  RgbdRenderer renderer;
  for (int s = 0; s < options.scenes; ++s) {
    const int group = s / options.scenes_per_instance;
    const std::string& category = categories[group % categories.size()];
    SeededRng pick(derive_seed(options.seed, "instance/" + std::to_string(group)));
    const ObjectInstance object =
        make_object_instance(category, options.object_set,
                             pick.uniform_int(0, auxiliary_instance_count(options.object_set) - 1));
    const DrawnScene scene =
        draw_scene(spec, object, derive_seed(options.seed, "scene/" + std::to_string(s)));
    auto world = World::compose(scene);
    const MjDataPtr d_data = world->make_settled_data(options.settle_s);
    mjData* d = d_data.get();
    const RenderedViews rendered = renderer.render(*world, d, /*with_segmentation=*/true);
    SceneRecord rec;
    rec.object = object;
    rec.X_WObj = world->body_pose(d, world->target_body());
    const bool sensed =
        options.sensor_noise_fraction > 0 &&
        SeededRng(derive_seed(options.seed, "sensor/" + std::to_string(s))).uniform() <
            options.sensor_noise_fraction;
    if (sensed) ++sensed_scenes;
    for (std::size_t c = 0; c < rendered.observation.views.size(); ++c) {
      const CameraView& view = rendered.observation.views[c];
      rec.truth.push_back(view_truth(view, rendered.segmentation_body[c], world->target_body(),
                                     object, rec.X_WObj));
      rec.views.push_back(static_cast<int>(out.data.views.size()));
      if (sensed) {
        rec.exact_depth_m.push_back(view.depth_m);
        CameraView noisy = apply_depth_sensor_model(
            kinect_v1_depth_sensor(), view,
            derive_seed(options.seed, "sensor/" + std::to_string(s) + "/" + view.name));
        // What the sensor lost is not matched: the pipeline never sees it.
        std::vector<std::uint8_t>& ok = rec.truth.back().ok;
        for (std::size_t k = 0; k < ok.size(); ++k) {
          if (!(noisy.depth_m[k] > 0.f)) ok[k] = 0;
        }
        out.data.views.push_back(std::move(noisy));
      } else {
        out.data.views.push_back(view);
      }
      out.target_mask.push_back(rec.truth.back().ok);
    }
    out.scene_views.push_back(rec.views);
    scenes.push_back(std::move(rec));
    if (log && ((s + 1) % 10 == 0 || s + 1 == options.scenes)) {
      *log << "  rendered " << s + 1 << "/" << options.scenes << " scenes ("
           << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
           << " s)\n";
    }
  }

  SeededRng rng(derive_seed(options.seed, "pairs"));
  auto add = [&](CorrespondencePair pair) {
    if (pair.pix_a.size() < 8) return;
    subsample(rng, &pair, options.max_matches_per_pair);
    out.data.pairs.push_back(std::move(pair));
  };
  const int n_scenes = static_cast<int>(scenes.size());
  for (int s = 0; s < n_scenes; ++s) {
    const SceneRecord& a = scenes[s];
    const int nv = static_cast<int>(a.views.size());
    for (int i = 0; i < nv; ++i)
      for (int j = i + 1; j < nv; ++j) add(cross_view_pair(out.data, a, i, j, options));

    std::vector<int> same_instance, same_category;
    for (int t = 0; t < n_scenes; ++t) {
      if (t == s || scenes[t].object.category != a.object.category) continue;
      (scenes[t].object.id() == a.object.id() ? same_instance : same_category).push_back(t);
    }
    auto random_pairs = [&](const std::vector<int>& partners, int count, bool normalized) {
      if (partners.empty()) return;
      for (int k = 0; k < count; ++k) {
        const SceneRecord& b =
            scenes[partners[rng.uniform_int(0, static_cast<int>(partners.size()) - 1)]];
        const int ia = rng.uniform_int(0, nv - 1);
        const int ib = rng.uniform_int(0, static_cast<int>(b.views.size()) - 1);
        add(object_frame_pair(a, ia, b, ib, normalized, options));
      }
    };
    random_pairs(same_instance, options.cross_scene_pairs_per_scene, false);
    random_pairs(same_category, options.cross_instance_pairs_per_scene, true);
  }

  out.description = dataset_description(options, categories, scenes, out, t0);
  // Only when used, so that the sidecar of an exact-only dataset is unchanged.
  if (options.sensor_noise_fraction > 0) {
    out.description["sensor_noise"] = {{"preset", "kinect_v1"},
                                       {"fraction", options.sensor_noise_fraction},
                                       {"scenes_sensed", sensed_scenes}};
  }
  if (log) *log << "  pairs: " << out.description["pairs"].dump() << "\n";
  return out;
}

nlohmann::json CrossViewMatchStats::to_json() const {
  return {{"queries", queries},
          {"within_radius", within_radius},
          {"chance_within_radius", chance_within_radius},
          {"median_error_m", median_error_m}};
}

CrossViewMatchStats evaluate_cross_view_matching(const PointFeaturizer& featurizer,
                                                 const BackboneDataset& dataset, double radius_m,
                                                 int queries_per_view_pair, int pixel_step,
                                                 std::uint64_t seed) {
  SeededRng rng(derive_seed(seed, "cross_view_matching"));
  std::vector<double> errors;
  int within = 0, chance = 0;
  for (const auto& views : dataset.scene_views) {
    Observation obs;
    PointCloud cloud;
    for (std::size_t c = 0; c < views.size(); ++c) {
      const CameraView& view = dataset.data.views[views[c]];
      const auto& mask = dataset.target_mask[views[c]];
      obs.views.push_back(view);
      for (int v = 0; v < view.height; v += pixel_step) {
        for (int u = 0; u < view.width; u += pixel_step) {
          const std::size_t k = static_cast<std::size_t>(v) * view.width + u;
          if (!mask[k]) continue;
          cloud.push_back(
              backproject_pixel(view, u, v, view.depth_m[k]),
              Eigen::Vector3f(view.rgb[3 * k], view.rgb[3 * k + 1], view.rgb[3 * k + 2]) / 255.f,
              static_cast<int>(c), Eigen::Vector2i(u, v));
        }
      }
    }
    if (cloud.size() == 0) continue;
    const FeaturesF f = featurizer.featurize(obs, cloud);
    std::vector<std::vector<int>> by_view(views.size());
    for (std::size_t i = 0; i < cloud.size(); ++i)
      by_view[cloud.view[i]].push_back(static_cast<int>(i));

    for (std::size_t vi = 0; vi < views.size(); ++vi) {
      for (std::size_t vj = 0; vj < views.size(); ++vj) {
        if (vi == vj || by_view[vi].empty() || by_view[vj].empty()) continue;
        const std::vector<int>& J = by_view[vj];
        HashGrid grid(kSameSpotM);
        for (int j : J) grid.insert(cloud.p_W[j].cast<float>(), j);
        std::vector<int> I = by_view[vi];
        for (std::size_t k = 0; k < I.size(); ++k)
          std::swap(I[k], I[rng.uniform_int(static_cast<int>(k), static_cast<int>(I.size()) - 1)]);
        int used = 0;
        for (int q : I) {
          if (used >= queries_per_view_pair) break;
          if (grid.nearest(cloud.p_W[q].cast<float>(), [](int) { return true; }) < 0) continue;
          ++used;
          int best = J[0];
          float best_d = std::numeric_limits<float>::infinity();
          for (int j : J) {
            const float d = (f.row(j) - f.row(q)).squaredNorm();
            if (d < best_d) {
              best_d = d;
              best = j;
            }
          }
          const double err = (cloud.p_W[best] - cloud.p_W[q]).norm();
          errors.push_back(err);
          within += err <= radius_m;
          const int r = J[rng.uniform_int(0, static_cast<int>(J.size()) - 1)];
          chance += (cloud.p_W[r] - cloud.p_W[q]).norm() <= radius_m;
        }
      }
    }
  }
  CrossViewMatchStats stats;
  stats.queries = static_cast<int>(errors.size());
  if (!errors.empty()) {
    stats.within_radius = static_cast<double>(within) / errors.size();
    stats.chance_within_radius = static_cast<double>(chance) / errors.size();
    auto mid = errors.begin() + static_cast<std::ptrdiff_t>(errors.size() / 2);
    std::nth_element(errors.begin(), mid, errors.end());
    stats.median_error_m = *mid;
  }
  return stats;
}

}  // namespace dffeval
