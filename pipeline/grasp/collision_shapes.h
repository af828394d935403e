#pragma once
// The hand's collision primitives as the grasp energy's contact terms use
// them (penetration of the target cloud, self-collision between fingers),
// in the reference's order and formulas (tests/hand/reference).

#include <Eigen/Core>
#include <vector>

#include "hand/hand_model.h"

namespace dffeval {

/// A collision primitive as a rounded box (sphere: extent 0; capsule:
/// (0, 0, half length); box: radius 0) or a cylinder along its z.
struct PenetrationGeom {
  int body = 0;
  bool cylinder = false;
  Eigen::Vector3d extent = Eigen::Vector3d::Zero();  // rounded box half sizes, metres
  double radius = 0.0;                               // rounding or cylinder radius, metres
  double half = 0.0;                                 // cylinder half length, metres
  double bound = 0.0;                                // bounding radius about the centre, metres
  Eigen::Matrix3d R_BG = Eigen::Matrix3d::Identity();
  Eigen::Vector3d p_BG = Eigen::Vector3d::Zero();
};

/// Two capsules on different finger chains (the thumb counts as a chain).
struct CapsulePair {
  int body_a = 0, body_b = 0;
  Eigen::Vector3d centre_a, axis_a, centre_b, axis_b;  // body frames
  double half_a = 0, half_b = 0, radius_sum = 0;       // metres
};

/// The hand's collision geoms, rounded boxes first, then cylinders (the
/// reference's order, so that ties of depth go to the same geom).
std::vector<PenetrationGeom> penetration_geoms(const HandModel& hand);

/// Every pair of finger capsules on different chains
/// (hand_self_penetration's set).
std::vector<CapsulePair> finger_capsule_pairs(const HandModel& hand);

/// Signed distance (metres, negative inside) of q, given in the primitive's
/// frame, and its gradient in that frame.
double primitive_sdf(bool cylinder, const Eigen::Vector3d& extent, double radius, double half,
                     const Eigen::Vector3d& q, Eigen::Vector3d* grad);

}  // namespace dffeval
