// Tests of assets/shadow_hand.xml: structure, an independent forward kinematics of the
// fingertips written from the Shadow-hand fact sheet, no self-contact at rest, and position
// tracking of the 22 joint servos under gravity.

#include <gtest/gtest.h>
#include <mujoco/mujoco.h>

#include <Eigen/Geometry>
#include <array>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int kNumJoints = 22;
// Joint 0 is the palm's free joint (welded to the palm_target mocap body).
constexpr int kFirstFinger = 1;

// Joint names in the order the model must declare them.
const std::array<const char*, kNumJoints> kJointNames = {
    "FFJ4", "FFJ3", "FFJ2", "FFJ1", "MFJ4", "MFJ3", "MFJ2", "MFJ1", "RFJ4", "RFJ3", "RFJ2",
    "RFJ1", "LFJ5", "LFJ4", "LFJ3", "LFJ2", "LFJ1", "THJ5", "THJ4", "THJ3", "THJ2", "THJ1"};

// Joint ranges from the fact sheet (J3 limited to [0, 1.571]; thumb in Gym's signs).
constexpr double kAbd = 0.349;
constexpr double kFlex = 1.571;
const std::array<std::array<double, 2>, kNumJoints> kJointRanges = {{
    {-kAbd, kAbd},   {0, kFlex},    {0, kFlex},      {0, kFlex},       // FF
    {-kAbd, kAbd},   {0, kFlex},    {0, kFlex},      {0, kFlex},       // MF
    {-kAbd, kAbd},   {0, kFlex},    {0, kFlex},      {0, kFlex},       // RF
    {0, 0.785},      {-kAbd, kAbd}, {0, kFlex},      {0, kFlex},       // LF J5..J2
    {0, kFlex},                                                        // LFJ1
    {-1.047, 1.047}, {0, 1.222},    {-0.209, 0.209}, {-0.524, 0.524},  // TH J5..J2
    {-kFlex, 0},                                                       // THJ1
}};

// Flexion joints (J1..J3 of the fingers; THJ4 and THJ1 of the thumb).
// clang-format off
const std::array<bool, kNumJoints> kIsFlexion = {
    false, true, true, true,         // FF J4..J1
    false, true, true, true,         // MF
    false, true, true, true,         // RF
    false, false, true, true, true,  // LF J5..J1
    false, true, false, false, true  // TH J5..J1
};
// clang-format on

const std::array<const char*, 5> kTipSites = {"fftip", "mftip", "rftip", "lftip", "thtip"};

using Joints = std::array<double, kNumJoints>;

struct ModelDeleter {
  void operator()(mjModel* m) const { mj_deleteModel(m); }
};
struct DataDeleter {
  void operator()(mjData* d) const { mj_deleteData(d); }
};
using ModelPtr = std::unique_ptr<mjModel, ModelDeleter>;
using DataPtr = std::unique_ptr<mjData, DataDeleter>;

std::string HandPath() { return std::string(DFFEVAL_SOURCE_DIR) + "/assets/shadow_hand.xml"; }

ModelPtr LoadHand() {
  char err[1024] = "";
  ModelPtr m(mj_loadXML(HandPath().c_str(), nullptr, err, sizeof err));
  EXPECT_NE(m, nullptr) << "mj_loadXML(" << HandPath() << "): " << err;
  return m;
}

// ---------------------------------------------------------------------------------------
// Independent forward kinematics from the fact sheet (palm frame = world frame).

Eigen::Isometry3d Translate(double x, double y, double z) {
  return Eigen::Isometry3d(Eigen::Translation3d(x, y, z));
}

Eigen::Isometry3d Hinge(const Eigen::Vector3d& axis, double angle) {
  return Eigen::Isometry3d(Eigen::AngleAxisd(angle, axis.normalized()));
}

const Eigen::Vector3d kX = Eigen::Vector3d::UnitX();
const Eigen::Vector3d kY = Eigen::Vector3d::UnitY();
const Eigen::Vector3d kZ = Eigen::Vector3d::UnitZ();

constexpr double kProximalLength = 0.045;  // J3 -> J2
constexpr double kMiddleLength = 0.025;    // J2 -> J1
constexpr double kFingerTip = 0.026;       // J1 -> fingertip site
constexpr double kThumbTip = 0.0275;       // THJ1 -> thumb tip site

