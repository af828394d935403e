// Plain-C++ forward kinematics, the optimizer's posing of the hand: rot6d_matrix is the 6D
// column convention, and the body poses agree with MuJoCo's mj_kinematics and with the
// LibTorch reference on the Shadow hand and on a made-up hand with anchors, reference angles
// and tilted axes, for random palm poses and joints (outside the limits too).

#include "hand/forward_kinematics.h"

#include <gtest/gtest.h>
#include <mujoco/mujoco.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "common/seeded_rng.h"
#include "tests/fixtures/hand_models.h"

namespace dffeval {
namespace {

double max_abs(const Eigen::MatrixXd& a) { return a.cwiseAbs().maxCoeff(); }

/// A standalone mjModel / mjData of the hand's MJCF: the reference kinematics.
class MujocoHand {
 public:
  explicit MujocoHand(const std::string& path) {
    char err[1000] = "";
    m_.reset(mj_loadXML(path.c_str(), nullptr, err, sizeof(err)));
    if (!m_) throw std::runtime_error(path + ": " + err);
    d_.reset(mj_makeData(m_.get()));
  }
  /// mj_kinematics with the palm's free joint at (p, quat wxyz) and the
  /// finger joints (Grasp order) at `joints`.
  void kinematics(const Eigen::Vector3d& p, const mjtNum quat[4], const double* joints) {
    const int free_adr = m_->jnt_qposadr[mj_name2id(m_.get(), mjOBJ_JOINT, "palm_free")];
    for (int i = 0; i < 3; ++i) d_->qpos[free_adr + i] = p[i];
    for (int i = 0; i < 4; ++i) d_->qpos[free_adr + 3 + i] = quat[i];
    for (int k = 0; k < kNumHandJoints; ++k) {
      const int j = mj_name2id(m_.get(), mjOBJ_JOINT, hand_joint_names()[k].c_str());
      d_->qpos[m_->jnt_qposadr[j]] = joints[k];
    }
    mj_kinematics(m_.get(), d_.get());
  }
  Eigen::Vector3d xpos(const std::string& body) const {
    return Eigen::Vector3d(d_->xpos + 3 * id(body));
  }
  Eigen::Matrix3d xmat(const std::string& body) const {
    return Eigen::Map<const Eigen::Matrix<double, 3, 3, Eigen::RowMajor>>(d_->xmat + 9 * id(body));
  }

