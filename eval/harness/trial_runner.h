#pragma once
// Runs one trial end to end: render the demonstration's source scene (once
// per worker and task), draw and render the target scene, ask the method for
// a grasp, execute it, and record everything.

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "eval/harness/demonstration.h"
#include "eval/harness/grasp_method.h"
#include "eval/harness/suite.h"
#include "sim/rgbd_renderer.h"
#include "sim/scene_set.h"

namespace dffeval {

struct TrialResult {
  Trial trial;
  /// The `lift` rate: lifted and still held at the end of the hold.
  bool success = false;
  /// The `robust` rate: lifted, then held against the force test.
  bool robust = false;
  /// The `transfer` rate (the headline): lifted with the demonstrated grasp.
  bool transfer = false;
  /// The first failure in the order lift, transfer, robust: "none", an
  /// executor FailureMode, "method_error", "wrong_part" (lifted, not the
  /// demonstrated grasp) or "dropped_under_force" (the demonstrated grasp,
  /// lost under the force test).
  std::string failure_mode = "none";
  /// The full record written to trials.jsonl.
  nlohmann::json record;
  /// Seconds per stage ("compose", "render", "method", "execute", "total"
  /// and the method's own stages as "method.<stage>").
  std::map<std::string, double> timing_s;
};

/// A demonstration's source scene, as the cameras saw it.
struct SourceScene {
  Demonstration demo;
  DrawnScene scene;
  /// The source scene as rendered: ground truth, which per-trial source
  /// captures (SuiteSpec::SourceCapture) pass through the rig afresh.
  Observation truth;
  /// The task's own source capture as the method receives it (through the
  /// source scene set's sensor and calibration error, seeded by the source
  /// scene; sim/sensed_observation.h).
  Observation observation;
  /// That capture's sensor preset and calibration errors, for result files.
  nlohmann::json capture;
  Grasp demo_grasp;
  /// The source object's settled pose in the source world.
  Eigen::Isometry3d X_WObj = Eigen::Isometry3d::Identity();
  /// The demonstration replayed on its source object: where it touches
  /// (after closing), and whether it lifted.
  ContactSignature demo_contacts;
  bool demo_lifted = false;
  std::string key;
};

/// Per-worker state: a renderer (GL context), a method instance and caches.
/// Use from one thread only.
class TrialRunner {
 public:
  TrialRunner(const SuiteSpec& suite, const MethodInfo& method);
  TrialResult run(const Trial& trial);
  /// Builds what the trials of `tasks` in `scene_sets` share: the scene
  /// sets, each task's source scene (its demonstration replayed) and the
  /// method's per-source work. Throws on bad input (see run_trials).
  void prepare(const std::vector<std::string>& tasks, const std::vector<std::string>& scene_sets);
  /// The source scene of a task (rendered on first use).
  const SourceScene& source_scene(const std::string& task);
  RgbdRenderer& renderer() { return renderer_; }

 private:
  const SceneSet& scene_set(const std::string& name);
  /// The source half of a method's input: the task's own capture, or
  /// `trial_capture` when the trial `trial_id` captured the source afresh
  /// (its own key and seed then).
  MethodInput source_input(const SourceScene& source, const Observation* trial_capture = nullptr,
                           const std::string& trial_id = "") const;
  /// Whether each trial captures its source scene afresh (the suite asks
  /// for it and the source rig is random).
  bool source_captured_per_trial();
  /// Fidelity to the demonstration and the force test of an executed
  /// grasp; `held` is the state at the end of the hold.
  void judge(TrialResult& r, const World& world, const mjData* held, const ExecutionResult& ex,
             const Grasp& grasp, const PrivilegedInfo& privileged, const SourceScene& source);
  const SuiteSpec& suite_;
  const MethodInfo& method_info_;
  std::unique_ptr<GraspMethod> method_;
  RgbdRenderer renderer_;
  std::map<std::string, SceneSet> scene_sets_;
  std::map<std::string, SourceScene> sources_;
};

/// What names a trial in its record (id, index, task, category, object and
/// scene set, seed, method): shared by a run's record and an error's.
nlohmann::json trial_identity(const Trial& trial, const std::string& method);

/// The source scene of a demonstration: its source instance at the canonical
/// pose in the middle of the table, drawn from `scene_set` with a seed fixed
/// by the task name (the demonstration is a fixed asset, not a suite draw).
DrawnScene draw_source_scene(const Demonstration& demo, const SceneSet& scene_set);

}  // namespace dffeval
