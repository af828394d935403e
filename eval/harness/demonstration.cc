#include "eval/harness/demonstration.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fstream>

#include "common/input_error.h"
#include "common/project_paths.h"
#include "common/strict_yaml.h"

namespace dffeval {

Grasp Demonstration::grasp_in_world(const Eigen::Isometry3d& X_WObj) const {
  Grasp g;
  g.X_WPalm = X_WObj * X_ObjPalm;
  g.joints_rad = joints_rad;
  return g;
}

std::vector<std::string> list_tasks() { return list_yaml_names("assets/demos"); }

Demonstration load_demonstration(const std::string& task_or_path) {
  std::filesystem::path file = task_or_path;
  if (file.extension() != ".yaml") {
    file = project_root() / "assets" / "demos" / (task_or_path + ".yaml");
    if (!std::filesystem::exists(file)) {
      throw InputError(fmt::format("unknown task '{}' (known: {})", task_or_path,
                                   fmt::join(list_tasks(), ", ")));
    }
  }
  const StrictYaml y = StrictYaml::load_file(file);
  Demonstration d;
  d.file = file;
  d.task = y.get<std::string>("task");
  d.category = y.get<std::string>("category");
  const auto& cats = object_categories();
  if (std::find(cats.begin(), cats.end(), d.category) == cats.end()) {
    y.fail("category",
           fmt::format("unknown category '{}' (known: {})", d.category, fmt::join(cats, ", ")));
  }
  d.description = y.get<std::string>("description");
  const StrictYaml src = y.child("source");
  d.source_set = instance_set_from_string(src.get<std::string>("set"));
  d.source_index = src.get<int>("index");
  src.reject_unknown_keys();
  const StrictYaml pose = y.child("palm_in_object");
  const auto p = pose.get<std::vector<double>>("pos");
  const auto q = pose.get<std::vector<double>>("quat_wxyz");
  if (p.size() != 3) pose.fail("pos", "expected 3 numbers (metres)");
  if (q.size() != 4) pose.fail("quat_wxyz", "expected 4 numbers (w, x, y, z)");
  pose.reject_unknown_keys();
  d.X_ObjPalm.setIdentity();
  d.X_ObjPalm.translation() = Eigen::Vector3d(p[0], p[1], p[2]);
  d.X_ObjPalm.linear() = Eigen::Quaterniond(q[0], q[1], q[2], q[3]).normalized().toRotationMatrix();
  const StrictYaml joints = y.child("joints_rad");
  const auto& names = hand_joint_names();
  for (int i = 0; i < kNumHandJoints; ++i) d.joints_rad[i] = joints.get<double>(names[i]);
  joints.reject_unknown_keys();
  y.reject_unknown_keys();
  return d;
}

void save_demonstration(const Demonstration& d, const std::filesystem::path& file) {
  YAML::Emitter out;
  out.SetDoublePrecision(6);
  out << YAML::BeginMap;
  out << YAML::Key << "task" << YAML::Value << d.task;
  out << YAML::Key << "category" << YAML::Value << d.category;
  out << YAML::Key << "description" << YAML::Value << d.description;
  out << YAML::Key << "source" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "set"
      << YAML::Value << to_string(d.source_set) << YAML::Key << "index" << YAML::Value
      << d.source_index << YAML::EndMap;
  const Eigen::Vector3d p = d.X_ObjPalm.translation();
  const Eigen::Quaterniond q(d.X_ObjPalm.rotation());
  out << YAML::Key << "palm_in_object" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "pos" << YAML::Value << YAML::Flow
      << std::vector<double>{p.x(), p.y(), p.z()};
  out << YAML::Key << "quat_wxyz" << YAML::Value << YAML::Flow
      << std::vector<double>{q.w(), q.x(), q.y(), q.z()};
  out << YAML::EndMap;
  out << YAML::Key << "joints_rad" << YAML::Value << YAML::BeginMap;
  for (int i = 0; i < kNumHandJoints; ++i) {
    out << YAML::Key << hand_joint_names()[i] << YAML::Value << d.joints_rad[i];
  }
  out << YAML::EndMap << YAML::EndMap;
  std::ofstream f(file);
  f << "# One-shot demonstration; palm pose in the source object's canonical frame\n"
       "# (metres), finger joints in radians. Authored and verified with\n"
       "# `dffeval demo`.\n"
    << out.c_str() << "\n";
}

}  // namespace dffeval
