// Suites: the shipped suite files load, expand into tasks x object sets x
// scene sets x trials with unique ids and per-id seeds, and bad suite files
// are input errors naming the file, the key and the reason.

#include "eval/harness/suite.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/input_error.h"
#include "common/seeded_rng.h"
#include "eval/harness/demonstration.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

/// A suite file in a fresh folder: the text is the whole file.
fs::path suite_file(const std::string& name, const std::string& text) {
  const fs::path f = fixtures::fresh_temp_dir("suite_" + name) / (name + ".yaml");
  std::ofstream(f) << text;
  return f;
}

const std::string kValid =
    "name: valid\nseed: 3\ntasks: [mug_wrap, can_top]\nobject_sets: [seen, novel]\n"
    "scene_sets: [clean, clutter, shift]\ntrials: 2\n";

/// The InputError message of loading `text`, or a note that there was none.
std::string load_error(const std::string& name, const std::string& text) {
  const fs::path f = suite_file(name, text);
  try {
    load_suite(f.string());
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

TEST(Suite, ShippedSuitesAreListed) {
  const auto names = list_suites();
  for (const char* s : {"smoke", "seen_objects", "novel_objects", "novel_scenes", "validation"}) {
    EXPECT_EQ(std::count(names.begin(), names.end(), s), 1) << s;
  }
}

TEST(Suite, SmokeSuiteLoadsWithEveryTask) {
  const SuiteSpec s = load_suite("smoke");
  EXPECT_EQ(s.name, "smoke");
  EXPECT_EQ(s.seed, 1u);
  EXPECT_EQ(s.method, "sparsedff");
  EXPECT_EQ(s.trials, 1);
  // `tasks: all` is every demonstration on a rigid category: the soft
  // ball's task is named explicitly (config/suites/soft_objects.yaml).
  EXPECT_EQ(s.tasks, rigid_tasks());
  EXPECT_EQ(s.tasks.size(), 8u);
  const auto all = list_tasks();
  EXPECT_NE(std::find(all.begin(), all.end(), "soft_ball_top"), all.end());
  EXPECT_EQ(std::find(s.tasks.begin(), s.tasks.end(), "soft_ball_top"), s.tasks.end());
  EXPECT_EQ(load_suite("soft_objects").tasks, std::vector<std::string>{"soft_ball_top"});
  EXPECT_EQ(s.object_sets, (std::vector<SuiteObjectSet>{InstanceSet::kSeen, InstanceSet::kNovel}));
  EXPECT_EQ(s.scene_sets, std::vector<std::string>{"clean"});
  EXPECT_EQ(s.source_scene_set, "clean");
  EXPECT_EQ(s.file.filename(), "smoke.yaml");
  EXPECT_TRUE(fs::exists(s.file));
  const nlohmann::json j = s.to_json();
  EXPECT_EQ(j["name"], "smoke");
  EXPECT_EQ(j["object_sets"], (nlohmann::json{"seen", "novel"}));
  EXPECT_EQ(j["trials"], 1);
  EXPECT_EQ(j["instances"], (nlohmann::json{0, instances_per_set(InstanceSet::kSeen) - 1}));
  EXPECT_TRUE(j["execution"].contains("hold_time_s"));
  // Its one trial per cell is on instance 0, as before the sets grew (CI
  // results stay comparable across the change).
  for (const Trial& t : expand_trials(s)) EXPECT_EQ(t.object_index, 0) << t.id;
}

// The reported suites are sized for ranking (README "Suites"): 320 trials
// each, every trial of seen_objects and novel_objects on its own instance.
TEST(Suite, ReportedSuitesHaveTheirDocumentedSizes) {
  // 8 tasks x 40 trials, or x 20 per scene set in novel_scenes (clutter,
  // shift, noisy: each suite file gives the reason for its size).
  const std::vector<std::pair<std::string, std::size_t>> sizes = {{"seen_objects", 320},
                                                                  {"novel_objects", 320},
                                                                  {"novel_scenes", 480},
                                                                  {"real_conditions", 320}};
  for (const auto& [name, size] : sizes) {
    const SuiteSpec s = load_suite(name);
    EXPECT_EQ(expand_trials(s).size(), size) << name;
    EXPECT_EQ(s.first_instance, 0) << name;
    EXPECT_EQ(s.last_instance, 39) << name;
  }
}

/// Every (category, set, index) the suite's trials use.
std::set<std::string> instances_used(const std::string& suite) {
  std::set<std::string> used;
  for (const Trial& t : expand_trials(load_suite(suite))) {
    used.insert(t.category + "/" + t.object_set + "/" + std::to_string(t.object_index));
  }
  return used;
}

// Settings chosen on the validation suite must not be tuned to the objects of
// a reported table.
TEST(Suite, ValidationSuiteSharesNoInstanceWithAReportedSuite) {
  const auto validation = instances_used("validation");
  // Every category has a task, and each (category, set) uses 10 instances.
  EXPECT_EQ(validation.size(), object_categories().size() * 2u * 10u);
  for (const char* reported :
       {"seen_objects", "novel_objects", "novel_scenes", "real_conditions", "smoke"}) {
    const auto used = instances_used(reported);
    ASSERT_FALSE(used.empty()) << reported;
    for (const auto& id : used) EXPECT_EQ(validation.count(id), 0u) << reported << ": " << id;
  }
}

TEST(Suite, EveryShippedSuiteExpandsToTheFullProduct) {
  for (const std::string& name : list_suites()) {
    const SuiteSpec s = load_suite(name);
    const auto trials = expand_trials(s);
    EXPECT_EQ(trials.size(), s.tasks.size() * s.object_sets.size() * s.scene_sets.size() * s.trials)
        << name;
    std::set<std::string> ids;
    for (std::size_t i = 0; i < trials.size(); ++i) {
      ids.insert(trials[i].id);
      EXPECT_EQ(trials[i].index, static_cast<int>(i)) << name;
    }
    EXPECT_EQ(ids.size(), trials.size()) << name << ": ids are not unique";
  }
}

TEST(Suite, TrialsCarryIdCellAndInstance) {
  const SuiteSpec s = load_suite(suite_file("cells", kValid).string());
  const auto trials = expand_trials(s);
  ASSERT_EQ(trials.size(), 2u * 2u * 3u * 2u);
  // The order: tasks, then object sets, then scene sets, then k.
  EXPECT_EQ(trials[0].id, "mug_wrap/seen/clean/000");
  EXPECT_EQ(trials[1].id, "mug_wrap/seen/clean/001");
  EXPECT_EQ(trials[2].id, "mug_wrap/seen/clutter/000");
  EXPECT_EQ(trials[6].id, "mug_wrap/novel/clean/000");
  EXPECT_EQ(trials[12].id, "can_top/seen/clean/000");
  for (const Trial& t : trials) {
    EXPECT_EQ(t.category, load_demonstration(t.task).category) << t.id;
    EXPECT_EQ(t.id, t.task + "/" + t.object_set + "/" + t.scene_set + "/00" + std::to_string(t.k));
    EXPECT_EQ(t.object_index, t.k);
  }
  EXPECT_EQ(trials[12].category, "can");
}

TEST(Suite, ObjectIndicesCycleThroughTheInstanceRange) {
  std::string text = kValid;
  text.replace(text.find("trials: 2"), 9, "trials: 23");
  const SuiteSpec s = load_suite(suite_file("cycle", text + "instances: [3, 7]\n").string());
  EXPECT_EQ(s.first_instance, 3);
  EXPECT_EQ(s.last_instance, 7);
  EXPECT_EQ(s.to_json()["instances"], (nlohmann::json{3, 7}));
  const auto trials = expand_trials(s);
  std::map<int, int> uses;
  for (const Trial& t : trials) {
    EXPECT_EQ(t.object_index, 3 + t.k % 5) << t.id;
    if (t.task == "mug_wrap" && t.object_set == "seen" && t.scene_set == "clean") {
      ++uses[t.object_index];
    }
  }
  EXPECT_EQ(trials.back().id, "can_top/novel/shift/022");
  ASSERT_EQ(uses.size(), 5u);
  for (const auto& [index, n] : uses) EXPECT_GE(n, 4) << index;
}

TEST(Suite, InstancesFortyToFortyNineUseOnlyThose) {
  std::string text = kValid;
  text.replace(text.find("trials: 2"), 9, "trials: 25");
  const auto trials =
      expand_trials(load_suite(suite_file("late", text + "instances: [40, 49]\n").string()));
  std::set<int> used;
  for (const Trial& t : trials) {
    EXPECT_GE(t.object_index, 40) << t.id;
    EXPECT_LE(t.object_index, 49) << t.id;
    used.insert(t.object_index);
  }
  EXPECT_EQ(used.size(), 10u);
}

TEST(Suite, WithoutInstancesTheWholeSetIsUsed) {
  const SuiteSpec s = load_suite(suite_file("whole", kValid).string());
  EXPECT_EQ(s.first_instance, 0);
  EXPECT_EQ(s.last_instance, instances_per_set(InstanceSet::kSeen) - 1);
}

TEST(Suite, SeedsDependOnlyOnTheSuiteSeedAndTheId) {
  const SuiteSpec s = load_suite(suite_file("seeds", kValid).string());
  const auto a = expand_trials(s);
  const auto b = expand_trials(s);
  ASSERT_EQ(a.size(), b.size());
  std::set<std::uint64_t> seeds;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].seed, b[i].seed) << a[i].id;
    EXPECT_EQ(a[i].seed, derive_seed(3, a[i].id)) << a[i].id;
    seeds.insert(a[i].seed);
  }
  EXPECT_EQ(seeds.size(), a.size()) << "two trials share a seed";

  // Another order of tasks and sets, and fewer of them: the same id keeps
  // its seed (so a trial's scene does not depend on what else is run).
  const std::string reordered_text =
      "name: other\nseed: 3\ntasks: [can_top]\nobject_sets: [novel, seen]\n"
      "scene_sets: [shift, clean]\ntrials: 1\n";
  const SuiteSpec other = load_suite(suite_file("seeds_reordered", reordered_text).string());
  std::map<std::string, std::uint64_t> by_id;
  for (const Trial& t : a) by_id[t.id] = t.seed;
  const auto reordered = expand_trials(other);
  ASSERT_EQ(reordered.size(), 4u);
  EXPECT_EQ(reordered[0].id, "can_top/novel/shift/000");
  for (const Trial& t : reordered) {
    ASSERT_TRUE(by_id.count(t.id)) << t.id;
    EXPECT_EQ(t.seed, by_id[t.id]) << t.id;
  }

  // Another suite seed changes every trial's seed.
  std::string reseeded = kValid;
  reseeded.replace(reseeded.find("seed: 3"), 7, "seed: 4");
  const auto c = expand_trials(load_suite(suite_file("seeds_other", reseeded).string()));
  ASSERT_EQ(c.size(), a.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NE(c[i].seed, a[i].seed) << a[i].id;
}

