// HandModel, the one description of the hand in code: read from assets/shadow_hand.xml (and
// a made-up hand) it has MuJoCo's bodies, tree, chains, hinges, limits and collision
// primitives, and an MJCF it cannot represent fails with the file and the reason.

#include "hand/hand_model.h"

#include <gtest/gtest.h>
#include <mujoco/mujoco.h>

#include <Eigen/Geometry>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "common/input_error.h"
#include "common/project_paths.h"
#include "tests/fixtures/hand_models.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

using MjModelPtr = std::unique_ptr<mjModel, void (*)(mjModel*)>;

/// The same MJCF compiled by MuJoCo itself, the reference for every number.
MjModelPtr load_mujoco(const std::string& path) {
  char err[1000] = "";
  MjModelPtr m(mj_loadXML(path.c_str(), nullptr, err, sizeof(err)), mj_deleteModel);
  if (!m) throw std::runtime_error(path + ": " + err);
  return m;
}

const HandGeom& geom_named(const HandModel& hand, const std::string& name) {
  for (const HandGeom& g : hand.geoms())
    if (g.name == name) return g;
  throw std::runtime_error("no geom " + name);
}

double max_abs(const Eigen::MatrixXd& a) { return a.cwiseAbs().maxCoeff(); }

TEST(HandModel, ShadowHandBodiesTreeAndChains) {
  const HandModel& hand = fixtures::shadow_hand_model();
  // The default file, found under the project root.
  EXPECT_EQ(hand.mjcf_path(), (project_root() / "assets/shadow_hand.xml").string());
  // palm + 4 x 4 finger links + the little finger's metacarpal + 5 thumb links.
  ASSERT_EQ(hand.num_bodies(), 23);
  ASSERT_EQ(hand.body_names().size(), 23u);
  EXPECT_EQ(hand.body_names()[0], "palm");
  EXPECT_EQ(hand.body_index("palm"), 0);
  EXPECT_EQ(hand.body_parent()[0], -1);
  EXPECT_EQ(hand.body_chain()[0], -1);
  // The world and the mocap target are not hand bodies.
  EXPECT_THROW(hand.body_index("palm_target"), std::out_of_range);
  EXPECT_THROW(hand.body_index("world"), std::out_of_range);
  EXPECT_EQ(hand.chain_names(), (std::vector<std::string>{"ffknuckle", "mfknuckle", "rfknuckle",
                                                          "lfmetacarpal", "thbase"}));
  EXPECT_EQ(hand.body_parent()[hand.body_index("ffdistal")], hand.body_index("ffmiddle"));
  EXPECT_EQ(hand.body_parent()[hand.body_index("lfknuckle")], hand.body_index("lfmetacarpal"));
  EXPECT_EQ(hand.body_chain()[hand.body_index("lfdistal")], 3);
  EXPECT_EQ(hand.body_chain()[hand.body_index("thdistal")], 4);
  // Every body's parent is MuJoCo's, indexed before it, and its chain the parent's (or,
  // for a palm child, its own).
  const MjModelPtr m = load_mujoco(hand.mjcf_path());
  for (int i = 1; i < hand.num_bodies(); ++i) {
    const std::string& name = hand.body_names()[i];
    EXPECT_EQ(hand.body_index(name), i);
    const int p = hand.body_parent()[i];
    ASSERT_GE(p, 0) << name;
    EXPECT_LT(p, i) << name;
    const int mb = mj_name2id(m.get(), mjOBJ_BODY, name.c_str());
    ASSERT_GE(mb, 0) << name;
    EXPECT_EQ(hand.body_names()[p], mj_id2name(m.get(), mjOBJ_BODY, m->body_parentid[mb])) << name;
    const int chain = hand.body_chain()[i];
    if (p == 0) {
      EXPECT_EQ(hand.chain_names()[chain], name);
    } else {
      EXPECT_EQ(chain, hand.body_chain()[p]) << name;
    }
  }
}

