#include "sim/world.h"

#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "common/input_error.h"
#include "common/project_paths.h"
#include "sim/object_mjcf.h"

namespace dffeval {
namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void add_vfs_file(mjVFS* vfs, const std::string& name, const std::string& text) {
  if (mj_makeEmptyFileVFS(vfs, name.c_str(), static_cast<int>(text.size())) != 0) {
    throw std::runtime_error("cannot add " + name + " to the MuJoCo VFS");
  }
  std::memcpy(vfs->filedata[mj_findFileVFS(vfs, name.c_str())], text.data(), text.size());
}

std::string vec(const Eigen::Vector3d& v) {
  return fmt::format("{:.6g} {:.6g} {:.6g}", v.x(), v.y(), v.z());
}

/// MuJoCo cameras look along their -z with +y up; ours (OpenCV) along +z
/// with +y down: the same x axis, y flipped.
std::string camera_xml(const CameraPlacement& c) {
  const Eigen::Matrix3d R = c.X_WC.linear();
  const Eigen::Vector3d x = R.col(0), y_up = -R.col(1);
  return fmt::format(R"(<camera name="{}" pos="{}" xyaxes="{} {}" fovy="{:.6g}"/>)", c.name,
                     vec(c.X_WC.translation()), vec(x), vec(y_up), c.fovy_deg);
}

/// The world's MJCF: options, the hand (included), the table, lights,
/// cameras and the scene's objects.
std::string world_mjcf(const DrawnScene& scene, const PhysicsSettings& physics) {
  int off_w = 64, off_h = 64;
  for (const auto& c : scene.cameras) {
    off_w = std::max(off_w, c.width);
    off_h = std::max(off_h, c.height);
  }
  std::ostringstream x;
  x << "<mujoco model=\"dffeval_world\">\n"
    << "<compiler angle=\"radian\" autolimits=\"true\"/>\n"
    // Elliptic cones and impratio 10 follow the Menagerie hand and
    // DexGraspBench settings (../shared/reference): they hold grasps without
    // slip (pyramidal cones or impratio 1 let the wrap demonstrations slip).
    // Euler, not implicit: MuJoCo's Euler already integrates joint damping
    // implicitly, the finger servos (kp 3 on >= 1e-3 kg m^2) are far from its
    // stability limit, and 2.2's implicit integrator (full RNE derivatives)
    // cost 40% of every step.
    << fmt::format(
           "<option timestep=\"{}\" gravity=\"0 0 -9.81\" cone=\"elliptic\" impratio=\"10\" "
           "integrator=\"Euler\"/>\n",
           physics.timestep_s)
    // MuJoCo 2.2 sizes the solver stack as about 5 * njmax^2 numbers, and every
    // mj_makeData / mj_copyData allocates or copies all of it: njmax 4000 cost
    // 640 MB per mjData and dominated a grasp trial. A cluttered grasp uses a
    // few hundred constraint rows; 1000 (40 MB of stack) leaves room, and the
    // executor reports an overflow instead of silently dropping contacts.
    << "<size njmax=\"1000\" nconmax=\"300\"/>\n"
    << fmt::format(
           "<visual><global offwidth=\"{}\" offheight=\"{}\"/><quality shadowsize=\"0\" "
           "offsamples=\"0\"/>"
           "<map znear=\"0.005\" zfar=\"20\"/>"
           "<headlight ambient=\"{:.3f} {:.3f} {:.3f}\" diffuse=\"0 0 0\" specular=\"0 0 0\"/>"
           "</visual>\n",
           off_w, off_h, scene.light_ambient, scene.light_ambient, scene.light_ambient)
    << "<statistic extent=\"1\" center=\"0 0 0\"/>\n"
    << "<include file=\"shadow_hand.xml\"/>\n<asset>\n";
  if (scene.table_checker) {
    x << fmt::format(
        "<texture name=\"table_tex\" type=\"2d\" builtin=\"checker\" rgb1=\"{}\" rgb2=\"{}\" "
        "width=\"256\" height=\"256\"/>\n"
        "<material name=\"table_mat\" texture=\"table_tex\" texrepeat=\"8 8\" specular=\"0.1\"/>\n",
        vec(scene.table_rgb), vec(scene.table_rgb2));
  } else {
    x << fmt::format("<material name=\"table_mat\" rgba=\"{} 1\" specular=\"0.1\"/>\n",
                     vec(scene.table_rgb));
  }
  x << object_asset_mjcf(scene.target.object, "target");
  for (std::size_t i = 0; i < scene.clutter.size(); ++i) {
    x << object_asset_mjcf(scene.clutter[i].object, "clutter" + std::to_string(i));
  }
  x << "</asset>\n<worldbody>\n";
  for (const auto& dir : scene.light_dirs) {
    x << fmt::format(
        "<light directional=\"true\" castshadow=\"false\" pos=\"{}\" dir=\"{}\" diffuse=\"{:.3f} "
        "{:.3f} {:.3f}\" specular=\"0.1 0.1 0.1\"/>\n",
        vec(-dir * 2.0), vec(dir), scene.light_diffuse, scene.light_diffuse, scene.light_diffuse);
  }
  // The table is drawn as a box but collides as a plane (an invisible geom in
  // group 3, which the renderer hides). MuJoCo 2.2's box-box collider halves
  // the depth and adds a contact at a far corner for parallel faces, and a box
  // table's bounding sphere (0.64 m) sends every hand and object geom to a
  // narrow-phase test each step; a plane collides exactly and culls everything
  // above it with one distance test.
  x << fmt::format(
      "<geom name=\"table_visual\" type=\"box\" size=\"{} {} 0.02\" pos=\"0 0 -0.02\" "
      "material=\"table_mat\" contype=\"0\" conaffinity=\"0\"/>\n"
      "<geom name=\"table\" type=\"plane\" size=\"{} {} 0.01\" pos=\"0 0 0\" group=\"3\" "
      "rgba=\"0 0 0 0\" contype=\"1\" conaffinity=\"1\" condim=\"3\" friction=\"0.6 0.005 "
      "0.0001\"/>\n",
      scene.table_half_size_m.x(), scene.table_half_size_m.y(), scene.table_half_size_m.x(),
      scene.table_half_size_m.y());
  for (const auto& c : scene.cameras) x << camera_xml(c) << "\n";
  x << object_body_mjcf(scene.target.object, "target", scene.target.X_WObj);
  for (std::size_t i = 0; i < scene.clutter.size(); ++i) {
    x << object_body_mjcf(scene.clutter[i].object, "clutter" + std::to_string(i),
                          scene.clutter[i].X_WObj);
  }
  x << "</worldbody>\n</mujoco>\n";
  return x.str();
}

}  // namespace