TEST(Suite, OptionalKeysAndExecutionSettingsAreRead) {
  const std::string optional =
      "description: a test\nmethod: heuristic\nsource_scene_set: shift\n"
      "execution:\n  lift_height_m: 0.3\n  hold_time_s: 2.0\n";
  const SuiteSpec s = load_suite(suite_file("optional", kValid + optional).string());
  EXPECT_EQ(s.description, "a test");
  EXPECT_EQ(s.method, "heuristic");
  EXPECT_EQ(s.source_scene_set, "shift");
  EXPECT_DOUBLE_EQ(s.execution.lift_height_m, 0.3);
  EXPECT_DOUBLE_EQ(s.execution.hold_time_s, 2.0);
  EXPECT_DOUBLE_EQ(s.execution.success_height_m, ExecutionConfig{}.success_height_m);
  EXPECT_DOUBLE_EQ(s.to_json()["execution"]["lift_height_m"].get<double>(), 0.3);
}

TEST(Suite, SourceCaptureIsPerTrialUnlessFixed) {
  const SuiteSpec plain = load_suite(suite_file("capture_default", kValid).string());
  EXPECT_EQ(plain.source_capture, SuiteSpec::SourceCapture::kPerTrial);
  EXPECT_EQ(plain.to_json()["source_capture"], "per_trial");
  const SuiteSpec fixed =
      load_suite(suite_file("capture_fixed", kValid + "source_capture: fixed\n").string());
  EXPECT_EQ(fixed.source_capture, SuiteSpec::SourceCapture::kFixed);
  EXPECT_EQ(fixed.to_json()["source_capture"], "fixed");
  const SuiteSpec per_trial =
      load_suite(suite_file("capture_per_trial", kValid + "source_capture: per_trial\n").string());
  EXPECT_EQ(per_trial.source_capture, SuiteSpec::SourceCapture::kPerTrial);
}

