#pragma once
// MJCF text of an object (sim/object_catalog.h): its assets and its body,
// for World::compose and tests that build their own worlds.

#include <Eigen/Geometry>
#include <string>

#include "sim/object_catalog.h"

namespace dffeval {

/// MJCF text for the <asset> section: material "{prefix}_mat", for a
/// checker instance texture "{prefix}_tex", and for each mesh part i a
/// <mesh name="{prefix}_m{i}"> with its vertices and faces inline.
std::string object_asset_mjcf(const ObjectInstance& object, const std::string& prefix);

/// MJCF text of a <body name="{prefix}"> at pose X_WObj (pos + quat, MuJoCo
/// quat order w x y z) with <freejoint name="{prefix}_free"/>, one geom per
/// part named "{prefix}_g{i}" (material "{prefix}_mat", contype/conaffinity 1,
/// condim 4, friction "{friction} 0.005 0.0001", density chosen so the body's
/// total mass is mass_kg, solref "0.004 1", solimp "0.95 0.99 0.001") and a
/// site "{prefix}_origin" (group 4, hidden by default) at the object-frame
/// origin. Mesh parts: an explicit mass (density times the enclosed volume),
/// drawn-only parts contype/conaffinity 0, massless, group 1, and the
/// collision pieces of an object with a drawn-only part group 3 (hidden).
/// A soft object: instead of the part geoms, a hidden anchor geom and a
/// body "{prefix}_core" at the ball's centre holding the composite (bodies
/// "{prefix}B..."), every body under "{prefix}" (World::is_target_body).
/// Needs object_asset_mjcf(object, prefix) in <asset>.
std::string object_body_mjcf(const ObjectInstance& object, const std::string& prefix,
                             const Eigen::Isometry3d& X_WObj);

}  // namespace dffeval
