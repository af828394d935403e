// `dffeval list`: suites, tasks, methods, scene sets and object categories.

#include <fmt/format.h>

#include "eval/cli/verbs.h"
#include "eval/harness/demonstration.h"
#include "eval/harness/grasp_method.h"
#include "eval/harness/suite.h"
#include "sim/object_catalog.h"
#include "sim/scene_set.h"

namespace dffeval {
namespace {

int list_everything() {
  fmt::print("suites:\n");
  for (const auto& s : list_suites()) {
    std::string desc;
    try {
      desc = load_suite(s).description;
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
  return 0;
}

}  // namespace

Verb add_list_verb(CLI::App& app) {
  return {
      app.add_subcommand("list", "show suites, tasks, methods, scene sets and object categories"),
      [] { return list_everything(); }};
}

}  // namespace dffeval
