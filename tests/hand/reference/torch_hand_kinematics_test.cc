// The differentiable hand kinematics agrees with MuJoCo's mj_kinematics on the
// same MJCF, its gradients agree with finite differences, and the collision
// terms (penetration depth, self-penetration) have the values and gradient
// directions that the geometry says.

#include "tests/hand/reference/torch_hand_kinematics.h"

#include <gtest/gtest.h>
#include <mujoco/mujoco.h>
#include <torch/torch.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <tuple>

#include "common/project_paths.h"
#include "tests/fixtures/hand_models.h"

namespace dffeval {
namespace {

using fixtures::synthetic_hand;
using Poses = HandKinematics::Poses;

const HandKinematics& hand() { return fixtures::shadow_hand(); }

/// Random hand parameters (float64): palm within 0.5 m, any orientation
/// (rot6d not normalized, to exercise Gram-Schmidt), joints within their
/// limits widened by 0.2 rad (forward must not clamp).
HandParams random_params(const HandKinematics& kin, int B, std::uint64_t seed) {
  torch::manual_seed(seed);
  const auto opt = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor lo = kin.joint_lower() - 0.2, hi = kin.joint_upper() + 0.2;
  return {torch::rand({B, 3}, opt) - 0.5, torch::randn({B, 6}, opt),
          lo + (hi - lo) * torch::rand({B, kNumHandJoints}, opt)};
}

HandParams random_params(int B, std::uint64_t seed) { return random_params(hand(), B, seed); }

HandParams zero_pose(int B) {
  const auto opt = torch::TensorOptions().dtype(torch::kFloat64);
  return {torch::zeros({B, 3}, opt),
          torch::tensor({1.0, 0.0, 0.0, 0.0, 1.0, 0.0}, opt).repeat({B, 1}),
          torch::zeros({B, kNumHandJoints}, opt)};
}

/// A standalone mjModel of the same file, for reference kinematics.
class MujocoHand {
 public:
  explicit MujocoHand(const std::string& path) {
    char err[1000] = "";
    m_ = mj_loadXML(path.c_str(), nullptr, err, sizeof(err));
    if (!m_) throw std::runtime_error(err);
    d_ = mj_makeData(m_);
  }
  ~MujocoHand() {
    mj_deleteData(d_);
    mj_deleteModel(m_);
  }
  /// Runs mj_kinematics for palm pose (quat wxyz, t) and joints (Grasp order).
  void kinematics(const double* t, const double* quat, const double* joints) {
    const int free_adr = m_->jnt_qposadr[mj_name2id(m_, mjOBJ_JOINT, "palm_free")];
    for (int i = 0; i < 3; ++i) d_->qpos[free_adr + i] = t[i];
    for (int i = 0; i < 4; ++i) d_->qpos[free_adr + 3 + i] = quat[i];
    for (int k = 0; k < kNumHandJoints; ++k) {
      const int j = mj_name2id(m_, mjOBJ_JOINT, hand_joint_names()[k].c_str());
      d_->qpos[m_->jnt_qposadr[j]] = joints[k];
    }
    mj_kinematics(m_, d_);
  }
  const mjModel* m() const { return m_; }
  const mjData* d() const { return d_; }

