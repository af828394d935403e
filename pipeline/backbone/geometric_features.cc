#include "pipeline/backbone/geometric_features.h"

#include <open3d/geometry/KDTreeSearchParam.h>
#include <open3d/geometry/PointCloud.h>
#include <open3d/pipelines/registration/Feature.h>

#include <algorithm>
#include <stdexcept>

namespace dffeval {

GeometricFeaturizer::GeometricFeaturizer(const GeometricFeaturesConfig& config) : config_(config) {
  if (!(config.normal_radius_m > 0) || !(config.fpfh_radius_m > 0) || config.max_neighbours < 3 ||
      !(config.height_scale_m > 0)) {
    throw std::invalid_argument(
        "geometric features: radii and height_scale_m must be > 0, max_neighbours >= 3");
  }
}

FeaturesF GeometricFeaturizer::featurize(const Observation& obs, const PointCloud& cloud) const {
  const auto n = static_cast<Eigen::Index>(cloud.size());
  FeaturesF out = FeaturesF::Zero(n, kDim);
  if (n == 0) return out;
  for (int v : cloud.view) {
    if (v < 0 || v >= static_cast<int>(obs.views.size())) {
      throw std::invalid_argument("geometric features: a point comes from view " +
                                  std::to_string(v) + " but the observation has " +
                                  std::to_string(obs.views.size()) + " views");
    }
  }
  open3d::geometry::PointCloud pc;
  pc.points_ = cloud.p_W;
  pc.EstimateNormals(
      open3d::geometry::KDTreeSearchParamHybrid(config_.normal_radius_m, config_.max_neighbours),
      /*fast_normal_computation=*/false);
  // Open3D's normal signs are arbitrary; each point's own camera saw the
  // outside of the surface, so face it.
  for (std::size_t i = 0; i < cloud.size(); ++i) {
    const Eigen::Vector3d to_camera = obs.views[cloud.view[i]].X_WC.translation() - cloud.p_W[i];
    if (pc.normals_[i].dot(to_camera) < 0) pc.normals_[i] = -pc.normals_[i];
  }
  const auto fpfh = open3d::pipelines::registration::ComputeFPFHFeature(
      pc, open3d::geometry::KDTreeSearchParamHybrid(config_.fpfh_radius_m, config_.max_neighbours));

  for (Eigen::Index i = 0; i < n; ++i) {
    const Eigen::Vector3d& nrm = pc.normals_[i];
    for (int k = 0; k < kNormalDim; ++k)
      out(i, k) = static_cast<float>(config_.normal_weight * nrm[k]);
    const Eigen::VectorXd h = fpfh->data_.col(i);
    const double len = h.norm();
    if (len > 0) {
      for (int k = 0; k < kFpfhDim; ++k)
        out(i, kNormalDim + k) = static_cast<float>(config_.fpfh_weight * h[k] / len);
    }
    const double height =
        std::clamp((cloud.p_W[i].z() - config_.table_height_m) / config_.height_scale_m, 0.0, 1.0);
    out(i, kDim - 1) = static_cast<float>(config_.height_weight * height);
  }
  return out;
}

}  // namespace dffeval
