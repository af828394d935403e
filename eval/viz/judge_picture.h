#pragma once
// The picture `dffeval judge-vis` writes for one trial of a run, so that the
// judge's verdict on it (part_agreement, contact_error, wrong_part) can be
// checked by eye: the trial rebuilt from its trials.jsonl record and replayed
// up to the end of closing, seen by the scene's four cameras with every
// hand-object contact marked where it is, green when the demonstration
// touched that part with that link group and red when not, beside the
// trial's fidelity numbers and both contact lists.
//
// Diagnostics only: the replay reruns the recorded grasp with the current
// build, and refuses a record whose scene this build draws differently.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/viz/point_splat.h"
#include "sim/contact_signature.h"
#include "sim/grasp_executor.h"
#include "sim/rgbd_renderer.h"

namespace dffeval {

struct JudgePicture {
  RgbImage image;
  /// Contact markers drawn, summed over the views: green for a (link group,
  /// part) pair the demonstration has, red for one it has not.
  int green_markers = 0;
  int red_markers = 0;
  /// Each camera's view, zoomed, with the contact markers but no legend (a
  /// report's gallery shows one), and the markers drawn in each.
  std::vector<RgbImage> marked_views;
  std::vector<int> markers_per_view;
  /// The replay's hand-object contacts at the end of closing (empty for a
  /// trial without a grasp).
  std::vector<ContactPoint> contacts;
  /// The replay's execution, stopped after closing.
  ExecutionResult execution;
  /// False for a method_error trial: the scene is shown without the hand.
  bool has_grasp = true;
  /// How the replay's contacts_closed differs from the record's ("" when it
  /// does not, beyond 1 micrometre): the physics changed since the run, and
  /// the markers show today's replay.
  std::string replay_difference;
};

/// Rebuilds the trial of `record` (one line of trials.jsonl), executes its
/// grasp with `execution` (the run's settings; stop_after_close is set here)
/// and draws the picture. Throws InputError naming the trial for a record
/// without the keys a trial record has, or whose scene, re-drawn from its
/// scene set, object and seed, differs from the recorded one (the run was
/// made with another build).
JudgePicture make_judge_picture(const nlohmann::json& record, const ExecutionConfig& execution,
                                RgbdRenderer& renderer);

/// "{failure_mode}_{id}.png" with every '/' replaced by '_'.
std::string judge_picture_file_name(const nlohmann::json& record);

}  // namespace dffeval
