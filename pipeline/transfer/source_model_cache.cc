#include "pipeline/transfer/source_model_cache.h"

#include <torch/torch.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/project_paths.h"

namespace dffeval {
namespace {

/// FNV-1a, 64 bit: a content hash for cache keys (not for security).
struct Fnv64 {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  void add(const void* data, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
      h ^= b[i];
      h *= 0x100000001b3ULL;
    }
  }
  void add(const std::string& s) { add(s.data(), s.size()); }
  std::string hex() const {
    char buf[17];
    std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
    return buf;
  }
};

void hash_file(Fnv64* h, const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  h->add(bytes);
}

/// The settings that shape the source model, as text for the cache key.
std::string source_settings_text(const SparseDffConfig& c) {
  nlohmann::json j;
  j["backbone"] = {{"name", c.backbone.name},
                   {"l2_normalize", c.backbone.l2_normalize},
                   {"weights", c.backbone.learned.weights_path},
                   {"module", c.backbone.torchscript.module_path},
                   {"patch_px", c.backbone.torchscript.patch_px},
                   {"input_scale", c.backbone.torchscript.input_scale},
                   {"feature_dim", c.backbone.torchscript.feature_dim},
                   {"mean", c.backbone.torchscript.mean},
                   {"std", c.backbone.torchscript.std},
                   {"size_multiple_px", c.backbone.torchscript.size_multiple_px},
                   {"normal_radius_m", c.backbone.geometric.normal_radius_m},
                   {"fpfh_radius_m", c.backbone.geometric.fpfh_radius_m},
                   {"max_neighbours", c.backbone.geometric.max_neighbours},
                   {"geometric_table_height_m", c.backbone.geometric.table_height_m},
                   {"height_scale_m", c.backbone.geometric.height_scale_m},
                   {"normal_weight", c.backbone.geometric.normal_weight},
                   {"fpfh_weight", c.backbone.geometric.fpfh_weight},
                   {"height_weight", c.backbone.geometric.height_weight}};
  j["refine"] = c.refine;
  j["refiner"] = {{"hidden_multiplier", c.refiner.hidden_multiplier},
                  {"projection_dim", c.refiner.projection_dim},
                  {"temperature", c.refiner.temperature},
                  {"positive_radius_m", c.refiner.positive_radius_m},
                  {"steps", c.refiner.steps},
                  {"learning_rate", c.refiner.learning_rate},
                  {"batch_size", c.refiner.batch_size},
                  {"seed", c.refiner.seed}};
  const ForegroundConfig& f = c.scene.foreground;
  j["scene"] = {{"stride", c.scene.backproject_stride},
                {"max_points", c.scene.max_points},
                {"box_min", {f.box_min_m.x(), f.box_min_m.y(), f.box_min_m.z()}},
                {"box_max", {f.box_max_m.x(), f.box_max_m.y(), f.box_max_m.z()}},
                {"table", f.table_height_m},
                {"margin", f.table_margin_m},
                {"ransac", f.fit_table_plane},
                {"ransac_iterations", f.ransac_iterations},
                {"ransac_seed", f.ransac_seed}};
  const RigAlignmentConfig& r = c.scene.rig_alignment;
  if (r.enabled) {
    // Only when on, so that the keys of runs without it stay as they were.
    j["rig_alignment"] = {{"stride", r.stride},
                          {"table_band", r.table_band_m},
                          {"table_inlier", r.table_inlier_m},
                          {"table_iterations", r.table_ransac_iterations},
                          {"seed", r.seed},
                          {"table_min_inliers", r.table_min_inliers},
                          {"object_min_height", r.object_min_height_m},
                          {"normal_neighbours", r.normal_neighbours},
                          {"icp_max_distance", r.icp_max_distance_m},
                          {"icp_max_tangential", r.icp_max_tangential_m},
                          {"icp_tukey", r.icp_tukey_m},
                          {"icp_min_normal_cosine", r.icp_min_normal_cosine},
                          {"icp_noise", r.icp_noise_m},
                          {"prior_translation", r.prior_translation_m},
                          {"prior_yaw", r.prior_yaw_rad},
                          {"icp_passes", r.icp_passes},
                          {"icp_iterations", r.icp_iterations},
                          {"icp_min_matches", r.icp_min_matches},
                          {"max_translation", r.max_translation_m},
                          {"max_yaw", r.max_yaw_rad}};
  }
  j["torch_threads"] = at::get_num_threads();
  j["format"] = 2;  // 2: every featurizer and foreground setting is in the key
  return j.dump();
}

torch::Tensor tensor_of(const FeaturesF& f) {
  return torch::from_blob(const_cast<float*>(f.data()), {f.rows(), f.cols()}, torch::kFloat32)
      .clone();
}

}  // namespace

