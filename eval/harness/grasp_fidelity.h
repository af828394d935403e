#pragma once
// Is a trial's grasp the demonstrated one? SparseDFF claims that a grasp
// shown once (this part, this way) transfers to new objects; a lift anywhere
// on the object does not show that. The judge compares the trial's contact
// signature (sim/contact_signature.h) with the demonstration's replay on its
// source object, up to the object's symmetry (sim/object_semantics.h).
//
// Metrics (all from the signatures after the fingers closed, before the
// lift: the grasp the method chose, not where the object slid to):
//   - part_agreement: F1 of the trial's set of (link group, part) contacts
//     against the demo's (1: the same parts with the same links);
//   - contact_error: for each link group both the demo and the trial touch,
//     the distance between the trial's contact centroid and the demo's in
//     normalized canonical coordinates (object frame divided by the object's
//     bounding-box size, so a taller novel mug maps onto the demo's),
//     averaged, and minimized over the symmetry group (one rotation for all
//     groups). Groups only one side touches are part_agreement's business
//     (they lower its recall or precision); with no group in common the
//     error is kMissingGroupError (the size of the whole object);
//   - palm_error_sym: palm position and rotation error against the oracle
//     grasp (the demo moved by the true object pose), minimized over the
//     symmetry group; its rotation is a criterion (the approach direction,
//     which the contacts do not give), its position is for reference only
//     (a novel shape moves the demonstrated palm position legitimately).

#include <Eigen/Geometry>
#include <nlohmann/json.hpp>

#include "sim/contact_signature.h"
#include "sim/object_semantics.h"

namespace dffeval {

/// contact_error when no link group touches both in the trial and the demo,
/// normalized units.
inline constexpr double kMissingGroupError = 1.0;

/// When a lifted grasp counts as the demonstrated one (the `transfer` rate).
/// Defaults chosen on `seen_objects` (80 trials, seed 11, build of
/// 2026-12-02) with `oracle-pose` and checked against `heuristic`:
/// oracle-pose's lifted grasps have part_agreement >= 0.5 in 95% of trials
/// and contact_error up to 0.27 (box_top: the demo's palm height on a
/// shorter box puts the fingers lower) with one basket outlier at 0.41;
/// heuristic's grasps on basket_handle, mug_top and bowl_rim have
/// contact_error 0.39 to 0.93. At (0.5, 0.3, thumb) oracle-pose passes
/// 71/80 (the 6 thumb misses: the demo's thumb sits at the top edge of the
/// rim or shoulder, and on a taller instance lands just below it) and
/// heuristic 9/80, none on those three part-specific tasks.
struct TransferCriteria {
  double min_part_agreement = 0.5;
  /// Normalized canonical units.
  double max_contact_error = 0.3;
  /// The thumb must touch one of the parts the demo's thumb touches (vacuous
  /// when the demo's thumb touches nothing).
  bool require_thumb_part = true;
  /// The palm must come from the demonstrated side: palm_error_sym's
  /// rotation at most this, degrees. The contact signature alone has no
  /// approach direction: on a can, the heuristic's top-down power grasp
  /// touches the body with the same links as the side wrap and passed the
  /// three rules above in 33 of 40 `can_wrap` trials on `seen_objects`,
  /// each with the palm turned 91 to 92 degrees from the demonstration's.
  /// Chosen on `seen_objects` (seed 11, the 2026-12-02 judge runs, rejudged
  /// from their records): every grasp of `sparsedff`, `no-refine` and
  /// `oracle-pose` that passes the three rules is within 48 degrees, every
  /// such heuristic grasp on a side-wrap task 90 or more; 60 leaves a margin
  /// on both sides (the `validation` runs' largest, in `real_like`, is 55).
  double max_palm_rotation_deg = 60.0;
  nlohmann::json to_json() const;
};

struct PalmError {
  double position_m = 0.0;
  double rotation_deg = 0.0;
};

struct FidelityMetrics {
  double part_agreement = 0.0;
  double contact_error = kMissingGroupError;
  bool thumb_on_demo_part = false;
  /// The same F1 from the signatures at the end of the hold (for reference).
  double part_agreement_held = 0.0;
  PalmError palm_error_sym;
  nlohmann::json to_json() const;
};

/// F1 of (link group, part) pairs; 0 when either side touches nothing.
double part_agreement(const ContactSignature& trial, const ContactSignature& demo);

/// Mean normalized centroid distance over the link groups both touch,
/// minimized over the rotations of `group` applied to the trial's centroids.
double contact_error(const ContactSignature& trial, const ContactSignature& demo,
                     SymmetryGroup group);

/// The thumb touches a part the demo's thumb touches (true if the demo's
/// thumb touches nothing).
bool thumb_on_demo_part(const ContactSignature& trial, const ContactSignature& demo);

/// Palm error between X_ObjPalm (the trial's palm in its object's frame) and
/// X_ObjPalm_ref (the oracle's palm in the same frame), minimized over the
/// group's rotations of the reference about the object's z axis. The
/// rotation chosen minimizes position_m + kPalmMetresPerRadian * rotation.
PalmError palm_error_sym(const Eigen::Isometry3d& X_ObjPalm, const Eigen::Isometry3d& X_ObjPalm_ref,
                         SymmetryGroup group);
/// 10 cm per radian: about the palm's length, so a turn that moves the
/// fingertips by d weighs like a shift by d.
inline constexpr double kPalmMetresPerRadian = 0.1;

/// The trial's metrics against the demo's signature.
FidelityMetrics measure_fidelity(const ContactSignature& trial_closed,
                                 const ContactSignature& trial_held, const ContactSignature& demo,
                                 SymmetryGroup group, const Eigen::Isometry3d& X_ObjPalm,
                                 const Eigen::Isometry3d& X_ObjPalm_ref);

/// The demonstrated grasp by `criteria` (the lift is checked separately).
bool is_demonstrated_grasp(const FidelityMetrics& m, const TransferCriteria& criteria);

}  // namespace dffeval
