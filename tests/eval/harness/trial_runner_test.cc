// One trial end to end in the real simulator and renderer: what its record
// holds, how a failing method is recorded, who gets the ground truth, and the
// demonstrations' source scenes.

#include "eval/harness/trial_runner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

#include "common/pose_json.h"
#include "common/seeded_rng.h"
#include "eval/harness/grasp_fidelity.h"
#include "eval/harness/grasp_method.h"
#include "eval/methods/builtin_methods.h"
#include "sim/drawn_scene.h"
#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

// Unique to this file: the registry is shared by the executable's tests.
constexpr const char* kThrows = "trial-runner-test-throws";
constexpr const char* kNan = "trial-runner-test-nan";
constexpr const char* kProbe = "trial-runner-test-probe";
constexpr const char* kProbePrivileged = "trial-runner-test-probe-privileged";

class ThrowingMethod : public GraspMethod {
 public:
  MethodOutput plan(const MethodInput&) override {
    throw std::runtime_error("deliberately broken");
  }
};

/// Returns the demonstrated grasp with one non-finite number.
class NanMethod : public GraspMethod {
 public:
  explicit NanMethod(bool in_joints) : in_joints_(in_joints) {}
  MethodOutput plan(const MethodInput& in) override {
    MethodOutput out;
    out.grasp = in.demo_grasp;
    if (in_joints_)
      out.grasp.joints_rad[3] = std::numeric_limits<double>::quiet_NaN();
    else
      out.grasp.X_WPalm.translation().x() = std::numeric_limits<double>::quiet_NaN();
    return out;
  }

 private:
  bool in_joints_;
};

/// What a method was given.
struct ProbeLog {
  int calls = 0;
  bool had_privileged = false;
  PrivilegedInfo privileged;
  bool had_inputs = false;
  std::string source_key;
  std::uint64_t source_seed = 0;
  bool source_per_trial = false;
  Observation source;  // the source capture the method was handed
  Observation target;  // the capture the method was handed
};

/// Records its input and returns the demonstrated grasp unchanged.
class ProbeMethod : public GraspMethod {
 public:
  explicit ProbeMethod(std::shared_ptr<ProbeLog> log) : log_(std::move(log)) {}
  MethodOutput plan(const MethodInput& in) override {
    ++log_->calls;
    log_->had_privileged = in.privileged != nullptr;
    if (in.privileged) log_->privileged = *in.privileged;
    log_->had_inputs = in.demo && in.source && in.target && !in.target->views.empty();
    log_->source_key = in.source_key;
    log_->source_seed = in.source_seed;
    log_->source_per_trial = in.source_per_trial;
    if (in.source) log_->source = *in.source;
    if (in.target) log_->target = *in.target;
    MethodOutput out;
    out.grasp = in.demo_grasp;
    out.metrics["probe"] = 7;
    out.timing_s["think"] = 0.125;
    return out;
  }

 private:
  std::shared_ptr<ProbeLog> log_;
};

struct OneTrial {
  SuiteSpec suite;
  Trial trial;  // can_wrap/seen/clean/000: the demonstration's own object
};

OneTrial one_trial(const std::string& name) {
  register_builtin_methods();
  register_method({kThrows, "test", false, [] { return std::make_unique<ThrowingMethod>(); }, {}});
  register_method({kNan, "test", false, [] { return std::make_unique<NanMethod>(false); }, {}});
  OneTrial s;
  const auto dir = fixtures::fresh_temp_dir("trial_runner_" + name);
  s.suite = load_suite(fixtures::write_small_suite(dir).string());
  s.trial = expand_trials(s.suite).at(0);
  return s;
}