TEST(HandModel, ShadowHandJointsAndLimitsAreMujocos) {
  const HandModel& hand = fixtures::shadow_hand_model();
  const MjModelPtr m = load_mujoco(hand.mjcf_path());
  ASSERT_EQ(hand.joint_body().size(), static_cast<std::size_t>(kNumHandJoints));
  std::set<int> moved;
  for (int k = 0; k < kNumHandJoints; ++k) {
    const int j = mj_name2id(m.get(), mjOBJ_JOINT, hand_joint_names()[k].c_str());
    ASSERT_GE(j, 0) << hand_joint_names()[k];
    const int b = hand.joint_body()[k];
    EXPECT_EQ(hand.body_names()[b], mj_id2name(m.get(), mjOBJ_BODY, m->jnt_bodyid[j]));
    const HandBodyJoint& bj = hand.body_joints()[b];
    EXPECT_EQ(bj.joint, k);
    EXPECT_NEAR(bj.axis_B.norm(), 1.0, 1e-15);
    EXPECT_LT((bj.axis_B - Eigen::Vector3d(m->jnt_axis + 3 * j).normalized()).norm(), 1e-15);
    EXPECT_EQ(hand.joint_lower()[k], m->jnt_range[2 * j]) << hand_joint_names()[k];
    EXPECT_EQ(hand.joint_upper()[k], m->jnt_range[2 * j + 1]) << hand_joint_names()[k];
    moved.insert(b);
  }
  // One hinge per finger body: every body but the palm moves with exactly one joint.
  EXPECT_EQ(moved.size(), 22u);
  EXPECT_EQ(moved.count(0), 0u);
  // The MJCF's numbers, by hand: limits in Grasp order, the tilted LFJ5 axis.
  EXPECT_DOUBLE_EQ(hand.joint_lower()[0], -0.349);   // FFJ4
  EXPECT_DOUBLE_EQ(hand.joint_upper()[1], 1.571);    // FFJ3
  EXPECT_DOUBLE_EQ(hand.joint_upper()[12], 0.785);   // LFJ5
  EXPECT_DOUBLE_EQ(hand.joint_lower()[21], -1.571);  // THJ1
  EXPECT_DOUBLE_EQ(hand.joint_upper()[21], 0.0);
  const HandBodyJoint& lf5 = hand.body_joints()[hand.body_index("lfmetacarpal")];
  EXPECT_LT((lf5.axis_B - Eigen::Vector3d(0.5736, 0, 0.8192).normalized()).norm(), 1e-12);
  EXPECT_LT(
      (hand.body_joints()[hand.body_index("ffknuckle")].axis_B - Eigen::Vector3d(0, -1, 0)).norm(),
      1e-15);
}

TEST(HandModel, ShadowHandBodyPlacements) {
  const HandModel& hand = fixtures::shadow_hand_model();
  ASSERT_EQ(hand.body_joints().size(), 23u);
  for (int i = 0; i < hand.num_bodies(); ++i) {
    const HandBodyJoint& bj = hand.body_joints()[i];
    EXPECT_EQ(bj.parent, hand.body_parent()[i]);
    // Rotations are proper; the Shadow MJCF puts every hinge at its body origin, at zero.
    EXPECT_LT(max_abs(bj.R_PB0.transpose() * bj.R_PB0 - Eigen::Matrix3d::Identity()), 1e-12);
    EXPECT_NEAR(bj.R_PB0.determinant(), 1.0, 1e-12);
    EXPECT_TRUE(bj.anchor_B == Eigen::Vector3d::Zero()) << hand.body_names()[i];
    EXPECT_EQ(bj.qpos0, 0.0);
  }
  const HandBodyJoint& ff = hand.body_joints()[hand.body_index("ffknuckle")];
  EXPECT_LT((ff.p_PB0 - Eigen::Vector3d(0.033, 0, 0.095)).norm(), 1e-15);
  EXPECT_LT(max_abs(ff.R_PB0 - Eigen::Matrix3d::Identity()), 1e-15);
  EXPECT_LT(
      (hand.body_joints()[hand.body_index("ffmiddle")].p_PB0 - Eigen::Vector3d(0, 0, 0.045)).norm(),
      1e-15);
  // The thumb base is turned 45 degrees about +y (quat 0.92388 0 0.38268 0).
  const HandBodyJoint& th = hand.body_joints()[hand.body_index("thbase")];
  const Eigen::Matrix3d R45 = Eigen::AngleAxisd(M_PI / 4, Eigen::Vector3d::UnitY()).matrix();
  EXPECT_LT(max_abs(th.R_PB0 - R45), 1e-5);
  EXPECT_LT((th.p_PB0 - Eigen::Vector3d(0.034, -0.009, 0.029)).norm(), 1e-15);
}

