#pragma once
// Poses in result and capture files: {"pos": [x, y, z] (metres),
// "quat_wxyz": [w, x, y, z]}. One definition for every layer.

#include <Eigen/Geometry>
#include <nlohmann/json.hpp>

namespace dffeval {

nlohmann::json pose_to_json(const Eigen::Isometry3d& X);
/// Throws nlohmann::json::exception if a key is missing or malformed.
Eigen::Isometry3d pose_from_json(const nlohmann::json& j);

}  // namespace dffeval