TEST(TrialRunner, OraclePoseTrialRecordsSceneGraspAndExecution) {
  const OneTrial s = one_trial("oracle");
  ASSERT_EQ(s.trial.id, "can_wrap/seen/clean/000");
  ASSERT_EQ(s.trial.object_index, 0);
  TrialRunner runner(s.suite, find_method("oracle-pose"));
  const TrialResult r = runner.run(s.trial);
  const nlohmann::json& rec = r.record;
  EXPECT_EQ(r.trial.id, s.trial.id);
  EXPECT_EQ(rec["id"], s.trial.id);
  EXPECT_EQ(rec["index"], s.trial.index);
  EXPECT_EQ(rec["task"], "can_wrap");
  EXPECT_EQ(rec["category"], "can");
  EXPECT_EQ(rec["object_set"], "seen");
  EXPECT_EQ(rec["scene_set"], "clean");
  EXPECT_EQ(rec["seed"], s.trial.seed);
  EXPECT_EQ(rec["method"], "oracle-pose");

  // The scene is the trial's draw: its seed, its object.
  const DrawnScene expected = draw_scene(
      load_scene_set("clean"), make_object_instance("can", InstanceSet::kSeen, 0), s.trial.seed);
  EXPECT_EQ(rec["scene"], expected.to_json());
  EXPECT_EQ(rec["scene"]["target"]["id"], "can/seen/0");

  // The grasp is the demonstration moved by the true object motion.
  ASSERT_TRUE(rec.contains("grasp")) << rec.dump();
  EXPECT_EQ(rec["grasp"]["joints_rad"].size(), static_cast<std::size_t>(kNumHandJoints));
  const SourceScene& source = runner.source_scene("can_wrap");
  const Eigen::Isometry3d X_WTarget = pose_from_json(rec["X_WTargetObj_settled"]);
  const Eigen::Isometry3d oracle = X_WTarget * source.X_WObj.inverse() * source.demo_grasp.X_WPalm;
  EXPECT_TRUE(pose_from_json(rec["grasp"]["X_WPalm"]).isApprox(oracle, 1e-9));
  EXPECT_LT(rec["palm_error_vs_oracle"]["position_m"].get<double>(), 1e-9);
  EXPECT_LT(rec["palm_error_vs_oracle"]["rotation_deg"].get<double>(), 1e-6);

  // Executed; the outcome agrees everywhere it is written.
  ASSERT_TRUE(rec.contains("execution")) << rec.dump();
  EXPECT_EQ(rec["execution"]["success"], r.success);
  EXPECT_EQ(rec["success"], r.success);
  EXPECT_EQ(rec["failure_mode"], r.failure_mode);
  EXPECT_EQ(rec["execution"]["failure_mode"], r.failure_mode);
  // The demonstration's own object, grasped as demonstrated: a success by
  // all three rates, with the demo's contacts.
  EXPECT_TRUE(r.success) << rec["execution"].dump();
  EXPECT_TRUE(r.transfer) << rec["fidelity"].dump();
  EXPECT_TRUE(r.robust) << rec["force_test"].dump();
  EXPECT_EQ(r.failure_mode, "none");
  EXPECT_EQ(rec["transfer"], true);
  EXPECT_EQ(rec["robust"], true);
  EXPECT_EQ(rec["symmetry"], "continuous_z");
  EXPECT_GT(rec["fidelity"]["part_agreement"].get<double>(), 0.9) << rec["fidelity"].dump();
  EXPECT_LT(rec["fidelity"]["palm_error_sym"]["position_m"].get<double>(), 1e-6);
  EXPECT_FALSE(source.demo_contacts.empty());
  EXPECT_TRUE(source.demo_lifted);
  EXPECT_EQ(rec["force_test"]["pushes"].size(), 6u);
  EXPECT_TRUE(r.timing_s.count("force_test"));

  for (const char* stage : {"compose", "render", "method", "execute", "total"}) {
    ASSERT_TRUE(r.timing_s.count(stage)) << stage;
    EXPECT_GE(r.timing_s.at(stage), 0.0) << stage;
    EXPECT_DOUBLE_EQ(rec["timing_s"][stage].get<double>(), r.timing_s.at(stage)) << stage;
  }
  EXPECT_GE(r.timing_s.at("total"), r.timing_s.at("execute"));
}

