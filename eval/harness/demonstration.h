#pragma once
// One-shot demonstrations (assets/demos/TASK.yaml): a Shadow-hand grasp on a
// source object instance, in that object's canonical frame.

#include <Eigen/Geometry>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/object_catalog.h"
#include "types/grasp.h"

namespace dffeval {

struct Demonstration {
  /// Task name, e.g. "mug_wrap".
  std::string task;
  std::string category;
  /// One line for people, e.g. "mug: wrap the body, thumb opposite".
  std::string description;
  /// The source object instance.
  InstanceSet source_set = InstanceSet::kSeen;
  int source_index = 0;
  /// Palm pose in the source object's canonical frame (X_ObjPalm), metres.
  Eigen::Isometry3d X_ObjPalm = Eigen::Isometry3d::Identity();
  /// Finger joints, radians (hand_joint_names() order).
  std::array<double, kNumHandJoints> joints_rad{};
  std::filesystem::path file;

  ObjectInstance source_object() const {
    return make_object_instance(category, source_set, source_index);
  }
  /// The demonstrated grasp with the source object at X_WObj.
  Grasp grasp_in_world(const Eigen::Isometry3d& X_WObj) const;
};

/// Loads assets/demos/TASK.yaml (or a path). Throws InputError for an
/// unknown task (listing the known ones), a bad key or a joint outside its
/// range.
Demonstration load_demonstration(const std::string& task_or_path);
void save_demonstration(const Demonstration& demo, const std::filesystem::path& file);
/// Task names in assets/demos/.
std::vector<std::string> list_tasks();
/// The tasks on rigid categories: what a suite's `tasks: all` means. Tasks
/// on deformable objects (soft_ball_top) are named explicitly, so adding one
/// changed no suite that says `all`.
std::vector<std::string> rigid_tasks();

}  // namespace dffeval
