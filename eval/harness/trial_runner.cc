#include "eval/harness/trial_runner.h"

#include <chrono>
#include <cmath>
#include <optional>

#include "common/seeded_rng.h"
#include "common/stopwatch.h"
#include "sim/object_semantics.h"
#include "sim/sensed_observation.h"

namespace dffeval {
namespace {

using Clock = std::chrono::steady_clock;
bool grasp_is_finite(const Grasp& g) {
  if (!g.X_WPalm.matrix().allFinite()) return false;
  for (double q : g.joints_rad)
    if (!std::isfinite(q)) return false;
  return true;
}

nlohmann::json grasp_json(const Grasp& g) {
  nlohmann::json joints = nlohmann::json::object();
  for (int i = 0; i < kNumHandJoints; ++i) joints[hand_joint_names()[i]] = g.joints_rad[i];
  return {{"X_WPalm", pose_to_json(g.X_WPalm)}, {"joints_rad", joints}};
}

}  // namespace

DrawnScene draw_source_scene(const Demonstration& demo, const SceneSet& scene_set) {
  const Eigen::Isometry3d X_WObj = Eigen::Isometry3d::Identity();
  return draw_scene(scene_set, demo.source_object(), derive_seed(0, "source/" + demo.task),
                    &X_WObj);
}

TrialRunner::TrialRunner(const SuiteSpec& suite, const MethodInfo& method)
    : suite_(suite), method_info_(method), method_(method.make()) {}

const SceneSet& TrialRunner::scene_set(const std::string& name) {
  auto it = scene_sets_.find(name);
  if (it == scene_sets_.end()) it = scene_sets_.emplace(name, load_scene_set(name)).first;
  return it->second;
}

const SourceScene& TrialRunner::source_scene(const std::string& task) {
  auto it = sources_.find(task);
  if (it != sources_.end()) return it->second;
  SourceScene s;
  s.demo = load_demonstration(task);
  s.scene = draw_source_scene(s.demo, scene_set(suite_.source_scene_set));
  auto world = World::compose(s.scene);
  const MjDataPtr d_data = world->make_settled_data();
  mjData* d = d_data.get();
  s.truth = renderer_.render(*world, d).observation;
  SensedObservation sensed =
      sense_observation(scene_set(suite_.source_scene_set), s.truth, s.scene.seed);
  s.capture = sensed.to_json();  // before the move: it names the views
  s.observation = std::move(sensed.observation);
  s.X_WObj = world->body_pose(d, world->target_body());
  s.demo_grasp = s.demo.grasp_in_world(s.X_WObj);
  // The signature a transfer should reproduce: the demo replayed on its own
  // source object with the suite's execution settings.
  const MjDataPtr replay = world->make_data();
  mj_copyData(replay.get(), world->model(), d);
  const ExecutionResult demo_run =
      execute_grasp(*world, replay.get(), s.demo_grasp, suite_.execution);
  s.demo_contacts = demo_run.contacts_closed;
  s.demo_lifted = demo_run.success;
  s.key = task + "@" + suite_.source_scene_set;
  return sources_.emplace(task, std::move(s)).first->second;
}

void TrialRunner::judge(TrialResult& r, const World& world, const mjData* held,
                        const ExecutionResult& ex, const Grasp& grasp,
                        const PrivilegedInfo& privileged, const SourceScene& source) {
  const SymmetryGroup group = object_symmetry(world.scene().target.object);
  const Eigen::Isometry3d X_ObjPalm = privileged.X_WTargetObj.inverse() * grasp.X_WPalm;
  const Eigen::Isometry3d X_ObjPalm_ref =
      privileged.X_WSourceObj.inverse() * source.demo_grasp.X_WPalm;
  const FidelityMetrics fidelity = measure_fidelity(
      ex.contacts_closed, ex.contacts_held, source.demo_contacts, group, X_ObjPalm, X_ObjPalm_ref);
  r.record["symmetry"] = to_string(group);
  r.record["fidelity"] = fidelity.to_json();
  r.record["demo_contacts"] = source.demo_contacts.to_json();
  r.transfer = ex.success && is_demonstrated_grasp(fidelity, suite_.transfer);
  bool force_diverged = false;
  if (ex.success) {
    const auto t0 = Clock::now();
    const ForceTestResult force = run_force_test(world, held, suite_.force_test);
    r.timing_s["force_test"] = seconds_since(t0);
    r.record["force_test"] = force.to_json();
    r.robust = force.holds;
    force_diverged = force.diverged;
  }
  if (force_diverged) {
    r.failure_mode = "sim_error";
  } else if (ex.success && !r.transfer) {
    r.failure_mode = "wrong_part";
  } else if (ex.success && !r.robust) {
    r.failure_mode = "dropped_under_force";
  }
}

nlohmann::json trial_identity(const Trial& trial, const std::string& method) {
  return {{"id", trial.id},
          {"index", trial.index},
          {"task", trial.task},
          {"category", trial.category},
          {"object_set", trial.object_set},
          {"scene_set", trial.scene_set},
          {"seed", trial.seed},
          {"method", method}};
}

MethodInput TrialRunner::source_input(const SourceScene& source, const Observation* trial_capture,
                                      const std::string& trial_id) const {
  MethodInput in;
  in.demo = &source.demo;
  in.demo_grasp = source.demo_grasp;
  in.source_per_trial = trial_capture != nullptr;
  in.source = in.source_per_trial ? trial_capture : &source.observation;
  in.source_key = in.source_per_trial ? source.key + "/" + trial_id : source.key;
  in.source_seed = derive_seed(suite_.seed, "source/" + in.source_key);
  return in;
}

bool TrialRunner::source_captured_per_trial() {
  return suite_.source_capture == SuiteSpec::SourceCapture::kPerTrial &&
         capture_is_random(scene_set(suite_.source_scene_set));
}

void TrialRunner::prepare(const std::vector<std::string>& tasks,
                          const std::vector<std::string>& scene_sets) {
  for (const auto& name : scene_sets) scene_set(name);
  for (const auto& task : tasks) {
    // With per-trial source captures no trial uses the task's own capture,
    // but preparing on it still stops a broken method before any trial;
    // SparseDFF then reads it from its disk cache after the first run.
    method_->prepare(source_input(source_scene(task)));
  }
}

TrialResult TrialRunner::run(const Trial& trial) {
  const auto t_total = Clock::now();
  TrialResult r;
  r.trial = trial;
  const SourceScene& source = source_scene(trial.task);

  auto t0 = Clock::now();
  const ObjectInstance object = trial_object(suite_, trial);
  const DrawnScene scene = draw_scene(scene_set(trial.scene_set), object, trial.seed);
  auto world = World::compose(scene);
  const MjDataPtr d_data = world->make_settled_data();
  mjData* d = d_data.get();
  r.timing_s["compose"] = seconds_since(t0);

  t0 = Clock::now();
  const RenderedViews target = renderer_.render(*world, d);
  r.timing_s["render"] = seconds_since(t0);
  // The method sees the capture through the scene set's sensor and
  // calibration; `target` stays the ground truth.
  t0 = Clock::now();
  const SensedObservation sensed =
      sense_observation(scene_set(trial.scene_set), target.observation, scene.seed);
  r.timing_s["sensor"] = seconds_since(t0);

  PrivilegedInfo privileged;
  privileged.X_WSourceObj = source.X_WObj;
  privileged.X_WTargetObj = world->body_pose(d, world->target_body());
  std::optional<SensedObservation> trial_source;
  if (source_captured_per_trial()) {
    t0 = Clock::now();
    trial_source = sense_observation(scene_set(suite_.source_scene_set), source.truth,
                                     derive_seed(trial.seed, "source_capture"));
    r.timing_s["source_sensor"] = seconds_since(t0);
  }
  MethodInput in =
      source_input(source, trial_source ? &trial_source->observation : nullptr, trial.id);
  in.target = &sensed.observation;
  in.privileged = method_info_.uses_ground_truth ? &privileged : nullptr;
  in.seed = derive_seed(trial.seed, "method");

  r.record = trial_identity(trial, method_info_.name);
  r.record["k"] = trial.k;
  // Mesh objects by name (catalog records keep their shape: the instance is
  // in `scene`).
  if (!object.mesh_name.empty()) r.record["object"] = object.mesh_name;
  r.record["scene"] = scene.to_json();
  r.record["capture"] = sensed.to_json();
  r.record["source_capture"] = trial_source ? trial_source->to_json() : source.capture;
  r.record["X_WTargetObj_settled"] = pose_to_json(privileged.X_WTargetObj);

  t0 = Clock::now();
  MethodOutput planned;
  std::string method_error;
  try {
    planned = method_->plan(in);
    if (!grasp_is_finite(planned.grasp)) method_error = "the method returned a non-finite grasp";
  } catch (const std::exception& e) {
    method_error = e.what();
  }
  r.timing_s["method"] = seconds_since(t0);
  for (const auto& [stage, s] : planned.timing_s) r.timing_s["method." + stage] = s;

  if (!method_error.empty()) {
    r.failure_mode = "method_error";
    r.record["error"] = method_error;
  } else {
    r.record["grasp"] = grasp_json(planned.grasp);
    r.record["method_metrics"] = planned.metrics;
    // Pose error against the oracle grasp: how far the method's palm is from
    // the demonstration moved by the true object motion.
    const Eigen::Isometry3d oracle =
        privileged.X_WTargetObj * privileged.X_WSourceObj.inverse() * source.demo_grasp.X_WPalm;
    r.record["palm_error_vs_oracle"] = {
        {"position_m", (planned.grasp.X_WPalm.translation() - oracle.translation()).norm()},
        {"rotation_deg",
         Eigen::AngleAxisd(planned.grasp.X_WPalm.rotation().transpose() * oracle.rotation())
                 .angle() *
             180.0 / M_PI}};
    t0 = Clock::now();
    const ExecutionResult ex = execute_grasp(*world, d, planned.grasp, suite_.execution);
    r.timing_s["execute"] = seconds_since(t0);
    r.success = ex.success;
    r.failure_mode = to_string(ex.failure);
    r.record["execution"] = ex.to_json();
    judge(r, *world, d, ex, planned.grasp, privileged, source);
  }
  r.timing_s["total"] = seconds_since(t_total);
  r.record["success"] = r.success;
  r.record["robust"] = r.robust;
  r.record["transfer"] = r.transfer;
  r.record["failure_mode"] = r.failure_mode;
  r.record["timing_s"] = r.timing_s;
  return r;
}

}  // namespace dffeval
