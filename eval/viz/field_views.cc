#include "eval/viz/field_views.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <mujoco/mujoco.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "common/input_error.h"
#include "common/project_paths.h"
#include "common/results_root.h"
#include "common/seeded_rng.h"
#include "eval/harness/demonstration.h"
#include "eval/harness/field_evaluation.h"
#include "eval/harness/trial_runner.h"
#include "eval/viz/feature_colors.h"
#include "eval/viz/point_splat.h"
#include "pipeline/cloud/observation_io.h"
#include "pipeline/transfer/sparsedff_settings.h"
#include "sim/rgbd_renderer.h"
#include "sim/scene_set.h"
#include "sim/world.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

constexpr double kPi = 3.14159265358979323846;

/// Two opposite viewpoints (azimuth about world +z, degrees; elevation above
/// the table, degrees): one picture never shows a whole object.
constexpr double kAzimuthDeg[2] = {-55.0, 125.0};
constexpr double kElevationDeg = 32.0;

const Eigen::Vector3f kBlack = Eigen::Vector3f::Zero();
const Eigen::Vector3f kMarker(1.0f, 0.0f, 1.0f);  // magenta: not on the ramp

/// The pair of scenes to look at.
struct VisInputs {
  Observation ref, test;
  std::string ref_label, test_label;
  /// Points on the demonstrated hand on the reference (default scenes only),
  /// world, metres.
  std::vector<Eigen::Vector3d> ref_hand_W;
};

/// Points on the surfaces of the hand's collision primitives at the state
/// `d`, about `count` in all, spread by area (deterministic).
std::vector<Eigen::Vector3d> hand_points(const World& world, const mjData* d, int count) {
  const mjModel* m = world.model();
  struct Piece {
    int geom;
    double area;
  };
  std::vector<Piece> pieces;
  double total = 0;
  for (int g = 0; g < m->ngeom; ++g) {
    if (!world.is_hand_geom(g) || (m->geom_contype[g] == 0 && m->geom_conaffinity[g] == 0))
      continue;
    const double* s = m->geom_size + 3 * g;
    double area = 0;
    switch (m->geom_type[g]) {
      case mjGEOM_SPHERE:
        area = 4 * kPi * s[0] * s[0];
        break;
      case mjGEOM_CAPSULE:
        area = 4 * kPi * s[0] * s[0] + 2 * kPi * s[0] * 2 * s[1];
        break;
      case mjGEOM_CYLINDER:
        area = 2 * kPi * s[0] * 2 * s[1];
        break;
      case mjGEOM_BOX:
        area = 8 * (s[0] * s[1] + s[1] * s[2] + s[0] * s[2]);
        break;
      default:
        continue;  // the hand is built from primitives only
    }
    pieces.push_back({g, area});
    total += area;
  }
  SeededRng rng(derive_seed(0, "vis/hand_points"));
  std::vector<Eigen::Vector3d> out;
  for (const Piece& piece : pieces) {
    const int g = piece.geom;
    const double* s = m->geom_size + 3 * g;
    const Eigen::Map<const Eigen::Matrix<double, 3, 3, Eigen::RowMajor>> R(d->geom_xmat + 9 * g);
    const Eigen::Map<const Eigen::Vector3d> c(d->geom_xpos + 3 * g);
    const int n = std::max(4, static_cast<int>(std::lround(count * piece.area / total)));
    for (int k = 0; k < n; ++k) {
      Eigen::Vector3d p_G;
      // A uniform direction (for spheres and capsule caps).
      const double z = rng.uniform(-1, 1), a = rng.uniform(0, 2 * kPi);
      const Eigen::Vector3d dir(std::sqrt(1 - z * z) * std::cos(a),
                                std::sqrt(1 - z * z) * std::sin(a), z);
      switch (m->geom_type[g]) {
        case mjGEOM_SPHERE:
          p_G = s[0] * dir;
          break;
        case mjGEOM_CAPSULE:
        case mjGEOM_CYLINDER: {
          const double side = 2 * kPi * s[0] * 2 * s[1];
          const double caps = m->geom_type[g] == mjGEOM_CAPSULE ? 4 * kPi * s[0] * s[0] : 0;
          if (rng.uniform() * (side + caps) < side) {
            p_G = Eigen::Vector3d(s[0] * std::cos(a), s[0] * std::sin(a), rng.uniform(-s[1], s[1]));
          } else {
            p_G = s[0] * dir + Eigen::Vector3d(0, 0, dir.z() > 0 ? s[1] : -s[1]);
          }
          break;
        }
        default: {  // box: a face by area, then a point on it
          const double ax[3] = {s[1] * s[2], s[0] * s[2], s[0] * s[1]};
          double r = rng.uniform(0, ax[0] + ax[1] + ax[2]);
          int f = 0;
          while (f < 2 && r >= ax[f]) r -= ax[f++];
          p_G = Eigen::Vector3d(rng.uniform(-s[0], s[0]), rng.uniform(-s[1], s[1]),
                                rng.uniform(-s[2], s[2]));
          p_G(f) = rng.uniform() < 0.5 ? -s[f] : s[f];
          break;
        }
      }
      out.push_back(c + R * p_G);
    }
  }
  return out;
}