// Proximal -> fingertip, starting at the J3 joint frame.
Eigen::Vector3d FingerFromJ3(const Eigen::Isometry3d& knuckle, double j3, double j2, double j1) {
  const Eigen::Isometry3d tip = knuckle * Hinge(kX, j3) * Translate(0, 0, kProximalLength) *
                                Hinge(kX, j2) * Translate(0, 0, kMiddleLength) * Hinge(kX, j1) *
                                Translate(0, 0, kFingerTip);
  return tip.translation();
}

// Fingertip positions (FF, MF, RF, LF, TH) in the palm frame.
std::array<Eigen::Vector3d, 5> FactSheetTips(const Joints& q) {
  std::array<Eigen::Vector3d, 5> tips;
  // FF, MF: abduction about -y (Menagerie sign); RF: about +y.
  tips[0] = FingerFromJ3(Translate(0.033, 0, 0.095) * Hinge(-kY, q[0]), q[1], q[2], q[3]);
  tips[1] = FingerFromJ3(Translate(0.011, 0, 0.099) * Hinge(-kY, q[4]), q[5], q[6], q[7]);
  tips[2] = FingerFromJ3(Translate(-0.011, 0, 0.095) * Hinge(kY, q[8]), q[9], q[10], q[11]);
  // LF: metacarpal (LFJ5 about the 35-degree tilted axis), then the knuckle.
  const Eigen::Isometry3d lf_knuckle = Translate(-0.017, 0, 0.044) *
                                       Hinge(Eigen::Vector3d(0.5736, 0, 0.8192), q[12]) *
                                       Translate(-0.017, 0, 0.044) * Hinge(kY, q[13]);
  tips[3] = FingerFromJ3(lf_knuckle, q[14], q[15], q[16]);
  // TH: base rotated 45 degrees about +y.
  const Eigen::Quaterniond base_rot = Eigen::Quaterniond(0.92388, 0, 0.38268, 0).normalized();
  const Eigen::Isometry3d th_tip = Translate(0.034, -0.009, 0.029) * Eigen::Isometry3d(base_rot) *
                                   Hinge(-kZ, q[17]) * Hinge(kX, q[18]) * Translate(0, 0, 0.038) *
                                   Hinge(kX, q[19]) * Hinge(kY, q[20]) * Translate(0, 0, 0.032) *
                                   Hinge(kY, q[21]) * Translate(0, 0, kThumbTip);
  tips[4] = th_tip.translation();
  return tips;
}

// ---------------------------------------------------------------------------------------

class ShadowHandModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_ = LoadHand();
    ASSERT_NE(m_, nullptr);
    d_.reset(mj_makeData(m_.get()));
    ASSERT_NE(d_, nullptr);
  }

  // Sets the 22 hinge angles (joint 0 is the palm's free joint).
  void SetJoints(const Joints& q) {
    for (int j = 0; j < kNumJoints; ++j) d_->qpos[m_->jnt_qposadr[j + kFirstFinger]] = q[j];
  }

  ModelPtr m_;
  DataPtr d_;
};

