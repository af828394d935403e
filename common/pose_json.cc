#include "common/pose_json.h"

#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "common/input_error.h"

namespace dffeval {

nlohmann::json pose_to_json(const Eigen::Isometry3d& X) {
  const Eigen::Quaterniond q(X.rotation());
  const Eigen::Vector3d p = X.translation();
  return {{"pos", {p.x(), p.y(), p.z()}}, {"quat_wxyz", {q.w(), q.x(), q.y(), q.z()}}};
}

namespace {
std::vector<double> read_numbers(const nlohmann::json& j, const std::string& key, const char* name,
                                 std::size_t n, const char* layout) {
  const auto v = j.at(name).get<std::vector<double>>();
  if (v.size() != n) {
    throw InputError(
        fmt::format("key '{}.{}': expected {} numbers {}, got {}", key, name, n, layout, v.size()));
  }
  for (double x : v) {
    if (!std::isfinite(x)) {
      throw InputError(fmt::format("key '{}.{}': numbers must be finite", key, name));
    }
  }
  return v;
}
}  // namespace

Eigen::Isometry3d pose_from_json(const nlohmann::json& j, const std::string& key) {
  const auto p = read_numbers(j, key, "pos", 3, "[x, y, z]");
  const auto q = read_numbers(j, key, "quat_wxyz", 4, "[w, x, y, z]");
  const Eigen::Quaterniond quat(q[0], q[1], q[2], q[3]);
  // normalized() of a (near) zero quaternion is NaN or noise, not a rotation.
  if (!(quat.norm() > 1e-6)) {
    throw InputError(fmt::format("key '{}.quat_wxyz': zero quaternion (no rotation)", key));
  }
  Eigen::Isometry3d X = Eigen::Isometry3d::Identity();
  X.translation() = Eigen::Vector3d(p[0], p[1], p[2]);
  X.linear() = quat.normalized().toRotationMatrix();
  return X;
}

}  // namespace dffeval
