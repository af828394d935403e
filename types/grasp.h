#pragma once
// A Shadow-hand grasp: where the palm goes and how the fingers are set.

#include <Eigen/Geometry>
#include <array>
#include <string>

namespace dffeval {

/// Number of finger joints of the Shadow hand (FF 4, MF 4, RF 4, LF 5, TH 5).
inline constexpr int kNumHandJoints = 22;

/// Finger joint names in the order of assets/shadow_hand.xml (and of
/// Grasp::joints_rad).
inline const std::array<std::string, kNumHandJoints>& hand_joint_names() {
  static const std::array<std::string, kNumHandJoints> names = {
      "FFJ4", "FFJ3", "FFJ2", "FFJ1", "MFJ4", "MFJ3", "MFJ2", "MFJ1", "RFJ4", "RFJ3", "RFJ2",
      "RFJ1", "LFJ5", "LFJ4", "LFJ3", "LFJ2", "LFJ1", "THJ5", "THJ4", "THJ3", "THJ2", "THJ1"};
  return names;
}

/// A grasp: the palm frame's pose in the world and the 22 finger joint
/// angles. The palm frame is the hand's root body (see assets/shadow_hand.xml):
/// +z from the wrist towards the fingers, -y the palmar normal (the side that
/// grasps), first finger towards +x.
struct Grasp {
  /// Palm pose in the world (X_WPalm), metres.
  Eigen::Isometry3d X_WPalm = Eigen::Isometry3d::Identity();
  /// Finger joint angles, radians, in hand_joint_names() order.
  std::array<double, kNumHandJoints> joints_rad{};
};

}  // namespace dffeval