/// Three trials of one task on seen instances in clean scenes.
SuiteSpec three_trials_of(const std::string& task, int seed) {
  register_builtin_methods();
  const auto dir = fixtures::fresh_temp_dir("trial_runner_" + task);
  std::ofstream(dir / "suite.yaml")
      << "name: " << task << "\nseed: " << seed << "\ntasks: [" << task
      << "]\nobject_sets: [seen]\nscene_sets: [clean]\ntrials: 3\n";
  return load_suite((dir / "suite.yaml").string());
}

TEST(TrialRunner, TheHeuristicLiftsTheBasketButNotByItsHandle) {
  const SuiteSpec suite = three_trials_of("basket_handle", 3);
  TrialRunner runner(suite, find_method("heuristic"));
  int lifted = 0;
  for (const Trial& t : expand_trials(suite)) {
    const TrialResult r = runner.run(t);
    lifted += r.success;
    // A top-down power grasp over the centroid closes on the basket, not on
    // its handle bar with the demo's fingers.
    EXPECT_FALSE(r.transfer) << t.id << ": " << r.record["fidelity"].dump();
    if (r.success) {
      EXPECT_EQ(r.failure_mode, "wrong_part") << t.id;
    }
  }
  std::cout << "heuristic lifted " << lifted << " of 3 basket_handle trials\n";
}

TEST(TrialRunner, TheHeuristicTopGraspOnACanIsNotTheDemonstratedSideWrap) {
  // The heuristic's top-down power grasp touches a can's body with the links
  // that wrap it in the demonstration, so the contact rules alone pass it;
  // its palm comes from above, a quarter turn from the demo's.
  const SuiteSpec suite = three_trials_of("can_wrap", 11);
  TransferCriteria contacts_only = suite.transfer;
  contacts_only.max_palm_rotation_deg = 180.0;
  TrialRunner runner(suite, find_method("heuristic"));
  int contact_rules_passed = 0;
  for (const Trial& t : expand_trials(suite)) {
    const TrialResult r = runner.run(t);
    const nlohmann::json& f = r.record["fidelity"];
    EXPECT_FALSE(r.transfer) << t.id << ": " << f.dump();
    if (!r.success) continue;
    EXPECT_EQ(r.failure_mode, "wrong_part") << t.id;
    EXPECT_GT(f["palm_error_sym"]["rotation_deg"].get<double>(), 80.0) << t.id;
    FidelityMetrics m;
    m.part_agreement = f["part_agreement"].get<double>();
    m.contact_error = f["contact_error"].get<double>();
    m.thumb_on_demo_part = f["thumb_on_demo_part"].get<bool>();
    m.palm_error_sym.rotation_deg = f["palm_error_sym"]["rotation_deg"].get<double>();
    contact_rules_passed += is_demonstrated_grasp(m, contacts_only);
  }
  // The palm rule is what tells them apart (seen_objects: 33 of 40).
  EXPECT_GE(contact_rules_passed, 1);
}

TEST(TrialRunner, SameTrialSameRecord) {
  const OneTrial s = one_trial("repeat");
  TrialRunner a(s.suite, find_method("heuristic"));
  TrialRunner b(s.suite, find_method("heuristic"));
  nlohmann::json ra = a.run(s.trial).record, rb = b.run(s.trial).record;
  ra.erase("timing_s"), rb.erase("timing_s");
  EXPECT_EQ(ra.dump(), rb.dump());
}

TEST(TrialRunner, AThrowingMethodIsAMethodError) {
  const OneTrial s = one_trial("throws");
  TrialRunner runner(s.suite, find_method(kThrows));
  const TrialResult r = runner.run(s.trial);
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.failure_mode, "method_error");
  EXPECT_EQ(r.record["failure_mode"], "method_error");
  EXPECT_EQ(r.record["success"], false);
  EXPECT_EQ(r.record["error"], "deliberately broken");
  // Nothing was executed, but the scene is still recorded.
  EXPECT_FALSE(r.record.contains("grasp"));
  EXPECT_FALSE(r.record.contains("execution"));
  EXPECT_TRUE(r.record.contains("scene"));
  EXPECT_EQ(r.record["id"], s.trial.id);
  EXPECT_FALSE(r.timing_s.count("execute"));
  EXPECT_TRUE(r.timing_s.count("method"));
}

