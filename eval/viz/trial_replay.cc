#include "eval/viz/trial_replay.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "common/input_error.h"
#include "common/pose_json.h"
#include "sim/mesh_object_set.h"
#include "sim/object_catalog.h"
#include "sim/scene_set.h"

namespace dffeval {

std::string record_id(const nlohmann::json& record) {
  return record.is_object() ? record.value("id", std::string("?")) : std::string("?");
}

/// The record's scene drawn again; throws InputError when it is not the one
/// the run drew.
DrawnScene redraw_scene(const nlohmann::json& record) {
  const nlohmann::json& scene_j = record.at("scene");
  const std::string target_id = scene_j.at("target").at("id").get<std::string>();
  // "{category}/{set}/{index}" or "{category}/mesh/{name}" (ObjectInstance::id).
  const auto a = target_id.find('/'), b = target_id.rfind('/');
  const std::string index = b == std::string::npos ? "" : target_id.substr(b + 1);
  // A mesh object's id ends in its name ("{category}/mesh/{name}").
  const bool mesh = a != std::string::npos && target_id.compare(a, 6, "/mesh/") == 0;
  if (a == std::string::npos || a == b || index.empty() ||
      (!mesh && index.find_first_not_of("0123456789") != std::string::npos)) {
    throw InputError(fmt::format("trial {}: bad target id '{}' (category/set/index expected)",
                                 record_id(record), target_id));
  }
  const std::string set_part = target_id.substr(a + 1, b - a - 1);
  const ObjectInstance object =
      set_part == "mesh"
          ? load_mesh_object(scene_j.at("target").at("params").at("mesh_object").get<std::string>())
          : make_object_instance(target_id.substr(0, a), instance_set_from_string(set_part),
                                 std::stoi(index));
  // The name the trial loaded (it may be a path); the scene keeps the set's name.
  const std::string set = record.value("scene_set", scene_j.at("scene_set").get<std::string>());
  DrawnScene scene =
      draw_scene(load_scene_set(set), object, scene_j.at("seed").get<std::uint64_t>());
  const nlohmann::json redrawn = scene.to_json();
  if (redrawn != scene_j) {
    const nlohmann::json patch = nlohmann::json::diff(scene_j, redrawn);
    throw InputError(fmt::format(
        "trial {}: its scene re-drawn from scene set '{}', object {} and seed {} differs from "
        "the recorded one (first at {}): the run was made with another build",
        record_id(record), set, target_id, scene.seed,
        patch.empty() ? std::string("?") : patch[0].value("path", std::string("?"))));
  }
  return scene;
}

Grasp grasp_from_record(const nlohmann::json& g) {
  Grasp grasp;
  grasp.X_WPalm = pose_from_json(g.at("X_WPalm"));
  for (int i = 0; i < kNumHandJoints; ++i)
    grasp.joints_rad[i] = g.at("joints_rad").at(hand_joint_names()[i]).get<double>();
  return grasp;
}

std::string trial_file_name(const nlohmann::json& record, const std::string& extension) {
  std::string name = record_id(record);
  std::replace(name.begin(), name.end(), '/', '_');
  return name + extension;
}

}  // namespace dffeval
