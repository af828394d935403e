#pragma once
// Poses in result and capture files: {"pos": [x, y, z] (metres),
// "quat_wxyz": [w, x, y, z]}. One definition for every layer.

#include <Eigen/Geometry>
#include <nlohmann/json.hpp>
#include <string>

namespace dffeval {

nlohmann::json pose_to_json(const Eigen::Isometry3d& X);
/// Throws nlohmann::json::exception if a key is missing or not a list of
/// numbers, InputError (naming `key`, the pose's own key, in messages) for a
/// list of the wrong length, a non-finite number or a zero quaternion.
Eigen::Isometry3d pose_from_json(const nlohmann::json& j, const std::string& key = "pose");

}  // namespace dffeval
