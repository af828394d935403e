// `dffeval demo verify|author`: replay demonstrations, author new ones.

#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "common/project_paths.h"
#include "eval/cli/verbs.h"
#include "eval/harness/demo_authoring.h"
#include "eval/harness/demonstration.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

int verify_demos(const std::string& task) {
  int failed = 0;
  for (const auto& t : task == "all" ? list_tasks() : std::vector<std::string>{task}) {
    const Demonstration demo = load_demonstration(t);
    const ExecutionResult r = verify_demonstration(demo);
    fmt::print("{:<16} {:<8} lift {:.3f} m  penetration {:.1f} mm  contacts {}  ({})\n", t,
               r.success ? "success" : to_string(r.failure), r.object_lift_m,
               1000 * r.initial_penetration_m, r.hand_object_contacts_at_end, demo.description);
    failed += !r.success;
  }
  return failed ? 1 : 0;
}

struct AuthorArgs {
  std::string task, category, description, preset = "power";
  int index = 0;
  std::vector<double> pos, normal, fingers;
  std::string out;
};

int author_demo(const AuthorArgs& a) {
  Demonstration d;
  d.task = a.task;
  d.category = a.category;
  d.description = a.description;
  d.source_set = InstanceSet::kSeen;
  d.source_index = a.index;
  d.X_ObjPalm = palm_pose_from_axes(Eigen::Vector3d(a.pos[0], a.pos[1], a.pos[2]),
                                    Eigen::Vector3d(a.normal[0], a.normal[1], a.normal[2]),
                                    Eigen::Vector3d(a.fingers[0], a.fingers[1], a.fingers[2]));
  d.joints_rad = close_fingers_on_object(d, closure_preset(a.preset));
  const ExecutionResult r = verify_demonstration(d);
  fmt::print("{}: {} (lift {:.3f} m, penetration {:.1f} mm {}, contacts {})\n", a.task,
             r.success ? "success" : to_string(r.failure), r.object_lift_m,
             1000 * r.initial_penetration_m, r.initial_penetration_pair,
             r.hand_object_contacts_at_end);
  const fs::path out =
      a.out.empty() ? project_root() / "assets" / "demos" / (a.task + ".yaml") : fs::path(a.out);
  save_demonstration(d, out);
  fmt::print("wrote {}\n", out.string());
  return r.success ? 0 : 1;
}

}  // namespace

Verb add_demo_verb(CLI::App& app) {
  auto verify_task_ptr = std::make_shared<std::string>("all");
  auto author_ptr = std::make_shared<AuthorArgs>();
  std::string& verify_task = *verify_task_ptr;
  AuthorArgs& author = *author_ptr;
  auto* demo = app.add_subcommand("demo", "author and verify demonstrations");
  demo->require_subcommand(1);
  auto* verify = demo->add_subcommand("verify", "replay demonstrations on their source objects");
  verify->add_option("--task", verify_task, "task name or all")->capture_default_str();
  auto* auth = demo->add_subcommand(
      "author", "place the hand, close the fingers on the object, verify, save");
  auth->add_option("--task", author.task, "task name")->required();
  auth->add_option("--category", author.category, "object category")->required();
  auth->add_option("--description", author.description, "one line for people")->required();
  auth->add_option("--index", author.index, "seen instance index of the source object");
  auth->add_option("--pos", author.pos, "palm position in the object frame, metres")
      ->expected(3)
      ->required();
  auth->add_option("--normal", author.normal, "palmar normal (palm -y) in the object frame")
      ->expected(3)
      ->required();
  auth->add_option("--fingers", author.fingers, "finger direction (palm +z) in the object frame")
      ->expected(3)
      ->required();
  auth->add_option("--preset", author.preset, "closure: power | power_flat | pinch | tripod")
      ->capture_default_str();
  auth->add_option("--out", author.out, "file (default assets/demos/TASK.yaml)");

  return {demo,
          [=] { return *verify ? verify_demos(*verify_task_ptr) : author_demo(*author_ptr); }};
}

}  // namespace dffeval
