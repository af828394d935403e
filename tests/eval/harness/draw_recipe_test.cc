// Scene recipes: their JSON form (as stored in a capture's cameras.json), the
// errors for malformed ones, and that a recipe draws the same scene every time.

#include "eval/harness/draw_recipe.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "common/input_error.h"
#include "sim/drawn_scene.h"
#include "sim/scene_set.h"

namespace dffeval {
namespace {

Eigen::Isometry3d some_pose() {
  Eigen::Isometry3d X = Eigen::Isometry3d::Identity();
  X.translation() = Eigen::Vector3d(0.031, -0.017, 0.0);
  X.linear() = Eigen::AngleAxisd(0.7, Eigen::Vector3d::UnitZ()).toRotationMatrix();
  return X;
}

std::string error_of(const nlohmann::json& j, const std::string& origin) {
  try {
    recipe_from_json(j, origin);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

TEST(DrawRecipe, MakeFromPartsParsesTheSet) {
  const DrawRecipe r = make_draw_recipe("clutter", "bowl", "novel", 3, 42);
  EXPECT_EQ(r.scene_set, "clutter");
  EXPECT_EQ(r.category, "bowl");
  EXPECT_EQ(r.set, InstanceSet::kNovel);
  EXPECT_EQ(r.index, 3);
  EXPECT_EQ(r.seed, 42u);
  EXPECT_FALSE(r.fixed_target_pose.has_value());
  EXPECT_EQ(make_draw_recipe("clean", "mug", "seen", 0, 1).set, InstanceSet::kSeen);
}

TEST(DrawRecipe, MakeWithABadSetNamesItAndTheValidOnes) {
  try {
    make_draw_recipe("clean", "mug", "unseen", 0, 1);
    FAIL() << "no InputError for set 'unseen'";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("unseen"), std::string::npos) << what;
    EXPECT_NE(what.find("seen, novel"), std::string::npos) << what;
  }
}

TEST(DrawRecipe, JsonRoundTripWithoutAFixedPose) {
  // A seed above 2^63 must survive the text form (seeds are 64-bit hashes).
  const std::uint64_t seed = 0x9E3779B97F4A7C15ull;
  const DrawRecipe r = make_draw_recipe("shift", "basket", "novel", 7, seed);
  const nlohmann::json j = recipe_to_json(r);
  EXPECT_EQ(j["scene_set"], "shift");
  EXPECT_EQ(j["category"], "basket");
  EXPECT_EQ(j["set"], "novel");
  EXPECT_EQ(j["index"], 7);
  EXPECT_FALSE(j.contains("fixed_target_pose")) << j.dump();
  const DrawRecipe back = recipe_from_json(nlohmann::json::parse(j.dump()), "test");
  EXPECT_EQ(back.scene_set, r.scene_set);
  EXPECT_EQ(back.category, r.category);
  EXPECT_EQ(back.set, r.set);
  EXPECT_EQ(back.index, r.index);
  EXPECT_EQ(back.seed, seed);
  EXPECT_FALSE(back.fixed_target_pose.has_value());
}

TEST(DrawRecipe, JsonRoundTripKeepsTheFixedTargetPose) {
  DrawRecipe r = make_draw_recipe("clean", "mug", "seen", 2, 5);
  r.fixed_target_pose = some_pose();
  const nlohmann::json j = recipe_to_json(r);
  ASSERT_TRUE(j.contains("fixed_target_pose")) << j.dump();
  EXPECT_TRUE(j["fixed_target_pose"].contains("pos"));
  EXPECT_TRUE(j["fixed_target_pose"].contains("quat_wxyz"));
  const DrawRecipe back = recipe_from_json(nlohmann::json::parse(j.dump()), "test");
  ASSERT_TRUE(back.fixed_target_pose.has_value());
  EXPECT_TRUE(back.fixed_target_pose->isApprox(some_pose(), 1e-12))
      << back.fixed_target_pose->matrix();
  EXPECT_EQ(back.seed, 5u);
  EXPECT_EQ(back.index, 2);
}

TEST(DrawRecipe, MalformedRecipesNameTheOriginAndTheKey) {
  const nlohmann::json good = recipe_to_json(make_draw_recipe("clean", "mug", "seen", 0, 1));
  const std::string origin = "capture/cameras.json";

  nlohmann::json missing = good;
  missing.erase("seed");
  std::string what = error_of(missing, origin);
  EXPECT_NE(what.find(origin), std::string::npos) << what;
  EXPECT_NE(what.find("scene_recipe"), std::string::npos) << what;
  EXPECT_NE(what.find("seed"), std::string::npos) << what;

  nlohmann::json wrong_type = good;
  wrong_type["index"] = "three";
  what = error_of(wrong_type, origin);
  EXPECT_NE(what.find(origin), std::string::npos) << what;
  EXPECT_NE(what.find("scene_recipe"), std::string::npos) << what;

  nlohmann::json bad_pose = good;
  bad_pose["fixed_target_pose"] = {{"quat_wxyz", {1, 0, 0, 0}}};  // no "pos"
  what = error_of(bad_pose, origin);
  EXPECT_NE(what.find(origin), std::string::npos) << what;
  EXPECT_NE(what.find("pos"), std::string::npos) << what;

  // Not an object at all.
  what = error_of(nlohmann::json::array({1, 2}), origin);
  EXPECT_NE(what.find(origin), std::string::npos) << what;

  // An unknown instance set is an input error too, naming the bad value.
  nlohmann::json bad_set = good;
  bad_set["set"] = "unseen";
  what = error_of(bad_set, origin);
  EXPECT_NE(what.find("unseen"), std::string::npos) << what;
}

TEST(DrawRecipe, RealizeSceneIsDeterministicAndFollowsTheRecipe) {
  const DrawRecipe r = make_draw_recipe("clean", "can", "novel", 1, 77);
  const DrawnScene a = realize_scene(r);
  const DrawnScene b = realize_scene(r);
  EXPECT_EQ(a.to_json().dump(), b.to_json().dump());
  EXPECT_EQ(a.scene_set, "clean");
  EXPECT_EQ(a.seed, 77u);
  EXPECT_EQ(a.target.object.id(), "can/novel/1");
  // The same draw as the scene set's own, by hand.
  const DrawnScene direct =
      draw_scene(load_scene_set("clean"), make_object_instance("can", InstanceSet::kNovel, 1), 77);
  EXPECT_EQ(a.to_json().dump(), direct.to_json().dump());
  // Another seed moves the target (clean scenes draw its position and yaw).
  DrawRecipe other = r;
  other.seed = 78;
  const DrawnScene c = realize_scene(other);
  EXPECT_FALSE(c.target.X_WObj.isApprox(a.target.X_WObj, 1e-9));
}

TEST(DrawRecipe, RealizeSceneUsesTheFixedTargetPose) {
  // The shift set jitters the cameras per seed, so equal cameras below mean
  // the same seed was used, not a fixed rig.
  DrawRecipe r = make_draw_recipe("shift", "mug", "seen", 0, 3);
  const DrawnScene drawn = realize_scene(r);
  r.fixed_target_pose = some_pose();
  const DrawnScene fixed = realize_scene(r);
  EXPECT_TRUE(fixed.target.X_WObj.isApprox(some_pose(), 1e-12)) << fixed.target.X_WObj.matrix();
  EXPECT_FALSE(drawn.target.X_WObj.isApprox(some_pose(), 1e-6));
  // Only the target's pose is fixed: the rest of the scene is the seed's.
  ASSERT_EQ(fixed.cameras.size(), drawn.cameras.size());
  ASSERT_FALSE(fixed.cameras.empty());
  for (std::size_t i = 0; i < fixed.cameras.size(); ++i) {
    EXPECT_TRUE(fixed.cameras[i].X_WC.isApprox(drawn.cameras[i].X_WC, 1e-12)) << i;
  }
  EXPECT_EQ(fixed.table_rgb, drawn.table_rgb);
  r.seed = 4;
  const DrawnScene reseeded = realize_scene(r);
  EXPECT_TRUE(reseeded.target.X_WObj.isApprox(some_pose(), 1e-12));
  EXPECT_FALSE(reseeded.cameras[0].X_WC.isApprox(fixed.cameras[0].X_WC, 1e-9));
}

}  // namespace
}  // namespace dffeval