mjModel* compile_mjcf_with_hand(const std::string& xml) {
  route_mujoco_messages_to_stderr();
  const auto hand_path = require_project_file("assets/shadow_hand.xml", "Shadow hand model");
  auto vfs = std::make_unique<mjVFS>();
  mj_defaultVFS(vfs.get());
  add_vfs_file(vfs.get(), "shadow_hand.xml", read_text(hand_path));
  add_vfs_file(vfs.get(), "world.xml", xml);
  char err[1024] = "";
  mjModel* m = mj_loadXML("world.xml", vfs.get(), err, sizeof(err));
  mj_deleteVFS(vfs.get());
  if (!m) throw std::runtime_error(std::string("MuJoCo could not compile the world: ") + err);
  return m;
}

std::unique_ptr<World> World::compose(const DrawnScene& scene, const PhysicsSettings& physics) {
  std::unique_ptr<World> w(new World());
  w->scene_ = scene;
  w->physics_ = physics;
  w->xml_ = world_mjcf(scene, physics);
  w->model_ = compile_mjcf_with_hand(w->xml_);
  static std::atomic<std::uint64_t> next_serial{1};
  w->serial_ = next_serial.fetch_add(1);
  w->find_ids();
  return w;
}

double World::target_height_m(const mjData* d) const {
  if (scene_.target.object.soft) return d->subtree_com[3 * target_body_ + 2];
  return d->xpos[3 * target_body_ + 2];
}