TEST(Suite, UnknownSuiteNamesTheKnownOnes) {
  try {
    load_suite("no_such_suite");
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'no_such_suite'"), std::string::npos) << what;
    EXPECT_NE(what.find("smoke"), std::string::npos) << what;
    EXPECT_NE(what.find("novel_scenes"), std::string::npos) << what;
  }
  const fs::path missing = fixtures::fresh_temp_dir("suite_missing") / "absent.yaml";
  try {
    load_suite(missing.string());
    FAIL() << "no InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(missing.string()), std::string::npos) << what;
    EXPECT_NE(what.find("not found"), std::string::npos) << what;
  }
}

TEST(Suite, ExecutionTimesAndLengthsMustBeFiniteAndInRange) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"hold_time_s: .nan", "must be a finite number"},
      {"approach_time_s: -0.5", "must be a finite number > 0"},
      {"close_time_s: .nan", "must be a finite number"},
      {"lift_time_s: 0", "must be a finite number > 0"},
      {"hold_time_s: .inf", "must be a finite number"},
      {"lift_height_m: .nan", "must be a finite number"},
      {"success_height_m: -0.1", "must be a finite number > 0"},
      {"pregrasp_backoff_m: -0.01", "must be a finite number >= 0"},
      {"squeeze_rad: .nan", "must be a finite number"},
      {"preshape_fraction: 1.5", "must be in [0, 1]"},
  };
  for (const auto& [line, reason] : cases) {
    const std::string key = line.substr(0, line.find(':'));
    const std::string what = load_error("bad_execution", kValid + "execution:\n  " + line + "\n");
    // Non-finite values are refused by the strict reader itself ("cannot read value '.nan':
    // must be a finite number"), out-of-range ones by the suite's own check.
    EXPECT_NE(what.find("bad_execution.yaml:8: key 'execution." + key + "': "), std::string::npos)
        << line << " -> " << what;
    EXPECT_NE(what.find(reason), std::string::npos) << line << " -> " << what;
  }
}

