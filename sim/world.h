#pragma once
// A simulated world: the scene's MJCF composed in memory (table, cameras,
// lights, target and clutter objects, and the Shadow hand from
// assets/shadow_hand.xml), compiled once. The World is immutable and shared;
// each user makes its own mjData (model/data split).

#include <mujoco/mujoco.h>

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/drawn_scene.h"
#include "types/grasp.h"

namespace dffeval {

/// Simulation settings shared by all worlds.
struct PhysicsSettings {
  /// Integration step, seconds. 4 ms (DexGraspBench's step) halves a trial's
  /// cost against 2 ms with the same demonstration and oracle-pose success;
  /// MuJoCo raises contact time constants below two steps (object-object
  /// 0.004) to two steps.
  double timestep_s = 0.004;
  /// Where the hand waits, out of every camera's view, metres (world).
  Eigen::Vector3d hand_park_position_m{0.0, 0.0, 1.5};
};

/// Owns an mjData: every mjData of the project lives in one of these, so an
/// exception between making and freeing one leaks nothing.
struct MjDataDeleter {
  void operator()(mjData* d) const { mj_deleteData(d); }
};
using MjDataPtr = std::unique_ptr<mjData, MjDataDeleter>;

class World {
 public:
  /// Composes and compiles the scene. Throws InputError if an asset is
  /// missing, std::runtime_error with MuJoCo's message if compilation fails.
  static std::unique_ptr<World> compose(const DrawnScene& scene,
                                        const PhysicsSettings& physics = {});
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  const mjModel* model() const { return model_; }
  /// Unique per World ever composed in this process (never reused, unlike
  /// the model's address once a World is freed): the renderer keys its GPU
  /// uploads on it.
  std::uint64_t serial() const { return serial_; }
  const DrawnScene& scene() const { return scene_; }
  const PhysicsSettings& physics() const { return physics_; }
  /// The composed MJCF text (for debugging and `dffeval render --dump-xml`).
  const std::string& xml() const { return xml_; }

  /// New data with the hand parked and the objects at their rest poses,
  /// settled for `settle_s` seconds so that rendering and grasping start from
  /// rest.
  MjDataPtr make_settled_data(double settle_s = 0.3) const;
  /// New data of this world's model, uninitialized beyond mj_makeData (for
  /// copies of a settled state).
  MjDataPtr make_data() const;

  /// Applies the hand's gravity compensation (xfrc_applied); call before every
  /// mj_step. The real hand's arm holds it up; here the weld to the mocap
  /// target should not have to.
  void compensate_hand_gravity(mjData* d) const;
  /// Places the palm (and its mocap target) at X_WPalm and sets the finger
  /// joints (positions and position-servo targets), with zero velocities.
  void teleport_hand(mjData* d, const Eigen::Isometry3d& X_WPalm,
                     const std::array<double, kNumHandJoints>& joints_rad) const;
  /// Moves only the mocap target (the weld pulls the palm after it).
  void set_palm_target(mjData* d, const Eigen::Isometry3d& X_WPalm) const;
  Eigen::Isometry3d palm_pose(const mjData* d) const;
  Eigen::Isometry3d body_pose(const mjData* d, int body) const;

  bool is_hand_body(int body) const { return hand_body_[body] != 0; }
  bool is_hand_geom(int geom) const { return is_hand_body(model_->geom_bodyid[geom]); }

  int target_body() const { return target_body_; }
  /// The target's own body or, for a soft object, any body of its composite
  /// (every body whose root is the target).
  bool is_target_body(int body) const { return model_->body_rootid[body] == target_body_; }
  bool is_target_geom(int geom) const { return is_target_body(model_->geom_bodyid[geom]); }
  /// The height a lift is measured on, metres (world z): the target frame's
  /// origin for a rigid object; a soft object's centre of mass (its
  /// composite's bodies deform around the frame). subtree_com is MuJoCo's,
  /// from the last mj_forward or mj_step.
  double target_height_m(const mjData* d) const;
  const std::vector<int>& clutter_bodies() const { return clutter_bodies_; }
  int table_geom() const { return table_geom_; }
  int palm_body() const { return palm_body_; }
  const std::vector<int>& camera_ids() const { return camera_ids_; }
  /// qpos address and actuator index of each finger joint (Grasp order).
  const std::array<int, kNumHandJoints>& finger_qpos_adr() const { return finger_qpos_adr_; }
  const std::array<int, kNumHandJoints>& finger_actuator() const { return finger_actuator_; }
  /// Joint range [lo, hi] of each finger joint, radians.
  std::array<double, 2> finger_range(int i) const;

 private:
  /// Looks up the bodies, joints, actuators and cameras the world uses.
  void find_ids();
  World() = default;
  mjModel* model_ = nullptr;
  std::uint64_t serial_ = 0;
  DrawnScene scene_;
  PhysicsSettings physics_;
  std::string xml_;
  std::vector<char> hand_body_;
  int target_body_ = -1;
  std::vector<int> clutter_bodies_;
  int table_geom_ = -1;
  int palm_body_ = -1;
  int palm_mocap_ = -1;
  int palm_free_qpos_ = -1;
  int palm_free_dof_ = -1;
  std::vector<int> camera_ids_;
  std::array<int, kNumHandJoints> finger_qpos_adr_{};
  std::array<int, kNumHandJoints> finger_dof_adr_{};
  std::array<int, kNumHandJoints> finger_actuator_{};
};

/// True if every position and velocity of d is finite (no NaN, no inf).
bool state_is_finite(const mjModel* m, const mjData* d);

/// How a `detail` that reports a diverged simulation begins.
inline constexpr char kSimulationDiverged[] = "simulation diverged";

/// A simulation that diverged where the caller cannot return a verdict
/// (settling a scene): the scene, not the grasp, is at fault.
class SimulationError : public std::runtime_error {
 public:
  explicit SimulationError(const std::string& what) : std::runtime_error(what) {}
};

/// What MuJoCo found bad since clear_divergence_warnings(d), or "" if
/// nothing: on a NaN, inf or huge qpos, qvel or qacc mj_step resets the
/// whole state to the model's defaults (a finite state, so state_is_finite
/// cannot tell), and it zeroes a bad control. Check after every mj_step.
std::string divergence_warning(const mjData* d);
void clear_divergence_warnings(mjData* d);

/// Sends MuJoCo's warnings and errors to stderr (its default prints them on
/// stdout, into the tables, and writes MUJOCO_LOG.TXT in the working
/// folder). Done by every World::compose; idempotent and thread-safe.
void route_mujoco_messages_to_stderr();

/// Compiles MJCF text that may include shadow_hand.xml (resolved from
/// assets/). Throws std::runtime_error with MuJoCo's message on failure.
mjModel* compile_mjcf_with_hand(const std::string& xml);

}  // namespace dffeval
