// Suites that name a mesh object set by path: the set loads from a folder the
// test writes (catalog instances exported as STL pieces), its objects give
// the trials of their categories' tasks and nothing else, records name the
// object, and bad mesh-set entries are input errors naming file and key.

#include "eval/harness/suite_object_set.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "common/input_error.h"
#include "eval/harness/demonstration.h"
#include "eval/harness/grasp_method.h"
#include "eval/harness/suite.h"
#include "eval/harness/trial_runner.h"
#include "eval/methods/builtin_methods.h"
#include "sim/mesh_object_set.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

/// A folder with the mug_wrap demonstration's own mug and two cans exported
/// as mesh objects, and a suite file beside it naming the folder
/// relatively.
struct MeshSuite {
  fs::path dir;
  fs::path suite_file;
};

MeshSuite write_mesh_suite(const std::string& label, const std::string& suite_tail) {
  MeshSuite m;
  m.dir = fixtures::fresh_temp_dir("suite_object_set_" + label);
  export_mesh_object(load_demonstration("mug_wrap").source_object(), m.dir / "meshes" / "a_mug");
  export_mesh_object(make_object_instance("can", InstanceSet::kNovel, 1),
                     m.dir / "meshes" / "b_can");
  export_mesh_object(make_object_instance("can", InstanceSet::kNovel, 2),
                     m.dir / "meshes" / "c_can");
  m.suite_file = m.dir / "suites" / "mesh.yaml";
  fs::create_directories(m.suite_file.parent_path());
  std::ofstream(m.suite_file) << "name: mesh\nseed: 4\n" << suite_tail;
  return m;
}

