#include "hand/hand_model.h"

#include <fmt/format.h>
#include <mujoco/mujoco.h>

#include <limits>
#include <memory>
#include <stdexcept>

#include "common/input_error.h"
#include "common/project_paths.h"

namespace dffeval {
namespace {

Eigen::Matrix3d quat_to_matrix(const mjtNum* q) {
  mjtNum m[9];
  mju_quat2Mat(m, q);
  Eigen::Matrix3d R;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) R(i, j) = m[3 * i + j];
  return R;
}

Eigen::Vector3d vec3(const mjtNum* v) { return {v[0], v[1], v[2]}; }

}  // namespace

/// Reads one compiled mjModel into a HandModel, step by step.
struct HandModelReader {
  const mjModel* m;
  HandModel* out;
  std::vector<int> hand_of_mj, mj_of_hand;

  [[noreturn]] void fail(const std::string& why) const {
    throw InputError(fmt::format("{}: hand model: {}", out->path_, why));
  }

  std::string body_name(int b) const {
    const char* n = mj_id2name(m, mjOBJ_BODY, b);
    return n ? std::string(n) : fmt::format("body{}", b);
  }

  /// The palm and its subtree. MuJoCo numbers bodies depth first, so a
  /// parent always precedes its children.
  void read_bodies() {
    const int palm = mj_name2id(m, mjOBJ_BODY, "palm");
    if (palm < 0) fail("no body named 'palm'");
    hand_of_mj.assign(m->nbody, -1);
    hand_of_mj[palm] = 0;
    mj_of_hand.push_back(palm);
    for (int b = palm + 1; b < m->nbody; ++b) {
      if (hand_of_mj[m->body_parentid[b]] >= 0) {
        hand_of_mj[b] = static_cast<int>(mj_of_hand.size());
        mj_of_hand.push_back(b);
      }
    }
    const int nb = static_cast<int>(mj_of_hand.size());
    if (nb < 2) fail("the palm has no child bodies");
    for (int i = 0; i < nb; ++i) {
      const int mb = mj_of_hand[i];
      out->names_.push_back(body_name(mb));
      out->index_[out->names_.back()] = i;
      const int p = i == 0 ? -1 : hand_of_mj[m->body_parentid[mb]];
      out->parent_.push_back(p);
      if (p == 0) {
        out->chain_.push_back(static_cast<int>(out->chains_.size()));
        out->chains_.push_back(out->names_.back());
      } else {
        out->chain_.push_back(p < 0 ? -1 : out->chain_[p]);
      }
    }
  }

  /// Finger joints in Grasp order (one hinge per body at most), their
  /// limits, and every body's placement and hinge.
  void read_joints() {
    const int nb = out->num_bodies();
    const auto& joint_names = hand_joint_names();
    std::vector<int> body_joint(nb, -1);  // Grasp column driving each hand body
    for (int k = 0; k < kNumHandJoints; ++k) {
      const int j = mj_name2id(m, mjOBJ_JOINT, joint_names[k].c_str());
      if (j < 0) fail("no joint named " + joint_names[k]);
      const int hb = hand_of_mj[m->jnt_bodyid[j]];
      if (m->jnt_type[j] != mjJNT_HINGE || hb <= 0) {
        fail("joint " + joint_names[k] + " is not a hinge of a finger body");
      }
      if (m->body_jntnum[m->jnt_bodyid[j]] != 1) {
        fail("body " + out->names_[hb] + " has more than one joint (unsupported)");
      }
      body_joint[hb] = k;
      out->joint_body_.push_back(hb);
      const bool limited = m->jnt_limited[j];
      out->lower_[k] = limited ? m->jnt_range[2 * j] : -std::numeric_limits<double>::infinity();
      out->upper_[k] = limited ? m->jnt_range[2 * j + 1] : std::numeric_limits<double>::infinity();
    }
    out->body_joints_.resize(static_cast<std::size_t>(nb));
    for (int i = 0; i < nb; ++i) {
      const int mb = mj_of_hand[i];
      HandBodyJoint& bj = out->body_joints_[i];
      bj.parent = out->parent_[i];
      if (i == 0) continue;  // the palm's pose is the grasp's
      if (m->body_jntnum[mb] > 0 && body_joint[i] < 0) {
        fail("body " + out->names_[i] + " has a joint that is not one of the 22 finger joints");
      }
      bj.R_PB0 = quat_to_matrix(m->body_quat + 4 * mb);
      bj.p_PB0 = vec3(m->body_pos + 3 * mb);
      if (body_joint[i] >= 0) {
        const int j = m->body_jntadr[mb];
        bj.joint = body_joint[i];
        bj.axis_B = vec3(m->jnt_axis + 3 * j).normalized();
        bj.anchor_B = vec3(m->jnt_pos + 3 * j);
        bj.qpos0 = m->qpos0[m->jnt_qposadr[j]];
      }
    }
  }

  /// Collision geoms of hand bodies.
  void read_geoms() {
    for (int g = 0; g < m->ngeom; ++g) {
      const int hb = hand_of_mj[m->geom_bodyid[g]];
      if (hb < 0 || (m->geom_contype[g] == 0 && m->geom_conaffinity[g] == 0)) continue;
      HandGeom hg;
      const char* gn = mj_id2name(m, mjOBJ_GEOM, g);
      hg.name = gn ? gn : fmt::format("geom{}", g);
      hg.body = hb;
      switch (m->geom_type[g]) {
        case mjGEOM_SPHERE:
          hg.type = HandGeomType::kSphere;
          break;
        case mjGEOM_CAPSULE:
          hg.type = HandGeomType::kCapsule;
          break;
        case mjGEOM_CYLINDER:
          hg.type = HandGeomType::kCylinder;
          break;
        case mjGEOM_BOX:
          hg.type = HandGeomType::kBox;
          break;
        default:
          fail("collision geom " + hg.name +
               " is not a sphere, capsule, cylinder or box (unsupported)");
      }
      hg.size = vec3(m->geom_size + 3 * g);
      hg.p_BG = vec3(m->geom_pos + 3 * g);
      hg.R_BG = quat_to_matrix(m->geom_quat + 4 * g);
      out->geoms_.push_back(hg);
    }
    if (out->geoms_.empty()) fail("the hand has no collision geoms");
  }
};

HandModel HandModel::load(const std::string& mjcf_path) {
  HandModel model;
  model.path_ = mjcf_path.empty()
                    ? require_project_file("assets/shadow_hand.xml", "hand model").string()
                    : mjcf_path;
  char err[1024] = "";
  std::unique_ptr<mjModel, void (*)(mjModel*)> m(
      mj_loadXML(model.path_.c_str(), nullptr, err, sizeof(err)), mj_deleteModel);
  if (!m) throw InputError(fmt::format("{}: cannot load the hand model: {}", model.path_, err));
  HandModelReader reader{m.get(), &model, {}, {}};
  reader.read_bodies();
  reader.read_joints();
  reader.read_geoms();
  return model;
}

int HandModel::body_index(const std::string& name) const {
  const auto it = index_.find(name);
  if (it == index_.end()) throw std::out_of_range(path_ + ": no hand body named '" + name + "'");
  return it->second;
}

}  // namespace dffeval
