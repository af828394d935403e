#include "sim/force_test.h"

#include <cmath>

namespace dffeval {
nlohmann::json ForceTestResult::to_json() const {
  nlohmann::json p = nlohmann::json::array();
  for (const auto& push : pushes) {
    p.push_back({{"direction", push.direction},
                 {"held", push.held},
                 {"max_translation_m", push.max_translation_m},
                 {"max_rotation_deg", push.max_rotation_deg},
                 {"duration_s", push.duration_s}});
  }
  return {{"holds", holds}, {"force_n", force_n}, {"pushes", p}, {"detail", detail}};
}

namespace {
/// True when the motion `moved` over the last window is slower than the rest
/// speeds and, continued for the `remaining_s` of the push, keeps the object
/// inside both bounds.
bool slow_enough(const Eigen::Isometry3d& moved, double window_s, double remaining_s,
                 const ForcePush& push, const ForceTestConfig& config) {
  const double speed_m_s = moved.translation().norm() / window_s;
  const double speed_deg_s = Eigen::AngleAxisd(moved.rotation()).angle() * 180.0 / M_PI / window_s;
  return speed_m_s < config.rest_speed_m_s && speed_deg_s < config.rest_speed_deg_s &&
         push.max_translation_m + speed_m_s * remaining_s < config.max_translation_m &&
         push.max_rotation_deg + speed_deg_s * remaining_s < config.max_rotation_deg;
}
/// The push on the object: on a rigid one at its centre of mass; on a soft
/// one spread over its composite's bodies by mass (as gravity is), so that
/// the centre body alone is not pulled through the surface. The rigid branch
/// is the general one with a mass share of exactly 1, written out so that
/// the force is bit for bit the one every committed result was made with.
void apply_object_force(const World& world, const Eigen::Vector3d& f, mjData* d) {
  const mjModel* m = world.model();
  const int target = world.target_body();
  if (!world.scene().target.object.soft) {
    for (int i = 0; i < 3; ++i) d->xfrc_applied[6 * target + i] = f[i];
    return;
  }
  const double total_kg = m->body_subtreemass[target];
  for (int b = target; b < m->nbody; ++b) {
    if (!world.is_target_body(b)) continue;
    for (int i = 0; i < 3; ++i) d->xfrc_applied[6 * b + i] = f[i] * m->body_mass[b] / total_kg;
  }
}
}  // namespace

ForceTestResult run_force_test(const World& world, const mjData* held,
                               const ForceTestConfig& config) {
  const mjModel* m = world.model();
  const int target = world.target_body();
  ForceTestResult r;
  const double g = Eigen::Vector3d(m->opt.gravity[0], m->opt.gravity[1], m->opt.gravity[2]).norm();
  r.force_n = config.force_multiple_of_weight * m->body_subtreemass[target] * g;
  const Eigen::Isometry3d X_PalmObj0 =
      world.palm_pose(held).inverse() * world.body_pose(held, target);
  const double dt = m->opt.timestep;
  const int n_ramp = std::max(1, static_cast<int>(std::lround(config.ramp_time_s / dt)));
  const int n_total = n_ramp + std::max(0, static_cast<int>(std::lround(config.hold_time_s / dt)));
  const int n_window = std::max(1, static_cast<int>(std::lround(config.settle_window_s / dt)));
  const double window_s = n_window * dt;
  const MjDataPtr scratch = world.make_data();
  mjData* d = scratch.get();
  const char* names[6] = {"+x", "-x", "+y", "-y", "+z", "-z"};
  r.holds = true;
  for (int k = 0; k < 6 && r.holds; ++k) {
    mj_copyData(d, m, held);
    clear_divergence_warnings(d);
    Eigen::Vector3d dir = Eigen::Vector3d::Zero();
    dir[k / 2] = k % 2 == 0 ? 1.0 : -1.0;
    ForcePush push;
    push.direction = names[k];
    push.held = true;
    Eigen::Isometry3d X_PalmObj_window = X_PalmObj0;
    int slow_windows = 0;
    for (int step = 1; step <= n_total; ++step) {
      const double s = std::min(1.0, static_cast<double>(step) / n_ramp);
      const Eigen::Vector3d f = s * s * (3 - 2 * s) * r.force_n * dir;  // smooth ramp
      world.compensate_hand_gravity(d);
      apply_object_force(world, f, d);
      mj_step(m, d);
      r.sim_time_s += dt;
      push.duration_s += dt;
      // MuJoCo resets a diverged state to a finite one, which would read as
      // the object sliding out of the hand.
      const std::string diverged = divergence_warning(d);
      if (!diverged.empty() || !state_is_finite(m, d)) {
        push.held = false;
        r.diverged = true;
        r.detail = std::string(kSimulationDiverged) + " during the " + push.direction + " push";
        if (!diverged.empty()) r.detail += ": " + diverged;
        break;
      }
      const Eigen::Isometry3d X_PalmObj = world.palm_pose(d).inverse() * world.body_pose(d, target);
      const Eigen::Isometry3d delta = X_PalmObj0.inverse() * X_PalmObj;
      push.max_translation_m = std::max(
          push.max_translation_m, (X_PalmObj.translation() - X_PalmObj0.translation()).norm());
      push.max_rotation_deg = std::max(push.max_rotation_deg,
                                       Eigen::AngleAxisd(delta.rotation()).angle() * 180.0 / M_PI);
      if (push.max_translation_m >= config.max_translation_m ||
          push.max_rotation_deg >= config.max_rotation_deg) {
        push.held = false;
        break;
      }
      if (config.stop_when_settled && step >= n_ramp && (step - n_ramp) % n_window == 0) {
        if (step > n_ramp) {
          const bool slow = slow_enough(X_PalmObj_window.inverse() * X_PalmObj, window_s,
                                        (n_total - step) * dt, push, config);
          slow_windows = slow ? slow_windows + 1 : 0;
          if (slow_windows >= config.settle_windows) break;
        }
        X_PalmObj_window = X_PalmObj;
      }
    }
    r.holds = push.held;
    r.pushes.push_back(push);
  }
  return r;
}

}  // namespace dffeval
