#pragma once
// Executes a grasp in a World and judges it: pre-grasp a few centimetres back
// along the approach with the fingers open, approach, close to the target
// joints plus a squeeze, lift, hold; success if the object is up and held.

#include <mujoco/mujoco.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/contact_signature.h"
#include "sim/world.h"
#include "types/grasp.h"

namespace dffeval {

/// Timing and geometry of a grasp execution. Defaults follow the harness
/// issue: lift 0.2 m, success at 0.1 m above rest after a hold of >= 1 s.
struct ExecutionConfig {
  /// Pre-grasp offset away from the palmar side (palm +y), metres.
  double pregrasp_backoff_m = 0.06;
  /// Fraction of each target joint angle held while approaching (the
  /// thumb's base rotation THJ5 and opposition THJ4 keep their target).
  double preshape_fraction = 0.25;
  double approach_time_s = 0.5;
  double close_time_s = 0.6;
  /// Extra flexion past the target, towards closing, radians.
  double squeeze_rad = 0.3;
  double lift_height_m = 0.2;
  double lift_time_s = 1.0;
  double hold_time_s = 1.0;
  /// Success: the object ends at least this high above its rest height, metres.
  double success_height_m = 0.1;
  /// A trial whose object moves faster than this is unstable, m/s.
  double max_object_speed_m_s = 20.0;
  /// Return right after the fingers closed and settled: for pictures. The
  /// result then has contacts_closed, the closing's measurements and
  /// object_lift_m at that moment, and no verdict (success false, failure
  /// kNone unless the simulation failed).
  bool stop_after_close = false;
};

enum class FailureMode {
  kNone,
  kNoContact,     ///< the hand never held the object
  kSlipped,       ///< held after closing, lost during lift or hold
  kPushedAway,    ///< the object was knocked away before it was held
  kHandHitTable,  ///< the hand pressed into the table before the lift
  kSimError,      ///< NaN, divergence or an exploding simulation
};
std::string to_string(FailureMode mode);

struct ExecutionResult {
  bool success = false;
  FailureMode failure = FailureMode::kNone;
  /// Deepest hand-object penetration with the hand placed at the grasp, m.
  double initial_penetration_m = 0.0;
  /// The hand and object geoms of that deepest penetration ("" if none).
  std::string initial_penetration_pair;
  /// Deepest hand-table penetration with the hand placed at the grasp, m.
  double initial_table_penetration_m = 0.0;
  /// Object height gain at the end relative to its rest height, metres.
  double object_lift_m = 0.0;
  /// Horizontal object displacement when the fingers finished closing, m.
  double displacement_at_close_m = 0.0;
  bool contact_after_close = false;
  bool contact_at_end = false;
  int hand_object_contacts_at_end = 0;
  /// Largest hand-table contact penetration during approach and close, m.
  double max_table_penetration_m = 0.0;
  /// Where the hand touched the object when the fingers had closed and
  /// settled (before the lift), and at the end of the hold.
  ContactSignature contacts_closed;
  ContactSignature contacts_held;
  double sim_time_s = 0.0;
  double wall_time_s = 0.0;
  std::string detail;
  nlohmann::json to_json() const;
};

/// Called after each physics step of an execution with the state (a video's
/// frames); it must not change the state.
using StepObserver = std::function<void(const mjData& d)>;

/// Runs a grasp on the world's target, starting from `d` (settled, hand
/// parked; it is modified). Never throws for an unstable simulation: that is
/// a kSimError result. `after_step`, when set, sees every step.
ExecutionResult execute_grasp(const World& world, mjData* d, const Grasp& grasp,
                              const ExecutionConfig& config = {},
                              const StepObserver& after_step = {});

/// Deepest penetration (metres, >= 0) between hand geoms and the bodies
/// selected by `other_body` (an object's top-level body id, which selects
/// every body under it too, or -1 for the table geom), at the state d.
double hand_penetration_m(const World& world, const mjData* d, int other_body,
                          std::string* deepest_pair = nullptr);

}  // namespace dffeval