VisInputs load_inputs(const VisOptions& o, std::ostream& log) {
  VisInputs in;
  if (!o.ref_dir.empty() || !o.test_dir.empty()) {
    if (o.ref_dir.empty() || o.test_dir.empty()) {
      throw InputError("vis: give both --ref DIR and --test DIR, or neither (default scenes)");
    }
    in.ref = load_observation(o.ref_dir);
    in.test = load_observation(o.test_dir);
    in.ref_label = fs::path(o.ref_dir).filename().string();
    in.test_label = fs::path(o.test_dir).filename().string();
    if (in.ref_label.empty()) in.ref_label = o.ref_dir;
    if (in.test_label.empty()) in.test_label = o.test_dir;
    return in;
  }
  // The embedded default pair: the mug_wrap demonstration's source scene, and
  // another seen mug turned by about 126 degrees and moved off centre, both
  // in the clean scene set.
  const Demonstration demo = load_demonstration("mug_wrap");
  const SceneSet clean = load_scene_set("clean");
  RgbdRenderer renderer;
  {
    // Rendered with the hand parked out of view; then the hand is put at the
    // demonstrated grasp for the pictures only.
    const auto world = World::compose(draw_source_scene(demo, clean));
    const MjDataPtr d_data = world->make_settled_data();
    mjData* d = d_data.get();
    in.ref = renderer.render(*world, d).observation;
    const Grasp g = demo.grasp_in_world(world->body_pose(d, world->target_body()));
    world->teleport_hand(d, g.X_WPalm, g.joints_rad);
    in.ref_hand_W = hand_points(*world, d, 2500);
  }
  const Eigen::Isometry3d X_WObj =
      Eigen::Translation3d(0.03, -0.025, 0.0) * Eigen::AngleAxisd(2.2, Eigen::Vector3d::UnitZ());
  const ObjectInstance other = make_object_instance(demo.category, InstanceSet::kSeen, 3);
  in.test = render_sim_scene(draw_scene(clean, other, derive_seed(0, "vis/test"), &X_WObj), clean,
                             &renderer, false)
                .observation;
  in.ref_label = demo.source_object().id();
  in.test_label = other.id();
  log << fmt::format("vis: default scenes rendered: reference {} (mug_wrap source), test {}\n",
                     in.ref_label, in.test_label);
  return in;
}

/// One picture panel: coloured points, optional grey points and markers.
struct Panel {
  std::string title;
  std::vector<Eigen::Vector3d> p_W;
  std::vector<Eigen::Vector3f> rgb;
  GreyPoints grey;
  /// Marked points (drawn only where visible).
  std::vector<Eigen::Vector3d> markers_W;
  /// Radius of the coloured points, metres.
  double point_radius_m = 0.0018;
};

/// A white strip with `text`, wrapped at spaces to fit `width`.
RgbImage title_strip(int width, const std::string& text, int scale = 2) {
  std::vector<std::string> lines(1);
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    const std::string joined = lines.back().empty() ? word : lines.back() + " " + word;
    if (!lines.back().empty() && text_width_px(joined, scale) > width - 12) {
      lines.push_back(word);
    } else {
      lines.back() = joined;
    }
    start = end + 1;
  }
  const int line_h = 7 * scale + 5;
  RgbImage strip(width, static_cast<int>(lines.size()) * line_h + 4);
  for (std::size_t k = 0; k < lines.size(); ++k)
    draw_text(&strip, 6, 4 + static_cast<int>(k) * line_h, lines[k], kBlack, scale);
  return strip;
}