TEST_F(ShadowHandModelTest, StructureJointOrderAndRanges) {
  EXPECT_EQ(m_->nu, kNumJoints);
  EXPECT_EQ(m_->njnt, kNumJoints + 1);
  EXPECT_EQ(m_->nq, kNumJoints + 7);
  EXPECT_EQ(m_->nmocap, 1);
  EXPECT_EQ(m_->neq, 1);

  const int palm = mj_name2id(m_.get(), mjOBJ_BODY, "palm");
  const int target = mj_name2id(m_.get(), mjOBJ_BODY, "palm_target");
  ASSERT_GE(palm, 0);
  ASSERT_GE(target, 0);
  EXPECT_EQ(m_->body_parentid[palm], 0);
  EXPECT_EQ(m_->body_mocapid[target], 0);
  EXPECT_EQ(m_->jnt_type[0], mjJNT_FREE);
  EXPECT_EQ(m_->jnt_bodyid[0], palm);

  for (int j = 0; j < kNumJoints && j + kFirstFinger < m_->njnt; ++j) {
    SCOPED_TRACE(kJointNames[j]);
    const int jid = j + kFirstFinger;
    const char* name = mj_id2name(m_.get(), mjOBJ_JOINT, jid);
    ASSERT_NE(name, nullptr);
    EXPECT_STREQ(name, kJointNames[j]);
    EXPECT_EQ(m_->jnt_type[jid], mjJNT_HINGE);
    EXPECT_TRUE(m_->jnt_limited[jid]);
    EXPECT_NEAR(m_->jnt_range[2 * jid], kJointRanges[j][0], 1e-3);
    EXPECT_NEAR(m_->jnt_range[2 * jid + 1], kJointRanges[j][1], 1e-3);

    // Actuator j is a limited position servo on joint j with ctrlrange == joint range.
    ASSERT_LT(j, m_->nu);
    EXPECT_STREQ(mj_id2name(m_.get(), mjOBJ_ACTUATOR, j), (std::string("A_") + name).c_str());
    EXPECT_EQ(m_->actuator_trntype[j], mjTRN_JOINT);
    EXPECT_EQ(m_->actuator_trnid[2 * j], j + kFirstFinger);
    EXPECT_TRUE(m_->actuator_ctrllimited[j]);
    EXPECT_TRUE(m_->actuator_forcelimited[j]);
    EXPECT_NEAR(m_->actuator_ctrlrange[2 * j], kJointRanges[j][0], 1e-9);
    EXPECT_NEAR(m_->actuator_ctrlrange[2 * j + 1], kJointRanges[j][1], 1e-9);
    EXPECT_GT(m_->actuator_gainprm[j * mjNGAIN], 0);
    EXPECT_DOUBLE_EQ(m_->actuator_biasprm[j * mjNBIAS + 1], -m_->actuator_gainprm[j * mjNGAIN]);
  }

  // Sites and hand geoms.
  for (const char* site : kTipSites) EXPECT_GE(mj_name2id(m_.get(), mjOBJ_SITE, site), 0) << site;
  EXPECT_GE(mj_name2id(m_.get(), mjOBJ_SITE, "palm_center"), 0);
  for (int g = 0; g < m_->ngeom; ++g) {
    const char* name = mj_id2name(m_.get(), mjOBJ_GEOM, g);
    ASSERT_NE(name, nullptr) << "geom " << g << " has no name";
    EXPECT_EQ(std::string(name).rfind("hand_", 0), 0u) << name;
    EXPECT_EQ(m_->geom_condim[g], 4) << name;
  }

  // Masses per the fact sheet: palm 0.3, 4 x (knuckle 0.008, proximal 0.03, middle 0.017,
  // distal 0.013), lf metacarpal 0.03, thumb 0.01 + 0.04 + 0.005 + 0.02 + 0.017. That sums to
  // 0.694 kg; the sheet's "about 0.8 kg" also counts the wrist links this model drops.
  double mass = 0;
  for (int b = 1; b < m_->nbody; ++b) mass += m_->body_mass[b];
  EXPECT_NEAR(mass, 0.3 + 4 * (0.008 + 0.03 + 0.017 + 0.013) + 0.03 + 0.092, 1e-9);
}

TEST_F(ShadowHandModelTest, FingertipsMatchIndependentKinematics) {
  std::vector<Joints> configs;
  configs.push_back(Joints{});  // zero pose
  Joints flexed{};
  for (int j = 0; j < kNumJoints; ++j) flexed[j] = kIsFlexion[j] ? (j == 21 ? -0.5 : 0.5) : 0.0;
  configs.push_back(flexed);
  Joints spread{};  // every joint at its upper limit
  for (int j = 0; j < kNumJoints; ++j) spread[j] = kJointRanges[j][1];
  configs.push_back(spread);
  Joints low{};  // every joint at its lower limit
  for (int j = 0; j < kNumJoints; ++j) low[j] = kJointRanges[j][0];
  configs.push_back(low);
  std::mt19937 rng(20240611u);
  for (int k = 0; k < 6; ++k) {
    Joints q{};
    for (int j = 0; j < kNumJoints; ++j) {
      q[j] = std::uniform_real_distribution<double>(kJointRanges[j][0], kJointRanges[j][1])(rng);
    }
    configs.push_back(q);
  }

  std::array<int, 5> site_ids;
  for (int i = 0; i < 5; ++i) {
    site_ids[i] = mj_name2id(m_.get(), mjOBJ_SITE, kTipSites[i]);
    ASSERT_GE(site_ids[i], 0) << kTipSites[i];
  }

  for (size_t c = 0; c < configs.size(); ++c) {
    SCOPED_TRACE("configuration " + std::to_string(c));
    SetJoints(configs[c]);
    mj_kinematics(m_.get(), d_.get());
    const std::array<Eigen::Vector3d, 5> expected = FactSheetTips(configs[c]);
    for (int i = 0; i < 5; ++i) {
      const Eigen::Vector3d actual =
          Eigen::Map<const Eigen::Vector3d>(d_->site_xpos + 3 * site_ids[i]);
      EXPECT_LT((actual - expected[i]).norm(), 1e-6)
          << kTipSites[i] << ": mujoco " << actual.transpose() << " fact sheet "
          << expected[i].transpose();
    }
  }

  // The palm is placed by its free joint: tips move rigidly with it.
  const Eigen::Vector3d p(0.3, -0.2, 0.5);
  const Eigen::Quaterniond r =
      Eigen::Quaterniond(Eigen::AngleAxisd(0.7, Eigen::Vector3d(1, 2, 3).normalized()));
  d_->qpos[0] = p.x();
  d_->qpos[1] = p.y();
  d_->qpos[2] = p.z();
  d_->qpos[3] = r.w();
  d_->qpos[4] = r.x();
  d_->qpos[5] = r.y();
  d_->qpos[6] = r.z();
  SetJoints(flexed);
  mj_kinematics(m_.get(), d_.get());
  const std::array<Eigen::Vector3d, 5> local = FactSheetTips(flexed);
  for (int i = 0; i < 5; ++i) {
    const Eigen::Vector3d actual =
        Eigen::Map<const Eigen::Vector3d>(d_->site_xpos + 3 * site_ids[i]);
    EXPECT_LT((actual - (p + r * local[i])).norm(), 1e-6) << kTipSites[i];
  }
}