 private:
  int id(const std::string& body) const { return mj_name2id(m_.get(), mjOBJ_BODY, body.c_str()); }
  struct ModelDeleter {
    void operator()(mjModel* m) const { mj_deleteModel(m); }
  };
  struct DataDeleter {
    void operator()(mjData* d) const { mj_deleteData(d); }
  };
  std::unique_ptr<mjModel, ModelDeleter> m_;
  std::unique_ptr<mjData, DataDeleter> d_;
};

/// Joints within the limits widened by 0.3 rad: forward kinematics must not clamp.
std::array<double, kNumHandJoints> random_joints(const HandModel& hand, SeededRng& rng) {
  std::array<double, kNumHandJoints> q{};
  for (int k = 0; k < kNumHandJoints; ++k)
    q[k] = rng.uniform(hand.joint_lower()[k] - 0.3, hand.joint_upper()[k] + 0.3);
  return q;
}

/// A random grasp: palm within 0.5 m of the origin, any orientation.
Grasp random_grasp(const HandModel& hand, SeededRng& rng) {
  Grasp g;
  Eigen::Quaterniond q(rng.normal(), rng.normal(), rng.normal(), rng.normal());
  g.X_WPalm.linear() = q.normalized().toRotationMatrix();
  g.X_WPalm.translation() =
      Eigen::Vector3d(rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5));
  g.joints_rad = random_joints(hand, rng);
  return g;
}

TEST(Rot6dMatrix, ColumnsConvention) {
  const double identity[6] = {1, 0, 0, 0, 1, 0};
  EXPECT_TRUE(rot6d_matrix(identity) == Eigen::Matrix3d::Identity());
  // (a1, a2) are the first two COLUMNS: a1 = +y, a2 = -x is 90 degrees about +z.
  const double rz90[6] = {0, 1, 0, -1, 0, 0};
  const Eigen::Matrix3d R = rot6d_matrix(rz90);
  EXPECT_LT(max_abs(R - Eigen::AngleAxisd(M_PI / 2, Eigen::Vector3d::UnitZ()).matrix()), 1e-15)
      << R;
  EXPECT_EQ(R(1, 0), 1.0);
  EXPECT_EQ(R(0, 1), -1.0);
}

TEST(Rot6dMatrix, GramSchmidtOfAnyNonParallelPair) {
  SeededRng rng(3);
  for (int n = 0; n < 200; ++n) {
    double r6[6];
    for (double& x : r6) x = rng.normal();
    const Eigen::Matrix3d R = rot6d_matrix(r6);
    const Eigen::Vector3d a1(r6[0], r6[1], r6[2]), a2(r6[3], r6[4], r6[5]);
    // Orthonormal and right-handed.
    EXPECT_LT(max_abs(R.transpose() * R - Eigen::Matrix3d::Identity()), 1e-14);
    EXPECT_NEAR(R.determinant(), 1.0, 1e-14);
    // b1 = a1 / |a1|; b2 in span(a1, a2) on a2's side of a1.
    EXPECT_LT((R.col(0) - a1.normalized()).norm(), 1e-15);
    EXPECT_NEAR(R.col(1).dot(a1.cross(a2)), 0.0, 1e-14);
    EXPECT_GT(R.col(1).dot(a2), 0.0);
    // A rotation's own first two columns give it back.
    double cols[6];
    for (int i = 0; i < 3; ++i) {
      cols[i] = R(i, 0);
      cols[3 + i] = R(i, 1);
    }
    EXPECT_LT(max_abs(rot6d_matrix(cols) - R), 1e-15);
    // Scaling a1 and adding multiples of a1 to a2 change nothing.
    double scaled[6];
    for (int i = 0; i < 3; ++i) {
      scaled[i] = 3.5 * r6[i];
      scaled[3 + i] = 0.25 * r6[3 + i] - 2.0 * r6[i];
    }
    EXPECT_LT(max_abs(rot6d_matrix(scaled) - R), 1e-13);
  }
}

TEST(Rot6dMatrix, DegenerateInputsStayFinite) {
  const double zero[6] = {0, 0, 0, 0, 0, 0};
  const double parallel[6] = {1, 2, 3, 2, 4, 6};
  EXPECT_TRUE(rot6d_matrix(zero).allFinite());
  EXPECT_TRUE(rot6d_matrix(parallel).allFinite());
  // With a2 parallel to a1 the first column is still a1's direction.
  EXPECT_LT((rot6d_matrix(parallel).col(0) - Eigen::Vector3d(1, 2, 3).normalized()).norm(), 1e-15);
}

/// Largest position and rotation-entry differences between forward_kinematics
/// and mj_kinematics over random palm poses and joints.
void expect_matches_mujoco(const HandModel& hand, std::uint64_t seed) {
  MujocoHand mj(hand.mjcf_path());
  SeededRng rng(seed);
  double worst_p = 0, worst_R = 0;
  for (int n = 0; n < 20; ++n) {
    mjtNum quat[4] = {rng.normal(), rng.normal(), rng.normal(), rng.normal()};
    mju_normalize4(quat);
    mjtNum m[9];
    mju_quat2Mat(m, quat);
    const Eigen::Matrix3d R_WPalm = Eigen::Map<Eigen::Matrix<double, 3, 3, Eigen::RowMajor>>(m);
    const Eigen::Vector3d p_WPalm(rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5),
                                  rng.uniform(-0.5, 0.5));
    const auto joints = random_joints(hand, rng);
    const HandBodyPoses poses = forward_kinematics(hand, R_WPalm, p_WPalm, joints.data());
    ASSERT_EQ(poses.R.size(), static_cast<std::size_t>(hand.num_bodies()));
    ASSERT_EQ(poses.p.size(), static_cast<std::size_t>(hand.num_bodies()));
    mj.kinematics(p_WPalm, quat, joints.data());
    for (int i = 0; i < hand.num_bodies(); ++i) {
      const std::string& body = hand.body_names()[i];
      worst_p = std::max(worst_p, (poses.p[i] - mj.xpos(body)).cwiseAbs().maxCoeff());
      worst_R = std::max(worst_R, max_abs(poses.R[i] - mj.xmat(body)));
    }
  }
  EXPECT_LT(worst_p, 1e-12) << hand.mjcf_path() << ": position error, metres";
  EXPECT_LT(worst_R, 1e-12) << hand.mjcf_path() << ": rotation entry error";
}

TEST(ForwardKinematics, MatchesMujocoOnTheShadowHand) {
  expect_matches_mujoco(fixtures::shadow_hand_model(), 11);
}

TEST(ForwardKinematics, MatchesMujocoOnTheSyntheticHand) {
  // Hinge anchors off the body origin, reference angles, tilted axes, a
  // jointless body: what the Shadow MJCF does not exercise.
  expect_matches_mujoco(fixtures::synthetic_hand_model(), 12);
}

