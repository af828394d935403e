// `dffeval list [SUITE.yaml ...]`: suites, tasks, methods, scene sets,
// object categories and the mesh object sets the suites name (the shipped
// ones and those given).

#include <fmt/format.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eval/cli/verbs.h"
#include "eval/harness/demonstration.h"
#include "eval/harness/grasp_method.h"
#include "eval/harness/suite.h"
#include "sim/object_catalog.h"
#include "sim/scene_set.h"

namespace dffeval {
namespace {

int list_everything(const std::vector<std::string>& extra_suites) {
  fmt::print("suites:\n");
  std::vector<std::string> suites = list_suites();
  suites.insert(suites.end(), extra_suites.begin(), extra_suites.end());
  std::vector<std::pair<std::string, SuiteObjectSet>> mesh_sets;
  for (const auto& s : suites) {
    std::string desc;
    try {
      const SuiteSpec suite = load_suite(s);
      desc = suite.description;
      for (const auto& set : suite.object_sets)
        if (set.is_mesh()) mesh_sets.emplace_back(s, set);
    } catch (const std::exception& e) {
      desc = std::string("(invalid: ") + e.what() + ")";
    }
    fmt::print("  {:<16} {}\n", s, desc);
  }
  fmt::print("tasks:\n");
  for (const auto& t : list_tasks()) {
    const Demonstration d = load_demonstration(t);
    fmt::print("  {:<16} {:<8} {}\n", t, d.category, d.description);
  }
  fmt::print("methods:\n");
  for (const auto* m : list_methods()) fmt::print("  {:<16} {}\n", m->name, m->description);
  fmt::print("scene sets:\n");
  for (const auto& s : list_scene_sets())
    fmt::print("  {:<16} {}\n", s, load_scene_set(s).description);
  fmt::print("object categories (seen / novel instances each):\n");
  for (const auto& c : object_categories())
    fmt::print("  {:<16} {} / {}\n", c, instances_per_set(InstanceSet::kSeen),
               instances_per_set(InstanceSet::kNovel));
  for (const auto& c : deformable_categories())
    fmt::print("  {:<16} {} / {} (deformable: named by tasks, not in `tasks: all`)\n", c,
               instances_per_set(InstanceSet::kSeen), instances_per_set(InstanceSet::kNovel));
  fmt::print("mesh object sets (named by the suites above; sim/mesh_object_set.h):\n");
  if (mesh_sets.empty()) fmt::print("  (none)\n");
  for (const auto& [suite, set] : mesh_sets) {
    fmt::print("  {:<16} {} (suite {})\n", set.name, set.mesh_dir.string(), suite);
    for (const auto& obj : set.meshes) fmt::print("    {:<14} {}\n", obj.mesh_name, obj.category);
  }
  return 0;
}

}  // namespace

Verb add_list_verb(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "list", "show suites, tasks, methods, scene sets, object categories and mesh object sets");
  auto suites = std::make_shared<std::vector<std::string>>();
  cmd->add_option("suites", *suites, "further suite files to show (and their mesh object sets)");
  return {cmd, [suites] { return list_everything(*suites); }};
}

}  // namespace dffeval
