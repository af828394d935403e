#pragma once
// How to draw a rendered scene again: scene set, target instance, seed and an
// optional fixed target pose. `dffeval render` stores it in the capture's
// cameras.json so that a transfer onto that capture can be executed in the
// simulator (`dffeval transfer --execute`).

#include <Eigen/Geometry>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sim/object_catalog.h"
#include "sim/scene_instance.h"

namespace dffeval {

struct SceneRecipe {
  std::string scene_set = "clean";
  std::string category = "mug";
  InstanceSet set = InstanceSet::kSeen;
  int index = 0;
  std::uint64_t seed = 0;
  /// Target object pose in the world; unset: drawn from the seed.
  std::optional<Eigen::Isometry3d> fixed_target_pose;
};

nlohmann::json recipe_to_json(const SceneRecipe& recipe);
/// Throws InputError naming `origin` and the key for a malformed recipe.
SceneRecipe recipe_from_json(const nlohmann::json& j, const std::string& origin);
/// Draws the scene (deterministic).
SceneInstance realize_scene(const SceneRecipe& recipe);

}  // namespace dffeval