/// Largest difference between forward_kinematics and the LibTorch reference
/// (float64) for a batch of random grasps.
void expect_matches_reference(const HandKinematics& kin, std::uint64_t seed) {
  const HandModel& hand = kin.model();
  SeededRng rng(seed);
  std::vector<Grasp> grasps;
  for (int b = 0; b < 8; ++b) grasps.push_back(random_grasp(hand, rng));
  const HandKinematics::Poses ref = kin.forward(grasps_to_hand_params(grasps));
  const at::Tensor R = ref.R.contiguous(), p = ref.p.contiguous();
  const double* R_data = R.data_ptr<double>();
  const double* p_data = p.data_ptr<double>();
  const int nb = hand.num_bodies();
  ASSERT_EQ(R.numel(), 8 * nb * 9);
  double worst = 0;
  for (int b = 0; b < 8; ++b) {
    const HandBodyPoses poses = forward_kinematics(hand, grasps[b]);
    for (int i = 0; i < nb; ++i) {
      const Eigen::Map<const Eigen::Matrix<double, 3, 3, Eigen::RowMajor>> R_ref(R_data +
                                                                                 9 * (b * nb + i));
      const Eigen::Map<const Eigen::Vector3d> p_ref(p_data + 3 * (b * nb + i));
      worst = std::max({worst, max_abs(poses.R[i] - R_ref), max_abs(poses.p[i] - p_ref)});
    }
  }
  EXPECT_LT(worst, 1e-12) << hand.mjcf_path();
}

TEST(ForwardKinematics, MatchesTheLibTorchReference) {
  expect_matches_reference(fixtures::shadow_hand(), 21);
  expect_matches_reference(fixtures::synthetic_hand(), 22);
}

TEST(ForwardKinematics, GraspOverloadEqualsTheMatrixOverload) {
  SeededRng rng(31);
  for (const HandModel* hand :
       {&fixtures::shadow_hand_model(), &fixtures::synthetic_hand_model()}) {
    const Grasp g = random_grasp(*hand, rng);
    const HandBodyPoses a = forward_kinematics(*hand, g);
    const HandBodyPoses b = forward_kinematics(*hand, g.X_WPalm.rotation(), g.X_WPalm.translation(),
                                               g.joints_rad.data());
    ASSERT_EQ(a.R.size(), b.R.size());
    for (std::size_t i = 0; i < a.R.size(); ++i) {
      EXPECT_TRUE(a.R[i] == b.R[i]) << hand->body_names()[i];
      EXPECT_TRUE(a.p[i] == b.p[i]) << hand->body_names()[i];
    }
  }
}

TEST(ForwardKinematics, PalmPoseReferenceAnglesAndNoClamping) {
  const HandModel& hand = fixtures::shadow_hand_model();
  SeededRng rng(41);
  Grasp g = random_grasp(hand, rng);
  g.joints_rad.fill(0.0);
  const HandBodyPoses zero = forward_kinematics(hand, g);
  // The palm is the grasp's pose; the first knuckle sits where the MJCF puts it.
  EXPECT_TRUE(zero.R[0] == g.X_WPalm.linear());
  EXPECT_TRUE(zero.p[0] == g.X_WPalm.translation());
  const int ff = hand.body_index("ffknuckle");
  EXPECT_LT((zero.p[ff] - g.X_WPalm * Eigen::Vector3d(0.033, 0, 0.095)).norm(), 1e-15);
  // Flexion (positive FFJ3) curls the finger towards the palmar side, -y of the palm.
  Grasp flexed = g;
  flexed.X_WPalm = Eigen::Isometry3d::Identity();
  flexed.joints_rad[1] = 1.0;  // FFJ3
  EXPECT_LT(forward_kinematics(hand, flexed).p[hand.body_index("ffmiddle")].y(), -0.03);
  // Past the upper limit the finger keeps turning: the limits are not applied.
  Grasp at_limit = flexed, past = flexed;
  at_limit.joints_rad[1] = hand.joint_upper()[1];
  past.joints_rad[1] = hand.joint_upper()[1] + 0.5;
  const int tip = hand.body_index("ffdistal");
  EXPECT_GT(
      (forward_kinematics(hand, past).p[tip] - forward_kinematics(hand, at_limit).p[tip]).norm(),
      0.01);
  // On the synthetic hand, joints at their reference angles (qpos0) put every
  // body at its MJCF placement in its parent.
  const HandModel& syn = fixtures::synthetic_hand_model();
  std::array<double, kNumHandJoints> ref{};
  for (int k = 0; k < kNumHandJoints; ++k) ref[k] = syn.body_joints()[syn.joint_body()[k]].qpos0;
  const HandBodyPoses at_ref =
      forward_kinematics(syn, g.X_WPalm.linear(), g.X_WPalm.translation(), ref.data());
  for (int i = 1; i < syn.num_bodies(); ++i) {
    const HandBodyJoint& bj = syn.body_joints()[i];
    const Eigen::Matrix3d R_PB = at_ref.R[bj.parent].transpose() * at_ref.R[i];
    const Eigen::Vector3d p_PB =
        at_ref.R[bj.parent].transpose() * (at_ref.p[i] - at_ref.p[bj.parent]);
    EXPECT_LT(max_abs(R_PB - bj.R_PB0), 1e-14) << syn.body_names()[i];
    EXPECT_LT((p_PB - bj.p_PB0).norm(), 1e-14) << syn.body_names()[i];
  }
}

}  // namespace
}  // namespace dffeval