TEST(Suite, TransferThresholdsAreReadAndChecked) {
  const SuiteSpec s = load_suite(
      suite_file("transfer", kValid + "transfer:\n  max_palm_rotation_deg: 45\n").string());
  EXPECT_DOUBLE_EQ(s.transfer.max_palm_rotation_deg, 45.0);
  EXPECT_DOUBLE_EQ(s.transfer.max_contact_error, TransferCriteria{}.max_contact_error);
  EXPECT_DOUBLE_EQ(s.to_json()["transfer"]["max_palm_rotation_deg"].get<double>(), 45.0);
  for (const char* value : {"0", "-10", "200"}) {
    const std::string what =
        load_error("bad_transfer", kValid + "transfer:\n  max_palm_rotation_deg: " + value + "\n");
    EXPECT_NE(what.find("bad_transfer.yaml:8: key 'transfer.max_palm_rotation_deg': "),
              std::string::npos)
        << value << " -> " << what;
    EXPECT_NE(what.find("must be in (0, 180] degrees"), std::string::npos) << what;
  }
}

TEST(Suite, ADirectoryIsNamedAsOne) {
  const fs::path dir = fixtures::fresh_temp_dir("suite_dir");
  fs::create_directories(dir / "d.yaml");
  for (const fs::path& p : {dir, dir / "d.yaml"}) {
    try {
      load_suite(p.string());
      ADD_FAILURE() << p;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(p.string() + ": is a directory"), std::string::npos)
          << e.what();
    }
  }
  // A folder named like a suite in the working directory does not hide it.
  const fs::path cwd = fs::current_path();
  fs::create_directories(dir / "smoke");
  fs::current_path(dir);
  EXPECT_EQ(load_suite("smoke").name, "smoke");
  fs::current_path(cwd);
}

