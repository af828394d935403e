#pragma once
// Splitting a scene's foreground cloud into separate objects (Euclidean
// clusters), so that grasp starts can be placed on every object of a
// cluttered scene and not at the centroid of all of them, which may lie in
// empty space between objects. Observation-only: no simulator segmentation.

#include <Eigen/Core>
#include <vector>

#include "types/feature_types.h"

namespace dffeval {

struct ClusterConfig {
  /// Points closer than this are in one cluster (DBSCAN eps), metres.
  double link_distance_m = 0.012;
  /// Clusters with fewer points are dropped (noise, slivers).
  int min_points = 60;
  /// At most this many clusters, largest first.
  int max_clusters = 6;
};

/// Centroids (metres) of the clusters of `points`, largest cluster first
/// (ties: the lower first point index). Empty if no cluster is large enough.
/// Deterministic.
std::vector<Eigen::Vector3d> cluster_centroids(const PointsF& points, const ClusterConfig& config);

}  // namespace dffeval
