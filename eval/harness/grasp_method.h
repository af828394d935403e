#pragma once
// Grasp methods: (source observation, demonstration, target observation) ->
// grasp. The harness knows methods only through this interface and the
// registry, so a new method plugs in without touching the harness.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/harness/demonstration.h"
#include "types/grasp.h"
#include "types/observation.h"

namespace dffeval {

/// Ground truth that only privileged (labelled) methods may see.
struct PrivilegedInfo {
  Eigen::Isometry3d X_WSourceObj = Eigen::Isometry3d::Identity();
  Eigen::Isometry3d X_WTargetObj = Eigen::Isometry3d::Identity();
};

struct MethodInput {
  const Demonstration* demo = nullptr;
  /// The source scene, as the cameras saw it.
  const Observation* source = nullptr;
  /// The demonstrated grasp in the source scene's world frame.
  Grasp demo_grasp;
  /// The target scene, as the cameras saw it.
  const Observation* target = nullptr;
  /// Set only for methods whose uses_ground_truth() is true.
  const PrivilegedInfo* privileged = nullptr;
  /// A key that identifies the source scene (for caches), e.g. task + seed.
  std::string source_key;
  /// Every random draw a method makes for this trial (optimizer starts and
  /// point noise) derives from this: derive_seed(trial seed, "method"), the
  /// trial seed being derive_seed(suite seed, trial id). So a trial's grasp
  /// depends on the suite seed and its id, never on order or --jobs.
  std::uint64_t seed = 0;
  /// The same for what a method computes once per source capture and reuses
  /// across trials (SparseDFF's refiner training): derive_seed(suite seed,
  /// "source/" + source_key), equal for every trial of the task in a run
  /// when the task has one capture.
  std::uint64_t source_seed = 0;
  /// True when `source` was captured for this trial alone (a suite's
  /// per-trial source captures, SuiteSpec::SourceCapture): no other trial
  /// will bring it again, so a method need not keep its per-source work
  /// (SparseDFF skips its disk cache).
  bool source_per_trial = false;
};

struct MethodOutput {
  Grasp grasp;
  /// Method-specific numbers (energy, candidates...) for trials.jsonl.
  nlohmann::json metrics = nlohmann::json::object();
  /// Seconds per stage of the method.
  std::map<std::string, double> timing_s;
};

class GraspMethod {
 public:
  virtual ~GraspMethod() = default;
  /// Plans a grasp. Throws on failure; the harness records a method_error.
  virtual MethodOutput plan(const MethodInput& input) = 0;
  /// The method's per-source work ahead of the trials (loading its models,
  /// learning on the source scene), so that a broken settings file or model
  /// stops a run before any trial; `input.target` is null. Results must not
  /// depend on whether it was called.
  virtual void prepare(const MethodInput& /*input*/) {}
};

struct MethodInfo {
  std::string name;
  std::string description;
  /// True if the method reads PrivilegedInfo (reported as such).
  bool uses_ground_truth = false;
  /// Makes one instance per worker thread: methods need no locking.
  std::function<std::unique_ptr<GraspMethod>()> make;
  /// What the method's results depend on beyond the suite (its settings
  /// files and preset), recorded in resolved_config.json so that a run can
  /// be reproduced after the settings were edited; unset for methods
  /// without settings.
  std::function<nlohmann::json()> settings;
};

/// Registers a method (the shipped ones: eval/methods/builtin_methods.h,
/// called by the CLI at start-up; the harness itself knows no method).
void register_method(MethodInfo info);
/// Throws InputError for an unknown name, listing the known ones.
const MethodInfo& find_method(const std::string& name);
std::vector<const MethodInfo*> list_methods();

}  // namespace dffeval
