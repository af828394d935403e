#include "pipeline/backbone/point_featurizer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "common/input_error.h"
#include "common/project_paths.h"
#include "common/strict_yaml.h"
#include "pipeline/backbone/geometric_features.h"
#include "pipeline/backbone/learned_backbone.h"
#include "pipeline/backbone/torchscript_backbone.h"

namespace dffeval {
namespace {

// Bilinear sample of every channel at map coordinates (x, y) (cell units,
// cell centres at integers), clamped to the grid of cell centres.
void bilinear(const FeatureMap& map, double x, double y, float* out) {
  x = std::clamp(x, 0.0, static_cast<double>(map.width - 1));
  y = std::clamp(y, 0.0, static_cast<double>(map.height - 1));
  const int x0 = std::min(static_cast<int>(std::floor(x)), map.width - 1);
  const int y0 = std::min(static_cast<int>(std::floor(y)), map.height - 1);
  const int x1 = std::min(x0 + 1, map.width - 1), y1 = std::min(y0 + 1, map.height - 1);
  const float ax = static_cast<float>(x - x0), ay = static_cast<float>(y - y0);
  const float w00 = (1 - ax) * (1 - ay), w01 = ax * (1 - ay), w10 = (1 - ax) * ay, w11 = ax * ay;
  const std::size_t plane = static_cast<std::size_t>(map.width) * map.height;
  const std::size_t i00 = static_cast<std::size_t>(y0) * map.width + x0;
  const std::size_t i01 = static_cast<std::size_t>(y0) * map.width + x1;
  const std::size_t i10 = static_cast<std::size_t>(y1) * map.width + x0;
  const std::size_t i11 = static_cast<std::size_t>(y1) * map.width + x1;
  for (int c = 0; c < map.channels; ++c) {
    const float* p = map.data.data() + c * plane;
    out[c] = w00 * p[i00] + w01 * p[i01] + w10 * p[i10] + w11 * p[i11];
  }
}

void check_map(const FeatureMap& map) {
  if (map.channels <= 0 || map.width <= 0 || map.height <= 0 || !(map.stride_px > 0) ||
      map.data.size() != static_cast<std::size_t>(map.channels) * map.width * map.height) {
    throw std::invalid_argument("sample_features: inconsistent feature map (" +
                                std::to_string(map.channels) + " x " + std::to_string(map.height) +
                                " x " + std::to_string(map.width) + ", " +
                                std::to_string(map.data.size()) + " values)");
  }
}

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace

FeaturesF sample_features(const FeatureMap& map, const std::vector<Eigen::Vector2i>& pixels) {
  check_map(map);
  FeaturesF out(static_cast<Eigen::Index>(pixels.size()), map.channels);
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    bilinear(map, (pixels[i].x() + 0.5) / map.stride_px - 0.5,
             (pixels[i].y() + 0.5) / map.stride_px - 0.5,
             out.row(static_cast<Eigen::Index>(i)).data());
  }
  return out;
}

void sample_features_into(const FeatureMap& map, const PointCloud& cloud, int view_index,
                          FeaturesF* out) {
  check_map(map);
  if (out->rows() != static_cast<Eigen::Index>(cloud.size()) || out->cols() != map.channels) {
    throw std::invalid_argument("sample_features_into: output is " + std::to_string(out->rows()) +
                                " x " + std::to_string(out->cols()) + ", expected " +
                                std::to_string(cloud.size()) + " x " +
                                std::to_string(map.channels));
  }
  for (std::size_t i = 0; i < cloud.size(); ++i) {
    if (cloud.view[i] != view_index) continue;
    const Eigen::Vector2i& px = cloud.pixel[i];
    bilinear(map, (px.x() + 0.5) / map.stride_px - 0.5, (px.y() + 0.5) / map.stride_px - 0.5,
             out->row(static_cast<Eigen::Index>(i)).data());
  }
}

ImageBackboneFeaturizer::ImageBackboneFeaturizer(std::unique_ptr<ImageBackbone> backbone,
                                                 bool l2_normalize)
    : backbone_(std::move(backbone)), l2_normalize_(l2_normalize) {
  if (!backbone_) throw std::invalid_argument("ImageBackboneFeaturizer: null backbone");
}

FeaturesF ImageBackboneFeaturizer::featurize(const Observation& obs,
                                             const PointCloud& cloud) const {
  FeaturesF out = FeaturesF::Zero(static_cast<Eigen::Index>(cloud.size()), backbone_->dim());
  std::vector<char> has_points(obs.views.size(), 0);
  for (int v : cloud.view) {
    if (v < 0 || v >= static_cast<int>(obs.views.size())) {
      throw std::invalid_argument("featurize: a point comes from view " + std::to_string(v) +
                                  " but the observation has " + std::to_string(obs.views.size()) +
                                  " views");
    }
    has_points[v] = 1;
  }
  // Only the views that contributed points are encoded: the network is the
  // expensive part.
  for (std::size_t v = 0; v < obs.views.size(); ++v) {
    if (!has_points[v]) continue;
    const FeatureMap map = backbone_->compute(obs.views[v]);
    if (map.channels != backbone_->dim()) {
      throw std::runtime_error("backbone '" + backbone_->name() + "' returned " +
                               std::to_string(map.channels) + " channels, expected " +
                               std::to_string(backbone_->dim()));
    }
    sample_features_into(map, cloud, static_cast<int>(v), &out);
  }
  if (l2_normalize_) {
    for (Eigen::Index i = 0; i < out.rows(); ++i) {
      const float n = out.row(i).norm();
      if (n > 1e-12f) out.row(i) /= n;
    }
  }
  return out;
}

const std::vector<std::string>& backbone_names() {
  static const std::vector<std::string> names = {"learned", "torchscript", "geometric"};
  return names;
}

std::unique_ptr<PointFeaturizer> make_featurizer(const BackboneConfig& config) {
  if (config.name == "learned") {
    const std::filesystem::path weights = config.learned.weights_path.empty()
                                              ? default_learned_backbone_path()
                                              : resolve_project_path(config.learned.weights_path);
    return std::make_unique<ImageBackboneFeaturizer>(LearnedBackbone::load(weights),
                                                     config.l2_normalize);
  }
  if (config.name == "torchscript") {
    TorchScriptBackboneConfig ts = config.torchscript;
    if (ts.module_path.empty()) {
      throw InputError("backbone 'torchscript' needs torchscript.module_path");
    }
    ts.module_path = resolve_project_path(ts.module_path).string();
    return std::make_unique<ImageBackboneFeaturizer>(std::make_unique<TorchScriptBackbone>(ts),
                                                     config.l2_normalize);
  }
  if (config.name == "geometric") {
    return std::make_unique<GeometricFeaturizer>(config.geometric);
  }
  throw std::invalid_argument("unknown backbone '" + config.name +
                              "'; valid backbones: " + join(backbone_names()));
}

}  // namespace dffeval
