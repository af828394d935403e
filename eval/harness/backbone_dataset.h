#pragma once
// Training data for the learned backbone, rendered in simulation: random
// scenes of the SEEN object instances (never the novel ones), seen by the
// scene set's camera rig, with pixel correspondences from the simulator's
// ground truth (depth, camera poses, object poses, segmentation). The
// segmentation is used only to make training labels and to score features
// here; it is never an input to a grasp method.
//
// Three kinds of pairs (CorrespondencePair::kind):
//   "cross_view"     two cameras of one scene: a pixel of view a is
//                    back-projected with its depth and projected into view b;
//                    it matches if view b's depth there agrees within
//                    depth_tolerance_m and view b sees the same object;
//   "cross_scene"    two scenes of the same instance (other pose, lighting,
//                    cameras): object-frame coordinates within
//                    canonical_tolerance_m and normals within normal_min_cos;
//   "cross_instance" two instances of one category: object coordinates
//                    normalized by each instance's bounding box within
//                    cross_instance_tolerance, normals within normal_min_cos.
// Each match carries a key (CorrespondencePair::key): its object-frame
// position reduced by the category's symmetries (a bottle's angle about its
// axis, a box's signs of x and y, a mug's sign of y) and divided by the
// object's largest extent, so that symmetric or neighbouring points are not
// used as each other's negatives.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "pipeline/backbone/backbone_training.h"
#include "pipeline/backbone/point_featurizer.h"
#include "sim/object_catalog.h"

namespace dffeval {

struct BackboneDatasetOptions {
  /// Scene set the scenes are drawn from (scenes/NAME.yaml). Its clutter is
  /// ignored: the scene set's clutter may hold novel instances.
  std::string scene_set = "clean";
  /// Categories to draw from; empty: every category.
  std::vector<std::string> categories;
  /// Instance set. Training data must use kSeen (run_train_backbone enforces
  /// it); kNovel is for held-out evaluation only.
  InstanceSet object_set = InstanceSet::kSeen;
  /// Scenes to render, >= 1. Scenes come in groups of scenes_per_instance
  /// with the same instance; categories take turns.
  int scenes = 48;
  int scenes_per_instance = 2;
  /// Everything random derives from this seed.
  std::uint64_t seed = 1;
  /// Added to the scene set's randomization (training diversity): uniform
  /// jitter of each camera position and of its look-at point, metres; of the
  /// light strengths and directions (degrees); of the table colour.
  double camera_jitter_m = 0.02;
  double look_at_jitter_m = 0.02;
  double light_jitter = 0.15;
  double light_direction_jitter_deg = 25.0;
  double table_rgb_jitter = 0.15;
  double table_checker_probability = 0.3;
  /// Fraction of the scenes (each drawn with this probability, seeded) whose
  /// views the net sees through the `kinect_v1` depth-sensor model
  /// (sim/depth_sensor_model.h): noisy, quantized depth with holes at edges,
  /// as in the `noisy` and `real_like` scene sets. The correspondences still
  /// come from the exact render; pixels the sensor leaves without depth are
  /// not matched. 0: every view exact (the shipped backbone before
  /// 2026-12-07).
  double sensor_noise_fraction = 0.0;
  /// Query pixels are taken every pixel_step pixels per axis.
  int pixel_step = 2;
  /// Cross-view depth agreement, metres.
  double depth_tolerance_m = 0.003;
  /// Cross-scene object-frame distance, metres.
  double canonical_tolerance_m = 0.003;
  /// Cross-instance distance in bounding-box-normalized coordinates.
  double cross_instance_tolerance = 0.03;
  /// Minimum cosine between the two surface normals (object frame) of a
  /// cross-scene or cross-instance match.
  double normal_min_cos = 0.8;
  /// Matches kept per pair (a seeded random subset), >= 8.
  int max_matches_per_pair = 1500;
  /// Random view pairs per scene with another scene of its instance, and
  /// with a scene of another instance of its category.
  int cross_scene_pairs_per_scene = 4;
  int cross_instance_pairs_per_scene = 2;
  /// Simulated settling before rendering, seconds.
  double settle_s = 0.3;
};

/// A rendered training or evaluation set.
struct BackboneDataset {
  /// Views and correspondences, as the training loop takes them.
  CorrespondenceDataset data;
  /// Per view (same order as data.views): 1 where it sees the scene's target
  /// object, else 0 (width * height, row-major).
  std::vector<std::vector<std::uint8_t>> target_mask;
  /// Per scene: its views (indices into data.views), in camera order.
  std::vector<std::vector<int>> scene_views;
  /// What was rendered: scene set, seed, categories, instance ids, scene
  /// count, pair and match counts per kind (for the weights' sidecar).
  nlohmann::json description;
};

/// Renders the scenes and finds the correspondences. Deterministic in
/// options. Progress goes to `log` if not null. Throws InputError for an
/// unknown scene set or category, std::invalid_argument for invalid options.
BackboneDataset build_backbone_dataset(const BackboneDatasetOptions& options,
                                       std::ostream* log = nullptr);

/// How well a featurizer matches the same surface point across views.
struct CrossViewMatchStats {
  /// Query points evaluated.
  int queries = 0;
  /// Fraction of queries whose nearest feature (L2) among the other view's
  /// target points lies within radius_m of the query point.
  double within_radius = 0.0;
  /// The same for a uniformly random target point of the other view.
  double chance_within_radius = 0.0;
  /// Median 3D distance of the nearest-feature point to the query, metres.
  double median_error_m = 0.0;
  nlohmann::json to_json() const;
};

/// For every scene and ordered pair of its views (i, j): the target object's
/// pixels of each view (every pixel_step pixels) are back-projected and
/// featurized together (one cloud per scene); up to queries_per_view_pair
/// points of view i that view j also sees (a view-j point within 3 mm) are
/// matched to their nearest feature among view j's points.
CrossViewMatchStats evaluate_cross_view_matching(const PointFeaturizer& featurizer,
                                                 const BackboneDataset& dataset,
                                                 double radius_m = 0.01,
                                                 int queries_per_view_pair = 100,
                                                 int pixel_step = 2, std::uint64_t seed = 1);

}  // namespace dffeval
