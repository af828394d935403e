#include "eval/harness/demonstration.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "common/input_error.h"
#include "common/project_paths.h"
#include "common/strict_yaml.h"
#include "hand/hand_model.h"

namespace dffeval {

Grasp Demonstration::grasp_in_world(const Eigen::Isometry3d& X_WObj) const {
  Grasp g;
  g.X_WPalm = X_WObj * X_ObjPalm;
  g.joints_rad = joints_rad;
  return g;
}

namespace {

/// A demo's palm sits on its object: further than this from the object's
/// origin it is a typo (a value in millimetres, say).
constexpr double kMaxPalmOffsetM = 1.0;
/// Demos record the joints where MuJoCo's soft limits let the closing
/// fingers settle, which is past a limit by up to 0.07 rad in the shipped
/// ones (bowl_rim's LFJ5); a typo is far larger.
constexpr double kJointRangeSlackRad = 0.1;

/// A list of n finite numbers at `key` of `node`.
std::vector<double> finite_numbers(const StrictYaml& node, const std::string& key, std::size_t n,
                                   const std::string& layout) {
  const auto v = node.get<std::vector<double>>(key);
  if (v.size() != n) node.fail(key, fmt::format("expected {} numbers {}", n, layout));
  for (double x : v) {
    if (!std::isfinite(x)) node.fail(key, "numbers must be finite (no .nan or .inf)");
  }
  return v;
}

void read_palm_pose(const StrictYaml& pose, Demonstration* d) {
  const auto p = finite_numbers(pose, "pos", 3, "[x, y, z] (metres)");
  const auto q = finite_numbers(pose, "quat_wxyz", 4, "[w, x, y, z]");
  pose.reject_unknown_keys();
  if (Eigen::Vector3d(p[0], p[1], p[2]).norm() > kMaxPalmOffsetM) {
    pose.fail("pos", fmt::format("palm more than {} m from the object's origin", kMaxPalmOffsetM));
  }
  const Eigen::Quaterniond quat(q[0], q[1], q[2], q[3]);
  if (!(quat.norm() > 1e-6)) pose.fail("quat_wxyz", "zero quaternion (no rotation)");
  d->X_ObjPalm.setIdentity();
  d->X_ObjPalm.translation() = Eigen::Vector3d(p[0], p[1], p[2]);
  d->X_ObjPalm.linear() = quat.normalized().toRotationMatrix();
}

void read_joints(const StrictYaml& joints, Demonstration* d) {
  // The one hand description (assets/shadow_hand.xml) gives the ranges.
  static const HandModel hand = HandModel::load();
  const auto& names = hand_joint_names();
  for (int i = 0; i < kNumHandJoints; ++i) {
    const double q = joints.get<double>(names[i]);
    if (!std::isfinite(q)) joints.fail(names[i], "must be a finite angle (radians)");
    const double lo = hand.joint_lower()[i], hi = hand.joint_upper()[i];
    if (q < lo - kJointRangeSlackRad || q > hi + kJointRangeSlackRad) {
      joints.fail(names[i], fmt::format("{} rad is outside the joint's range [{}, {}]", q, lo, hi));
    }
    d->joints_rad[i] = q;
  }
  joints.reject_unknown_keys();
}

}  // namespace

std::vector<std::string> list_tasks() { return list_yaml_names("assets/demos"); }

std::vector<std::string> rigid_tasks() {
  std::vector<std::string> out;
  for (const std::string& task : list_tasks()) {
    const std::string category = load_demonstration(task).category;
    if (std::find(object_categories().begin(), object_categories().end(), category) !=
        object_categories().end())
      out.push_back(task);
  }
  return out;
}

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
  if (!is_known_category(d.category)) {
    y.fail("category",
           fmt::format("unknown category '{}' (known: {})", d.category, known_categories_text()));
  }
  d.description = y.get<std::string>("description");
  const StrictYaml src = y.child("source");
  d.source_set = instance_set_from_string(src.get<std::string>("set"));
  d.source_index = src.get<int>("index");
  if (d.source_index < 0 || d.source_index >= instances_per_set(d.source_set)) {
    src.fail("index", fmt::format("must be in [0, {}) (instances of the {} set)",
                                  instances_per_set(d.source_set), to_string(d.source_set)));
  }
  src.reject_unknown_keys();
  read_palm_pose(y.child("palm_in_object"), &d);
  read_joints(y.child("joints_rad"), &d);
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
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) {
    throw InputError(fmt::format("{}: cannot create the folder {}: {}", file.string(),
                                 file.parent_path().string(), ec.message()));
  }
  std::ofstream f(file);
  f << "# One-shot demonstration; palm pose in the source object's canonical frame\n"
       "# (metres), finger joints in radians. Authored and verified with\n"
       "# `dffeval demo`.\n"
    << out.c_str() << "\n";
  f.close();
  if (!f) throw InputError(fmt::format("{}: cannot write the demonstration", file.string()));
}

}  // namespace dffeval
