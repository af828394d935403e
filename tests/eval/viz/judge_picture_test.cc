// The judge's picture of a real oracle-pose trial: the demonstration's own
// object (can_wrap, seen index 0) touched where the demo touched it, so
// every contact marker is green and sits at its projected contact point,
// and red once the demo is told it never used the thumb; a record whose
// scene this build draws differently is refused.

#include "eval/viz/judge_picture.h"

#include <gtest/gtest.h>
#include <stb/stb_image.h>

#include <filesystem>
#include <string>
#include <utility>

#include "common/input_error.h"
#include "eval/harness/trial_runner.h"
#include "eval/methods/builtin_methods.h"
#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/oracle_trial.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

// Layout fixed by judge_picture.cc: four 320 x 240 views drawn twice their
// size in rows of two with 8 px gaps, the contact lists below.
constexpr int kViewW = 2 * 320, kViewH = 2 * 240;
constexpr int kGridW = 2 * kViewW + 8, kGridH = 2 * kViewH + 8;

using fixtures::OracleTrial;

const OracleTrial& oracle_trial() { return fixtures::oracle_can_trial(); }

TEST(JudgePicture, OracleTrialOnTheDemosObjectHasOnlyGreenMarkers) {
  const OracleTrial& t = oracle_trial();
  const nlohmann::json& rec = t.result.record;
  ASSERT_EQ(rec["id"], "can_wrap/seen/clean/000");
  ASSERT_EQ(rec["scene"]["target"]["id"], "can/seen/0");
  ASSERT_TRUE(t.result.transfer) << rec.dump();
  RgbdRenderer renderer;
  const JudgePicture pic = make_judge_picture(rec, t.suite.execution, renderer);
  EXPECT_TRUE(pic.has_grasp);
  EXPECT_EQ(pic.replay_difference, "") << pic.execution.contacts_closed.to_json().dump();
  ASSERT_FALSE(pic.contacts.empty());
  EXPECT_GT(pic.green_markers, 0);
  EXPECT_EQ(pic.red_markers, 0);
  // Stopped after closing: the can is still on the table.
  EXPECT_NEAR(pic.execution.object_lift_m, 0.0, 0.01);
  EXPECT_LT(pic.execution.sim_time_s,
            t.suite.execution.approach_time_s + t.suite.execution.close_time_s * 4 / 3 + 0.01);
  EXPECT_EQ(pic.image.width, kGridW);
  EXPECT_GT(pic.image.height, kGridH);

  // At each contact's projection into cam0 the marker's green: a filled
  // marker when seen, a ring 5 px around when hidden.
  Observation obs;
  {
    const auto world = World::compose(draw_scene(load_scene_set("clean"),
                                                 make_object_instance("can", InstanceSet::kSeen, 0),
                                                 rec["seed"].get<std::uint64_t>()));
    const MjDataPtr d = world->make_settled_data();
    obs = renderer.render(*world, d.get()).observation;
  }
  int checked = 0;
  for (const ContactPoint& c : pic.contacts) {
    const CameraView& v = obs.views[0];
    const Eigen::Vector3d p_C = v.X_WC.inverse() * c.p_W;
    const Eigen::Vector3d x = v.K * (p_C / p_C.z());
    if (x.x() < 8 || x.y() < 50 || x.x() >= v.width - 8 || x.y() >= v.height - 8) continue;
    const int u = static_cast<int>(x.x() * 2), w = static_cast<int>(x.y() * 2);
    // Around it too: a ring's pixels, or another group's label may cover one.
    const std::pair<int, int> around[] = {{0, 0}, {5, 0}, {-5, 0}, {0, 5}, {0, -5}};
    bool green = false;
    for (const auto& [du, dv] : around) {
      const Eigen::Vector3f c = pic.image.at(u + du, w + dv);
      green = green || (c.y() > 0.7f && c.x() < 0.2f && c.z() < 0.2f);
    }
    EXPECT_TRUE(green) << "no marker at " << u << ", " << w;
    ++checked;
  }
  EXPECT_GT(checked, 0) << "no contact projects into cam0 below the legend";
}

