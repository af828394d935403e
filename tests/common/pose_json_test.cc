// Pose JSON ({"pos", "quat_wxyz"}): the layout result files rely on, exact round trips of
// poses through text, normalisation of hand-written quaternions, and errors for bad entries.

#include "common/pose_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/input_error.h"
#include "common/seeded_rng.h"

namespace dffeval {
namespace {

Eigen::Isometry3d random_pose(SeededRng& rng) {
  const Eigen::Vector3d axis =
      Eigen::Vector3d(rng.normal(), rng.normal(), rng.normal()).normalized();
  Eigen::Isometry3d X = Eigen::Isometry3d::Identity();
  X.linear() = Eigen::AngleAxisd(rng.uniform(-M_PI, M_PI), axis).toRotationMatrix();
  X.translation() = Eigen::Vector3d(rng.uniform(-2, 2), rng.uniform(-2, 2), rng.uniform(-2, 2));
  return X;
}

TEST(PoseJson, LayoutIsPositionThenQuaternionWFirst) {
  // 90 degrees about +z, at (1, 2, 3): quat_wxyz = (cos 45, 0, 0, sin 45).
  Eigen::Isometry3d X = Eigen::Isometry3d::Identity();
  X.linear() = Eigen::AngleAxisd(M_PI / 2, Eigen::Vector3d::UnitZ()).toRotationMatrix();
  X.translation() = Eigen::Vector3d(1.0, 2.0, 3.0);
  const nlohmann::json j = pose_to_json(X);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.size(), 2u) << j.dump();
  ASSERT_EQ(j.at("pos").size(), 3u);
  ASSERT_EQ(j.at("quat_wxyz").size(), 4u);
  EXPECT_EQ(j["pos"].get<std::vector<double>>(), (std::vector<double>{1.0, 2.0, 3.0}));
  const auto q = j["quat_wxyz"].get<std::vector<double>>();
  EXPECT_NEAR(q[0], std::sqrt(0.5), 1e-15);
  EXPECT_NEAR(q[1], 0.0, 1e-15);
  EXPECT_NEAR(q[2], 0.0, 1e-15);
  EXPECT_NEAR(q[3], std::sqrt(0.5), 1e-15);
}

TEST(PoseJson, RoundTripsThroughTextForRandomPoses) {
  SeededRng rng(17);
  for (int i = 0; i < 200; ++i) {
    const Eigen::Isometry3d X = random_pose(rng);
    // Through the serialised text, as a result file is written and read back.
    const nlohmann::json j = nlohmann::json::parse(pose_to_json(X).dump());
    const Eigen::Isometry3d back = pose_from_json(j);
    // Doubles survive the text exactly; the rotation passes through a quaternion.
    EXPECT_TRUE(back.translation() == X.translation()) << "pose " << i;
    EXPECT_LT((back.linear() - X.linear()).cwiseAbs().maxCoeff(), 1e-14) << "pose " << i;
    // A proper rotation, with the affine bottom row intact.
    EXPECT_NEAR(back.linear().determinant(), 1.0, 1e-14);
    EXPECT_TRUE(back.matrix().row(3) == Eigen::RowVector4d(0, 0, 0, 1));
  }
}

TEST(PoseJson, HandWrittenQuaternionsAreNormalised) {
  // A hand-edited file may carry an unnormalised quaternion: 90 degrees about
  // +x, scaled by 3, must still give an exact rotation.
  const nlohmann::json j = {{"pos", {0.5, -0.25, 0.0}},
                            {"quat_wxyz", {3 * std::sqrt(0.5), 3 * std::sqrt(0.5), 0.0, 0.0}}};
  const Eigen::Isometry3d X = pose_from_json(j);
  const Eigen::Matrix3d expected =
      Eigen::AngleAxisd(M_PI / 2, Eigen::Vector3d::UnitX()).toRotationMatrix();
  EXPECT_LT((X.linear() - expected).cwiseAbs().maxCoeff(), 1e-15);
  EXPECT_TRUE(X.translation() == Eigen::Vector3d(0.5, -0.25, 0.0));
  // Integer entries (e.g. "[1, 0, 0, 0]") are numbers too.
  const nlohmann::json ints =
      nlohmann::json::parse(R"({"pos": [1, 2, 3], "quat_wxyz": [2, 0, 0, 0]})");
  const Eigen::Isometry3d I = pose_from_json(ints);
  EXPECT_TRUE(I.linear() == Eigen::Matrix3d::Identity()) << I.linear();
  EXPECT_TRUE(I.translation() == Eigen::Vector3d(1, 2, 3));
}

TEST(PoseJson, MissingOrMistypedKeysThrow) {
  const nlohmann::json good = pose_to_json(Eigen::Isometry3d::Identity());
  nlohmann::json no_pos = good;
  no_pos.erase("pos");
  EXPECT_THROW(pose_from_json(no_pos), nlohmann::json::exception);
  nlohmann::json no_quat = good;
  no_quat.erase("quat_wxyz");
  EXPECT_THROW(pose_from_json(no_quat), nlohmann::json::exception);
  nlohmann::json text_pos = good;
  text_pos["pos"] = "here";
  EXPECT_THROW(pose_from_json(text_pos), nlohmann::json::exception);
  nlohmann::json text_entry = good;
  text_entry["quat_wxyz"][1] = "x";
  EXPECT_THROW(pose_from_json(text_entry), nlohmann::json::exception);
  EXPECT_THROW(pose_from_json(nlohmann::json::array({1, 2, 3})), nlohmann::json::exception);
}

std::string input_error_of(const nlohmann::json& j, const std::string& key) {
  try {
    pose_from_json(j, key);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(PoseJson, WrongLengthsNonFiniteNumbersAndZeroQuaternionsNameTheKey) {
  const nlohmann::json good = pose_to_json(Eigen::Isometry3d::Identity());
  nlohmann::json short_pos = good;
  short_pos["pos"] = {1.0, 2.0};
  EXPECT_EQ(input_error_of(short_pos, "X_WC"),
            "key 'X_WC.pos': expected 3 numbers [x, y, z], got 2");
  nlohmann::json short_quat = good;
  short_quat["quat_wxyz"] = {1.0, 0.0, 0.0};
  EXPECT_EQ(input_error_of(short_quat, "X_WC"),
            "key 'X_WC.quat_wxyz': expected 4 numbers [w, x, y, z], got 3");
  nlohmann::json nan_pos = good;
  nan_pos["pos"][1] = std::nan("");
  EXPECT_EQ(input_error_of(nan_pos, "X_WC"), "key 'X_WC.pos': numbers must be finite");
  nlohmann::json inf_quat = good;
  inf_quat["quat_wxyz"][0] = HUGE_VAL;
  EXPECT_EQ(input_error_of(inf_quat, "X_WC"), "key 'X_WC.quat_wxyz': numbers must be finite");
  nlohmann::json zero_quat = good;
  zero_quat["quat_wxyz"] = {0.0, 0.0, 0.0, 0.0};
  EXPECT_EQ(input_error_of(zero_quat, "X_WC"),
            "key 'X_WC.quat_wxyz': zero quaternion (no rotation)");
  EXPECT_EQ(input_error_of(good, "X_WC"), "");
}

}  // namespace
}  // namespace dffeval
