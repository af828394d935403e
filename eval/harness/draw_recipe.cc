#include "eval/harness/draw_recipe.h"

#include "common/input_error.h"
#include "common/pose_json.h"
#include "sim/scene_set.h"

namespace dffeval {

nlohmann::json recipe_to_json(const DrawRecipe& r) {
  nlohmann::json j = {{"scene_set", r.scene_set},
                      {"category", r.category},
                      {"set", to_string(r.set)},
                      {"index", r.index},
                      {"seed", r.seed}};
  if (r.fixed_target_pose) j["fixed_target_pose"] = pose_to_json(*r.fixed_target_pose);
  return j;
}

DrawRecipe recipe_from_json(const nlohmann::json& j, const std::string& origin) {
  DrawRecipe r;
  try {
    r.scene_set = j.at("scene_set").get<std::string>();
    r.category = j.at("category").get<std::string>();
    r.set = instance_set_from_string(j.at("set").get<std::string>());
    r.index = j.at("index").get<int>();
    r.seed = j.at("seed").get<std::uint64_t>();
    if (j.contains("fixed_target_pose"))
      r.fixed_target_pose = pose_from_json(j["fixed_target_pose"]);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(origin + ": key 'scene_recipe': " + e.what());
  }
  return r;
}

DrawnScene realize_scene(const DrawRecipe& r) {
  const ObjectInstance object = make_object_instance(r.category, r.set, r.index);
  return draw_scene(load_scene_set(r.scene_set), object, r.seed,
                    r.fixed_target_pose ? &*r.fixed_target_pose : nullptr);
}

DrawRecipe make_draw_recipe(std::string scene_set, std::string category, const std::string& set,
                            int index, std::uint64_t seed) {
  DrawRecipe r;
  r.scene_set = std::move(scene_set);
  r.category = std::move(category);
  r.set = instance_set_from_string(set);
  r.index = index;
  r.seed = seed;
  return r;
}

}  // namespace dffeval
