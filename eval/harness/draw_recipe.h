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

#include "sim/drawn_scene.h"
#include "sim/object_catalog.h"

namespace dffeval {

struct DrawRecipe {
  std::string scene_set = "clean";
  std::string category = "mug";
  InstanceSet set = InstanceSet::kSeen;
  int index = 0;
  std::uint64_t seed = 0;
  /// Target object pose in the world; unset: drawn from the seed.
  std::optional<Eigen::Isometry3d> fixed_target_pose;
};

/// A recipe from its parts; `set` is "seen" or "novel" (InputError otherwise).
DrawRecipe make_draw_recipe(std::string scene_set, std::string category, const std::string& set,
                            int index, std::uint64_t seed);

nlohmann::json recipe_to_json(const DrawRecipe& recipe);
/// Throws InputError naming `origin` and the key for a malformed recipe.
DrawRecipe recipe_from_json(const nlohmann::json& j, const std::string& origin);
/// Draws the scene (deterministic).
DrawnScene realize_scene(const DrawRecipe& recipe);

}  // namespace dffeval
