#pragma once
// A learning-free baseline featurizer: per-point descriptors from the cloud's
// geometry alone, so that a learned or pretrained backbone can be compared
// with "shape only, no training".

#include "pipeline/backbone/point_featurizer.h"

namespace dffeval {

/// Per point, the concatenation of three blocks (dim() = 37):
///   [0, 3)   unit normal in the world frame (Open3D, hybrid radius/kNN
///            search), oriented towards the camera centre of the point's view,
///            times normal_weight;
///   [3, 36)  FPFH (Open3D ComputeFPFHFeature, 33 bins) scaled to unit L2
///            length, times fpfh_weight;
///   [36]     height above the table, (z_W - table_height_m) / height_scale_m
///            clamped to [0, 1], times height_weight.
/// The normal block depends on the object's orientation in the world; FPFH
/// and height do not depend on its yaw.
class GeometricFeaturizer final : public PointFeaturizer {
 public:
  explicit GeometricFeaturizer(const GeometricFeaturesConfig& config);
  /// Needs obs only for the camera centres (normal orientation).
  FeaturesF featurize(const Observation& obs, const PointCloud& cloud) const override;
  int dim() const override { return kDim; }
  std::string name() const override { return "geometric"; }

  static constexpr int kNormalDim = 3;
  static constexpr int kFpfhDim = 33;
  static constexpr int kDim = kNormalDim + kFpfhDim + 1;

 private:
  GeometricFeaturesConfig config_;
};

}  // namespace dffeval
