#include "eval/harness/demo_authoring.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "common/input_error.h"
#include "eval/harness/trial_runner.h"
#include "sim/scene_set.h"
#include "sim/world.h"

namespace dffeval {

ExecutionResult verify_demonstration(const Demonstration& demo, const std::string& scene_set,
                                     const ExecutionConfig& config) {
  const DrawnScene scene = draw_source_scene(demo, load_scene_set(scene_set));
  auto world = World::compose(scene);
  const MjDataPtr d_data = world->make_settled_data();
  mjData* d = d_data.get();
  const Grasp g = demo.grasp_in_world(world->body_pose(d, world->target_body()));
  ExecutionResult r = execute_grasp(*world, d, g, config);
  return r;
}

std::array<double, kNumHandJoints> close_fingers_on_object(
    const Demonstration& demo, const std::array<double, kNumHandJoints>& closure,
    double close_time_s) {
  const DrawnScene scene = draw_source_scene(demo, load_scene_set("clean"));
  auto world = World::compose(scene);
  const mjModel* m = world->model();
  const MjDataPtr d_data = world->make_settled_data();
  mjData* d = d_data.get();
  const Grasp g = demo.grasp_in_world(world->body_pose(d, world->target_body()));

  // The object is held where it settled: the recorded joints then touch the
  // object at the pose the palm is given in. A free object was pushed away by
  // the closing fingers, and the fingers recorded around the displaced object
  // sank up to a finger radius into it on replay.
  // A soft object is held in its whole rest shape (every joint of its
  // composite, not only the free joint), so the fingers close on the ball
  // as it rests. Its light elements still let them sink 13-20 mm (README
  // "A soft object").
  std::vector<std::pair<int, int>> held_qpos, held_dofs;  // (address, count)
  for (int j = 0; j < m->njnt; ++j) {
    if (!world->is_target_body(m->jnt_bodyid[j])) continue;
    const int type = m->jnt_type[j];
    const int nq = type == mjJNT_FREE ? 7 : type == mjJNT_BALL ? 4 : 1;
    const int nv = type == mjJNT_FREE ? 6 : type == mjJNT_BALL ? 3 : 1;
    held_qpos.emplace_back(m->jnt_qposadr[j], nq);
    held_dofs.emplace_back(m->jnt_dofadr[j], nv);
  }
  const std::vector<double> q_obj(d->qpos, d->qpos + m->nq);
  auto step = [&]() {
    world->compensate_hand_gravity(d);
    mj_step(m, d);
    for (const auto& [adr, n] : held_qpos) std::copy_n(q_obj.data() + adr, n, d->qpos + adr);
    for (const auto& [adr, n] : held_dofs) std::fill_n(d->qvel + adr, n, 0.0);
  };

  // Like the executor: the thumb's base rotation and opposition (THJ5, THJ4)
  // are set before the approach, the other joints open. Closing every joint
  // from zero with the palm already in place laid the unopposed thumb flat on
  // the object, and a flat face (a box top) then blocked its opposition.
  std::array<double, kNumHandJoints> start{};
  const auto& names = hand_joint_names();
  for (int i = 0; i < kNumHandJoints; ++i) {
    if (names[i] == "THJ5" || names[i] == "THJ4") start[i] = closure[i];
  }
  const ExecutionConfig exec;
  Eigen::Isometry3d X_pre = g.X_WPalm;
  X_pre.translation() += g.X_WPalm.linear() * Eigen::Vector3d(0, exec.pregrasp_backoff_m, 0);
  world->teleport_hand(d, X_pre, start);
  const int n_approach = std::max(1, static_cast<int>(exec.approach_time_s / m->opt.timestep));
  for (int k = 1; k <= n_approach; ++k) {
    const double s = static_cast<double>(k) / n_approach;
    Eigen::Isometry3d X = g.X_WPalm;
    X.translation() = (1 - s) * X_pre.translation() + s * g.X_WPalm.translation();
    world->set_palm_target(d, X);
    step();
  }
  const int steps = std::max(1, static_cast<int>(close_time_s / m->opt.timestep));
  for (int k = 1; k <= steps; ++k) {
    const double s = std::min(1.0, 1.5 * k / steps);
    for (int i = 0; i < kNumHandJoints; ++i) {
      d->ctrl[world->finger_actuator()[i]] = (1 - s) * start[i] + s * closure[i];
    }
    step();
  }
  std::array<double, kNumHandJoints> q{};
  for (int i = 0; i < kNumHandJoints; ++i) q[i] = d->qpos[world->finger_qpos_adr()[i]];
  return q;
}

Eigen::Isometry3d palm_pose_from_axes(const Eigen::Vector3d& position_m,
                                      const Eigen::Vector3d& palmar_normal,
                                      const Eigen::Vector3d& fingers) {
  const Eigen::Vector3d y = -palmar_normal.normalized();
  Eigen::Vector3d z = fingers - fingers.dot(y) * y;
  if (z.norm() < 1e-6)
    throw InputError("the finger direction must not be parallel to the palmar normal");
  z.normalize();
  Eigen::Isometry3d X = Eigen::Isometry3d::Identity();
  X.linear().col(0) = y.cross(z);
  X.linear().col(1) = y;
  X.linear().col(2) = z;
  X.translation() = position_m;
  return X;
}

std::array<double, kNumHandJoints> closure_preset(const std::string& name) {
  std::array<double, kNumHandJoints> q{};
  const auto& names = hand_joint_names();
  auto set = [&](const std::string& joint, double v) {
    for (int i = 0; i < kNumHandJoints; ++i)
      if (names[i] == joint) q[i] = v;
  };
  auto finger = [&](const std::string& f, double j3, double j2, double j1) {
    set(f + "J3", j3), set(f + "J2", j2), set(f + "J1", j1);
  };
  // The thumb's tip flexion THJ1 closes towards negative angles (range
  // [-1.571, 0]); the presets used to ask for +0.6, which the servo's control
  // range clamped to 0, so 0 is written where that was the effect.
  if (name == "power") {
    for (const char* f : {"FF", "MF", "RF", "LF"}) finger(f, 1.4, 1.4, 1.0);
    set("THJ5", 0.5), set("THJ4", 1.2), set("THJ2", 0.4), set("THJ1", 0.0);
  } else if (name == "power_flat") {
    // A power grasp of a flat-sided object from above: the thumb's base is
    // not rotated under the palm (THJ5 0), so it swings down outside the near
    // face instead of landing on the top face, and its tip curls in.
    for (const char* f : {"FF", "MF", "RF", "LF"}) finger(f, 1.4, 1.4, 1.0);
    set("THJ5", 0.0), set("THJ4", 1.2), set("THJ2", 0.4), set("THJ1", -0.3);
  } else if (name == "pinch") {
    finger("FF", 1.2, 1.0, 0.6);
    set("THJ5", 0.6), set("THJ4", 1.2), set("THJ2", 0.4), set("THJ1", 0.0);
  } else if (name == "tripod") {
    finger("FF", 1.2, 1.0, 0.6), finger("MF", 1.2, 1.0, 0.6);
    set("THJ5", 0.6), set("THJ4", 1.2), set("THJ2", 0.4), set("THJ1", 0.0);
  } else {
    throw InputError("unknown closure preset '" + name +
                     "' (known: power, power_flat, pinch, tripod)");
  }
  return q;
}

}  // namespace dffeval