TEST(JudgePicture, ContactsOfAGroupTheDemoDidNotUseAreRed) {
  nlohmann::json rec = oracle_trial().result.record;
  ASSERT_TRUE(rec["demo_contacts"]["groups"].contains("thumb")) << rec["demo_contacts"].dump();
  rec["demo_contacts"]["groups"].erase("thumb");
  RgbdRenderer renderer;
  const JudgePicture pic = make_judge_picture(rec, oracle_trial().suite.execution, renderer);
  int thumb = 0;
  for (const ContactPoint& c : pic.contacts) thumb += c.group == LinkGroup::kThumb;
  ASSERT_GT(thumb, 0);
  EXPECT_GT(pic.red_markers, 0);
  EXPECT_GT(pic.green_markers, 0);
  // Every contact projects into every view here: 4 markers each.
  EXPECT_EQ(pic.red_markers, 4 * thumb);
  EXPECT_EQ(pic.green_markers + pic.red_markers, 4 * static_cast<int>(pic.contacts.size()));
  // Each view also on its own (the report's gallery), with its own count.
  ASSERT_EQ(pic.marked_views.size(), 4u);
  ASSERT_EQ(pic.markers_per_view.size(), 4u);
  int per_view = 0;
  for (int n : pic.markers_per_view) per_view += n;
  EXPECT_EQ(per_view, pic.green_markers + pic.red_markers);
  EXPECT_EQ(pic.marked_views[0].width * 2, pic.image.width - 8);  // two views, an 8 px gap
}

TEST(JudgePicture, FileNameIsFailureModeAndIdWithoutSlashes) {
  const nlohmann::json rec = {{"id", "mug_top/novel/clean/003"}, {"failure_mode", "wrong_part"}};
  EXPECT_EQ(judge_picture_file_name(rec), "wrong_part_mug_top_novel_clean_003.png");
}

TEST(JudgePicture, ARecordDrawnDifferentlyIsRefused) {
  nlohmann::json rec = oracle_trial().result.record;
  rec["scene"]["light_diffuse"] = rec["scene"]["light_diffuse"].get<double>() + 0.01;
  RgbdRenderer renderer;
  try {
    make_judge_picture(rec, oracle_trial().suite.execution, renderer);
    FAIL() << "a changed scene was accepted";
  } catch (const InputError& e) {
    EXPECT_TRUE(fixtures::contains(e.what(), "another build")) << e.what();
    EXPECT_TRUE(fixtures::contains(e.what(), "can_wrap/seen/clean/000")) << e.what();
    EXPECT_TRUE(fixtures::contains(e.what(), "/light_diffuse")) << e.what();
  }
  rec = oracle_trial().result.record;
  rec.erase("scene");
  EXPECT_THROW(make_judge_picture(rec, oracle_trial().suite.execution, renderer), InputError);
}

TEST(JudgePicture, AMethodErrorTrialShowsTheSceneWithoutAHand) {
  nlohmann::json rec = oracle_trial().result.record;
  for (const char* key : {"grasp", "execution", "demo_contacts", "fidelity"}) rec.erase(key);
  rec["failure_mode"] = "method_error";
  rec["error"] = "deliberately broken";
  RgbdRenderer renderer;
  const JudgePicture pic = make_judge_picture(rec, oracle_trial().suite.execution, renderer);
  EXPECT_FALSE(pic.has_grasp);
  EXPECT_TRUE(pic.contacts.empty());
  EXPECT_EQ(pic.green_markers + pic.red_markers, 0);
  EXPECT_EQ(pic.image.width, kGridW);
}

TEST(JudgePicture, WritesAPngOfThePicturesSize) {
  RgbdRenderer renderer;
  const JudgePicture pic =
      make_judge_picture(oracle_trial().result.record, oracle_trial().suite.execution, renderer);
  const fs::path file = fixtures::fresh_temp_dir("judge_picture_png") / "p.png";
  write_png(file, pic.image);
  int w = 0, h = 0, channels = 0;
  ASSERT_TRUE(stbi_info(file.c_str(), &w, &h, &channels)) << file;
  EXPECT_EQ(w, pic.image.width);
  EXPECT_EQ(h, pic.image.height);
}

}  // namespace
}  // namespace dffeval