TEST_F(ShadowHandModelTest, FlexionCurlsTowardsPalmarSide) {
  // Sign conventions: finger flexion and thumb closing move the tips towards -y.
  Joints open{};
  Joints closed{};
  for (int j = 0; j < kNumJoints; ++j) closed[j] = kIsFlexion[j] ? (j == 21 ? -0.8 : 0.8) : 0.0;
  const std::array<Eigen::Vector3d, 5> a = FactSheetTips(open);
  const std::array<Eigen::Vector3d, 5> b = FactSheetTips(closed);
  for (int i = 0; i < 5; ++i) EXPECT_LT(b[i].y(), a[i].y() - 0.01) << kTipSites[i];

  // The palm_center site lies on the palm's grasping (-y) face.
  const int site = mj_name2id(m_.get(), mjOBJ_SITE, "palm_center");
  ASSERT_GE(site, 0);
  mj_kinematics(m_.get(), d_.get());
  EXPECT_NEAR(d_->site_xpos[3 * site + 0], 0.011, 1e-9);
  EXPECT_NEAR(d_->site_xpos[3 * site + 1], -0.0111, 1e-9);
  EXPECT_NEAR(d_->site_xpos[3 * site + 2], 0.038, 1e-9);
}

TEST_F(ShadowHandModelTest, NoSelfContactAtZeroPose) {
  mj_forward(m_.get(), d_.get());
  EXPECT_EQ(d_->ncon, 0);
  for (int i = 0; i < d_->ncon; ++i) {
    const mjContact& c = d_->contact[i];
    ADD_FAILURE() << "contact " << mj_id2name(m_.get(), mjOBJ_GEOM, c.geom1) << " - "
                  << mj_id2name(m_.get(), mjOBJ_GEOM, c.geom2) << " dist " << c.dist;
  }
}

TEST_F(ShadowHandModelTest, ServosTrackMidRangeUnderGravity) {
  ASSERT_LT(m_->opt.gravity[2], -9.0);  // gravity on (the model keeps MuJoCo's default)
  // Flexion joints to mid-range, the other joints at their (mid-range) zero.
  for (int j = 0; j < kNumJoints; ++j) {
    const double mid = 0.5 * (kJointRanges[j][0] + kJointRanges[j][1]);
    d_->ctrl[j] = kIsFlexion[j] ? mid : 0.0;
  }
  const int steps = static_cast<int>(std::ceil(1.0 / m_->opt.timestep));
  for (int s = 0; s < steps; ++s) mj_step(m_.get(), d_.get());

  for (int j = 0; j < kNumJoints; ++j) {
    const double q = d_->qpos[m_->jnt_qposadr[j + kFirstFinger]];
    ASSERT_TRUE(std::isfinite(q)) << kJointNames[j];
    EXPECT_NEAR(q, d_->ctrl[j], 0.05) << kJointNames[j];
    EXPECT_TRUE(std::isfinite(d_->qvel[m_->jnt_dofadr[j + kFirstFinger]])) << kJointNames[j];
  }
  for (int i = 0; i < m_->nv; ++i) EXPECT_TRUE(std::isfinite(d_->qacc[i]));
}

}  // namespace
