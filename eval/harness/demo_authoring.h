#pragma once
// Authoring and verifying demonstrations in simulation: place the hand at a
// pose in the object's frame, close the fingers towards a closure shape until
// they stop on the object, record the joint angles, and replay the result
// through the grasp executor.

#include <array>
#include <string>

#include "eval/harness/demonstration.h"
#include "sim/grasp_executor.h"

namespace dffeval {

/// Replays a demonstration on its own source object in the source scene
/// (scene set `scene_set`, object at the canonical pose).
ExecutionResult verify_demonstration(const Demonstration& demo,
                                     const std::string& scene_set = "clean",
                                     const ExecutionConfig& config = {});

/// Places the hand as the executor does (palm backed off along its +y, thumb
/// base THJ5/THJ4 already at `closure_rad`, other joints at zero), moves the
/// palm to demo.X_ObjPalm over the source object, closes the fingers towards
/// `closure_rad` for `close_time_s` with the object held in place, and returns
/// the joint angles where they stopped (radians).
std::array<double, kNumHandJoints> close_fingers_on_object(
    const Demonstration& demo, const std::array<double, kNumHandJoints>& closure_rad,
    double close_time_s = 0.8);

/// The palm pose from its position and two directions in the object frame:
/// the palmar normal (palm -y, towards the object) and the finger direction
/// (palm +z; only its part orthogonal to the normal is used). Throws
/// InputError if they are parallel.
Eigen::Isometry3d palm_pose_from_axes(const Eigen::Vector3d& position_m,
                                      const Eigen::Vector3d& palmar_normal,
                                      const Eigen::Vector3d& fingers);

/// Named closure shapes for authoring: "power" (all fingers wrap, thumb
/// opposed under the palm), "power_flat" (all fingers wrap, thumb swung down
/// beside the palm: flat-sided objects from above), "pinch" (first finger and
/// thumb), "tripod" (first, middle, thumb). Throws InputError for another name.
std::array<double, kNumHandJoints> closure_preset(const std::string& name);

}  // namespace dffeval