void World::find_ids() {
  const mjModel* m = model_;

  auto body_id = [&](const std::string& name) {
    int id = mj_name2id(m, mjOBJ_BODY, name.c_str());
    if (id < 0) throw std::runtime_error("world has no body '" + name + "'");
    return id;
  };
  palm_body_ = body_id("palm");
  palm_mocap_ = m->body_mocapid[body_id("palm_target")];
  const int palm_free = mj_name2id(m, mjOBJ_JOINT, "palm_free");
  if (palm_free < 0 || palm_mocap_ < 0) {
    throw std::runtime_error("shadow_hand.xml: expected joint 'palm_free' and mocap 'palm_target'");
  }
  palm_free_qpos_ = m->jnt_qposadr[palm_free];
  palm_free_dof_ = m->jnt_dofadr[palm_free];
  target_body_ = body_id("target");
  for (std::size_t i = 0; i < scene_.clutter.size(); ++i) {
    clutter_bodies_.push_back(body_id("clutter" + std::to_string(i)));
  }
  table_geom_ = mj_name2id(m, mjOBJ_GEOM, "table");
  hand_body_.assign(m->nbody, 0);
  for (int b = 0; b < m->nbody; ++b) {
    for (int p = b; p > 0; p = m->body_parentid[p]) {
      if (p == palm_body_) hand_body_[b] = 1;
    }
  }
  for (const auto& c : scene_.cameras)
    camera_ids_.push_back(mj_name2id(m, mjOBJ_CAMERA, c.name.c_str()));
  const auto& names = hand_joint_names();
  for (int i = 0; i < kNumHandJoints; ++i) {
    const int j = mj_name2id(m, mjOBJ_JOINT, names[i].c_str());
    const int a = mj_name2id(m, mjOBJ_ACTUATOR, ("A_" + names[i]).c_str());
    if (j < 0 || a < 0) {
      throw std::runtime_error("shadow_hand.xml: missing joint or actuator for " + names[i]);
    }
    finger_qpos_adr_[i] = m->jnt_qposadr[j];
    finger_dof_adr_[i] = m->jnt_dofadr[j];
    finger_actuator_[i] = a;
  }
}

World::~World() {
  if (model_) mj_deleteModel(model_);
}

std::array<double, 2> World::finger_range(int i) const {
  const int j = model_->dof_jntid[finger_dof_adr_[i]];
  return {model_->jnt_range[2 * j], model_->jnt_range[2 * j + 1]};
}

void World::compensate_hand_gravity(mjData* d) const {
  const mjModel* m = model_;
  for (int b = 0; b < m->nbody; ++b) {
    if (!hand_body_[b]) continue;
    d->xfrc_applied[6 * b + 0] = 0;
    d->xfrc_applied[6 * b + 1] = 0;
    d->xfrc_applied[6 * b + 2] = -m->opt.gravity[2] * m->body_mass[b];
  }
}

void World::set_palm_target(mjData* d, const Eigen::Isometry3d& X_WPalm) const {
  const Eigen::Vector3d p = X_WPalm.translation();
  const Eigen::Quaterniond q(X_WPalm.rotation());
  for (int k = 0; k < 3; ++k) d->mocap_pos[3 * palm_mocap_ + k] = p[k];
  d->mocap_quat[4 * palm_mocap_ + 0] = q.w();
  d->mocap_quat[4 * palm_mocap_ + 1] = q.x();
  d->mocap_quat[4 * palm_mocap_ + 2] = q.y();
  d->mocap_quat[4 * palm_mocap_ + 3] = q.z();
}

