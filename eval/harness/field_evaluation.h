#pragma once
// `dffeval fieldeval`: how good are the feature fields themselves, before any
// grasp? Measured against the simulator's ground truth over scene pairs:
//
//   - cross-view consistency: mean L2 distance between the L2-normalized
//     features of points of different views closer than 5 mm (what the
//     refiner is trained to lower; 0 = views agree);
//   - correspondence error: for points sampled on the source object, the
//     target point whose feature is nearest; its distance, in the object's
//     canonical frame (p_Obj = X_WObj^-1 p_W, from the known object poses),
//     to the source point, in cm. On the same instance in another pose the
//     true corresponding point is the same canonical point; on another
//     instance of the category canonical coordinates are compared as they
//     are, although sizes differ (a size-normalized variant is reported too).
//
// Segmentation (which pixels see the object) is used here only to choose the
// source sample points and to report off-object matches: this is an
// evaluation tool, not a grasp method.
//
// DIR/fieldeval.json:
//   {"tool": "fieldeval", "suite", "pairs_per_category", "samples_per_scene",
//    "cross_view_radius_m", "backbones": [...], "skipped_backbones": {NAME: why},
//    "notes": [...],
//    "scenes": [{"category", "task", "pair", "source": {...},
//                "same_instance": {...}, "other_instance": {...}}],
//    "chance_level_cm": {"same_instance", "other_instance"},
//    "entries": [{"backbone", "variant",            // variant: raw | refined | refined+pruned
//                 "cross_view_distance",              // mean over target scenes
//                 "cross_view_distance_source",       // the scene the refiner trained on
//                 "correspondence_error_cm": {"same_instance", "other_instance"},
//                 "correspondence_error_median_cm": {"same_instance", "other_instance"},
//                 "correspondence_error_symmetric_cm": {"same_instance", "other_instance"},
//                 "correspondence_error_size_normalized_cm": {"other_instance"},
//                 "off_object_match_fraction": {"same_instance", "other_instance"},
//                 "points": {"source", "target"},    // mean points per scene used
//                 "per_category": {CATEGORY: {"cross_view_distance",
//                                             "correspondence_error_cm": {...}}}}],
//    "timing_s": {...}, "provenance": {...}}
// plus DIR/fieldeval.md, the table printed to the log.

#include <Eigen/Geometry>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "sim/drawn_scene.h"
#include "types/observation.h"

namespace dffeval {

class RgbdRenderer;

/// Options of `dffeval fieldeval`.
struct FieldEvalOptions {
  /// Suite name or path: its tasks choose the categories (one demonstration
  /// source per category, the suite's first task of that category), its
  /// catalog object_sets the other instances (mesh sets are not used), its scene_sets the target scenes, its
  /// source_scene_set the source scene and its seed the scene draws.
  std::string suite = "smoke";
  /// Scene pairs per category (each: the source instance in another pose,
  /// and another instance of the category), >= 1.
  int pairs = 1;
  /// Only these categories (empty: every category of the suite's tasks).
  std::vector<std::string> categories;
  /// Backbones to compare (empty: learned and geometric, plus torchscript
  /// when the SparseDFF config names a module; a default one that cannot be
  /// loaded, e.g. learned before `dffeval train-backbone` wrote its weights,
  /// is skipped and named in skipped_backbones). A backbone named here that
  /// cannot be loaded is an error.
  std::vector<std::string> backbones;
  /// Weights file of the learned backbone (empty: the SparseDFF config's).
  std::string learned_weights;
  /// Source points sampled on the object per scene, >= 1.
  int samples = 200;
  /// Output folder (empty: results/fieldeval under the project root).
  std::string out;
  /// SparseDFF source-model cache (see SparseDffConfig::cache_dir): empty
  /// keeps the config's, "off" disables it.
  std::string cache_dir;
};

/// Runs the evaluation, writes OUT/fieldeval.json and OUT/fieldeval.md, and
/// prints progress and the table to `log`. Returns 0. Throws InputError for a
/// bad option (unknown suite, category or backbone, pairs < 1).
int run_fieldeval(const FieldEvalOptions& options, std::ostream& log);

/// A scene as the cameras saw it, plus what only the simulator knows.
struct SimScene {
  DrawnScene scene;
  /// The views as a method receives them: through the scene set's sensor
  /// and calibration error (sim/sensed_observation.h).
  Observation observation;
  /// The rendered ground truth (exact depth, true cameras): diagnostics only.
  Observation truth;
  /// Per view, per pixel: the MuJoCo body id seen (-1 background); empty
  /// unless segmentation was asked for.
  std::vector<std::vector<std::int32_t>> segmentation_body;
  /// MuJoCo body id of the target object.
  int target_body = -1;
  /// The target object's settled pose in the world (X_WObj), metres.
  Eigen::Isometry3d X_WObj = Eigen::Isometry3d::Identity();
};

/// Composes, settles and renders `scene` (with per-pixel body ids if
/// `segmentation`), and senses it through `set`'s rig (the set `scene` was
/// drawn from).
SimScene render_sim_scene(const DrawnScene& scene, const SceneSet& set, RgbdRenderer* renderer,
                          bool segmentation);

}  // namespace dffeval