TEST(HandModel, ShadowHandCollisionGeoms) {
  const HandModel& hand = fixtures::shadow_hand_model();
  const MjModelPtr m = load_mujoco(hand.mjcf_path());
  // Every colliding geom of a hand body, in MuJoCo's order.
  std::vector<std::string> expected;
  for (int g = 0; g < m->ngeom; ++g) {
    const std::string body = mj_id2name(m.get(), mjOBJ_BODY, m->geom_bodyid[g]);
    if (body == "world" || body == "palm_target") continue;
    if (m->geom_contype[g] == 0 && m->geom_conaffinity[g] == 0) continue;
    expected.push_back(mj_id2name(m.get(), mjOBJ_GEOM, g));
  }
  std::vector<std::string> names;
  for (const HandGeom& g : hand.geoms()) names.push_back(g.name);
  EXPECT_EQ(names, expected);
  // Two palm boxes and one geom on every finger body but the thumb hub.
  EXPECT_EQ(hand.geoms().size(), 23u);
  for (const HandGeom& g : hand.geoms()) {
    EXPECT_EQ(g.name.rfind("hand_", 0), 0u) << g.name;
    const int mg = mj_name2id(m.get(), mjOBJ_GEOM, g.name.c_str());
    EXPECT_EQ(hand.body_names()[g.body], mj_id2name(m.get(), mjOBJ_BODY, m->geom_bodyid[mg]));
    EXPECT_TRUE(g.size == Eigen::Vector3d(m->geom_size + 3 * mg)) << g.name;
    EXPECT_TRUE(g.p_BG == Eigen::Vector3d(m->geom_pos + 3 * mg)) << g.name;
    EXPECT_NEAR(g.R_BG.determinant(), 1.0, 1e-12) << g.name;
  }
  const HandGeom& palm = geom_named(hand, "hand_palm");
  EXPECT_EQ(palm.body, 0);
  EXPECT_EQ(palm.type, HandGeomType::kBox);
  EXPECT_LT((palm.size - Eigen::Vector3d(0.032, 0.0111, 0.049)).norm(), 1e-15);
  EXPECT_LT((palm.p_BG - Eigen::Vector3d(0.011, 0, 0.038)).norm(), 1e-15);
  EXPECT_EQ(geom_named(hand, "hand_thbase").type, HandGeomType::kSphere);
  EXPECT_DOUBLE_EQ(geom_named(hand, "hand_thbase").size.x(), 0.013);
  const HandGeom& mid = geom_named(hand, "hand_ffmiddle");
  EXPECT_EQ(mid.type, HandGeomType::kCapsule);
  EXPECT_EQ(mid.body, hand.body_index("ffmiddle"));
  EXPECT_DOUBLE_EQ(mid.size.y(), 0.0125);  // half length
  // Knuckle capsules lie along x: the geom's z axis is the body's x axis.
  const HandGeom& knuckle = geom_named(hand, "hand_ffknuckle");
  EXPECT_EQ(knuckle.type, HandGeomType::kCapsule);
  EXPECT_LT((knuckle.R_BG.col(2).cwiseAbs() - Eigen::Vector3d::UnitX()).norm(), 1e-6);
}