std::string source_model_key(const SparseDffConfig& config, const Observation& source) {
  Fnv64 h;
  h.add(source_settings_text(config));
  if (config.backbone.name == "learned") {
    hash_file(&h, resolve_project_path(config.backbone.learned.weights_path.empty()
                                           ? "assets/backbone/learned_backbone.pt"
                                           : config.backbone.learned.weights_path));
  } else if (config.backbone.name == "torchscript") {
    hash_file(&h, resolve_project_path(config.backbone.torchscript.module_path));
  }
  for (const CameraView& v : source.views) {
    h.add(v.name);
    h.add(&v.width, sizeof(v.width));
    h.add(&v.height, sizeof(v.height));
    h.add(v.K.data(), sizeof(double) * 9);
    h.add(v.X_WC.matrix().data(), sizeof(double) * 16);
    h.add(v.rgb.data(), v.rgb.size());
    h.add(v.depth_m.data(), v.depth_m.size() * sizeof(float));
  }
  return h.hex();
}

void save_source_model(const std::filesystem::path& dir, const PointCloud& cloud,
                       const FeaturesF& raw, const FeatureRefiner* refiner) {
  // Written to a temporary folder and renamed, so a reader never sees half a
  // cache entry and two workers racing on one key both end up with a whole one.
  const std::filesystem::path tmp =
      dir.string() + ".tmp" +
      std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  std::filesystem::create_directories(tmp);
  const int64_t n = static_cast<int64_t>(cloud.size());
  torch::Tensor p = torch::empty({n, 3}, torch::kFloat64);
  torch::Tensor rgb = torch::empty({n, 3}, torch::kFloat32);
  torch::Tensor idx = torch::empty({n, 3}, torch::kInt64);
  for (int64_t i = 0; i < n; ++i) {
    for (int c = 0; c < 3; ++c) {
      p[i][c] = cloud.p_W[i][c];
      rgb[i][c] = cloud.rgb[i][c];
    }
    idx[i][0] = cloud.view[i];
    idx[i][1] = cloud.pixel[i].x();
    idx[i][2] = cloud.pixel[i].y();
  }
  torch::serialize::OutputArchive archive;
  archive.write("points", p);
  archive.write("rgb", rgb);
  archive.write("view_pixel", idx);
  archive.write("raw", tensor_of(raw));
  archive.save_to((tmp / "source_cloud.pt").string());
  if (refiner) refiner->save((tmp / "refiner.pt").string());
  std::error_code ec;
  std::filesystem::rename(tmp, dir, ec);
  if (ec) std::filesystem::remove_all(tmp, ec);  // another worker got there first
}

bool load_source_model(const std::filesystem::path& dir, bool want_refiner, PointCloud* cloud,
                       FeaturesF* raw, std::shared_ptr<const FeatureRefiner>* refiner) {
  const auto cloud_file = dir / "source_cloud.pt";
  if (!std::filesystem::exists(cloud_file)) return false;
  if (want_refiner && !std::filesystem::exists(dir / "refiner.pt")) return false;
  torch::serialize::InputArchive archive;
  archive.load_from(cloud_file.string());
  torch::Tensor p, rgb, idx, r;
  archive.read("points", p);
  archive.read("rgb", rgb);
  archive.read("view_pixel", idx);
  archive.read("raw", r);
  const int64_t n = p.size(0);
  cloud->reserve(static_cast<std::size_t>(n));
  auto pa = p.accessor<double, 2>();
  auto ca = rgb.accessor<float, 2>();
  auto ia = idx.accessor<int64_t, 2>();
  for (int64_t i = 0; i < n; ++i) {
    cloud->push_back(Eigen::Vector3d(pa[i][0], pa[i][1], pa[i][2]),
                     Eigen::Vector3f(ca[i][0], ca[i][1], ca[i][2]), static_cast<int>(ia[i][0]),
                     Eigen::Vector2i(static_cast<int>(ia[i][1]), static_cast<int>(ia[i][2])));
  }
  r = r.contiguous();
  *raw = FeaturesF(r.size(0), r.size(1));
  std::copy(r.data_ptr<float>(), r.data_ptr<float>() + r.numel(), raw->data());
  if (want_refiner) {
    *refiner =
        std::make_shared<const FeatureRefiner>(FeatureRefiner::load((dir / "refiner.pt").string()));
  }
  return true;
}

}  // namespace dffeval
