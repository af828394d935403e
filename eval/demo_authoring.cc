#include "eval/demo_authoring.h"

#include "common/input_error.h"
#include "eval/trial_runner.h"
#include "sim/scene_spec.h"
#include "sim/world.h"

namespace dffeval {

ExecutionResult verify_demonstration(const Demonstration& demo, const std::string& scene_set,
                                     const ExecutionConfig& config) {
  const SceneInstance scene = source_scene_instance(demo, load_scene_spec(scene_set));
  auto world = World::compose(scene);
  mjData* d = world->make_settled_data();
  const Grasp g = demo.grasp_in_world(world->body_pose(d, world->target_body()));
  ExecutionResult r = execute_grasp(*world, d, g, config);
  mj_deleteData(d);
  return r;
}

std::array<double, kNumHandJoints> close_fingers_on_object(
    const Demonstration& demo, const std::array<double, kNumHandJoints>& closure,
    double close_time_s) {
  const SceneInstance scene = source_scene_instance(demo, load_scene_spec("clean"));
  auto world = World::compose(scene);
  mjData* d = world->make_settled_data();
  const Grasp g = demo.grasp_in_world(world->body_pose(d, world->target_body()));
  // Every joint closes from zero, so nothing starts inside the object.
  const std::array<double, kNumHandJoints> start{};
  world->teleport_hand(d, g.X_WPalm, start);
  const mjModel* m = world->model();
  const int steps = static_cast<int>(close_time_s / m->opt.timestep);
  for (int k = 1; k <= steps; ++k) {
    const double s = std::min(1.0, 1.5 * k / steps);
    for (int i = 0; i < kNumHandJoints; ++i) {
      d->ctrl[world->finger_actuator()[i]] = (1 - s) * start[i] + s * closure[i];
    }
    world->compensate_hand_gravity(d);
    mj_step(m, d);
  }
  std::array<double, kNumHandJoints> q{};
  for (int i = 0; i < kNumHandJoints; ++i) q[i] = d->qpos[world->finger_qpos_adr()[i]];
  mj_deleteData(d);
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
  if (name == "power") {
    for (const char* f : {"FF", "MF", "RF", "LF"}) finger(f, 1.4, 1.4, 1.0);
    set("THJ5", 0.5), set("THJ4", 1.2), set("THJ2", 0.4), set("THJ1", 0.6);
  } else if (name == "pinch") {
    finger("FF", 1.2, 1.0, 0.6);
    set("THJ5", 0.6), set("THJ4", 1.2), set("THJ2", 0.4), set("THJ1", 0.6);
  } else if (name == "tripod") {
    finger("FF", 1.2, 1.0, 0.6), finger("MF", 1.2, 1.0, 0.6);
    set("THJ5", 0.6), set("THJ4", 1.2), set("THJ2", 0.4), set("THJ1", 0.6);
  } else {
    throw InputError("unknown closure preset '" + name + "' (known: power, pinch, tripod)");
  }
  return q;
}

}  // namespace dffeval
