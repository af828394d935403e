#include "common/pose_json.h"

#include <vector>

namespace dffeval {

nlohmann::json pose_to_json(const Eigen::Isometry3d& X) {
  const Eigen::Quaterniond q(X.rotation());
  const Eigen::Vector3d p = X.translation();
  return {{"pos", {p.x(), p.y(), p.z()}}, {"quat_wxyz", {q.w(), q.x(), q.y(), q.z()}}};
}

Eigen::Isometry3d pose_from_json(const nlohmann::json& j) {
  const auto p = j.at("pos").get<std::vector<double>>();
  const auto q = j.at("quat_wxyz").get<std::vector<double>>();
  Eigen::Isometry3d X = Eigen::Isometry3d::Identity();
  X.translation() = Eigen::Vector3d(p.at(0), p.at(1), p.at(2));
  X.linear() =
      Eigen::Quaterniond(q.at(0), q.at(1), q.at(2), q.at(3)).normalized().toRotationMatrix();
  return X;
}

}  // namespace dffeval