RgbImage render_panel(const Panel& panel, int view, const VisOptions& o) {
  std::vector<Eigen::Vector3d> fit = panel.p_W;
  fit.insert(fit.end(), panel.grey.p_W.begin(), panel.grey.p_W.end());
  const SplatCamera cam =
      fit_camera(fit, kAzimuthDeg[view], kElevationDeg, o.panel_width, o.panel_height, 0.9);
  SplatStyle style;
  style.point_radius_m = panel.point_radius_m;
  std::vector<float> depth;
  RgbImage im = splat_points(cam, panel.p_W, panel.rgb, style,
                             panel.grey.p_W.empty() ? nullptr : &panel.grey, &depth);
  for (const auto& m : panel.markers_W) {
    Eigen::Vector2d uv;
    double z = 0;
    if (is_visible(cam, depth, m, 0.006) && cam.project(m, &uv, &z)) {
      draw_marker(&im, uv.x(), uv.y(), 4, kMarker, kBlack);
    }
  }
  // A thin frame so that panels on white read as separate pictures.
  for (int u = 0; u < im.width; ++u) {
    im.set(u, 0, Eigen::Vector3f::Constant(0.8f));
    im.set(u, im.height - 1, Eigen::Vector3f::Constant(0.8f));
  }
  for (int v = 0; v < im.height; ++v) {
    im.set(0, v, Eigen::Vector3f::Constant(0.8f));
    im.set(im.width - 1, v, Eigen::Vector3f::Constant(0.8f));
  }
  const std::string title = fmt::format("{} - view {}", panel.title, view + 1);
  return vstack({title_strip(im.width, title), im}, 0);
}

/// Reference | test, two viewpoints, a header and an optional footer.
RgbImage figure(const std::string& header, const Panel& ref, const Panel& test, const VisOptions& o,
                const RgbImage* footer) {
  std::vector<RgbImage> rows;
  for (int view = 0; view < 2; ++view)
    rows.push_back(hstack({render_panel(ref, view, o), render_panel(test, view, o)}, 10));
  RgbImage body = vstack(rows, 10);
  std::vector<RgbImage> parts = {title_strip(body.width, header), body};
  if (footer) parts.push_back(*footer);
  RgbImage fig = vstack(parts, 6);
  return hstack({RgbImage(8, fig.height), fig, RgbImage(8, fig.height)}, 0);
}

std::vector<Eigen::Vector3d> rows_of(const PointCloud& cloud, const std::vector<std::size_t>& idx) {
  std::vector<Eigen::Vector3d> p;
  p.reserve(idx.size());
  for (std::size_t i : idx) p.push_back(cloud.p_W[i]);
  return p;
}

FeaturesF feature_rows(const FeaturesF& f, const std::vector<std::size_t>& idx) {
  FeaturesF out(static_cast<Eigen::Index>(idx.size()), f.cols());
  for (std::size_t k = 0; k < idx.size(); ++k)
    out.row(static_cast<Eigen::Index>(k)) = f.row(static_cast<Eigen::Index>(idx[k]));
  return out;
}

/// The default reference point: the kept point farthest from the vertical
/// line through the kept points' centroid (a mug's handle, a basket's
/// handle post, a box's corner): distinctive, so the picture says something.
std::size_t default_ref_index(const ObservationField& f) {
  Eigen::Vector2d c = Eigen::Vector2d::Zero();
  for (std::size_t i : f.kept) c += f.cloud.p_W[i].head<2>();
  c /= static_cast<double>(std::max<std::size_t>(f.kept.size(), 1));
  std::size_t best = f.kept.empty() ? 0 : f.kept.front();
  double best_d = -1;
  for (std::size_t i : f.kept) {
    const double d = (f.cloud.p_W[i].head<2>() - c).norm();
    if (d > best_d) {
      best_d = d;
      best = i;
    }
  }
  return best;
}

/// Label of a similarity value for the colour bar.
std::string similarity_label(float s, SimilarityMetric metric) {
  return metric == SimilarityMetric::kCosine ? fmt::format("cos {:.2f}", s)
                                             : fmt::format("-L2 {:.2f}", s);
}

struct Context {
  const VisOptions& o;
  std::ostream& log;
  fs::path out;
  std::string backbone;
  const ObservationField& ref;
  const ObservationField& test;
  std::string ref_label, test_label;
  SimilarityMetric metric;
  std::size_t ref_idx;
  /// The demonstrated hand on the reference (may be empty), world, metres.
  std::vector<Eigen::Vector3d> ref_hand_W;
  std::vector<std::string> written;
};