std::string load_error(const MeshSuite& m) {
  try {
    expand_trials(load_suite(m.suite_file.string()));
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

TEST(SuiteObjectSet, AMeshSetGivesTrialsToItsCategoriesTasksOnly) {
  const MeshSuite m =
      write_mesh_suite("expand",
                       "tasks: all\nobject_sets: [novel, {mesh_dir: ../meshes, name: exported}]\n"
                       "scene_sets: [clean]\ntrials: 3\ninstances: [0, 2]\n");
  const SuiteSpec s = load_suite(m.suite_file.string());
  ASSERT_EQ(s.object_sets.size(), 2u);
  const SuiteObjectSet& mesh = s.object_sets[1];
  EXPECT_TRUE(mesh.is_mesh());
  EXPECT_EQ(mesh.name, "exported");
  EXPECT_EQ(mesh.mesh_dir, (m.dir / "meshes").lexically_normal());
  EXPECT_EQ(mesh.mesh_count("mug"), 1);
  EXPECT_EQ(mesh.mesh_count("can"), 2);
  EXPECT_EQ(mesh.mesh_count("bowl"), 0);
  EXPECT_EQ(s.object_sets[0].mesh_count("bowl"), -1);

  std::map<std::string, int> mesh_trials_per_task;
  for (const Trial& t : expand_trials(s)) {
    if (t.object_set != "exported") continue;
    ++mesh_trials_per_task[t.task];
    EXPECT_EQ(t.id.find(t.task + "/exported/clean/"), 0u) << t.id;
    const ObjectInstance obj = trial_object(s, t);
    EXPECT_EQ(obj.category, t.category) << t.id;
    // Trials cycle through the category's objects in folder-name order.
    const std::string expected_name =
        t.category == "mug" ? "a_mug" : (t.k % 2 == 0 ? "b_can" : "c_can");
    EXPECT_EQ(obj.mesh_name, expected_name) << t.id;
  }
  const std::map<std::string, int> expected = {
      {"can_top", 3}, {"can_wrap", 3}, {"mug_top", 3}, {"mug_wrap", 3}};
  EXPECT_EQ(mesh_trials_per_task, expected);

  const nlohmann::json j = s.to_json()["object_sets"];
  EXPECT_EQ(j[0], "novel");
  EXPECT_EQ(j[1]["name"], "exported");
  EXPECT_EQ(j[1]["objects"].size(), 3u);
  EXPECT_EQ(j[1]["objects"][0]["name"], "a_mug");
}

TEST(SuiteObjectSet, AMeshSetWithoutTheTasksCategoryHasNoTrials) {
  const MeshSuite m = write_mesh_suite("no_category",
                                       "tasks: [bowl_rim]\nobject_sets: [{mesh_dir: ../meshes}]\n"
                                       "scene_sets: [clean]\ntrials: 1\n");
  const std::string what = load_error(m);
  EXPECT_NE(what.find("mesh.yaml"), std::string::npos) << what;
  EXPECT_NE(what.find("no task of the suite has an object"), std::string::npos) << what;
}

TEST(SuiteObjectSet, BadMeshSetEntriesNameTheFileAndKey) {
  struct Case {
    std::string label, object_sets, tail;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"missing",
       "[{mesh_dir: ../nowhere}]",
       "",
       {"mesh.yaml", "mesh_dir", "nowhere", "not found"}},
      {"reserved", "[{mesh_dir: ../meshes, name: novel}]", "", {"mesh.yaml", "name", "novel"}},
      {"slash", "[{mesh_dir: ../meshes, name: a/b}]", "", {"mesh.yaml", "name", "'/'"}},
      {"twice",
       "[{mesh_dir: ../meshes}, {mesh_dir: ../meshes}]",
       "",
       {"mesh.yaml", "object_sets[1]", "named twice"}},
      {"key", "[{mesh_dir: ../meshes, scale: 2}]", "", {"mesh.yaml", "scale", "unknown key"}},
      {"no_dir", "[{name: x}]", "", {"mesh.yaml", "mesh_dir", "missing"}},
      {"unknown_set", "[unseen]", "", {"mesh.yaml", "object_sets[0]", "unseen", "mesh_dir"}},
      {"instances",
       "[{mesh_dir: ../meshes}]",
       "instances: [0, 1]\n",
       {"mesh.yaml", "instances", "catalog sets"}},
  };
  for (const Case& c : cases) {
    const MeshSuite m =
        write_mesh_suite(c.label, "tasks: [can_top]\nobject_sets: " + c.object_sets +
                                      "\nscene_sets: [clean]\ntrials: 1\n" + c.tail);
    const std::string what = load_error(m);
    for (const std::string& part : c.expected) {
      EXPECT_NE(what.find(part), std::string::npos)
          << c.label << ": '" << part << "' not in " << what;
    }
  }
  // A bad object in the set names its own object.yaml.
  const MeshSuite m = write_mesh_suite(
      "bad_object",
      "tasks: [can_top]\nobject_sets: [{mesh_dir: ../meshes}]\nscene_sets: [clean]\ntrials: 1\n");
  std::ofstream(m.dir / "meshes" / "b_can" / "object.yaml", std::ios::app) << "colour: red\n";
  const std::string what = load_error(m);
  EXPECT_NE(what.find("b_can/object.yaml"), std::string::npos) << what;
  EXPECT_NE(what.find("colour"), std::string::npos) << what;
}

TEST(SuiteObjectSet, ATrialOnAMeshObjectNamesItAndTheOracleLiftsIt) {
  register_builtin_methods();
  const MeshSuite m =
      write_mesh_suite("run",
                       "tasks: [mug_wrap]\nobject_sets: [{mesh_dir: ../meshes, name: exported}]\n"
                       "scene_sets: [clean]\ntrials: 1\n");
  const SuiteSpec s = load_suite(m.suite_file.string());
  const std::vector<Trial> trials = expand_trials(s);
  ASSERT_EQ(trials.size(), 1u);
  TrialRunner runner(s, find_method("oracle-pose"));
  const TrialResult r = runner.run(trials[0]);
  EXPECT_EQ(r.record["object_set"], "exported");
  EXPECT_EQ(r.record["object"], "a_mug");
  // The demonstration's own mug, as meshes: its grasp moved by the true
  // pose lifts it with the demonstrated contacts.
  EXPECT_TRUE(r.success) << r.record["execution"].dump();
  EXPECT_TRUE(r.transfer) << r.record["fidelity"].dump();
}

}  // namespace
}  // namespace dffeval
