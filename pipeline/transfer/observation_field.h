#pragma once
// From an Observation to a feature field: back-project, keep the foreground,
// featurize, refine, prune, interpolate (SparseDFF stages 1 to 4).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/cloud/point_cloud.h"
#include "pipeline/cloud/point_pruning.h"
#include "pipeline/cloud/rig_alignment.h"
#include "pipeline/field/feature_field.h"
#include "pipeline/field/feature_refiner.h"
#include "types/feature_types.h"
#include "types/observation.h"

namespace dffeval {

class PointFeaturizer;

struct ObservationFieldConfig {
  /// Every stride-th pixel per axis is back-projected.
  int backproject_stride = 1;
  /// Foreground points beyond this count are subsampled (evenly, in a fixed
  /// order) so the cost of a scene stays bounded.
  int max_points = 6000;
  ForegroundConfig foreground;
  /// Self-calibration of the camera poses before anything else (its box
  /// and table height are foreground's).
  RigAlignmentConfig rig_alignment;
  PruningConfig pruning;
  FieldConfig field;
};

/// One scene's cloud at every stage, and its field.
struct ObservationField {
  /// Foreground points (after subsampling).
  PointCloud cloud;
  PointsF points;
  std::vector<int> view;
  /// Backbone features (N x D).
  FeaturesF raw;
  /// Refined features (N x D); equal to raw when no refiner is given.
  FeaturesF refined;
  /// Indices into cloud of the points that survived pruning (ascending).
  std::vector<std::size_t> kept;
  /// The field over the kept points and their refined features.
  std::shared_ptr<const FeatureField> field;
  /// Seconds per stage: rig_alignment, backproject, features, refine, prune,
  /// field.
  std::map<std::string, double> timing_s;
};

/// obs with its camera poses self-calibrated by config.rig_alignment (the
/// workspace box and table height taken from config.foreground); a copy of
/// obs when that is off. Every stage below reads the views it returns.
Observation rig_aligned(const Observation& obs, const ObservationFieldConfig& config);

/// The foreground cloud of an observation (stages 1 and 3 of the method page's
/// stage 1), subsampled to config.max_points. Throws std::invalid_argument if
/// nothing is left.
PointCloud foreground_cloud(const Observation& obs, const ObservationFieldConfig& config);

PointsF points_of(const PointCloud& cloud);

/// The whole chain, rig alignment first. `refiner` may be null (no
/// refinement).
ObservationField build_observation_field(const Observation& obs, const PointFeaturizer& featurizer,
                                         const FeatureRefiner* refiner,
                                         const ObservationFieldConfig& config);

/// The same chain from an already featurized cloud (for callers that cache
/// backbone features).
ObservationField build_observation_field(PointCloud cloud, FeaturesF raw,
                                         const FeatureRefiner* refiner,
                                         const ObservationFieldConfig& config);

}  // namespace dffeval