void write_similarity(Context* c) {
  const Eigen::RowVectorXf f_ref = c->ref.refined.row(static_cast<Eigen::Index>(c->ref_idx));
  const FeaturesF fr = feature_rows(c->ref.refined, c->ref.kept);
  const FeaturesF ft = feature_rows(c->test.refined, c->test.kept);
  const Eigen::VectorXf sr = feature_similarity(fr, f_ref, c->metric);
  const Eigen::VectorXf st = feature_similarity(ft, f_ref, c->metric);
  // One range for both clouds, so a colour means the same on both sides;
  // the low end at the 2nd percentile so that a few outliers do not
  // compress the rest of the ramp.
  std::vector<float> all(sr.data(), sr.data() + sr.size());
  all.insert(all.end(), st.data(), st.data() + st.size());
  const float lo = quantile(all, 0.02), hi = *std::max_element(all.begin(), all.end());
  Panel ref{fmt::format("reference {}", c->ref_label),
            rows_of(c->ref.cloud, c->ref.kept),
            similarity_colors(sr, lo, hi),
            {},
            {c->ref.cloud.p_W[c->ref_idx]}};
  Panel test{fmt::format("test {}", c->test_label),
             rows_of(c->test.cloud, c->test.kept),
             similarity_colors(st, lo, hi),
             {},
             {}};
  Eigen::Index best = 0;
  if (st.size() > 0) {
    st.maxCoeff(&best);
    test.markers_W.push_back(test.p_W[static_cast<std::size_t>(best)]);
  }
  const RgbImage bar =
      hstack({colour_bar(360, 16, similarity_ramp, similarity_label(lo, c->metric),
                         similarity_label(hi, c->metric)),
              title_strip(500, "right = similar; magenta: reference point, best match")},
             20);
  const std::string header =
      fmt::format("feature similarity to reference point {} ({}, {} features, refined+pruned)",
                  c->ref_idx, to_string(c->metric), c->backbone);
  write_png(c->out / "similarity.png", figure(header, ref, test, c->o, &bar));
  write_ply(c->out / "similarity_ref.ply", ref.p_W, ref.rgb);
  write_ply(c->out / "similarity_test.ply", test.p_W, test.rgb);
  c->written.insert(c->written.end(),
                    {"similarity.png", "similarity_ref.ply", "similarity_test.ply"});
  if (st.size() > 0) {
    c->log << fmt::format(
        "vis similarity: test best match at ({:.3f}, {:.3f}, {:.3f}) m, {} {:.3f}; range [{:.3f}, "
        "{:.3f}]\n",
        test.p_W[best].x(), test.p_W[best].y(), test.p_W[best].z(), to_string(c->metric), st(best),
        lo, hi);
  }
}