TEST(Suite, BadSuiteFilesNameTheFileKeyAndReason) {
  const int seen_n = instances_per_set(InstanceSet::kSeen);
  struct Case {
    const char* name;
    std::string text;
    std::vector<std::string> expected;  // parts of the message
  };
  const std::vector<Case> cases = {
      {"unknown_key", kValid + "trails: 3\n", {"unknown_key.yaml:7", "trails", "unknown key"}},
      {"no_seed",
       "name: x\ntasks: all\nobject_sets: [seen]\nscene_sets: [clean]\ntrials: 1\n",
       {"no_seed.yaml", "seed", "missing"}},
      {"zero_trials",
       "name: x\nseed: 1\ntasks: all\nobject_sets: [seen]\nscene_sets: [clean]\ntrials: 0\n",
       {"zero_trials.yaml:6", "trials", "[1, 100000]"}},
      {"bad_task",
       "name: x\nseed: 1\ntasks: [mug_wrap, teapot_pour]\nobject_sets: [seen]\n"
       "scene_sets: [clean]\ntrials: 1\n",
       {"bad_task.yaml", "tasks[1]", "teapot_pour", "mug_wrap"}},
      {"bad_set",
       "name: x\nseed: 1\ntasks: all\nobject_sets: [seen, unseen]\nscene_sets: [clean]\n"
       "trials: 1\n",
       {"bad_set.yaml", "object_sets[1]", "unseen"}},
      {"bad_scene",
       "name: x\nseed: 1\ntasks: all\nobject_sets: [seen]\nscene_sets: [clean, foggy]\n"
       "trials: 1\n",
       {"bad_scene.yaml", "scene_sets[1]", "foggy", "clutter"}},
      {"no_scenes",
       "name: x\nseed: 1\ntasks: all\nobject_sets: [seen]\nscene_sets: []\ntrials: 1\n",
       {"no_scenes.yaml", "scene_sets", "no scene sets"}},
      {"short_hold",
       kValid + "execution:\n  hold_time_s: 0.5\n",
       {"short_hold.yaml", "execution.hold_time_s", "at least 1 s"}},
      {"execution_key",
       kValid + "execution:\n  lift_hieght_m: 0.2\n",
       {"execution_key.yaml:8", "execution.lift_hieght_m"}},
      {"syntax", "name: x\nseed: [1, 2\ntrials: 1\n", {"syntax.yaml:", "syntax error"}},
      {"instances_reversed",
       kValid + "instances: [5, 2]\n",
       {"instances_reversed.yaml:7", "'instances'", "[5, 2]", "first <= last"}},
      {"instances_beyond",
       kValid + "instances: [0, " + std::to_string(seen_n) + "]\n",
       {"instances_beyond.yaml:7", "'instances'", "has " + std::to_string(seen_n) + " instances",
        "catalog.yaml"}},
      {"instances_negative",
       kValid + "instances: [-1, 3]\n",
       {"instances_negative.yaml:7", "'instances'", "0 <= first"}},
      {"instances_scalar",
       kValid + "instances: 10\n",
       {"instances_scalar.yaml:7", "'instances'", "list [first, last]"}},
      {"instances_one",
       kValid + "instances: [3]\n",
       {"instances_one.yaml:7", "'instances'", "list [first, last]"}},
      {"instances_type", kValid + "instances: [a, 3]\n", {"instances_type.yaml:7", "instances[0]"}},
      {"source_capture",
       kValid + "source_capture: per_task\n",
       {"source_capture.yaml:7", "source_capture", "per_task", "per_trial, fixed"}},
      {"wrong_type",
       "name: x\nseed: one\ntasks: all\nobject_sets: [seen]\n"
       "scene_sets: [clean]\ntrials: 1\n",
       {"wrong_type.yaml:2", "seed"}},
  };
  for (const Case& c : cases) {
    const std::string what = load_error(c.name, c.text);
    for (const std::string& part : c.expected) {
      EXPECT_NE(what.find(part), std::string::npos)
          << c.name << ": '" << part << "' not in: " << what;
    }
  }
}

}  // namespace
}  // namespace dffeval
