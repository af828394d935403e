// `dffeval list` names the shipped suites, tasks, methods and scene sets,
// and the mesh object sets of the suites it is given.

#include <gtest/gtest.h>

#include <fstream>

#include "sim/mesh_object_set.h"
#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

TEST(ListVerb, ShowsSuitesTasksAndMethods) {
  const auto r = fixtures::run_dffeval("list");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* s : {"smoke", "novel_objects", "mug_wrap", "oracle-pose", "heuristic",
                        "PRIVILEGED", "clutter"}) {
    EXPECT_NE(r.output.find(s), std::string::npos) << s;
  }
}

TEST(ListVerb, ShowsTheMeshSetsOfTheSuitesGiven) {
  const auto dir = fixtures::fresh_temp_dir("list_mesh_set");
  export_mesh_object(make_object_instance("bowl", InstanceSet::kSeen, 2), dir / "set" / "my_bowl");
  std::ofstream(dir / "meshy.yaml")
      << "name: meshy\ndescription: a bowl from meshes\nseed: 1\ntasks: all\n"
         "object_sets: [{mesh_dir: set, name: kitchen}]\nscene_sets: [clean]\ntrials: 1\n";
  const auto r = fixtures::run_dffeval("list " + (dir / "meshy.yaml").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* s : {"a bowl from meshes", "mesh object sets", "kitchen", "my_bowl"}) {
    EXPECT_NE(r.output.find(s), std::string::npos) << s << " in " << r.output;
  }
  EXPECT_NE(r.output.find((dir / "set").string()), std::string::npos) << r.output;
}

}  // namespace
}  // namespace dffeval
