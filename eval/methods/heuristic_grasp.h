#pragma once
// heuristic: a top-down power grasp over the target point cloud, from the
// observation only (no demonstration, no ground truth): a lower bound.
//
// The palm faces down above the cloud's centroid; the fingers point along
// the cloud's narrow horizontal axis (found by PCA) so that they wrap across
// it, with the thumb opposite; the palm stops a clearance above the top of
// the cloud and the fingers close to a fixed power-grasp shape.

#include "eval/harness/grasp_method.h"
#include "pipeline/cloud/point_cloud.h"

namespace dffeval {

struct HeuristicGraspConfig {
  ForegroundConfig foreground;
  /// Gap between the palm's grasping face and the top of the cloud, metres.
  double clearance_m = 0.01;
  /// Back-projection stride (pixels).
  int stride = 2;
};

class HeuristicGraspMethod : public GraspMethod {
 public:
  explicit HeuristicGraspMethod(HeuristicGraspConfig config = {}) : config_(config) {}
  MethodOutput plan(const MethodInput& input) override;

 private:
  HeuristicGraspConfig config_;
};

}  // namespace dffeval