TEST(TrialRunner, ANonFiniteGraspIsAMethodError) {
  const OneTrial s = one_trial("nan");
  register_method({"trial-runner-test-nan-joint",
                   "test",
                   false,
                   [] { return std::make_unique<NanMethod>(true); },
                   {}});
  for (const char* name : {kNan, "trial-runner-test-nan-joint"}) {
    TrialRunner runner(s.suite, find_method(name));
    const TrialResult r = runner.run(s.trial);
    EXPECT_FALSE(r.success) << name;
    EXPECT_EQ(r.failure_mode, "method_error") << name;
    EXPECT_NE(r.record["error"].get<std::string>().find("non-finite"), std::string::npos)
        << name << ": " << r.record["error"];
    EXPECT_FALSE(r.record.contains("execution")) << name;
  }
}

TEST(TrialRunner, OnlyGroundTruthMethodsSeeThePrivilegedInfo) {
  const OneTrial s = one_trial("probe");
  auto plain = std::make_shared<ProbeLog>(), privileged = std::make_shared<ProbeLog>();
  register_method(
      {kProbe, "test", false, [plain] { return std::make_unique<ProbeMethod>(plain); }, {}});
  register_method({kProbePrivileged,
                   "test",
                   true,
                   [privileged] { return std::make_unique<ProbeMethod>(privileged); },
                   {}});

  TrialRunner plain_runner(s.suite, find_method(kProbe));
  const TrialResult r = plain_runner.run(s.trial);
  EXPECT_EQ(plain->calls, 1);
  EXPECT_FALSE(plain->had_privileged);
  EXPECT_TRUE(plain->had_inputs);
  EXPECT_EQ(plain->source_key, "can_wrap@clean");
  // A clean source rig captures the same views whatever the seed: one
  // capture for the task, though the suite asks for one per trial.
  EXPECT_EQ(s.suite.source_capture, SuiteSpec::SourceCapture::kPerTrial);
  EXPECT_FALSE(plain->source_per_trial);
  // The method's own numbers and stages are recorded.
  EXPECT_EQ(r.record["method_metrics"]["probe"], 7);
  EXPECT_DOUBLE_EQ(r.timing_s.at("method.think"), 0.125);
  EXPECT_DOUBLE_EQ(r.record["timing_s"]["method.think"].get<double>(), 0.125);

  TrialRunner privileged_runner(s.suite, find_method(kProbePrivileged));
  const TrialResult p = privileged_runner.run(s.trial);
  EXPECT_EQ(privileged->calls, 1);
  ASSERT_TRUE(privileged->had_privileged);
  // The ground truth is the settled poses: the target's as recorded, the
  // source's from the source scene.
  EXPECT_TRUE(privileged->privileged.X_WTargetObj.isApprox(
      pose_from_json(p.record["X_WTargetObj_settled"]), 1e-9));
  EXPECT_TRUE(privileged->privileged.X_WSourceObj.isApprox(
      privileged_runner.source_scene("can_wrap").X_WObj, 1e-12));
}

