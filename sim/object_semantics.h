#pragma once
// What a grasp on an object means, declared by each category beside its
// generator (sim/object_catalog.h): the object's rotational symmetry in the
// canonical frame and the named parts of its surface. The harness judges a
// transfer with them: a grasp counts as the demonstrated one when it touches
// the same parts in the same places, up to a turn of the object that leaves
// it unchanged.
//
// Symmetry groups (proper rotations about the canonical +z axis only: a hand
// is chiral, so a mirror image of a grasp is not the same grasp):
//   - continuous about z: bottle, can, bowl (bodies of revolution), and
//     soft_ball (a sphere: every rotation; about z is what a grasp on a
//     resting ball can tell);
//   - a half turn about z: box, basket (a rectangular footprint); a box whose
//     footprint is square (|size_x - size_y| < kSquareToleranceM) also has the
//     quarter turn;
//   - none: mug (the handle breaks the symmetry).
//
// Parts (every point of the surface belongs to exactly one):
//   mug: body, handle, rim, base; bottle: body, shoulder, neck, cap;
//   bowl: rim, wall, base, inside; box: top, side, bottom;
//   can: body, top_rim, bottom_rim; basket: handle_bar, posts, walls, rim;
//   soft_ball (deformable): top, side, bottom.
// A part is decided from the point and the outward surface normal in the
// object frame and the instance's shape parameters, not from the MuJoCo geom,
// because one geom may hold several parts (a box's top and sides) and one
// part may span several geoms (a mug's wall ring).

#include <Eigen/Geometry>
#include <string>
#include <vector>

#include "sim/object_catalog.h"

namespace dffeval {

enum class SymmetryGroup { kNone, kHalfTurnZ, kQuarterTurnZ, kContinuousZ };

/// "none", "half_turn_z", "quarter_turn_z", "continuous_z".
std::string to_string(SymmetryGroup group);

/// A box footprint counts as square below this side difference, metres.
inline constexpr double kSquareToleranceM = 0.002;

/// The group named by to_string(group); throws InputError listing the names.
SymmetryGroup symmetry_group_from_string(const std::string& name);

/// The symmetry group of an instance (a box's depends on its footprint; a
/// mesh object's is what it declares).
SymmetryGroup object_symmetry(const ObjectInstance& object);

/// The rotations about canonical z (angles, radians, in [0, 2 pi)) that the
/// group holds, identity first: {0}, {0, pi}, {0, pi/2, pi, 3pi/2}, or, for
/// the continuous group, `continuous_samples` evenly spaced angles.
std::vector<double> symmetry_angles(SymmetryGroup group, int continuous_samples = 360);

/// The part names of a category, in a fixed order (see the header comment).
/// Throws InputError for an unknown category.
const std::vector<std::string>& category_parts(const std::string& category);

/// The part of `object` at the surface point p_obj (metres, canonical object
/// frame) with outward unit normal n_obj (object frame). Points a little off
/// the surface (a contact point within a few millimetres) get the part of the
/// nearest surface. Always one of category_parts(object.category). Objects
/// with declared part regions (mesh objects) use those instead.
std::string part_label(const ObjectInstance& object, const Eigen::Vector3d& p_obj,
                       const Eigen::Vector3d& n_obj);

}  // namespace dffeval
