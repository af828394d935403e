#include "sim/grasp_executor.h"

#include <chrono>
#include <cmath>

namespace dffeval {

std::string to_string(FailureMode mode) {
  switch (mode) {
    case FailureMode::kNone:
      return "none";
    case FailureMode::kNoContact:
      return "no_contact";
    case FailureMode::kSlipped:
      return "slipped";
    case FailureMode::kPushedAway:
      return "pushed_away";
    case FailureMode::kHandHitTable:
      return "hand_hit_table";
    case FailureMode::kSimError:
      return "sim_error";
  }
  return "unknown";
}

nlohmann::json ExecutionResult::to_json() const {
  return {{"success", success},
          {"failure_mode", to_string(failure)},
          {"initial_penetration_m", initial_penetration_m},
          {"initial_penetration_pair", initial_penetration_pair},
          {"initial_table_penetration_m", initial_table_penetration_m},
          {"object_lift_m", object_lift_m},
          {"displacement_at_close_m", displacement_at_close_m},
          {"contact_after_close", contact_after_close},
          {"contact_at_end", contact_at_end},
          {"hand_object_contacts_at_end", hand_object_contacts_at_end},
          {"max_table_penetration_m", max_table_penetration_m},
          {"contacts_closed", contacts_closed.to_json()},
          {"contacts_held", contacts_held.to_json()},
          {"sim_time_s", sim_time_s},
          {"detail", detail}};
}

namespace {

/// Hand-object contact count and deepest hand-table penetration at d.
struct ContactSummary {
  int hand_object = 0;
  double table_penetration_m = 0.0;
};

/// The geom the hand touches in contact c, or -1 if c is not between a hand
/// geom and a non-hand geom.
int geom_touched_by_hand(const World& w, const mjContact& c) {
  const bool h1 = w.is_hand_geom(c.geom1), h2 = w.is_hand_geom(c.geom2);
  if (h1 == h2) return -1;
  return h1 ? c.geom2 : c.geom1;
}

ContactSummary summarize_contacts(const World& w, const mjData* d) {
  ContactSummary s;
  for (int i = 0; i < d->ncon; ++i) {
    const mjContact& c = d->contact[i];
    const int other = geom_touched_by_hand(w, c);
    if (other < 0) continue;
    if (w.is_target_geom(other)) ++s.hand_object;
    if (other == w.table_geom()) s.table_penetration_m = std::max(s.table_penetration_m, -c.dist);
  }
  return s;
}

/// Extra flexion towards closing: away from the pre-shape, past the target.
std::array<double, kNumHandJoints> squeezed(const World& w, const Grasp& g,
                                            const std::array<double, kNumHandJoints>& open,
                                            double squeeze_rad) {
  std::array<double, kNumHandJoints> out = g.joints_rad;
  for (int i = 0; i < kNumHandJoints; ++i) {
    const double delta = g.joints_rad[i] - open[i];
    if (std::abs(delta) > 0.05) out[i] += std::copysign(squeeze_rad, delta);
    const auto r = w.finger_range(i);
    out[i] = std::clamp(out[i], r[0], r[1]);
  }
  return out;
}

/// The pre-shape: fingers partly open, the thumb already rotated into
/// opposition.
std::array<double, kNumHandJoints> preshape(const World& w, const Grasp& g, double fraction) {
  std::array<double, kNumHandJoints> open{};
  const auto& names = hand_joint_names();
  for (int i = 0; i < kNumHandJoints; ++i) {
    const bool thumb_base = names[i] == "THJ5" || names[i] == "THJ4";
    open[i] = thumb_base ? g.joints_rad[i] : fraction * g.joints_rad[i];
    const auto r = w.finger_range(i);
    open[i] = std::clamp(open[i], r[0], r[1]);
  }
  return open;
}

/// Why a finished, unsuccessful execution failed: the first cause in time
/// wins (table hit, knocked away, never held, lost).
FailureMode cause_of_failure(const ExecutionResult& r) {
  if (r.max_table_penetration_m > 0.005 && !r.contact_after_close) {
    return FailureMode::kHandHitTable;
  }
  if (!r.contact_after_close) {
    return r.displacement_at_close_m > 0.02 ? FailureMode::kPushedAway : FailureMode::kNoContact;
  }
  return FailureMode::kSlipped;
}

}  // namespace

double hand_penetration_m(const World& w, const mjData* d, int other_body,
                          std::string* deepest_pair) {
  const mjModel* m = w.model();
  double deepest = 0.0;
  for (int i = 0; i < d->ncon; ++i) {
    const mjContact& c = d->contact[i];
    const int other = geom_touched_by_hand(w, c);
    if (other < 0) continue;
    // An object's body or any body under it (a soft object's composite).
    const bool match = other_body < 0 ? other == w.table_geom()
                                      : m->body_rootid[m->geom_bodyid[other]] == other_body;
    if (match && -c.dist > deepest) {
      deepest = -c.dist;
      if (deepest_pair) {
        const char* n1 = mj_id2name(m, mjOBJ_GEOM, c.geom1);
        const char* n2 = mj_id2name(m, mjOBJ_GEOM, c.geom2);
        *deepest_pair = std::string(n1 ? n1 : "?") + "/" + (n2 ? n2 : "?");
      }
    }
  }
  return deepest;
}

ExecutionResult execute_grasp(const World& world, mjData* d, const Grasp& grasp,
                              const ExecutionConfig& cfg, const StepObserver& after_step) {
  const auto t_start = std::chrono::steady_clock::now();
  const mjModel* m = world.model();
  ExecutionResult r;
  const int target = world.target_body();
  const Eigen::Isometry3d X_WObj0 = world.body_pose(d, target);
  const double rest_z = world.target_height_m(d);

  // Penetration of the grasp as given, measured in place: teleporting the hand
  // and running mj_forward leave the object's state as it was, and the hand is
  // teleported to the pre-grasp below anyway (a scratch mjData would cost an
  // allocation and a copy of the whole solver stack per trial).
  world.teleport_hand(d, grasp.X_WPalm, grasp.joints_rad);
  r.initial_penetration_m = hand_penetration_m(world, d, target, &r.initial_penetration_pair);
  r.initial_table_penetration_m = hand_penetration_m(world, d, -1);
  const int overflows_before =
      d->warning[mjWARN_CONTACTFULL].number + d->warning[mjWARN_CNSTRFULL].number;
  clear_divergence_warnings(d);

  const auto open = preshape(world, grasp, cfg.preshape_fraction);
  const auto closed = squeezed(world, grasp, open, cfg.squeeze_rad);
  Eigen::Isometry3d X_pre = grasp.X_WPalm;
  X_pre.translation() += grasp.X_WPalm.linear() * Eigen::Vector3d(0, cfg.pregrasp_backoff_m, 0);
  world.teleport_hand(d, X_pre, open);

  const double dt = m->opt.timestep;
  bool ok = true;
  auto step = [&]() {
    world.compensate_hand_gravity(d);
    mj_step(m, d);
    r.sim_time_s += dt;
    if (after_step) after_step(*d);
    // A reset state is finite and at rest: without this check an exploding
    // simulation read as a slip.
    r.detail = divergence_warning(d);
    if (!r.detail.empty()) return ok = false;
    if (!state_is_finite(m, d)) return ok = false;
    const double* v = d->cvel + 6 * target;  // [angular; linear] at the body's com frame
    if (std::sqrt(v[3] * v[3] + v[4] * v[4] + v[5] * v[5]) > cfg.max_object_speed_m_s) {
      return ok = false;
    }
    return true;
  };
  auto smooth = [](double s) { return s * s * (3 - 2 * s); };  // no jerk at the ends

  // Approach along the palmar normal.
  const int n_approach = std::max(1, static_cast<int>(cfg.approach_time_s / dt));
  for (int k = 1; k <= n_approach && ok; ++k) {
    const double s = smooth(static_cast<double>(k) / n_approach);
    Eigen::Isometry3d X = grasp.X_WPalm;
    X.translation() = (1 - s) * X_pre.translation() + s * grasp.X_WPalm.translation();
    world.set_palm_target(d, X);
    if (!step()) break;
    r.max_table_penetration_m =
        std::max(r.max_table_penetration_m, summarize_contacts(world, d).table_penetration_m);
  }
  // Close, then let the grip settle.
  const int n_close = std::max(1, static_cast<int>(cfg.close_time_s / dt));
  for (int k = 1; k <= n_close + n_close / 3 && ok; ++k) {
    const double s = smooth(std::min(1.0, static_cast<double>(k) / n_close));
    for (int i = 0; i < kNumHandJoints; ++i) {
      d->ctrl[world.finger_actuator()[i]] = (1 - s) * open[i] + s * closed[i];
    }
    if (!step()) break;
    r.max_table_penetration_m =
        std::max(r.max_table_penetration_m, summarize_contacts(world, d).table_penetration_m);
  }
  if (ok) {
    r.contact_after_close = summarize_contacts(world, d).hand_object > 0;
    r.contacts_closed = read_contact_signature(world, d);
    const Eigen::Vector3d moved = world.body_pose(d, target).translation() - X_WObj0.translation();
    r.displacement_at_close_m = moved.head<2>().norm();
  }
  if (cfg.stop_after_close) {
    r.object_lift_m = world.target_height_m(d) - rest_z;
    if (!ok) {
      r.failure = FailureMode::kSimError;
      if (r.detail.empty()) r.detail = "simulation diverged (NaN or object speed above limit)";
    }
    r.wall_time_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    return r;
  }
  // Lift straight up, then hold.
  const int n_lift = std::max(1, static_cast<int>(cfg.lift_time_s / dt));
  for (int k = 1; k <= n_lift && ok; ++k) {
    const double s = smooth(static_cast<double>(k) / n_lift);
    Eigen::Isometry3d X = grasp.X_WPalm;
    X.translation().z() += s * cfg.lift_height_m;
    world.set_palm_target(d, X);
    if (!step()) break;
  }
  const int n_hold = std::max(1, static_cast<int>(cfg.hold_time_s / dt));
  for (int k = 0; k < n_hold && ok; ++k) {
    if (!step()) break;
  }

  // Contacts dropped for lack of room (njmax, nconmax) make the physics wrong.
  const int overflows = d->warning[mjWARN_CONTACTFULL].number + d->warning[mjWARN_CNSTRFULL].number;
  if (ok && overflows > overflows_before) {
    ok = false;
    r.detail = "contact or constraint buffer full (raise njmax/nconmax in sim/world.cc)";
  }
  if (!ok) {
    r.failure = FailureMode::kSimError;
    if (r.detail.empty()) r.detail = "simulation diverged (NaN or object speed above limit)";
  } else {
    const auto end = summarize_contacts(world, d);
    r.hand_object_contacts_at_end = end.hand_object;
    r.contact_at_end = end.hand_object > 0;
    r.contacts_held = read_contact_signature(world, d);
    r.object_lift_m = world.target_height_m(d) - rest_z;
    r.success = r.contact_at_end && r.object_lift_m >= cfg.success_height_m;
    if (!r.success) r.failure = cause_of_failure(r);
  }
  r.wall_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  return r;
}

}  // namespace dffeval
