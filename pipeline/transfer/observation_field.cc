#include "pipeline/transfer/observation_field.h"

#include <chrono>
#include <stdexcept>

#include "common/stopwatch.h"
#include "pipeline/backbone/point_featurizer.h"

namespace dffeval {

PointsF points_of(const PointCloud& cloud) {
  PointsF p(static_cast<Eigen::Index>(cloud.size()), 3);
  for (std::size_t i = 0; i < cloud.size(); ++i) p.row(i) = cloud.p_W[i].cast<float>().transpose();
  return p;
}

Observation rig_aligned(const Observation& obs, const ObservationFieldConfig& config) {
  RigAlignmentConfig rig = config.rig_alignment;
  rig.box_min_m = config.foreground.box_min_m;
  rig.box_max_m = config.foreground.box_max_m;
  rig.table_height_m = config.foreground.table_height_m;
  return align_rig(obs, rig);
}

PointCloud foreground_cloud(const Observation& obs, const ObservationFieldConfig& config) {
  PointCloud fg = select_foreground(backproject(obs, config.backproject_stride), config.foreground);
  if (fg.size() == 0) {
    throw std::invalid_argument(
        "no foreground points: nothing above the table inside the workspace box");
  }
  if (config.max_points > 0 && fg.size() > static_cast<std::size_t>(config.max_points)) {
    // Even subsampling in the cloud's (view, row, column) order: deterministic
    // and spread over every view.
    std::vector<std::size_t> keep;
    keep.reserve(config.max_points);
    const double step = static_cast<double>(fg.size()) / config.max_points;
    for (int k = 0; k < config.max_points; ++k) keep.push_back(static_cast<std::size_t>(k * step));
    fg = fg.subset(keep);
  }
  return fg;
}

ObservationField build_observation_field(PointCloud cloud, FeaturesF raw,
                                         const FeatureRefiner* refiner,
                                         const ObservationFieldConfig& config) {
  ObservationField out;
  out.points = points_of(cloud);
  out.view = cloud.view;
  out.cloud = std::move(cloud);
  out.raw = std::move(raw);
  if (static_cast<std::size_t>(out.raw.rows()) != out.cloud.size()) {
    throw std::invalid_argument("scene field: features and points differ in count");
  }
  auto t0 = std::chrono::steady_clock::now();
  out.refined = refiner ? refiner->apply(out.raw) : out.raw;
  out.timing_s["refine"] = seconds_since(t0);

  t0 = std::chrono::steady_clock::now();
  out.kept = prune_points(out.points, out.view, out.refined, config.pruning);
  out.timing_s["prune"] = seconds_since(t0);
  if (out.kept.empty()) throw std::invalid_argument("scene field: pruning removed every point");

  t0 = std::chrono::steady_clock::now();
  PointsF kept_points(static_cast<Eigen::Index>(out.kept.size()), 3);
  FeaturesF kept_features(static_cast<Eigen::Index>(out.kept.size()), out.refined.cols());
  for (std::size_t k = 0; k < out.kept.size(); ++k) {
    kept_points.row(k) = out.points.row(out.kept[k]);
    kept_features.row(k) = out.refined.row(out.kept[k]);
  }
  out.field = std::make_shared<const FeatureField>(std::move(kept_points), std::move(kept_features),
                                                   config.field);
  out.timing_s["field"] = seconds_since(t0);
  return out;
}

ObservationField build_observation_field(const Observation& obs, const PointFeaturizer& featurizer,
                                         const FeatureRefiner* refiner,
                                         const ObservationFieldConfig& config) {
  auto t0 = std::chrono::steady_clock::now();
  const Observation aligned = rig_aligned(obs, config);
  const double t_align = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  PointCloud cloud = foreground_cloud(aligned, config);
  const double t_backproject = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  FeaturesF raw = featurizer.featurize(aligned, cloud);
  const double t_features = seconds_since(t0);
  ObservationField out = build_observation_field(std::move(cloud), std::move(raw), refiner, config);
  out.timing_s["rig_alignment"] = t_align;
  out.timing_s["backproject"] = t_backproject;
  out.timing_s["features"] = t_features;
  return out;
}

}  // namespace dffeval