void write_volume(Context* c) {
  const Eigen::RowVectorXf f_ref = c->ref.refined.row(static_cast<Eigen::Index>(c->ref_idx));
  const std::vector<Eigen::Vector3d> test_points = rows_of(c->test.cloud, c->test.kept);
  Eigen::AlignedBox3d box;
  for (const auto& p : test_points) box.extend(p);
  box.min() -= Eigen::Vector3d::Constant(0.01);
  box.max() += Eigen::Vector3d::Constant(0.01);
  const double cell = box.sizes().maxCoeff() / c->o.grid;
  const Eigen::Vector3i n = (box.sizes() / cell).array().ceil().cast<int>().max(1);
  PointsF x(static_cast<Eigen::Index>(n.prod()), 3);
  Eigen::Index q = 0;
  for (int k = 0; k < n.z(); ++k)
    for (int j = 0; j < n.y(); ++j)
      for (int i = 0; i < n.x(); ++i)
        x.row(q++) = (box.min() + cell * Eigen::Vector3d(i + 0.5, j + 0.5, k + 0.5))
                         .cast<float>()
                         .transpose();
  FeaturesF values;
  c->test.field->evaluate(x, &values);
  const Eigen::VectorXf s = feature_similarity(values, f_ref, c->metric);
  const float lo = s.minCoeff(), hi = s.maxCoeff();
  const float span = hi - lo > 1e-12f ? hi - lo : 1.0f;

  Panel vol{fmt::format("test {} field", c->test_label), {}, {}, {}, {}, 0.6 * cell};
  vol.grey.p_W = test_points;
  vol.grey.point_radius_m = 0.0012;
  std::string what;
  if (c->o.slices > 0) {
    // Whole horizontal slices at evenly spaced heights: the field's values
    // in empty space as well as on the surface.
    std::vector<int> layers;
    for (int l = 0; l < c->o.slices; ++l)
      layers.push_back(static_cast<int>((l + 0.5) * n.z() / c->o.slices));
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      const int k = static_cast<int>(r / (static_cast<Eigen::Index>(n.x()) * n.y()));
      if (std::find(layers.begin(), layers.end(), k) == layers.end()) continue;
      vol.p_W.push_back(x.row(r).cast<double>().transpose());
      vol.rgb.push_back(similarity_ramp((s(r) - lo) / span));
    }
    what = fmt::format("{} horizontal slices", c->o.slices);
  } else {
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      const float t = (s(r) - lo) / span;
      if (t < c->o.threshold) continue;
      vol.p_W.push_back(x.row(r).cast<double>().transpose());
      vol.rgb.push_back(similarity_ramp(t));
    }
    what = fmt::format("grid points with scaled similarity >= {:.2f}", c->o.threshold);
  }
  // The reference side, for what is looked for: its kept points coloured by
  // the same similarity, the reference point marked.
  const FeaturesF fr = feature_rows(c->ref.refined, c->ref.kept);
  const Eigen::VectorXf sr = feature_similarity(fr, f_ref, c->metric);
  Panel ref{fmt::format("reference {}", c->ref_label),
            rows_of(c->ref.cloud, c->ref.kept),
            similarity_colors(sr, lo, hi),
            {},
            {c->ref.cloud.p_W[c->ref_idx]}};
  const RgbImage bar = hstack(
      {colour_bar(360, 16, similarity_ramp, similarity_label(lo, c->metric),
                  similarity_label(hi, c->metric)),
       title_strip(520, fmt::format("{} of {}^3-cell grid; grey: test points", what, c->o.grid))},
      20);
  const std::string header =
      fmt::format("field similarity volume: reference point {} ({}, {} features, {:.1f} mm cells)",
                  c->ref_idx, to_string(c->metric), c->backbone, 1000 * cell);
  write_png(c->out / "volume.png", figure(header, ref, vol, c->o, &bar));
  write_ply(c->out / "volume.ply", vol.p_W, vol.rgb);
  // The test cloud coloured by the field's similarity at its own points.
  const Eigen::VectorXf st =
      feature_similarity(feature_rows(c->test.refined, c->test.kept), f_ref, c->metric);
  write_ply(c->out / "volume_test.ply", test_points, similarity_colors(st, lo, hi));
  c->written.insert(c->written.end(), {"volume.png", "volume.ply", "volume_test.ply"});
  c->log << fmt::format("vis volume: {} x {} x {} grid, {:.1f} mm cells, {} points drawn\n", n.x(),
                        n.y(), n.z(), 1000 * cell, vol.p_W.size());
}

void write_pca(Context* c) {
  for (const bool refined : {true, false}) {
    const FeaturesF& ref_f = refined ? c->ref.refined : c->ref.raw;
    const FeaturesF& test_f = refined ? c->test.refined : c->test.raw;
    const FeaturesF fr = feature_rows(ref_f, c->ref.kept);
    const FeaturesF ft = feature_rows(test_f, c->test.kept);
    const SharedPca pca = fit_shared_pca(fr, ft);
    Panel ref{fmt::format("reference {}", c->ref_label),
              rows_of(c->ref.cloud, c->ref.kept),
              pca_colors(pca, fr),
              {},
              {}};
    Panel test{fmt::format("test {}", c->test_label),
               rows_of(c->test.cloud, c->test.kept),
               pca_colors(pca, ft),
               {},
               {}};
    // As in the published result_vis: the demonstrated hand in grey.
    ref.grey.p_W = c->ref_hand_W;
    ref.grey.point_radius_m = 0.0015;
    const std::string header = fmt::format(
        "{} {} features, shared PCA (RGB = components 1-3, {:.0f}% of variance)",
        refined ? "refined" : "raw", c->backbone, 100 * pca.explained_variance_ratio.sum());
    const std::string stem = refined ? "pca" : "pca_raw";
    write_png(c->out / (stem + ".png"), figure(header, ref, test, c->o, nullptr));
    c->written.push_back(stem + ".png");
    if (refined) {
      write_ply(c->out / "pca_ref.ply", ref.p_W, ref.rgb);
      write_ply(c->out / "pca_test.ply", test.p_W, test.rgb);
      c->written.insert(c->written.end(), {"pca_ref.ply", "pca_test.ply"});
      if (!c->ref_hand_W.empty()) {
        write_ply(
            c->out / "demo_hand.ply", c->ref_hand_W,
            std::vector<Eigen::Vector3f>(c->ref_hand_W.size(), Eigen::Vector3f::Constant(0.6f)));
        c->written.push_back("demo_hand.ply");
      }
    }
  }
}

}  // namespace

