#include "eval/harness/suite.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

#include "common/input_error.h"
#include "common/project_paths.h"
#include "common/seeded_rng.h"
#include "common/setting_overrides.h"
#include "common/strict_yaml.h"
#include "eval/harness/demonstration.h"
#include "sim/scene_set.h"

namespace dffeval {

std::vector<std::string> list_suites() { return list_yaml_names("config/suites"); }

namespace {

void read_execution(const StrictYaml& y, ExecutionConfig& e) {
  e.pregrasp_backoff_m = y.get_or("pregrasp_backoff_m", e.pregrasp_backoff_m);
  e.preshape_fraction = y.get_or("preshape_fraction", e.preshape_fraction);
  e.approach_time_s = y.get_or("approach_time_s", e.approach_time_s);
  e.close_time_s = y.get_or("close_time_s", e.close_time_s);
  e.squeeze_rad = y.get_or("squeeze_rad", e.squeeze_rad);
  e.lift_height_m = y.get_or("lift_height_m", e.lift_height_m);
  e.lift_time_s = y.get_or("lift_time_s", e.lift_time_s);
  e.hold_time_s = y.get_or("hold_time_s", e.hold_time_s);
  e.success_height_m = y.get_or("success_height_m", e.success_height_m);
  // Written as !(ok) so that NaN (.nan in YAML) fails every check.
  const auto positive = [&y](const char* key, double v) {
    if (!(v > 0.0 && std::isfinite(v))) y.fail(key, "must be a finite number > 0");
  };
  const auto non_negative = [&y](const char* key, double v) {
    if (!(v >= 0.0 && std::isfinite(v))) y.fail(key, "must be a finite number >= 0");
  };
  non_negative("pregrasp_backoff_m", e.pregrasp_backoff_m);
  if (!(e.preshape_fraction >= 0.0 && e.preshape_fraction <= 1.0)) {
    y.fail("preshape_fraction", "must be in [0, 1]");
  }
  positive("approach_time_s", e.approach_time_s);
  positive("close_time_s", e.close_time_s);
  non_negative("squeeze_rad", e.squeeze_rad);
  positive("lift_height_m", e.lift_height_m);
  positive("lift_time_s", e.lift_time_s);
  positive("hold_time_s", e.hold_time_s);
  positive("success_height_m", e.success_height_m);
  if (e.hold_time_s < 1.0) y.fail("hold_time_s", "must be at least 1 s (the success criterion)");
  if (e.success_height_m > e.lift_height_m) {
    y.fail("success_height_m", "cannot exceed lift_height_m");
  }
  y.reject_unknown_keys();
}

void read_force_test(const StrictYaml& y, ForceTestConfig& f) {
  f.force_multiple_of_weight = y.get_or("force_multiple_of_weight", f.force_multiple_of_weight);
  f.ramp_time_s = y.get_or("ramp_time_s", f.ramp_time_s);
  f.hold_time_s = y.get_or("hold_time_s", f.hold_time_s);
  f.max_translation_m = y.get_or("max_translation_m", f.max_translation_m);
  f.max_rotation_deg = y.get_or("max_rotation_deg", f.max_rotation_deg);
  f.stop_when_settled = y.get_or("stop_when_settled", f.stop_when_settled);
  f.settle_window_s = y.get_or("settle_window_s", f.settle_window_s);
  f.settle_windows = y.get_or("settle_windows", f.settle_windows);
  f.rest_speed_m_s = y.get_or("rest_speed_m_s", f.rest_speed_m_s);
  f.rest_speed_deg_s = y.get_or("rest_speed_deg_s", f.rest_speed_deg_s);
  if (!(f.force_multiple_of_weight >= 0.0 && f.force_multiple_of_weight <= 100.0)) {
    y.fail("force_multiple_of_weight", "must be in [0, 100]");
  }
  if (!(f.ramp_time_s > 0.0) || !(f.hold_time_s >= 0.0)) {
    y.fail("ramp_time_s", "ramp_time_s must be > 0 and hold_time_s >= 0");
  }
  if (!(f.max_translation_m > 0.0)) y.fail("max_translation_m", "must be > 0");
  if (!(f.max_rotation_deg > 0.0)) y.fail("max_rotation_deg", "must be > 0");
  if (!(f.settle_window_s > 0.0 && f.settle_window_s <= 1.0)) {
    y.fail("settle_window_s", "must be in (0, 1] seconds");
  }
  if (f.settle_windows < 1) y.fail("settle_windows", "must be at least 1");
  if (!(f.rest_speed_m_s >= 0.0)) y.fail("rest_speed_m_s", "must be >= 0");
  if (!(f.rest_speed_deg_s >= 0.0)) y.fail("rest_speed_deg_s", "must be >= 0");
  y.reject_unknown_keys();
}

void read_transfer(const StrictYaml& y, TransferCriteria& t) {
  t.min_part_agreement = y.get_or("min_part_agreement", t.min_part_agreement);
  t.max_contact_error = y.get_or("max_contact_error", t.max_contact_error);
  t.require_thumb_part = y.get_or("require_thumb_part", t.require_thumb_part);
  t.max_palm_rotation_deg = y.get_or("max_palm_rotation_deg", t.max_palm_rotation_deg);
  if (!(t.min_part_agreement >= 0.0 && t.min_part_agreement <= 1.0)) {
    y.fail("min_part_agreement", "must be in [0, 1]");
  }
  if (!(t.max_contact_error >= 0.0)) y.fail("max_contact_error", "must be >= 0");
  if (!(t.max_palm_rotation_deg > 0.0 && t.max_palm_rotation_deg <= 180.0)) {
    y.fail("max_palm_rotation_deg", "must be in (0, 180] degrees");
  }
  y.reject_unknown_keys();
}

/// `instances: [first, last]` against every object set of the suite; a list
/// is required so that a bare number is not mistaken for a count.
void read_instances(const StrictYaml& y, SuiteSpec& s) {
  std::optional<InstanceSet> smallest;
  for (const auto& set : s.object_sets) {
    if (!set.catalog) continue;
    if (!smallest || instances_per_set(*set.catalog) < instances_per_set(*smallest))
      smallest = set.catalog;
  }
  if (!smallest) {
    if (y.has("instances")) {
      y.fail("instances", "applies to catalog sets (seen, novel) only; this suite has mesh sets");
    }
    return;
  }
  const int n = instances_per_set(*smallest);
  if (!y.has("instances")) {
    s.first_instance = 0;
    s.last_instance = n - 1;
    return;
  }
  const StrictYaml range = y.child("instances");
  if (!range.is_sequence() || range.node().size() != 2) {
    y.fail("instances", "must be a list [first, last] of instance indices (inclusive)");
  }
  const auto bounds = range.elements();
  s.first_instance = bounds[0].as<int>();
  s.last_instance = bounds[1].as<int>();
  if (s.first_instance < 0 || s.first_instance > s.last_instance) {
    y.fail("instances",
           fmt::format("[{}, {}]: need 0 <= first <= last", s.first_instance, s.last_instance));
  }
  if (s.last_instance >= n) {
    y.fail("instances",
           fmt::format("[{}, {}]: the {} set has {} instances (indices 0..{}, config/catalog.yaml)",
                       s.first_instance, s.last_instance, to_string(*smallest), n, n - 1));
  }
}

}  // namespace

SuiteSpec load_suite(const std::string& name_or_path) {
  std::filesystem::path file = name_or_path;
  const auto directory = [&] {
    return InputError(
        fmt::format("{}: is a directory, expected a suite name or a .yaml file", file.string()));
  };
  if (file.extension() != ".yaml") {
    // A suite name wins over a folder of that name in the working directory.
    const auto named = project_root() / "config" / "suites" / (name_or_path + ".yaml");
    if (std::filesystem::exists(named)) {
      file = named;
    } else if (std::filesystem::is_directory(file)) {
      throw directory();
    } else {
      throw InputError(fmt::format("unknown suite '{}' (known: {}; or give a path to a .yaml file)",
                                   name_or_path, fmt::join(list_suites(), ", ")));
    }
  } else if (std::filesystem::is_directory(file)) {
    throw directory();
  } else if (!std::filesystem::exists(file)) {
    throw InputError(fmt::format("{}: suite file not found", file.string()));
  }
  const StrictYaml y = load_yaml_with_overrides(file, process_overrides("suite"));
  SuiteSpec s;
  s.file = file;
  s.overrides = process_override_arguments();
  s.name = y.get<std::string>("name");
  s.description = y.get_or<std::string>("description", "");
  s.seed = y.get<std::uint64_t>("seed");
  s.method = y.get_or<std::string>("method", s.method);
  s.trials = y.get<int>("trials");
  if (s.trials < 1 || s.trials > 100000) y.fail("trials", "must be in [1, 100000]");
  s.source_scene_set = y.get_or<std::string>("source_scene_set", s.source_scene_set);
  if (y.has("source_capture")) {
    const auto capture = y.get<std::string>("source_capture");
    if (capture == "per_trial") {
      s.source_capture = SuiteSpec::SourceCapture::kPerTrial;
    } else if (capture == "fixed") {
      s.source_capture = SuiteSpec::SourceCapture::kFixed;
    } else {
      y.fail("source_capture", fmt::format("'{}' is not one of: per_trial, fixed", capture));
    }
  }

  const auto known_tasks = list_tasks();
  const StrictYaml tasks = y.child("tasks");
  if (!tasks.is_sequence() && tasks.as<std::string>() == "all") {
    s.tasks = rigid_tasks();
  } else {
    for (const auto& t : tasks.elements()) {
      const auto name = t.as<std::string>();
      if (std::find(known_tasks.begin(), known_tasks.end(), name) == known_tasks.end()) {
        t.fail("",
               fmt::format("unknown task '{}' (known: {})", name, fmt::join(known_tasks, ", ")));
      }
      s.tasks.push_back(name);
    }
  }
  if (s.tasks.empty()) y.fail("tasks", "no tasks");
  for (const auto& o : y.child("object_sets").elements()) {
    s.object_sets.push_back(read_suite_object_set(o, file.parent_path()));
    for (std::size_t i = 0; i + 1 < s.object_sets.size(); ++i) {
      if (s.object_sets[i].name == s.object_sets.back().name) {
        o.fail("", fmt::format("object set '{}' is named twice", s.object_sets.back().name));
      }
    }
  }
  const auto known_scenes = list_scene_sets();
  for (const auto& sc : y.child("scene_sets").elements()) {
    const auto name = sc.as<std::string>();
    if (std::find(known_scenes.begin(), known_scenes.end(), name) == known_scenes.end()) {
      sc.fail("", fmt::format("unknown scene set '{}' (known: {})", name,
                              fmt::join(known_scenes, ", ")));
    }
    s.scene_sets.push_back(name);
  }
  if (s.object_sets.empty()) y.fail("object_sets", "no object sets");
  if (s.scene_sets.empty()) y.fail("scene_sets", "no scene sets");
  read_instances(y, s);
  if (y.has("execution")) read_execution(y.child("execution"), s.execution);
  if (y.has("force_test")) read_force_test(y.child("force_test"), s.force_test);
  if (y.has("transfer")) read_transfer(y.child("transfer"), s.transfer);
  y.reject_unknown_keys();
  return s;
}

nlohmann::json SuiteSpec::to_json() const {
  nlohmann::json j;
  j["name"] = name;
  j["description"] = description;
  j["file"] = file.string();
  j["seed"] = seed;
  j["method"] = method;
  j["tasks"] = tasks;
  j["object_sets"] = nlohmann::json::array();
  for (const auto& s : object_sets) j["object_sets"].push_back(s.to_json());
  j["scene_sets"] = scene_sets;
  j["trials"] = trials;
  j["instances"] = nlohmann::json::array({first_instance, last_instance});
  j["source_scene_set"] = source_scene_set;
  j["source_capture"] = source_capture == SourceCapture::kFixed ? "fixed" : "per_trial";
  // Only when given: the records of runs without overrides stay as they were.
  if (!overrides.empty()) j["overrides"] = overrides;
  const auto& e = execution;
  j["execution"] = {{"pregrasp_backoff_m", e.pregrasp_backoff_m},
                    {"preshape_fraction", e.preshape_fraction},
                    {"approach_time_s", e.approach_time_s},
                    {"close_time_s", e.close_time_s},
                    {"squeeze_rad", e.squeeze_rad},
                    {"lift_height_m", e.lift_height_m},
                    {"lift_time_s", e.lift_time_s},
                    {"hold_time_s", e.hold_time_s},
                    {"success_height_m", e.success_height_m}};
  const auto& f = force_test;
  j["force_test"] = {{"force_multiple_of_weight", f.force_multiple_of_weight},
                     {"ramp_time_s", f.ramp_time_s},
                     {"hold_time_s", f.hold_time_s},
                     {"max_translation_m", f.max_translation_m},
                     {"max_rotation_deg", f.max_rotation_deg},
                     {"stop_when_settled", f.stop_when_settled},
                     {"settle_window_s", f.settle_window_s},
                     {"settle_windows", f.settle_windows},
                     {"rest_speed_m_s", f.rest_speed_m_s},
                     {"rest_speed_deg_s", f.rest_speed_deg_s}};
  j["transfer"] = transfer.to_json();
  return j;
}

std::vector<Trial> expand_trials(const SuiteSpec& suite) {
  std::vector<Trial> trials;
  for (const auto& task : suite.tasks) {
    const Demonstration demo = load_demonstration(task);
    for (const auto& set : suite.object_sets) {
      const int meshes = set.mesh_count(demo.category);
      if (meshes == 0) continue;
      for (const auto& scene : suite.scene_sets) {
        for (int k = 0; k < suite.trials; ++k) {
          Trial t;
          t.index = static_cast<int>(trials.size());
          t.task = task;
          t.category = demo.category;
          t.object_set = set.name;
          t.scene_set = scene;
          t.k = k;
          // Cycle through the suite's instances so every one is used
          // equally often.
          t.object_index = meshes > 0 ? k % meshes
                                      : suite.first_instance +
                                            k % (suite.last_instance - suite.first_instance + 1);
          t.id = fmt::format("{}/{}/{}/{:03d}", task, set.name, scene, k);
          t.seed = derive_seed(suite.seed, t.id);
          trials.push_back(t);
        }
      }
    }
  }
  if (trials.empty()) {
    throw InputError(fmt::format("{}: no task of the suite has an object in its object sets",
                                 suite.file.string()));
  }
  return trials;
}

const SuiteObjectSet& suite_object_set(const SuiteSpec& suite, const std::string& name) {
  for (const auto& set : suite.object_sets)
    if (set.name == name) return set;
  throw std::out_of_range("suite " + suite.name + " has no object set '" + name + "'");
}

ObjectInstance trial_object(const SuiteSpec& suite, const Trial& trial) {
  return suite_object_set(suite, trial.object_set).instance(trial.category, trial.object_index);
}

}  // namespace dffeval