TEST(TrialRunner, AMethodIsHandedTheRigsCaptureNotTheGroundTruth) {
  register_builtin_methods();
  const auto dir = fixtures::fresh_temp_dir("trial_runner_real_like");
  const auto file = dir / "real.yaml";
  std::ofstream(file) << "name: real\nseed: 5\ntasks: [can_wrap]\nobject_sets: [seen]\n"
                         "scene_sets: [real_like]\nsource_scene_set: real_source\ntrials: 1\n";
  const SuiteSpec suite = load_suite(file.string());
  const Trial trial = expand_trials(suite).at(0);
  auto log = std::make_shared<ProbeLog>();
  const std::string name = "trial-runner-test-probe-real";
  register_method({name, "test", false, [log] { return std::make_unique<ProbeMethod>(log); }, {}});
  TrialRunner runner(suite, find_method(name));
  const TrialResult r = runner.run(trial);
  ASSERT_EQ(log->calls, 1);
  EXPECT_EQ(r.record["capture"]["sensor_preset"], "kinect_v1");
  EXPECT_EQ(r.record["source_capture"]["sensor_preset"], "kinect_v1");
  const nlohmann::json& cams = r.record["scene"]["cameras"];
  ASSERT_EQ(log->target.views.size(), cams.size());
  const SceneSet real_like = load_scene_set("real_like");
  for (std::size_t i = 0; i < cams.size(); ++i) {
    const CameraView& seen = log->target.views[i];
    const Eigen::Isometry3d X_WC_true = pose_from_json(cams[i]["X_WC"]);
    const nlohmann::json& err = r.record["capture"]["calibration_error"][seen.name];
    // The pose handed over is the true one moved by the recorded error,
    // within the scene set's bounds.
    const Eigen::Isometry3d X_CC = pose_from_json(err["X_CtrueCreported"]);
    EXPECT_TRUE((X_WC_true * X_CC).isApprox(seen.X_WC, 1e-9)) << seen.name;
    EXPECT_GT((seen.X_WC.translation() - X_WC_true.translation()).norm(), 0.0);
    EXPECT_LE(err["translation_m"].get<double>(), real_like.calibration.translation_max_m + 1e-12);
    EXPECT_LE(err["rotation_deg"].get<double>(), real_like.calibration.rotation_max_deg + 1e-9);
  }
  // The source capture went through the sensor too (its own errors).
  const SourceScene& source = runner.source_scene("can_wrap");
  EXPECT_EQ(source.key, "can_wrap@real_source");
  EXPECT_EQ(source.capture["calibration_error"].size(), source.observation.views.size());
  EXPECT_TRUE(r.timing_s.count("sensor"));
  EXPECT_NE(r.failure_mode, "method_error");
}

/// Whether two captures differ in any depth pixel or camera pose.
bool captures_differ(const Observation& a, const Observation& b) {
  if (a.views.size() != b.views.size()) return true;
  for (std::size_t v = 0; v < a.views.size(); ++v) {
    if (a.views[v].depth_m != b.views[v].depth_m) return true;
    if (!a.views[v].X_WC.isApprox(b.views[v].X_WC, 0.0)) return true;
  }
  return false;
}

TEST(TrialRunner, EveryTrialCapturesANoisySourceAfreshUnlessTheSuiteFixesIt) {
  register_builtin_methods();
  const auto dir = fixtures::fresh_temp_dir("trial_runner_source_capture");
  const std::string base =
      "seed: 5\ntasks: [can_wrap]\nobject_sets: [seen]\n"
      "scene_sets: [clean]\nsource_scene_set: real_source\ntrials: 2\n";
  std::ofstream(dir / "per_trial.yaml") << "name: per_trial\n" << base;
  std::ofstream(dir / "fixed.yaml") << "name: fixed\n" << base << "source_capture: fixed\n";
  auto log = std::make_shared<ProbeLog>();
  const std::string name = "trial-runner-test-probe-source-capture";
  register_method({name, "test", false, [log] { return std::make_unique<ProbeMethod>(log); }, {}});

  const SuiteSpec per_trial = load_suite((dir / "per_trial.yaml").string());
  const std::vector<Trial> trials = expand_trials(per_trial);
  ASSERT_EQ(trials.size(), 2u);
  TrialRunner runner(per_trial, find_method(name));
  const SourceScene& source = runner.source_scene("can_wrap");
  std::vector<Observation> seen;
  std::vector<std::string> keys;
  for (const Trial& t : trials) {
    const TrialResult r = runner.run(t);
    EXPECT_TRUE(log->source_per_trial);
    EXPECT_EQ(log->source_key, "can_wrap@real_source/" + t.id);
    EXPECT_EQ(log->source_seed, derive_seed(per_trial.seed, "source/" + log->source_key));
    // The capture handed over is the recorded one: the true source cameras
    // moved by the recorded calibration errors, not the task's own capture.
    ASSERT_EQ(log->source.views.size(), source.truth.views.size());
    for (std::size_t v = 0; v < source.truth.views.size(); ++v) {
      const CameraView& handed = log->source.views[v];
      const Eigen::Isometry3d X_CC = pose_from_json(
          r.record["source_capture"]["calibration_error"][handed.name]["X_CtrueCreported"]);
      EXPECT_TRUE((source.truth.views[v].X_WC * X_CC).isApprox(handed.X_WC, 1e-9)) << handed.name;
    }
    EXPECT_NE(r.record["source_capture"], source.capture) << t.id;
    EXPECT_TRUE(captures_differ(log->source, source.observation)) << t.id;
    EXPECT_TRUE(r.timing_s.count("source_sensor"));
    seen.push_back(log->source);
    keys.push_back(log->source_key);
  }
  EXPECT_TRUE(captures_differ(seen[0], seen[1]));
  EXPECT_NE(keys[0], keys[1]);
  // Same trial, same source capture (it comes from the trial's seed).
  runner.run(trials[1]);
  EXPECT_FALSE(captures_differ(log->source, seen[1]));

  // `source_capture: fixed`: every trial is handed the task's own capture.
  const SuiteSpec fixed = load_suite((dir / "fixed.yaml").string());
  TrialRunner fixed_runner(fixed, find_method(name));
  for (const Trial& t : expand_trials(fixed)) {
    const TrialResult r = fixed_runner.run(t);
    EXPECT_FALSE(log->source_per_trial);
    EXPECT_EQ(log->source_key, "can_wrap@real_source");
    EXPECT_FALSE(captures_differ(log->source, fixed_runner.source_scene("can_wrap").observation));
    EXPECT_EQ(r.record["source_capture"], fixed_runner.source_scene("can_wrap").capture);
    EXPECT_FALSE(r.timing_s.count("source_sensor"));
  }
}

