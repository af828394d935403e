#include "pipeline/cloud/cloud_clusters.h"

#include <open3d/geometry/PointCloud.h>

#include <algorithm>
#include <map>

namespace dffeval {

std::vector<Eigen::Vector3d> cluster_centroids(const PointsF& points, const ClusterConfig& config) {
  open3d::geometry::PointCloud pc;
  pc.points_.reserve(static_cast<std::size_t>(points.rows()));
  for (Eigen::Index i = 0; i < points.rows(); ++i) {
    pc.points_.push_back(points.row(i).cast<double>().transpose());
  }
  // DBSCAN with min_points 3 for the links themselves; small clusters are
  // dropped below by their size.
  const std::vector<int> label = pc.ClusterDBSCAN(config.link_distance_m, 3, false);
  struct Cluster {
    Eigen::Vector3d sum = Eigen::Vector3d::Zero();
    int count = 0;
    std::size_t first = 0;
  };
  std::map<int, Cluster> clusters;
  for (std::size_t i = 0; i < label.size(); ++i) {
    if (label[i] < 0) continue;
    auto [it, inserted] = clusters.try_emplace(label[i]);
    if (inserted) it->second.first = i;
    it->second.sum += pc.points_[i];
    ++it->second.count;
  }
  std::vector<Cluster> kept;
  for (const auto& [l, c] : clusters) {
    if (c.count >= config.min_points) kept.push_back(c);
  }
  std::sort(kept.begin(), kept.end(), [](const Cluster& a, const Cluster& b) {
    return a.count != b.count ? a.count > b.count : a.first < b.first;
  });
  if (static_cast<int>(kept.size()) > config.max_clusters) kept.resize(config.max_clusters);
  std::vector<Eigen::Vector3d> out;
  for (const Cluster& c : kept) out.push_back(c.sum / c.count);
  return out;
}

}  // namespace dffeval
