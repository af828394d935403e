#pragma once
// The ONE description of the hand in code: read from the compiled mjModel of
// assets/shadow_hand.xml into plain numbers (body tree, body offsets, hinge
// axes and anchors, joint ranges, collision primitives). The simulator loads
// the same file, and the pipeline's kinematics (forward_kinematics.h) and
// surface points (hand_surface.h) are computed from this model, so the two
// cannot disagree about the hand.
//
// Immutable after load() and cheap to share: one constant HandModel serves
// every thread (model / data split: the poses are the mutable data).

#include <Eigen/Core>
#include <array>
#include <string>
#include <unordered_map>
#include <vector>

#include "types/grasp.h"

namespace dffeval {

/// Collision primitive types of the hand. MuJoCo's size conventions apply:
/// sphere (radius), capsule and cylinder (radius, half length along the
/// geom's z), box (half sizes x, y, z); metres.
enum class HandGeomType { kSphere, kCapsule, kCylinder, kBox };

/// One collision geom of the hand, fixed in its body's frame.
struct HandGeom {
  /// MuJoCo geom name (hand_*).
  std::string name;
  /// Index of the hand body it belongs to (HandModel::body_names()).
  int body = 0;
  HandGeomType type = HandGeomType::kSphere;
  /// MuJoCo geom_size, metres (unused entries 0).
  Eigen::Vector3d size = Eigen::Vector3d::Zero();
  /// Geom centre in the body frame, metres.
  Eigen::Vector3d p_BG = Eigen::Vector3d::Zero();
  /// Geom orientation in the body frame.
  Eigen::Matrix3d R_BG = Eigen::Matrix3d::Identity();
};

/// Where a hand body sits in its parent and how its hinge moves it
/// (MuJoCo's body_pos, body_quat, jnt_axis, jnt_pos, qpos0). The child's
/// frame in its parent's is X_PB = (R_PB0, p_PB0) * (R_j, anchor_B - R_j
/// anchor_B), R_j the rotation by (joints[joint] - qpos0) about axis_B.
struct HandBodyJoint {
  /// Parent body index (-1 for the palm).
  int parent = -1;
  Eigen::Matrix3d R_PB0 = Eigen::Matrix3d::Identity();
  /// metres
  Eigen::Vector3d p_PB0 = Eigen::Vector3d::Zero();
  /// Column of the joint in hand_joint_names() order; -1: welded to the parent.
  int joint = -1;
  /// Unit hinge axis and its anchor (metres) in the body's frame.
  Eigen::Vector3d axis_B = Eigen::Vector3d::UnitZ();
  Eigen::Vector3d anchor_B = Eigen::Vector3d::Zero();
  /// MuJoCo's joint reference, radians.
  double qpos0 = 0.0;
};

class HandModel {
 public:
  /// Loads and compiles the MJCF (default: assets/shadow_hand.xml under the
  /// project root). The hand is body `palm` and its subtree; every finger
  /// joint must be a hinge named in hand_joint_names(), at most one per body,
  /// and every collision geom a sphere, capsule, cylinder or box. Throws
  /// InputError naming the file and the reason on failure.
  static HandModel load(const std::string& mjcf_path = "");

  /// Hand bodies from the palm down (palm = index 0), in MuJoCo's body order
  /// (parents before children); the world and the mocap target are not
  /// included.
  int num_bodies() const { return static_cast<int>(names_.size()); }
  const std::vector<std::string>& body_names() const { return names_; }
  /// Index of a hand body by name; throws std::out_of_range if unknown.
  int body_index(const std::string& name) const;
  /// Parent index of each hand body (-1 for the palm).
  const std::vector<int>& body_parent() const { return parent_; }
  /// The finger chain of each hand body: the index of the palm child whose
  /// subtree holds it (0 ff, 1 mf, 2 rf, 3 lf, 4 th for the project's model,
  /// see chain_names()); -1 for the palm itself.
  const std::vector<int>& body_chain() const { return chain_; }
  /// Names of the palm's child bodies, one per chain (e.g. "ffknuckle").
  const std::vector<std::string>& chain_names() const { return chains_; }
  /// The body each finger joint moves, in hand_joint_names() order.
  const std::vector<int>& joint_body() const { return joint_body_; }
  /// Placement and hinge of every hand body, in body_names() order.
  const std::vector<HandBodyJoint>& body_joints() const { return body_joints_; }
  /// Joint limits, radians, hand_joint_names() order (-inf / +inf for a
  /// joint without limits).
  const std::array<double, kNumHandJoints>& joint_lower() const { return lower_; }
  const std::array<double, kNumHandJoints>& joint_upper() const { return upper_; }
  /// Collision primitives of the hand (geoms of hand bodies with a nonzero
  /// contype or conaffinity), in MuJoCo's geom order.
  const std::vector<HandGeom>& geoms() const { return geoms_; }
  /// The MJCF file the model was built from.
  const std::string& mjcf_path() const { return path_; }

 private:
  friend struct HandModelReader;
  std::string path_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, int> index_;
  std::vector<int> parent_, chain_, joint_body_;
  std::vector<std::string> chains_;
  std::vector<HandBodyJoint> body_joints_;
  std::array<double, kNumHandJoints> lower_{}, upper_{};
  std::vector<HandGeom> geoms_;
};

}  // namespace dffeval