TEST(TrialRunner, SourceSceneIsRenderedOnceWithTheDemonstratedGrasp) {
  const OneTrial s = one_trial("source");
  TrialRunner runner(s.suite, find_method("oracle-pose"));
  const SourceScene& a = runner.source_scene("mug_wrap");
  const SourceScene& b = runner.source_scene("mug_wrap");
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(a.demo.task, "mug_wrap");
  EXPECT_EQ(a.key, "mug_wrap@clean");
  EXPECT_EQ(a.scene.to_json(),
            draw_source_scene(load_demonstration("mug_wrap"), load_scene_set("clean")).to_json());
  EXPECT_EQ(a.observation.views.size(), a.scene.cameras.size());
  ASSERT_FALSE(a.observation.views.empty());
  // Settled at the canonical pose: it barely moves from the origin.
  EXPECT_LT(a.X_WObj.translation().norm(), 0.005);
  EXPECT_TRUE(a.demo_grasp.X_WPalm.isApprox(a.demo.grasp_in_world(a.X_WObj).X_WPalm, 1e-12));
  EXPECT_EQ(a.demo_grasp.joints_rad, a.demo.joints_rad);
}

TEST(TrialRunner, DrawSourceSceneIsFixedByTheTask) {
  const Demonstration mug = load_demonstration("mug_wrap");
  const Demonstration can = load_demonstration("can_top");
  const SceneSet clean = load_scene_set("clean");
  const DrawnScene a = draw_source_scene(mug, clean);
  EXPECT_EQ(a.to_json(), draw_source_scene(mug, clean).to_json());
  EXPECT_EQ(a.seed, derive_seed(0, "source/mug_wrap"));
  EXPECT_EQ(a.target.object.id(), mug.source_object().id());
  EXPECT_TRUE(a.target.X_WObj.isApprox(Eigen::Isometry3d::Identity(), 1e-12));
  EXPECT_NE(draw_source_scene(can, clean).seed, a.seed);
  // In a cluttered set the target stays at the canonical pose, with
  // distractors around it.
  const DrawnScene cluttered = draw_source_scene(mug, load_scene_set("clutter"));
  EXPECT_TRUE(cluttered.target.X_WObj.isApprox(Eigen::Isometry3d::Identity(), 1e-12));
  EXPECT_EQ(cluttered.target.object.id(), mug.source_object().id());
  EXPECT_FALSE(cluttered.clutter.empty());
}

}  // namespace
}  // namespace dffeval