void World::teleport_hand(mjData* d, const Eigen::Isometry3d& X_WPalm,
                          const std::array<double, kNumHandJoints>& joints_rad) const {
  set_palm_target(d, X_WPalm);
  const Eigen::Vector3d p = X_WPalm.translation();
  const Eigen::Quaterniond q(X_WPalm.rotation());
  double* qp = d->qpos + palm_free_qpos_;
  qp[0] = p.x(), qp[1] = p.y(), qp[2] = p.z();
  qp[3] = q.w(), qp[4] = q.x(), qp[5] = q.y(), qp[6] = q.z();
  for (int k = 0; k < 6; ++k) d->qvel[palm_free_dof_ + k] = 0;
  for (int i = 0; i < kNumHandJoints; ++i) {
    d->qpos[finger_qpos_adr_[i]] = joints_rad[i];
    d->qvel[finger_dof_adr_[i]] = 0;
    d->ctrl[finger_actuator_[i]] = joints_rad[i];
  }
  mj_forward(model_, d);
}

Eigen::Isometry3d World::body_pose(const mjData* d, int body) const {
  Eigen::Isometry3d X = Eigen::Isometry3d::Identity();
  const double* q = d->xquat + 4 * body;
  X.linear() = Eigen::Quaterniond(q[0], q[1], q[2], q[3]).toRotationMatrix();
  X.translation() =
      Eigen::Vector3d(d->xpos[3 * body], d->xpos[3 * body + 1], d->xpos[3 * body + 2]);
  return X;
}

Eigen::Isometry3d World::palm_pose(const mjData* d) const { return body_pose(d, palm_body_); }

MjDataPtr World::make_data() const { return MjDataPtr(mj_makeData(model_)); }

MjDataPtr World::make_settled_data(double settle_s) const {
  MjDataPtr owner = make_data();
  mjData* d = owner.get();
  Eigen::Isometry3d park = Eigen::Isometry3d::Identity();
  park.translation() = physics_.hand_park_position_m;
  teleport_hand(d, park, {});
  const int steps = static_cast<int>(settle_s / model_->opt.timestep);
  for (int i = 0; i < steps; ++i) {
    compensate_hand_gravity(d);
    mj_step(model_, d);
  }
  const std::string diverged = divergence_warning(d);
  if (!diverged.empty()) {
    throw SimulationError("the scene diverged while settling, before any grasp: " + diverged);
  }
  // Start the clock at the settled state.
  d->time = 0;
  return owner;
}

bool state_is_finite(const mjModel* m, const mjData* d) {
  for (int i = 0; i < m->nq; ++i)
    if (!std::isfinite(d->qpos[i])) return false;
  for (int i = 0; i < m->nv; ++i)
    if (!std::isfinite(d->qvel[i])) return false;
  return true;
}

namespace {
constexpr std::array<std::pair<int, const char*>, 4> kDivergenceWarnings{{
    {mjWARN_BADQPOS, "qpos"},
    {mjWARN_BADQVEL, "qvel"},
    {mjWARN_BADQACC, "qacc"},
    {mjWARN_BADCTRL, "ctrl"},
}};
}  // namespace

std::string divergence_warning(const mjData* d) {
  for (const auto& [warning, what] : kDivergenceWarnings) {
    const mjWarningStat& w = d->warning[warning];
    if (w.number > 0) {
      return fmt::format(
          "MuJoCo found a NaN, inf or huge value in {} (index {}){}", what, w.lastinfo,
          warning == mjWARN_BADCTRL ? " and zeroed the control" : " and reset the state");
    }
  }
  return "";
}

void clear_divergence_warnings(mjData* d) {
  for (const auto& entry : kDivergenceWarnings) d->warning[entry.first] = mjWarningStat{};
}

void route_mujoco_messages_to_stderr() {
  static std::once_flag once;
  std::call_once(once, [] {
    mju_user_warning = [](const char* msg) { std::fprintf(stderr, "MuJoCo warning: %s\n", msg); };
    // MuJoCo's default error handler waits for Enter on stdin before exiting.
    mju_user_error = [](const char* msg) {
      std::fprintf(stderr, "MuJoCo error: %s\n", msg);
      std::fflush(stderr);
      std::_Exit(1);
    };
  });
}

}  // namespace dffeval
