// Rebuilding a trial from its record: the scene drawn again equals the one
// recorded, the grasp is the one the method returned, a record drawn
// differently (another build, a changed seed) is refused naming the trial.

#include "eval/viz/trial_replay.h"

#include <gtest/gtest.h>

#include <string>

#include "common/input_error.h"
#include "tests/fixtures/oracle_trial.h"

namespace dffeval {
namespace {

const TrialResult& oracle_trial() { return fixtures::oracle_can_trial().result; }

TEST(TrialReplay, TheSceneDrawnAgainIsTheRecordedOne) {
  const nlohmann::json& rec = oracle_trial().record;
  const DrawnScene scene = redraw_scene(rec);
  EXPECT_EQ(scene.to_json(), rec.at("scene"));
  EXPECT_EQ(record_id(rec), "can_wrap/seen/clean/000");
}

TEST(TrialReplay, TheGraspIsTheRecordedOne) {
  const nlohmann::json& rec = oracle_trial().record;
  const Grasp g = grasp_from_record(rec.at("grasp"));
  const auto& t = rec["grasp"]["X_WPalm"]["pos"];
  EXPECT_NEAR(g.X_WPalm.translation().x(), t[0].get<double>(), 1e-12);
  EXPECT_NEAR(g.X_WPalm.translation().z(), t[2].get<double>(), 1e-12);
  EXPECT_DOUBLE_EQ(g.joints_rad[0],
                   rec["grasp"]["joints_rad"][hand_joint_names()[0]].get<double>());
  nlohmann::json broken = rec["grasp"];
  broken["joints_rad"].erase(hand_joint_names()[3]);
  EXPECT_THROW(grasp_from_record(broken), nlohmann::json::exception);
}

TEST(TrialReplay, ARecordDrawnDifferentlyIsRefusedNamingTheTrial) {
  nlohmann::json rec = oracle_trial().record;
  rec["scene"]["seed"] = rec["scene"]["seed"].get<std::uint64_t>() + 1;
  try {
    redraw_scene(rec);
    FAIL() << "a scene of another seed was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("trial can_wrap/seen/clean/000: its scene re-drawn"),
              std::string::npos)
        << e.what();
  }
  rec = oracle_trial().record;
  rec["scene"]["target"]["id"] = "can/seen/x";
  EXPECT_THROW(redraw_scene(rec), InputError);
}

TEST(TrialReplay, FileNamesReplaceSlashes) {
  EXPECT_EQ(trial_file_name({{"id", "mug_top/novel/clean/003"}}, ".mp4"),
            "mug_top_novel_clean_003.mp4");
  EXPECT_EQ(trial_file_name(nlohmann::json::object(), ".png"), "?.png");
}

}  // namespace
}  // namespace dffeval