int run_vis(const VisOptions& o, std::ostream& log) {
  const std::vector<std::string> modes = {"similarity", "volume", "pca", "all"};
  if (std::find(modes.begin(), modes.end(), o.mode) == modes.end()) {
    throw InputError("vis: unknown mode '" + o.mode + "' (valid: similarity, volume, pca, all)");
  }
  SimilarityMetric metric;
  try {
    metric = parse_similarity_metric(o.metric);
  } catch (const std::invalid_argument& e) {
    throw InputError(std::string("vis: --metric: ") + e.what());
  }
  if (o.grid < 4 || o.grid > 200) throw InputError("vis: --grid must be in [4, 200]");
  if (!(o.threshold >= 0 && o.threshold <= 1))
    throw InputError("vis: --threshold must be in [0, 1]");
  if (o.slices < 0) throw InputError("vis: --slices must be >= 0");
  if (o.panel_width < 64 || o.panel_height < 64) throw InputError("vis: panels must be >= 64 px");

  SparseDffConfig config = default_sparsedff_config();
  if (!o.backbone.empty()) {
    const auto& valid = backbone_names();
    if (std::find(valid.begin(), valid.end(), o.backbone) == valid.end()) {
      throw InputError(fmt::format("vis: unknown backbone '{}' (valid: {})", o.backbone,
                                   fmt::join(valid, ", ")));
    }
    config.backbone.name = o.backbone;
  }
  if (!o.learned_weights.empty()) config.backbone.learned.weights_path = o.learned_weights;
  if (!o.cache_dir.empty()) config.cache_dir = o.cache_dir;

  const VisInputs in = load_inputs(o, log);
  SparseDffPipeline pipeline(config);
  const auto source = pipeline.source_model(in.ref);
  const ObservationField& ref = *source->field;
  const ObservationField test = pipeline.target_field(in.test, *source);
  log << fmt::format(
      "vis: {} features ({}), refiner {}; reference {} points ({} kept), test {} points ({} "
      "kept)\n",
      config.backbone.name, pipeline.featurizer().dim(),
      source->refiner ? "trained on the reference" : "off", ref.cloud.size(), ref.kept.size(),
      test.cloud.size(), test.kept.size());

  std::size_t ref_idx = 0;
  if (o.ref_idx < 0) {
    ref_idx = default_ref_index(ref);
  } else if (static_cast<std::size_t>(o.ref_idx) >= ref.cloud.size()) {
    throw InputError(
        fmt::format("vis: --ref-idx {} is out of range: the reference cloud has {} "
                    "points",
                    o.ref_idx, ref.cloud.size()));
  } else {
    ref_idx = static_cast<std::size_t>(o.ref_idx);
  }
  const bool kept = std::binary_search(ref.kept.begin(), ref.kept.end(), ref_idx);
  const Eigen::Vector3d& p = ref.cloud.p_W[ref_idx];
  log << fmt::format(
      "vis: reference point {} at ({:.3f}, {:.3f}, {:.3f}) m, view {}, pixel ({}, "
      "{}){}\n",
      ref_idx, p.x(), p.y(), p.z(), ref.cloud.view[ref_idx], ref.cloud.pixel[ref_idx].x(),
      ref.cloud.pixel[ref_idx].y(),
      kept ? "" : " (pruned from the field; its feature is still used)");

  Context c{o,
            log,
            o.out.empty() ? results_root() / "vis" : fs::path(o.out),
            config.backbone.name,
            ref,
            test,
            in.ref_label,
            in.test_label,
            metric,
            ref_idx,
            in.ref_hand_W,
            {}};
  fs::create_directories(c.out);
  if (o.mode == "similarity" || o.mode == "all") write_similarity(&c);
  if (o.mode == "volume" || o.mode == "all") write_volume(&c);
  if (o.mode == "pca" || o.mode == "all") write_pca(&c);
  log << fmt::format("vis: wrote {} into {}\n", fmt::join(c.written, ", "), c.out.string());
  return 0;
}

}  // namespace dffeval