 private:
  mjModel* m_ = nullptr;
  mjData* d_ = nullptr;
};

/// Largest |autograd - central difference| over every input entry of
/// f(wrist_pos, rot6d, joints) -> scalar, float64.
double max_gradient_error(const HandParams& at_params,
                          const std::function<torch::Tensor(const HandParams&)>& f,
                          double step = 1e-6) {
  HandParams p{at_params.wrist_pos.clone().requires_grad_(true),
               at_params.rot6d.clone().requires_grad_(true),
               at_params.joints.clone().requires_grad_(true)};
  f(p).backward();
  double worst = 0;
  torch::NoGradGuard no_grad;
  for (torch::Tensor* x : {&p.wrist_pos, &p.rot6d, &p.joints}) {
    const torch::Tensor grad = x->grad().clone();
    torch::Tensor flat = x->view({-1});
    for (int64_t i = 0; i < flat.numel(); ++i) {
      const double x0 = flat[i].item<double>();
      flat[i] = x0 + step;
      const double fp = f(p).item<double>();
      flat[i] = x0 - step;
      const double fm = f(p).item<double>();
      flat[i] = x0;
      const double fd = (fp - fm) / (2 * step);
      worst = std::max(worst, std::abs(fd - grad.view({-1})[i].item<double>()));
    }
  }
  return worst;
}

TEST(Rot6d, ColumnsConventionAndRoundTrip) {
  torch::manual_seed(3);
  const torch::Tensor r6 = torch::randn({64, 6}, torch::kFloat64);
  const torch::Tensor R = rot6d_to_matrix(r6);
  ASSERT_EQ(R.sizes(), (std::vector<int64_t>{64, 3, 3}));
  // Orthonormal, right-handed.
  const torch::Tensor I = torch::eye(3, torch::kFloat64).expand({64, 3, 3});
  EXPECT_LT((torch::matmul(R.transpose(1, 2), R) - I).abs().max().item<double>(), 1e-12);
  EXPECT_LT((torch::linalg_det(R) - 1).abs().max().item<double>(), 1e-12);
  // The first column is a1 normalized; the second lies in span(a1, a2).
  const torch::Tensor a1 = r6.narrow(1, 0, 3);
  EXPECT_LT((R.select(2, 0) - a1 / a1.norm(2, 1, true)).abs().max().item<double>(), 1e-12);
  const torch::Tensor n12 = torch::linalg_cross(a1, r6.narrow(1, 3, 3), 1);
  EXPECT_LT((R.select(2, 1) * n12).sum(1).abs().max().item<double>(), 1e-12);
  // Round trip both ways (a rotation's 6D form is its own first two columns).
  EXPECT_LT((rot6d_to_matrix(matrix_to_rot6d(R)) - R).abs().max().item<double>(), 1e-12);
  const torch::Tensor r6n = matrix_to_rot6d(R);
  EXPECT_EQ((r6n.narrow(1, 0, 3) - R.select(2, 0)).abs().max().item<double>(), 0.0);
  // Leading batch dimensions pass through.
  EXPECT_EQ(rot6d_to_matrix(torch::randn({2, 5, 6})).sizes(), (std::vector<int64_t>{2, 5, 3, 3}));
}

TEST(HandKinematics, ReadsTheModel) {
  const HandKinematics& kin = hand();
  EXPECT_EQ(kin.num_bodies(), 23);  // palm + 4 x 4 finger links + lf metacarpal + 5 thumb links
  EXPECT_EQ(kin.body_names()[0], "palm");
  EXPECT_EQ(kin.body_parent()[0], -1);
  EXPECT_EQ(kin.body_parent()[kin.body_index("ffdistal")], kin.body_index("ffmiddle"));
  EXPECT_EQ(kin.chain_names(), (std::vector<std::string>{"ffknuckle", "mfknuckle", "rfknuckle",
                                                         "lfmetacarpal", "thbase"}));
  EXPECT_EQ(kin.body_chain()[kin.body_index("thdistal")], 4);
  EXPECT_EQ(kin.joint_body()[0], kin.body_index("ffknuckle"));
  EXPECT_THROW(kin.body_index("palm_target"), std::out_of_range);
  // Limits in Grasp order, straight from the MJCF.
  EXPECT_DOUBLE_EQ(kin.joint_lower()[21].item<double>(), -1.571);  // THJ1
  EXPECT_DOUBLE_EQ(kin.joint_upper()[12].item<double>(), 0.785);   // LFJ5
  EXPECT_DOUBLE_EQ(kin.joint_lower()[0].item<double>(), -0.349);   // FFJ4
  // Every colliding geom of a hand body, all named hand_*.
  MujocoHand mj(kin.mjcf_path());
  int colliding = 0;
  for (int g = 0; g < mj.m()->ngeom; ++g) {
    const std::string body = mj_id2name(mj.m(), mjOBJ_BODY, mj.m()->geom_bodyid[g]);
    colliding += body != "world" && body != "palm_target" &&
                 (mj.m()->geom_contype[g] != 0 || mj.m()->geom_conaffinity[g] != 0);
  }
  EXPECT_EQ(static_cast<int>(kin.geoms().size()), colliding);
  for (const HandGeom& g : kin.geoms()) EXPECT_EQ(g.name.rfind("hand_", 0), 0u) << g.name;
}

TEST(HandKinematics, LoadFailureNamesTheFile) {
  try {
    HandKinematics::load("/nonexistent/hand_model.xml");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/hand_model.xml"), std::string::npos)
        << e.what();
  }
}

void expect_matches_mujoco(const HandKinematics& kin, torch::ScalarType dtype, double tol) {
  MujocoHand mj(kin.mjcf_path());
  constexpr int B = 16;
  const HandParams p = random_params(kin, B, 11);
  // Palm orientation from a random unit quaternion, handed to both.
  const torch::Tensor quat = torch::randn({B, 4}, torch::kFloat64);
  torch::Tensor R0 = torch::empty({B, 3, 3}, torch::kFloat64);
  for (int b = 0; b < B; ++b) {
    mjtNum q[4], m[9];
    for (int i = 0; i < 4; ++i) q[i] = quat[b][i].item<double>();
    mju_normalize4(q);
    mju_quat2Mat(m, q);
    R0[b] = torch::from_blob(m, {3, 3}, torch::kFloat64).clone();
  }
  const Poses poses =
      kin.forward(p.wrist_pos.to(dtype), matrix_to_rot6d(R0).to(dtype), p.joints.to(dtype));
  ASSERT_EQ(poses.R.sizes(), (std::vector<int64_t>{B, kin.num_bodies(), 3, 3}));
  ASSERT_EQ(poses.p.sizes(), (std::vector<int64_t>{B, kin.num_bodies(), 3}));
  ASSERT_EQ(poses.R.scalar_type(), dtype);
  const torch::Tensor R = poses.R.to(torch::kFloat64), pos = poses.p.to(torch::kFloat64);
  double worst_p = 0, worst_R = 0;
  for (int b = 0; b < B; ++b) {
    mjtNum q[4];
    for (int i = 0; i < 4; ++i) q[i] = quat[b][i].item<double>();
    const torch::Tensor t = p.wrist_pos[b].contiguous(), j = p.joints[b].contiguous();
    mj.kinematics(t.data_ptr<double>(), q, j.data_ptr<double>());
    for (int i = 0; i < kin.num_bodies(); ++i) {
      const int mb = mj_name2id(mj.m(), mjOBJ_BODY, kin.body_names()[i].c_str());
      ASSERT_GE(mb, 0);
      for (int r = 0; r < 3; ++r) {
        worst_p =
            std::max(worst_p, std::abs(pos[b][i][r].item<double>() - mj.d()->xpos[3 * mb + r]));
        for (int c = 0; c < 3; ++c) {
          worst_R = std::max(
              worst_R, std::abs(R[b][i][r][c].item<double>() - mj.d()->xmat[9 * mb + 3 * r + c]));
        }
      }
    }
  }
  EXPECT_LT(worst_p, tol) << "position error, metres";
  EXPECT_LT(worst_R, tol) << "rotation matrix entry error";
}

TEST(HandKinematics, MatchesMujocoFloat64) {
  expect_matches_mujoco(hand(), torch::kFloat64, 1e-10);
}
TEST(HandKinematics, MatchesMujocoFloat32) { expect_matches_mujoco(hand(), torch::kFloat32, 1e-5); }
TEST(HandKinematics, MatchesMujocoOnTheSyntheticHand) {
  // Anchors, reference angles, tilted axes, a jointless body, a gathered level.
  EXPECT_EQ(synthetic_hand().num_bodies(), 24);
  expect_matches_mujoco(synthetic_hand(), torch::kFloat64, 1e-10);
  expect_matches_mujoco(synthetic_hand(), torch::kFloat32, 1e-5);
}

TEST(HandKinematics, ZeroJointsPutThePalmAtTheWristPose) {
  const HandKinematics& kin = hand();
  HandParams p = random_params(4, 5);
  p.joints.zero_();
  const Poses poses = kin.forward(p);
  EXPECT_LT((poses.p.select(1, 0) - p.wrist_pos).abs().max().item<double>(), 1e-15);
  EXPECT_LT((poses.R.select(1, 0) - rot6d_to_matrix(p.rot6d)).abs().max().item<double>(), 1e-15);
  // The first finger's knuckle sits where the MJCF says, in the palm frame.
  const torch::Tensor p_PK =
      torch::matmul(poses.R.select(1, 0).transpose(1, 2),
                    (poses.p.select(1, kin.body_index("ffknuckle")) - p.wrist_pos).unsqueeze(-1))
          .squeeze(-1);
  const torch::Tensor expected = torch::tensor({0.033, 0.0, 0.095}, torch::kFloat64);
  EXPECT_LT((p_PK - expected).abs().max().item<double>(), 1e-12);
}

TEST(HandKinematics, FlexionCurlsFingersTowardsThePalmarSide) {
  // Palm frame: -y is the grasping side; positive J3 flexes towards it.
  const HandKinematics& kin = hand();
  HandParams p = zero_pose(1);
  p.joints[0][1] = 1.0;  // FFJ3
  const Poses poses = kin.forward(p);
  EXPECT_LT(poses.p[0][kin.body_index("ffmiddle")][1].item<double>(), -0.03);
}

TEST(HandKinematics, GradientsMatchFiniteDifferences) {
  for (const HandKinematics* kin : {&hand(), &synthetic_hand()}) {
    const HandParams p = random_params(*kin, 2, 21);
    const int nb = kin->num_bodies();
    const torch::Tensor wR = torch::randn({2, nb, 3, 3}, torch::kFloat64);
    const torch::Tensor wp = torch::randn({2, nb, 3}, torch::kFloat64);
    const double err = max_gradient_error(p, [&](const HandParams& x) {
      const Poses poses = kin->forward(x);
      return (poses.R * wR).sum() + (poses.p * wp).sum();
    });
    EXPECT_LT(err, 1e-7) << kin->mjcf_path();
  }
}

TEST(HandKinematics, GraspsRoundTripThroughParams) {
  Grasp g;
  g.X_WPalm.linear() = Eigen::AngleAxisd(0.7, Eigen::Vector3d(1, 2, 3).normalized()).matrix();
  g.X_WPalm.translation() = Eigen::Vector3d(0.1, -0.2, 0.3);
  for (int j = 0; j < kNumHandJoints; ++j) g.joints_rad[j] = 0.01 * j;
  const HandParams p = grasps_to_hand_params({g, g}, torch::kFloat32);
  EXPECT_EQ(p.joints.scalar_type(), torch::kFloat32);
  EXPECT_EQ(p.joints.sizes(), (std::vector<int64_t>{2, kNumHandJoints}));
  const std::vector<Grasp> back = hand_params_to_grasps(p);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_TRUE(back[1].X_WPalm.isApprox(g.X_WPalm, 1e-6));
  EXPECT_NEAR(back[1].joints_rad[21], 0.21, 1e-6);
  // Forward of the grasp puts the palm at X_WPalm.
  const Poses poses = hand().forward(grasps_to_hand_params({g}));
  EXPECT_NEAR(poses.p[0][0][2].item<double>(), 0.3, 1e-12);
  EXPECT_NEAR(poses.R[0][0][1][0].item<double>(), g.X_WPalm.linear()(1, 0), 1e-12);
}

TEST(HandKinematics, RejectsBadShapesAndMixedDtypes) {
  const HandParams p = zero_pose(2);
  EXPECT_THROW(hand().forward(p.wrist_pos, p.rot6d, p.joints.narrow(1, 0, 20)),
               std::invalid_argument);
  EXPECT_THROW(hand().forward(p.wrist_pos, p.rot6d.to(torch::kFloat32), p.joints),
               std::invalid_argument);
}

// ---- penetration depth ----

/// World centre and frame of a geom for batch entry 0.
std::pair<torch::Tensor, torch::Tensor> geom_world(const Poses& poses, const HandGeom& g) {
  const torch::Tensor R_WB = poses.R[0][g.body], p_WB = poses.p[0][g.body];
  const torch::Tensor R_BG = torch::from_blob(const_cast<double*>(g.R_BG.data()), {3, 3},
                                              torch::kFloat64)
                                 .t();  // Eigen is column-major
  const torch::Tensor p_BG =
      torch::from_blob(const_cast<double*>(g.p_BG.data()), {3}, torch::kFloat64);
  return {p_WB + torch::matmul(R_WB, p_BG), torch::matmul(R_WB, R_BG)};
}

const HandGeom& geom_named(const std::string& name) {
  for (const HandGeom& g : hand().geoms())
    if (g.name == name) return g;
  throw std::runtime_error("no geom " + name);
}

TEST(HandPenetration, ZeroFarAwayAndPositiveOnACapsuleAxis) {
  const HandKinematics& kin = hand();
  HandParams p = random_params(3, 31);
  p.joints.zero_();
  const Poses poses = kin.forward(p);
  // Points 1 m from every palm: outside the hand.
  const torch::Tensor far = torch::randn({50, 3}, torch::kFloat64) * 0.01 + 2.0;
  const torch::Tensor d_far = hand_penetration_depth(kin, poses, far);
  EXPECT_EQ(d_far.sizes(), (std::vector<int64_t>{3, 50}));
  EXPECT_EQ(d_far.abs().max().item<double>(), 0.0);
  // The middle phalanx's capsule centre lies as deep as the capsule's radius.
  const HandGeom& mid = geom_named("hand_ffmiddle");
  const auto [centre, R_WG] = geom_world(poses, mid);
  const torch::Tensor d = hand_penetration_depth(kin, poses, centre.unsqueeze(0));
  EXPECT_NEAR(d[0][0].item<double>(), mid.size.x(), 1e-12);
  // The palm box's centre: the nearest face is the half thickness away.
  const HandGeom& palm = geom_named("hand_palm");
  const auto [pc, pR] = geom_world(poses, palm);
  EXPECT_NEAR(hand_penetration_depth(kin, poses, pc.unsqueeze(0))[0][0].item<double>(),
              palm.size.y(), 1e-12);
  // Float32 works too.
  const Poses poses32 = kin.forward(p.wrist_pos.to(torch::kFloat32), p.rot6d.to(torch::kFloat32),
                                    p.joints.to(torch::kFloat32));
  EXPECT_NEAR(hand_penetration_depth(kin, poses32, centre.unsqueeze(0).to(torch::kFloat32))[0][0]
                  .item<float>(),
              mid.size.x(), 1e-6);
}

/// Probe points in a geom's frame with their exact signed distance, worked
/// out by hand for each primitive type.
std::vector<std::pair<Eigen::Vector3d, double>> probes(const HandGeom& g) {
  const double a = 0.002, b = 0.003;  // small offsets, metres
  const Eigen::Vector3d& s = g.size;
  switch (g.type) {
    case HandGeomType::kSphere:
      return {{{0, 0, 0}, -s.x()}, {{0, 0, 2 * s.x()}, s.x()}, {{0.3 * s.x(), 0, 0}, -0.7 * s.x()}};
    case HandGeomType::kCapsule:
      return {{{0, 0, 0}, -s.x()},
              {{0, 0, s.y() + 2 * s.x()}, s.x()},              // beyond an end
              {{0, 1.5 * s.x(), 0.5 * s.y()}, 0.5 * s.x()},    // beside the side
              {{0.5 * s.x(), 0, -0.5 * s.y()}, -0.5 * s.x()},  // inside, off the axis
              {{0, 0, -s.y() - 0.5 * s.x()}, -0.5 * s.x()}};   // inside an end cap
    case HandGeomType::kCylinder:
      return {{{0, 0, 0}, -std::min(s.x(), s.y())},
              {{0, 0, s.y() + a}, a},                            // beyond a cap
              {{s.x() + a, 0, 0}, a},                            // beside the side
              {{0, -(s.x() + a), s.y() + b}, std::hypot(a, b)},  // beyond the rim
              {{0.4 * s.x(), 0, s.y() - 0.1 * std::min(s.x(), s.y())},
               -0.1 * std::min(s.x(), s.y())}};  // inside, near a cap
    case HandGeomType::kBox:
      return {{{0, 0, 0}, -s.minCoeff()},
              {{s.x() + a, 0, 0}, a},
              {{0, -(s.y() + a), s.z() + b}, std::hypot(a, b)},              // beyond an edge
              {s + Eigen::Vector3d(a, b, a), std::sqrt(2 * a * a + b * b)},  // a corner
              {{0, 0, s.z() - 0.1 * s.minCoeff()}, -0.1 * s.minCoeff()}};
  }
  return {};
}

TEST(HandPenetration, SignedDistanceOfEachPrimitiveType) {
  int seen[4] = {0, 0, 0, 0};
  for (const HandKinematics* kin : {&hand(), &synthetic_hand()}) {
    const Poses poses = kin->forward(random_params(*kin, 1, 41));
    for (std::size_t gi = 0; gi < kin->geoms().size(); ++gi) {
      const HandGeom& g = kin->geoms()[gi];
      ++seen[static_cast<int>(g.type)];
      const auto [c, R] = geom_world(poses, g);
      for (const auto& [q_G, expected] : probes(g)) {
        const torch::Tensor q = torch::tensor({q_G.x(), q_G.y(), q_G.z()}, torch::kFloat64);
        const torch::Tensor x = c + torch::matmul(R, q);
        const torch::Tensor sdf = hand_geom_signed_distance(*kin, poses, x.unsqueeze(0));
        ASSERT_EQ(sdf.sizes(),
                  (std::vector<int64_t>{1, static_cast<int64_t>(kin->geoms().size()), 1}));
        EXPECT_NEAR(sdf[0][gi][0].item<double>(), expected, 1e-12)
            << g.name << " at " << q_G.transpose();
      }
    }
  }
  for (int t = 0; t < 4; ++t) EXPECT_GT(seen[t], 0) << "no geom of type " << t;
}

TEST(HandPenetration, GradientPushesTheHandTowardsDeeperContact) {
  const HandKinematics& kin = hand();
  HandParams p = random_params(1, 51);
  p.joints.zero_();
  const HandGeom& mid = geom_named("hand_mfmiddle");
  torch::Tensor x, u;
  {
    const Poses poses = kin.forward(p);
    const auto [centre, R_WG] = geom_world(poses, mid);
    u = R_WG.select(1, 0);                // geom x axis in the world
    x = centre + 0.4 * mid.size.x() * u;  // 0.6 r deep
  }
  HandParams q{p.wrist_pos.clone().requires_grad_(true), p.rot6d.clone().requires_grad_(true),
               p.joints.clone().requires_grad_(true)};
  const torch::Tensor depth = hand_penetration_depth(kin, kin.forward(q), x.unsqueeze(0)).sum();
  EXPECT_NEAR(depth.item<double>(), 0.6 * mid.size.x(), 1e-12);
  depth.backward();
  // Moving the hand along u (towards the point) makes the point deeper, one
  // metre of depth per metre of motion.
  const torch::Tensor g = q.wrist_pos.grad()[0];
  EXPECT_LT((g - u).abs().max().item<double>(), 1e-9) << g;
  EXPECT_TRUE(torch::isfinite(q.joints.grad()).all().item<bool>());
}

TEST(HandPenetration, GradientsMatchFiniteDifferences) {
  const HandKinematics& kin = hand();
  const HandParams p = random_params(2, 61);
  // Points scattered around the first hand's bodies: many inside, many outside.
  const Poses poses = kin.forward(p);
  const torch::Tensor cloud =
      poses.p[0].repeat({8, 1}) + 0.012 * torch::randn({8 * kin.num_bodies(), 3}, torch::kFloat64);
  const torch::Tensor inside = (hand_penetration_depth(kin, poses, cloud) > 0).sum();
  EXPECT_GT(inside.item<int64_t>(), 20);
  const double err = max_gradient_error(p, [&](const HandParams& x) {
    return hand_penetration_depth(kin, kin.forward(x), cloud).sum();
  });
  EXPECT_LT(err, 1e-6);
}

TEST(HandPenetration, SparseDepthEqualsTheDenseSignedDistance) {
  for (const HandKinematics* kin : {&hand(), &synthetic_hand()}) {
    for (const torch::ScalarType dtype : {torch::kFloat64, torch::kFloat32}) {
      const HandParams p = random_params(*kin, 4, 91);
      const Poses poses =
          kin->forward(p.wrist_pos.to(dtype), p.rot6d.to(dtype), p.joints.to(dtype));
      // Points around every body of every hand, plus far ones.
      const torch::Tensor cloud =
          torch::cat({poses.p.reshape({-1, 3}).repeat({10, 1}) +
                          0.015 * torch::randn({10 * 4 * kin->num_bodies(), 3}, dtype),
                      torch::randn({100, 3}, dtype)});
      const torch::Tensor sparse = hand_penetration_depth(*kin, poses, cloud);
      const torch::Tensor dense = (-hand_signed_distance(*kin, poses, cloud)).clamp_min(0);
      ASSERT_EQ(sparse.scalar_type(), dtype);
      EXPECT_GT((sparse > 0).sum().item<int64_t>(), 100);
      EXPECT_LT((sparse - dense).abs().max().item<double>(),
                dtype == torch::kFloat64 ? 1e-12 : 1e-6);
    }
  }
}

// ---- self-penetration ----

TEST(HandSelfPenetration, ZeroAtTheZeroPoseAndAtTheDemonstrations) {
  const HandKinematics& kin = hand();
  EXPECT_EQ(hand_self_penetration(kin, kin.forward(zero_pose(2))).abs().max().item<double>(), 0.0);
  // Every demonstrated grasp (assets/demos) is free of finger collisions
  // beyond contact: the demos were closed in MuJoCo, whose soft contacts let
  // touching fingers overlap by a fraction of a millimetre (bowl_rim: 0.2 mm).
  const auto dir = project_root() / "assets" / "demos";
  int checked = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".yaml") continue;
    const YAML::Node demo = YAML::LoadFile(e.path().string());
    HandParams p = zero_pose(1);
    for (int k = 0; k < kNumHandJoints; ++k)
      p.joints[0][k] = demo["joints_rad"][hand_joint_names()[k]].as<double>();
    EXPECT_LT(hand_self_penetration(kin, kin.forward(p))[0].item<double>(), 5e-4)
        << e.path().filename();
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

TEST(HandSelfPenetration, PositiveWhenFingersCrossAndDifferentiable) {
  const HandKinematics& kin = hand();
  HandParams p = zero_pose(2);
  // First and middle finger abducted towards each other: they cross.
  p.joints[0][0] = 0.349;   // FFJ4
  p.joints[0][4] = -0.349;  // MFJ4
  // Thumb swung into the curled fingers.
  p.joints[1][17] = 1.0;  // THJ5
  p.joints[1][18] = 1.2;  // THJ4
  for (int k : {1, 2, 3, 5, 6, 7}) p.joints[1][k] = 1.2;
  const torch::Tensor pen = hand_self_penetration(kin, kin.forward(p));
  EXPECT_GT(pen[0].item<double>(), 0.005);
  EXPECT_GT(pen[1].item<double>(), 0.0);
  const double err = max_gradient_error(
      p, [&](const HandParams& x) { return hand_self_penetration(kin, kin.forward(x)).sum(); });
  EXPECT_LT(err, 1e-6);
  // Rigid motion of the whole hand changes nothing.
  HandParams moved = random_params(2, 71);
  moved.joints = p.joints;
  EXPECT_NEAR((hand_self_penetration(kin, kin.forward(moved)) - pen).abs().max().item<double>(),
              0.0, 1e-12);
}

/// Distance between segments p1 + s d1 and p2 + t d2 (s, t in [0, 1]) by
/// brute force: dense s, the exact clamped t for each.
double brute_segment_distance(const Eigen::Vector3d& p1, const Eigen::Vector3d& d1,
                              const Eigen::Vector3d& p2, const Eigen::Vector3d& d2) {
  constexpr int kSteps = 20000;
  double best = std::numeric_limits<double>::infinity();
  for (int i = 0; i <= kSteps; ++i) {
    const Eigen::Vector3d x = p1 + (static_cast<double>(i) / kSteps) * d1;
    const double t = std::clamp((x - p2).dot(d2) / d2.squaredNorm(), 0.0, 1.0);
    best = std::min(best, (x - p2 - t * d2).norm());
  }
  return best;
}

TEST(HandSelfPenetration, MatchesBruteForceCapsuleOverlaps) {
  const HandKinematics& kin = hand();
  constexpr int B = 8;
  const Poses poses = kin.forward(random_params(B, 81));
  const torch::Tensor pen = hand_self_penetration(kin, poses);
  const auto& gs = kin.geoms();
  int colliding = 0;
  for (int b = 0; b < B; ++b) {
    // World segment (start, direction) of every finger capsule.
    std::vector<std::tuple<int, Eigen::Vector3d, Eigen::Vector3d, double>> caps;
    for (const HandGeom& g : gs) {
      if (g.type != HandGeomType::kCapsule || kin.body_chain()[g.body] < 0) continue;
      Eigen::Matrix3d R;
      Eigen::Vector3d p;
      for (int i = 0; i < 3; ++i) {
        p(i) = poses.p[b][g.body][i].item<double>();
        for (int j = 0; j < 3; ++j) R(i, j) = poses.R[b][g.body][i][j].item<double>();
      }
      const Eigen::Vector3d c = R * g.p_BG + p, z = R * g.R_BG.col(2);
      caps.emplace_back(kin.body_chain()[g.body], c - g.size.y() * z, 2 * g.size.y() * z,
                        g.size.x());
    }
    ASSERT_GE(caps.size(), 15u);  // at least 3 phalanges x 5 chains
    double expected = 0;
    for (std::size_t i = 0; i < caps.size(); ++i) {
      for (std::size_t j = i + 1; j < caps.size(); ++j) {
        const auto& [ci, pi, di, ri] = caps[i];
        const auto& [cj, pj, dj, rj] = caps[j];
        if (ci == cj) continue;
        expected += std::max(0.0, ri + rj - brute_segment_distance(pi, di, pj, dj));
      }
    }
    colliding += expected > 1e-3;
    EXPECT_NEAR(pen[b].item<double>(), expected, 1e-5) << "batch entry " << b;
  }
  EXPECT_GT(colliding, 0) << "no random configuration collides; the test proves nothing";
}

}  // namespace
}  // namespace dffeval