TEST(HandModel, SyntheticHandAnchorsReferencesAndTypes) {
  const HandModel& hand = fixtures::synthetic_hand_model();
  // palm + 22 jointed bodies + c0_cap, a body without a joint.
  ASSERT_EQ(hand.num_bodies(), 24);
  EXPECT_EQ(hand.chain_names(), (std::vector<std::string>{"c0_0", "c1_0", "c2_0", "c3_0", "c4_0"}));
  const int cap = hand.body_index("c0_cap");
  EXPECT_EQ(hand.body_joints()[cap].joint, -1);
  EXPECT_EQ(hand.body_parent()[cap], hand.body_index("c0_3"));
  EXPECT_EQ(hand.body_chain()[cap], 0);
  // MuJoCo numbers bodies depth first: the cap follows its parent and comes
  // before the next chain.
  EXPECT_GT(cap, hand.body_index("c0_3"));
  EXPECT_LT(cap, hand.body_index("c1_0"));
  for (int k = 0; k < kNumHandJoints; ++k) {
    const HandBodyJoint& bj = hand.body_joints()[hand.joint_body()[k]];
    EXPECT_EQ(bj.joint, k);
    EXPECT_LT((bj.anchor_B - Eigen::Vector3d(0.001, -0.002, 0.003)).norm(), 1e-15);
    EXPECT_NEAR(bj.qpos0, 0.02 * k, 1e-15) << hand_joint_names()[k];
    EXPECT_NEAR(bj.axis_B.norm(), 1.0, 1e-15);
    EXPECT_EQ(hand.joint_lower()[k], -1.0);
    EXPECT_EQ(hand.joint_upper()[k], 1.0);
  }
  // All four primitive types; one jointed body (THJ3's) carries no geom.
  int seen[4] = {0, 0, 0, 0};
  std::set<int> bodies_with_geoms;
  for (const HandGeom& g : hand.geoms()) {
    ++seen[static_cast<int>(g.type)];
    bodies_with_geoms.insert(g.body);
  }
  for (int t = 0; t < 4; ++t) EXPECT_GT(seen[t], 0) << "no geom of type " << t;
  EXPECT_EQ(hand.geoms().size(), 23u);  // palm + 21 links + the cap
  EXPECT_EQ(bodies_with_geoms.count(hand.joint_body()[19]), 0u);
  // A rotated geom: quat 0.9 0 0.2 0.1 normalised.
  const Eigen::Matrix3d R = Eigen::Quaterniond(0.9, 0, 0.2, 0.1).normalized().matrix();
  EXPECT_LT(max_abs(geom_named(hand, "hand_g0").R_BG - R), 1e-12);
}

/// The synthetic hand's MJCF with `from` replaced by `to` (which must occur).
std::string edited_hand(const std::string& from, const std::string& to) {
  std::string xml = fixtures::synthetic_hand_xml();
  const std::size_t at = xml.find(from);
  if (at == std::string::npos) throw std::runtime_error("not in the synthetic hand: " + from);
  return xml.replace(at, from.size(), to);
}

/// The InputError of loading `xml` from a file `name` in `dir`, or "".
std::string load_error(const std::filesystem::path& dir, const std::string& name,
                       const std::string& xml) {
  const std::string path = (dir / name).string();
  std::ofstream(path) << xml;
  try {
    HandModel::load(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

void expect_load_error(const std::filesystem::path& dir, const std::string& name,
                       const std::string& xml, const std::string& reason) {
  const std::string e = load_error(dir, name, xml);
  ASSERT_FALSE(e.empty()) << name << " loaded";
  EXPECT_NE(e.find(name), std::string::npos) << e;
  EXPECT_NE(e.find(reason), std::string::npos) << e;
}

TEST(HandModel, LoadErrorsNameTheFileAndTheReason) {
  // The unedited text loads: the edits below are what fails.
  const auto dir = fixtures::fresh_temp_dir("hand_model");
  EXPECT_EQ(load_error(dir, "synthetic.xml", fixtures::synthetic_hand_xml()), "");
  try {
    HandModel::load("/nonexistent/hand_model.xml");
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/hand_model.xml"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("cannot load"), std::string::npos) << e.what();
  }
  expect_load_error(dir, "not_xml.xml", "<mujoco><worldbody>", "cannot load the hand model");
  expect_load_error(dir, "no_palm.xml", edited_hand("<body name='palm' ", "<body name='root' "),
                    "no body named 'palm'");
  expect_load_error(dir, "no_thj1.xml", edited_hand("name='THJ1'", "name='THJ0'"),
                    "no joint named THJ1");
  expect_load_error(dir, "slide.xml",
                    edited_hand("name='FFJ4' type='hinge'", "name='FFJ4' type='slide'"),
                    "joint FFJ4 is not a hinge");
  expect_load_error(dir, "extra_joint.xml",
                    edited_hand("<body name='c0_cap' pos='0 0.004 0.02' quat='0.7 0.7 0 0'>",
                                "<body name='c0_cap' pos='0 0.004 0.02' quat='0.7 0.7 0 0'>"
                                "<joint name='extra' type='hinge'/>"),
                    "body c0_cap has a joint that is not one of the 22 finger joints");
  expect_load_error(
      dir, "ellipsoid.xml",
      edited_hand("<geom name='hand_cap' type='sphere' size='0.006'/>",
                  "<geom name='hand_cap' type='ellipsoid' size='0.006 0.005 0.004'/>"),
      "collision geom hand_cap is not a sphere, capsule, cylinder or box");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dffeval
