#include "pipeline/hand_kinematics.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <mujoco/mujoco.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <limits>
#include <stdexcept>
#include <unordered_map>

#include "common/input_error.h"
#include "common/project_paths.h"

namespace dffeval {

at::Tensor rot6d_to_matrix(const at::Tensor& r6) {
  if (r6.dim() < 1 || r6.size(-1) != 6) {
    throw std::invalid_argument("rot6d_to_matrix: expected (..., 6), got " +
                                std::to_string(r6.dim()) + "-d tensor");
  }
  // Columns, not rows (Zhou et al.): a1, a2 are R's first two columns.
  const at::Tensor a1 = r6.narrow(-1, 0, 3);
  const at::Tensor a2 = r6.narrow(-1, 3, 3);
  // clamp_min keeps a degenerate input finite instead of NaN.
  const at::Tensor b1 = a1 / at::linalg_vector_norm(a1, 2, {-1}, true).clamp_min(1e-12);
  const at::Tensor b2u = a2 - (b1 * a2).sum(-1, true) * b1;
  const at::Tensor b2 = b2u / at::linalg_vector_norm(b2u, 2, {-1}, true).clamp_min(1e-12);
  const at::Tensor b3 = at::linalg_cross(b1, b2, -1);
  return at::stack({b1, b2, b3}, -1);
}

at::Tensor matrix_to_rot6d(const at::Tensor& R) {
  if (R.dim() < 2 || R.size(-1) != 3 || R.size(-2) != 3) {
    throw std::invalid_argument("matrix_to_rot6d: expected (..., 3, 3)");
  }
  return at::cat({R.select(-1, 0), R.select(-1, 1)}, -1);
}

HandParams grasps_to_hand_params(const std::vector<Grasp>& grasps, at::ScalarType dtype) {
  const auto B = static_cast<int64_t>(grasps.size());
  at::Tensor t = at::empty({B, 3}, at::kDouble);
  at::Tensor r6 = at::empty({B, 6}, at::kDouble);
  at::Tensor q = at::empty({B, kNumHandJoints}, at::kDouble);
  auto ta = t.accessor<double, 2>();
  auto ra = r6.accessor<double, 2>();
  auto qa = q.accessor<double, 2>();
  for (int64_t b = 0; b < B; ++b) {
    const Grasp& g = grasps[b];
    const Eigen::Matrix3d R = g.X_WPalm.linear();
    for (int i = 0; i < 3; ++i) {
      ta[b][i] = g.X_WPalm.translation()(i);
      ra[b][i] = R(i, 0);
      ra[b][3 + i] = R(i, 1);
    }
    for (int j = 0; j < kNumHandJoints; ++j) qa[b][j] = g.joints_rad[j];
  }
  return {t.to(dtype), r6.to(dtype), q.to(dtype)};
}

std::vector<Grasp> hand_params_to_grasps(const HandParams& params) {
  const at::Tensor t = params.wrist_pos.detach().to(at::kCPU, at::kDouble).contiguous();
  const at::Tensor R =
      rot6d_to_matrix(params.rot6d.detach().to(at::kCPU, at::kDouble)).contiguous();
  const at::Tensor q = params.joints.detach().to(at::kCPU, at::kDouble).contiguous();
  const int64_t B = t.size(0);
  if (R.size(0) != B || q.size(0) != B || q.size(1) != kNumHandJoints) {
    throw std::invalid_argument("hand_params_to_grasps: inconsistent batch shapes");
  }
  auto ta = t.accessor<double, 2>();
  auto Ra = R.accessor<double, 3>();
  auto qa = q.accessor<double, 2>();
  std::vector<Grasp> out(B);
  for (int64_t b = 0; b < B; ++b) {
    Eigen::Matrix3d Rb;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) Rb(i, j) = Ra[b][i][j];
    out[b].X_WPalm.linear() = Rb;
    out[b].X_WPalm.translation() = Eigen::Vector3d(ta[b][0], ta[b][1], ta[b][2]);
    for (int j = 0; j < kNumHandJoints; ++j) out[b].joints_rad[j] = qa[b][j];
  }
  return out;
}

namespace {

/// How a level of the body tree picks its parents' poses out of the level
/// above: broadcast (the level above is the palm alone), a contiguous slice
/// (the usual case: one child per chain), or a gather.
struct ParentSelect {
  enum Kind { kBroadcast, kSlice, kGather } kind = kBroadcast;
  int64_t start = 0;
  int64_t length = 0;
  at::Tensor index;  // int64, kGather only
};

at::Tensor to_tensor(const std::vector<double>& v, std::vector<int64_t> shape) {
  return at::tensor(v, at::kDouble).reshape(shape);
}

at::Tensor to_index(const std::vector<int64_t>& v) { return at::tensor(v, at::kLong); }

Eigen::Matrix3d quat_to_matrix(const mjtNum* q) {
  mjtNum m[9];
  mju_quat2Mat(m, q);
  Eigen::Matrix3d R;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) R(i, j) = m[3 * i + j];
  return R;
}

Eigen::Matrix3d skew(const Eigen::Vector3d& w) {
  Eigen::Matrix3d K;
  K << 0, -w.z(), w.y(), w.z(), 0, -w.x(), -w.y(), w.x(), 0;
  return K;
}

void append_matrix(std::vector<double>& out, const Eigen::Matrix3d& M) {
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) out.push_back(M(i, j));
}

void append_vector(std::vector<double>& out, const Eigen::Vector3d& v) {
  out.insert(out.end(), {v.x(), v.y(), v.z()});
}

bool is_rounded(HandGeomType t) { return t != HandGeomType::kCylinder; }

}  // namespace

/// Constant tensors of one dtype (and device).
struct HandConsts {
  // Forward kinematics; non-palm bodies in level order (n = nb - 1).
  at::Tensor joint_select;   // (n,) int64: column of `joints` driving each body (0 if none)
  at::Tensor qpos0;          // (n,) MuJoCo's joint reference (0 if none)
  at::Tensor A, AK, AK2;     // (n, 3, 3): R_body, R_body K, R_body K^2 (K = [axis]x, 0 if none)
  at::Tensor p0, u1, u2;     // (n, 3): body_pos, R_body K a, R_body K^2 a (a = joint anchor)
  at::Tensor level_to_body;  // (nb,) int64: hand body i is column level_to_body[i] of the
                             // level-ordered result
  std::vector<ParentSelect> parent_select;  // per level 1..L
  // Collision geoms, rounded boxes (sphere, capsule, box) first, then cylinders.
  at::Tensor geom_body;       // (G,) int64
  at::Tensor geom_R;          // (G, 3, 3) R_BG
  at::Tensor geom_p;          // (G, 3) p_BG
  at::Tensor round_extent;    // (Gr, 1, 3) box half sizes (capsule: (0, 0, hl), sphere: 0)
  at::Tensor round_radius;    // (Gr, 1) rounding radius (box: 0)
  at::Tensor cyl_radius;      // (Gc, 1)
  at::Tensor cyl_half;        // (Gc, 1)
  at::Tensor sorted_to_geom;  // (G,) int64: geoms() index g is sorted column sorted_to_geom[g]
  // The same primitives as one row each (sorted layout), for the sparse path.
  at::Tensor row_extent;  // (G, 3) as round_extent (cylinders: 0)
  at::Tensor row_radius;  // (G,) as round_radius (cylinders: their radius)
  at::Tensor row_half;    // (G,) cylinder half length (others: 0)
  at::Tensor row_is_cyl;  // (G,) bool
  // Capsule pairs of different chains for self-collision.
  at::Tensor cap_body;    // (C,) int64
  at::Tensor cap_local;   // (C, 3, 2): columns p_BG and the axis z_BG
  at::Tensor cap_half;    // (C, 1) half lengths
  at::Tensor pair_a;      // (Np,) int64 capsule index
  at::Tensor pair_b;      // (Np,) int64
  at::Tensor pair_rsum;   // (Np,) r_a + r_b
  at::Tensor pair_len2a;  // (Np,) |segment a|^2 (constant under rigid motion)
  at::Tensor pair_len2b;  // (Np,)

  HandConsts to(const at::TensorOptions& opt) const {
    // Index tensors stay int64; only the device changes for them.
    const auto idx = at::TensorOptions().dtype(at::kLong).device(opt.device());
    HandConsts c = *this;
    for (at::Tensor* t :
         {&c.qpos0,        &c.A,          &c.AK,       &c.AK2,        &c.p0,
          &c.u1,           &c.u2,         &c.geom_R,   &c.geom_p,     &c.round_extent,
          &c.round_radius, &c.cyl_radius, &c.cyl_half, &c.row_extent, &c.row_radius,
          &c.row_half,     &c.cap_local,  &c.cap_half, &c.pair_rsum,  &c.pair_len2a,
          &c.pair_len2b}) {
      *t = t->to(opt);
    }
    for (at::Tensor* t : {&c.joint_select, &c.level_to_body, &c.geom_body, &c.sorted_to_geom,
                          &c.cap_body, &c.pair_a, &c.pair_b}) {
      *t = t->to(idx);
    }
    c.row_is_cyl = c.row_is_cyl.to(opt.device());
    for (auto& ps : c.parent_select)
      if (ps.index.defined()) ps.index = ps.index.to(idx);
    return c;
  }
};

struct HandKinematics::Impl {
  std::string path;
  std::vector<std::string> names;
  std::unordered_map<std::string, int> index;
  std::vector<int> parent, chain, joint_body;
  std::vector<HandBodyJoint> body_joints;
  std::vector<std::string> chains;
  std::vector<HandGeom> geoms;
  int num_rounded = 0;
  int num_cylinders = 0;
  /// The collision primitives in the sorted layout as plain numbers, for the
  /// penetration term's candidate search (see hand_penetration_depth).
  struct PrimitiveRow {
    Eigen::Vector3d extent = Eigen::Vector3d::Zero();  // as HandConsts::row_extent
    double radius = 0.0;                               // as row_radius
    double half = 0.0;                                 // as row_half
    bool cylinder = false;
    /// Squared radius of a sphere about the geom's centre that holds it,
    /// 1 mm larger so that a float32 test is safe, m^2.
    float bound2 = 0.f;
  };
  std::vector<PrimitiveRow> rows;
  at::Tensor lower, upper;
  // Level layout of the non-palm bodies: level l (1-based) holds
  // [level_begin[l-1], level_begin[l]).
  std::vector<int64_t> level_begin;
  bool has_qpos0 = false;
  bool has_anchor = false;
  HandConsts f64, f32;

  /// The constants in the dtype and on the device of `like`.
  HandConsts consts(const at::Tensor& like) const {
    const HandConsts& base = like.scalar_type() == at::kFloat ? f32 : f64;
    if (like.scalar_type() != at::kFloat && like.scalar_type() != at::kDouble) {
      throw std::invalid_argument("HandKinematics: tensors must be float32 or float64");
    }
    if (like.device().is_cpu()) return base;
    return base.to(like.options());
  }
};

HandKinematics HandKinematics::load(const std::string& mjcf_path) {
  const std::string path =
      mjcf_path.empty() ? require_project_file("assets/shadow_hand.xml", "hand model").string()
                        : mjcf_path;
  char err[1024] = "";
  mjModel* m = mj_loadXML(path.c_str(), nullptr, err, sizeof(err));
  if (!m) throw InputError(fmt::format("{}: cannot load the hand model: {}", path, err));
  std::unique_ptr<mjModel, void (*)(mjModel*)> guard(m, mj_deleteModel);
  auto fail = [&](const std::string& why) {
    throw InputError(fmt::format("{}: hand model: {}", path, why));
  };
  auto body_name = [&](int b) {
    const char* n = mj_id2name(m, mjOBJ_BODY, b);
    return n ? std::string(n) : fmt::format("body{}", b);
  };

  auto impl = std::make_shared<Impl>();
  impl->path = path;

  // Hand bodies: the palm and its subtree. MuJoCo numbers bodies depth first,
  // so a parent always precedes its children.
  const int palm = mj_name2id(m, mjOBJ_BODY, "palm");
  if (palm < 0) fail("no body named 'palm'");
  std::vector<int> hand_of_mj(m->nbody, -1), mj_of_hand;
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
  std::vector<int> depth(nb, 0);
  for (int i = 0; i < nb; ++i) {
    const int mb = mj_of_hand[i];
    impl->names.push_back(body_name(mb));
    impl->index[impl->names.back()] = i;
    const int p = i == 0 ? -1 : hand_of_mj[m->body_parentid[mb]];
    impl->parent.push_back(p);
    if (i > 0) depth[i] = depth[p] + 1;
    if (p == 0) {
      impl->chain.push_back(static_cast<int>(impl->chains.size()));
      impl->chains.push_back(impl->names.back());
    } else {
      impl->chain.push_back(p < 0 ? -1 : impl->chain[p]);
    }
  }

  // Finger joints, in Grasp order: one hinge per body at most.
  const auto& joint_names = hand_joint_names();
  std::vector<int> body_joint(nb, -1);  // Grasp column driving each hand body
  std::vector<double> lower, upper;
  for (int k = 0; k < kNumHandJoints; ++k) {
    const int j = mj_name2id(m, mjOBJ_JOINT, joint_names[k].c_str());
    if (j < 0) fail("no joint named " + joint_names[k]);
    const int hb = hand_of_mj[m->jnt_bodyid[j]];
    if (m->jnt_type[j] != mjJNT_HINGE || hb <= 0) {
      fail("joint " + joint_names[k] + " is not a hinge of a finger body");
    }
    if (m->body_jntnum[m->jnt_bodyid[j]] != 1) {
      fail("body " + impl->names[hb] + " has more than one joint (unsupported)");
    }
    body_joint[hb] = k;
    impl->joint_body.push_back(hb);
    const bool limited = m->jnt_limited[j];
    lower.push_back(limited ? m->jnt_range[2 * j] : -std::numeric_limits<double>::infinity());
    upper.push_back(limited ? m->jnt_range[2 * j + 1] : std::numeric_limits<double>::infinity());
  }
  for (int i = 1; i < nb; ++i) {
    if (m->body_jntnum[mj_of_hand[i]] > 0 && body_joint[i] < 0) {
      fail("body " + impl->names[i] + " has a joint that is not one of the 22 finger joints");
    }
  }
  impl->lower = at::tensor(lower, at::kDouble);
  impl->upper = at::tensor(upper, at::kDouble);

  // Level order: all bodies of one tree depth are posed by one batched op.
  const int max_depth = *std::max_element(depth.begin(), depth.end());
  std::vector<int> level_order;              // non-palm hand bodies, by level
  std::vector<int64_t> pos_in_level(nb, 0);  // index of a body within its level
  std::vector<int64_t> level_to_body(nb, 0);
  HandConsts c;
  impl->level_begin.push_back(0);
  for (int L = 1; L <= max_depth; ++L) {
    std::vector<int64_t> parent_pos;
    for (int i = 1; i < nb; ++i) {
      if (depth[i] != L) continue;
      pos_in_level[i] = static_cast<int64_t>(parent_pos.size());
      parent_pos.push_back(pos_in_level[impl->parent[i]]);
      level_to_body[i] = 1 + static_cast<int64_t>(level_order.size());
      level_order.push_back(i);
    }
    impl->level_begin.push_back(static_cast<int64_t>(level_order.size()));
    ParentSelect ps;
    if (L == 1) {
      ps.kind = ParentSelect::kBroadcast;
    } else {
      bool contiguous = true;
      for (std::size_t k = 1; k < parent_pos.size(); ++k)
        contiguous = contiguous && parent_pos[k] == parent_pos[0] + static_cast<int64_t>(k);
      if (contiguous) {
        ps.kind = ParentSelect::kSlice;
        ps.start = parent_pos[0];
        ps.length = static_cast<int64_t>(parent_pos.size());
      } else {
        ps.kind = ParentSelect::kGather;
        ps.index = to_index(parent_pos);
      }
    }
    c.parent_select.push_back(ps);
  }

  impl->body_joints.resize(static_cast<std::size_t>(nb));
  for (int i = 0; i < nb; ++i) impl->body_joints[i].parent = impl->parent[i];
  std::vector<int64_t> select;
  std::vector<double> q0, A, AK, AK2, p0, u1, u2;
  for (int i : level_order) {
    const int mb = mj_of_hand[i];
    const Eigen::Matrix3d R = quat_to_matrix(m->body_quat + 4 * mb);
    const Eigen::Vector3d pos(m->body_pos[3 * mb], m->body_pos[3 * mb + 1],
                              m->body_pos[3 * mb + 2]);
    Eigen::Matrix3d K = Eigen::Matrix3d::Zero();
    Eigen::Vector3d anchor = Eigen::Vector3d::Zero();
    double ref = 0;
    if (body_joint[i] >= 0) {
      const int j = m->body_jntadr[mb];
      K = skew(Eigen::Vector3d(m->jnt_axis[3 * j], m->jnt_axis[3 * j + 1], m->jnt_axis[3 * j + 2])
                   .normalized());
      anchor = Eigen::Vector3d(m->jnt_pos[3 * j], m->jnt_pos[3 * j + 1], m->jnt_pos[3 * j + 2]);
      ref = m->qpos0[m->jnt_qposadr[j]];
    }
    HandBodyJoint& bj = impl->body_joints[i];
    bj.R_PB0 = R;
    bj.p_PB0 = pos;
    if (body_joint[i] >= 0) {
      const int j = m->body_jntadr[mb];
      bj.joint = body_joint[i];
      bj.axis_B =
          Eigen::Vector3d(m->jnt_axis[3 * j], m->jnt_axis[3 * j + 1], m->jnt_axis[3 * j + 2])
              .normalized();
      bj.anchor_B = anchor;
      bj.qpos0 = ref;
    }
    // MuJoCo: X_PB = (R, pos) * (R_j, a - R_j a), R_j = I + sin K + (1 - cos) K^2.
    select.push_back(body_joint[i] >= 0 ? body_joint[i] : 0);
    q0.push_back(ref);
    append_matrix(A, R);
    append_matrix(AK, Eigen::Matrix3d(R * K));
    append_matrix(AK2, Eigen::Matrix3d(R * K * K));
    append_vector(p0, pos);
    append_vector(u1, R * K * anchor);
    append_vector(u2, R * K * K * anchor);
    impl->has_qpos0 = impl->has_qpos0 || ref != 0;
    impl->has_anchor = impl->has_anchor || anchor.squaredNorm() > 0;
  }
  const auto n = static_cast<int64_t>(level_order.size());
  c.joint_select = to_index(select);
  c.qpos0 = to_tensor(q0, {n});
  c.A = to_tensor(A, {n, 3, 3});
  c.AK = to_tensor(AK, {n, 3, 3});
  c.AK2 = to_tensor(AK2, {n, 3, 3});
  c.p0 = to_tensor(p0, {n, 3});
  c.u1 = to_tensor(u1, {n, 3});
  c.u2 = to_tensor(u2, {n, 3});
  c.level_to_body = to_index(level_to_body);

  // Collision geoms of hand bodies.
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
    hg.size =
        Eigen::Vector3d(m->geom_size[3 * g], m->geom_size[3 * g + 1], m->geom_size[3 * g + 2]);
    hg.p_BG = Eigen::Vector3d(m->geom_pos[3 * g], m->geom_pos[3 * g + 1], m->geom_pos[3 * g + 2]);
    hg.R_BG = quat_to_matrix(m->geom_quat + 4 * g);
    impl->geoms.push_back(hg);
  }
  if (impl->geoms.empty()) fail("the hand has no collision geoms");

  // Sorted geom layout: rounded boxes first, cylinders last.
  std::vector<int> sorted;
  for (int pass = 0; pass < 2; ++pass)
    for (int g = 0; g < static_cast<int>(impl->geoms.size()); ++g)
      if (is_rounded(impl->geoms[g].type) == (pass == 0)) sorted.push_back(g);
  std::vector<int64_t> geom_body, sorted_to_geom(sorted.size());
  std::vector<double> gR, gp, ext, rad, cyl_r, cyl_h, row_ext, row_rad, row_half;
  std::vector<uint8_t> row_cyl;
  for (std::size_t k = 0; k < sorted.size(); ++k) {
    const HandGeom& hg = impl->geoms[sorted[k]];
    sorted_to_geom[sorted[k]] = static_cast<int64_t>(k);
    geom_body.push_back(hg.body);
    append_matrix(gR, hg.R_BG);
    append_vector(gp, hg.p_BG);
    const bool cyl = hg.type == HandGeomType::kCylinder;
    const double r = hg.type == HandGeomType::kBox ? 0.0 : hg.size.x();
    const Eigen::Vector3d e = hg.type == HandGeomType::kBox ? hg.size
                              : hg.type == HandGeomType::kCapsule
                                  ? Eigen::Vector3d(0, 0, hg.size.y())
                                  : Eigen::Vector3d::Zero();
    append_vector(row_ext, e);
    row_rad.push_back(r);
    row_half.push_back(cyl ? hg.size.y() : 0.0);
    row_cyl.push_back(cyl);
    const double bound = (cyl ? std::hypot(hg.size.x(), hg.size.y()) : e.norm() + r) + 1e-3;
    impl->rows.push_back({e, cyl ? hg.size.x() : r, cyl ? hg.size.y() : 0.0, cyl,
                          static_cast<float>(bound * bound)});
    switch (hg.type) {
      case HandGeomType::kSphere:
        append_vector(ext, Eigen::Vector3d::Zero());
        rad.push_back(hg.size.x());
        break;
      case HandGeomType::kCapsule:
        append_vector(ext, Eigen::Vector3d(0, 0, hg.size.y()));
        rad.push_back(hg.size.x());
        break;
      case HandGeomType::kBox:
        append_vector(ext, hg.size);
        rad.push_back(0);
        break;
      case HandGeomType::kCylinder:
        cyl_r.push_back(hg.size.x());
        cyl_h.push_back(hg.size.y());
        break;
    }
  }
  impl->num_rounded = static_cast<int>(rad.size());
  impl->num_cylinders = static_cast<int>(cyl_r.size());
  const auto G = static_cast<int64_t>(sorted.size());
  c.geom_body = to_index(geom_body);
  c.geom_R = to_tensor(gR, {G, 3, 3});
  c.geom_p = to_tensor(gp, {G, 3});
  c.round_extent = to_tensor(ext, {impl->num_rounded, 1, 3});
  c.round_radius = to_tensor(rad, {impl->num_rounded, 1});
  c.cyl_radius = to_tensor(cyl_r, {impl->num_cylinders, 1});
  c.cyl_half = to_tensor(cyl_h, {impl->num_cylinders, 1});
  c.sorted_to_geom = to_index(sorted_to_geom);
  c.row_extent = to_tensor(row_ext, {G, 3});
  c.row_radius = to_tensor(row_rad, {G});
  c.row_half = to_tensor(row_half, {G});
  c.row_is_cyl = at::tensor(std::vector<int64_t>(row_cyl.begin(), row_cyl.end()), at::kLong) != 0;

  // Capsules of the finger chains, and every pair on different chains.
  std::vector<int> caps;
  for (int g = 0; g < static_cast<int>(impl->geoms.size()); ++g) {
    const HandGeom& hg = impl->geoms[g];
    if (hg.type == HandGeomType::kCapsule && impl->chain[hg.body] >= 0) caps.push_back(g);
  }
  std::vector<int64_t> cap_body, pa, pb;
  std::vector<double> cap_local, cap_half, rsum, len2a, len2b;
  for (int g : caps) {
    const HandGeom& hg = impl->geoms[g];
    cap_body.push_back(hg.body);
    const Eigen::Vector3d z = hg.R_BG.col(2);
    for (int i = 0; i < 3; ++i) cap_local.insert(cap_local.end(), {hg.p_BG(i), z(i)});
    cap_half.push_back(hg.size.y());
  }
  for (std::size_t a = 0; a < caps.size(); ++a) {
    for (std::size_t b = a + 1; b < caps.size(); ++b) {
      const HandGeom& ga = impl->geoms[caps[a]];
      const HandGeom& gb = impl->geoms[caps[b]];
      if (impl->chain[ga.body] == impl->chain[gb.body]) continue;
      pa.push_back(static_cast<int64_t>(a));
      pb.push_back(static_cast<int64_t>(b));
      rsum.push_back(ga.size.x() + gb.size.x());
      len2a.push_back(4 * ga.size.y() * ga.size.y());
      len2b.push_back(4 * gb.size.y() * gb.size.y());
    }
  }
  const auto C = static_cast<int64_t>(caps.size());
  c.cap_body = to_index(cap_body);
  c.cap_local = to_tensor(cap_local, {C, 3, 2});
  c.cap_half = to_tensor(cap_half, {C, 1});
  c.pair_a = to_index(pa);
  c.pair_b = to_index(pb);
  c.pair_rsum = to_tensor(rsum, {static_cast<int64_t>(rsum.size())});
  c.pair_len2a = to_tensor(len2a, {static_cast<int64_t>(len2a.size())});
  c.pair_len2b = to_tensor(len2b, {static_cast<int64_t>(len2b.size())});

  impl->f64 = c;
  impl->f32 = c.to(at::TensorOptions().dtype(at::kFloat));
  HandKinematics kin;
  kin.impl_ = std::move(impl);
  return kin;
}

int HandKinematics::num_bodies() const { return static_cast<int>(impl_->names.size()); }
const std::vector<std::string>& HandKinematics::body_names() const { return impl_->names; }
int HandKinematics::body_index(const std::string& name) const {
  const auto it = impl_->index.find(name);
  if (it == impl_->index.end()) {
    throw std::out_of_range(impl_->path + ": no hand body named '" + name + "'");
  }
  return it->second;
}
const std::vector<int>& HandKinematics::body_parent() const { return impl_->parent; }
const std::vector<int>& HandKinematics::body_chain() const { return impl_->chain; }
const std::vector<std::string>& HandKinematics::chain_names() const { return impl_->chains; }
const std::vector<int>& HandKinematics::joint_body() const { return impl_->joint_body; }
const std::vector<HandBodyJoint>& HandKinematics::body_joints() const { return impl_->body_joints; }
at::Tensor HandKinematics::joint_lower() const { return impl_->lower; }
at::Tensor HandKinematics::joint_upper() const { return impl_->upper; }
const std::vector<HandGeom>& HandKinematics::geoms() const { return impl_->geoms; }
const std::string& HandKinematics::mjcf_path() const { return impl_->path; }

HandKinematics::Poses HandKinematics::forward(const at::Tensor& wrist_pos, const at::Tensor& rot6d,
                                              const at::Tensor& joints) const {
  if (wrist_pos.dim() != 2 || wrist_pos.size(1) != 3 || rot6d.dim() != 2 || rot6d.size(1) != 6 ||
      joints.dim() != 2 || joints.size(1) != kNumHandJoints || rot6d.size(0) != wrist_pos.size(0) ||
      joints.size(0) != wrist_pos.size(0)) {
    throw std::invalid_argument(
        "HandKinematics::forward: expected wrist_pos (B, 3), rot6d (B, 6), joints (B, 22)");
  }
  if (rot6d.scalar_type() != wrist_pos.scalar_type() ||
      joints.scalar_type() != wrist_pos.scalar_type()) {
    throw std::invalid_argument("HandKinematics::forward: inputs must share one dtype");
  }
  const Impl& im = *impl_;
  const HandConsts c = im.consts(wrist_pos);

  // Every joint's local transform at once (Rodrigues, folded into the body's
  // fixed offset): X_PB = (A + s AK + (1 - c) AK2, p0 - s u1 - (1 - c) u2).
  at::Tensor theta = joints.index_select(1, c.joint_select);
  if (im.has_qpos0) theta = theta - c.qpos0;
  const at::Tensor s = at::sin(theta).unsqueeze(-1);         // (B, n, 1)
  const at::Tensor cm = (1 - at::cos(theta)).unsqueeze(-1);  // (B, n, 1)
  const at::Tensor R_PB = c.A + s.unsqueeze(-1) * c.AK + cm.unsqueeze(-1) * c.AK2;
  at::Tensor p_PB = c.p0.expand({theta.size(0), -1, -1});
  if (im.has_anchor) p_PB = p_PB - s * c.u1 - cm * c.u2;

  // Compose level by level: all bodies at one tree depth in one matmul.
  std::vector<at::Tensor> Rs{rot6d_to_matrix(rot6d).unsqueeze(1)};
  std::vector<at::Tensor> ps{wrist_pos.unsqueeze(1)};
  for (std::size_t L = 0; L + 1 < im.level_begin.size(); ++L) {
    const int64_t b0 = im.level_begin[L], len = im.level_begin[L + 1] - b0;
    const ParentSelect& sel = c.parent_select[L];
    at::Tensor Rp = Rs.back(), pp = ps.back();
    if (sel.kind == ParentSelect::kSlice && !(sel.start == 0 && sel.length == Rp.size(1))) {
      Rp = Rp.narrow(1, sel.start, sel.length);
      pp = pp.narrow(1, sel.start, sel.length);
    } else if (sel.kind == ParentSelect::kGather) {
      Rp = Rp.index_select(1, sel.index);
      pp = pp.index_select(1, sel.index);
    }
    const at::Tensor Rl = R_PB.narrow(1, b0, len);
    const at::Tensor pl = p_PB.narrow(1, b0, len);
    Rs.push_back(at::matmul(Rp, Rl));
    ps.push_back(pp + at::matmul(Rp, pl.unsqueeze(-1)).squeeze(-1));
  }
  return {at::cat(Rs, 1).index_select(1, c.level_to_body),
          at::cat(ps, 1).index_select(1, c.level_to_body)};
}

namespace {

void check_cloud(const HandKinematics::Poses& poses, const at::Tensor& cloud) {
  if (cloud.dim() != 2 || cloud.size(1) != 3) {
    throw std::invalid_argument("hand penetration: cloud must be (M, 3)");
  }
  if (cloud.scalar_type() != poses.p.scalar_type()) {
    throw std::invalid_argument("hand penetration: cloud and poses must share one dtype");
  }
}

/// Signed distances in the sorted geom layout: rounded boxes (B, Gr, M) and
/// cylinders (B, Gc, M; undefined if the hand has none).
std::pair<at::Tensor, at::Tensor> sorted_signed_distance(const HandKinematics::Impl& im,
                                                         const HandConsts& c,
                                                         const HandKinematics::Poses& poses,
                                                         const at::Tensor& cloud) {
  // Cloud into every geom's frame: q = R_WG^T (x - p_WG), as row vectors
  // x R_WG - p_WG^T R_WG, one batched matmul for all geoms.
  const at::Tensor R_WB = poses.R.index_select(1, c.geom_body);  // (B, G, 3, 3)
  const at::Tensor p_WB = poses.p.index_select(1, c.geom_body);  // (B, G, 3)
  const at::Tensor R_WG = at::matmul(R_WB, c.geom_R);
  const at::Tensor p_WG = p_WB + at::matmul(R_WB, c.geom_p.unsqueeze(-1)).squeeze(-1);
  const at::Tensor q = at::matmul(cloud, R_WG) - at::matmul(p_WG.unsqueeze(-2), R_WG);

  // Rounded box (sphere: extent 0; capsule: extent (0, 0, hl); box: radius 0):
  // |max(|q| - e, 0)| + min(max_i(|q_i| - e_i), 0) - r.
  const at::Tensor qr = q.narrow(1, 0, im.num_rounded);
  const at::Tensor d = qr.abs() - c.round_extent;
  const at::Tensor sdf_r =
      at::linalg_vector_norm(d.clamp_min(0), 2, {-1}) + d.amax(-1).clamp_max(0) - c.round_radius;
  at::Tensor sdf_c;
  if (im.num_cylinders > 0) {
    // Cylinder along z: the 2D rounded-box formula in (radial, axial).
    const at::Tensor qc = q.narrow(1, im.num_rounded, im.num_cylinders);
    const at::Tensor rho = at::linalg_vector_norm(qc.narrow(-1, 0, 2), 2, {-1});
    const at::Tensor dc = at::stack({rho - c.cyl_radius, qc.select(-1, 2).abs() - c.cyl_half}, -1);
    sdf_c = at::linalg_vector_norm(dc.clamp_min(0), 2, {-1}) + dc.amax(-1).clamp_max(0);
  }
  return {sdf_r, sdf_c};
}

}  // namespace

at::Tensor hand_geom_signed_distance(const HandKinematics& kin, const HandKinematics::Poses& poses,
                                     const at::Tensor& cloud) {
  check_cloud(poses, cloud);
  const HandKinematics::Impl& im = kin.impl();
  const HandConsts c = im.consts(cloud);
  const auto [sdf_r, sdf_c] = sorted_signed_distance(im, c, poses, cloud);
  const at::Tensor all = sdf_c.defined() ? at::cat({sdf_r, sdf_c}, 1) : sdf_r;
  return all.index_select(1, c.sorted_to_geom);
}

at::Tensor hand_signed_distance(const HandKinematics& kin, const HandKinematics::Poses& poses,
                                const at::Tensor& cloud) {
  check_cloud(poses, cloud);
  const HandKinematics::Impl& im = kin.impl();
  const HandConsts c = im.consts(cloud);
  const auto [sdf_r, sdf_c] = sorted_signed_distance(im, c, poses, cloud);
  // amin, not min: its gradient goes to the nearest geom (split among exact ties).
  const at::Tensor near_r = sdf_r.amin(1);
  return sdf_c.defined() ? at::minimum(near_r, sdf_c.amin(1)) : near_r;
}

namespace {

/// Signed distance of K points q (K, 3), each in the frame of its own geom
/// (sorted-layout index g, (K,)): both formulas per row, then the right one.
at::Tensor row_signed_distance(const HandConsts& c, bool any_cylinder, const at::Tensor& q,
                               const at::Tensor& g) {
  const at::Tensor d = q.abs() - c.row_extent.index_select(0, g);
  const at::Tensor r = c.row_radius.index_select(0, g);
  const at::Tensor round =
      at::linalg_vector_norm(d.clamp_min(0), 2, {-1}) + d.amax(-1).clamp_max(0) - r;
  if (!any_cylinder) return round;
  const at::Tensor rho = at::linalg_vector_norm(q.narrow(-1, 0, 2), 2, {-1});
  const at::Tensor dc =
      at::stack({rho - r, q.select(-1, 2).abs() - c.row_half.index_select(0, g)}, -1);
  const at::Tensor cyl =
      at::linalg_vector_norm(dc.clamp_min(0), 2, {-1}) + dc.amax(-1).clamp_max(0);
  return at::where(c.row_is_cyl.index_select(0, g), cyl, round);
}

/// Points x (K, 3) into the frames (R (K, 3, 3), p (K, 3)): R^T (x - p).
at::Tensor to_frame(const at::Tensor& R, const at::Tensor& p, const at::Tensor& x) {
  return (R * (x - p).unsqueeze(-1)).sum(-2);
}

}  // namespace

at::Tensor hand_penetration_depth(const HandKinematics& kin, const HandKinematics::Poses& poses,
                                  const at::Tensor& cloud) {
  check_cloud(poses, cloud);
  const HandKinematics::Impl& im = kin.impl();
  const HandConsts c = im.consts(cloud);
  const int64_t B = poses.p.size(0), M = cloud.size(0), G = c.geom_body.size(0);
  const bool any_cylinder = im.num_cylinders > 0;

  // World frames of all geoms (B * G of them: small).
  const at::Tensor R_WB = poses.R.index_select(1, c.geom_body);
  const at::Tensor R_WG = at::matmul(R_WB, c.geom_R).reshape({B * G, 3, 3});
  const at::Tensor p_WG =
      (poses.p.index_select(1, c.geom_body) + at::matmul(R_WB, c.geom_p.unsqueeze(-1)).squeeze(-1))
          .reshape({B * G, 3});

  // Sparse by design: a cloud point lies inside few geoms (usually none). The
  // search for the deepest geom of each (hand, point) needs no autograd and
  // is plain loops (per geom, one bounding-sphere test over all points, then
  // exact distances for the candidates); autograd follows for the winners
  // only. As torch ops the same search cost about 1.5 ms per optimizer step,
  // most of it in the bookkeeping of the candidate lists.
  at::Tensor win_bg, win_m, win_key;
  {
    const auto cpu_double = at::TensorOptions().dtype(at::kDouble).device(at::kCPU);
    const at::Tensor Rg = R_WG.detach().to(cpu_double).contiguous();  // (B G, 3, 3)
    const at::Tensor pg = p_WG.detach().to(cpu_double).contiguous();  // (B G, 3)
    const at::Tensor xd = cloud.detach().to(cpu_double).contiguous();
    const double* R_all = Rg.data_ptr<double>();
    const double* p_all = pg.data_ptr<double>();
    const double* x_all = xd.data_ptr<double>();
    // Point coordinates as separate float arrays, so that the bound test over
    // all points vectorizes; the 1 mm slack of bound2 covers float rounding.
    std::vector<float> xs(static_cast<std::size_t>(M)), ys(xs.size()), zs(xs.size());
    for (int64_t m = 0; m < M; ++m) {
      xs[m] = static_cast<float>(x_all[3 * m]);
      ys[m] = static_cast<float>(x_all[3 * m + 1]);
      zs[m] = static_cast<float>(x_all[3 * m + 2]);
    }
    // Deepest signed distance (< 0) and its geom per (hand, point); geoms in
    // ascending order with a strict <, so ties go to the lowest geom.
    std::vector<double> best_sdf(static_cast<std::size_t>(B * M), 0.0);
    std::vector<int64_t> best_bg(static_cast<std::size_t>(B * M), -1);
    std::vector<std::uint8_t> near(static_cast<std::size_t>(M));
    for (int64_t bg = 0; bg < B * G; ++bg) {
      const int64_t b = bg / G;
      const HandKinematics::Impl::PrimitiveRow& row = im.rows[static_cast<std::size_t>(bg % G)];
      const double* R = R_all + 9 * bg;  // row-major R_WG
      const double* p = p_all + 3 * bg;
      const float cx = static_cast<float>(p[0]), cy = static_cast<float>(p[1]),
                  cz = static_cast<float>(p[2]);
      for (int64_t m = 0; m < M; ++m) {
        const float dx = xs[m] - cx, dy = ys[m] - cy, dz = zs[m] - cz;
        near[m] = dx * dx + dy * dy + dz * dz < row.bound2;
      }
      for (int64_t m = 0; m < M; ++m) {
        if (!near[m]) continue;
        const Eigen::Vector3d u(x_all[3 * m] - p[0], x_all[3 * m + 1] - p[1],
                                x_all[3 * m + 2] - p[2]);
        // q = R^T u: the point in the geom's frame.
        const Eigen::Vector3d q(R[0] * u.x() + R[3] * u.y() + R[6] * u.z(),
                                R[1] * u.x() + R[4] * u.y() + R[7] * u.z(),
                                R[2] * u.x() + R[5] * u.y() + R[8] * u.z());
        double sdf;
        if (row.cylinder) {
          const Eigen::Vector2d dc(std::hypot(q.x(), q.y()) - row.radius,
                                   std::abs(q.z()) - row.half);
          sdf = dc.cwiseMax(0.0).norm() + std::min(dc.maxCoeff(), 0.0);
        } else {
          const Eigen::Vector3d d = q.cwiseAbs() - row.extent;
          sdf = d.cwiseMax(0.0).norm() + std::min(d.maxCoeff(), 0.0) - row.radius;
        }
        const std::size_t key = static_cast<std::size_t>(b * M + m);
        if (sdf < best_sdf[key]) {
          best_sdf[key] = sdf;
          best_bg[key] = bg;
        }
      }
    }
    std::vector<int64_t> wbg, wm, wkey;
    for (int64_t key = 0; key < B * M; ++key) {
      if (best_bg[static_cast<std::size_t>(key)] < 0) continue;
      wbg.push_back(best_bg[static_cast<std::size_t>(key)]);
      wm.push_back(key % M);
      wkey.push_back(key);
    }
    const auto as_index = [&](std::vector<int64_t>& v) {
      return at::from_blob(v.data(), {static_cast<int64_t>(v.size())}, at::kLong)
          .clone()
          .to(cloud.device());
    };
    win_bg = as_index(wbg);
    win_m = as_index(wm);
    win_key = as_index(wkey);
  }

  // Differentiable depths of the winners, scattered into (B, M).
  const at::Tensor q = to_frame(R_WG.index_select(0, win_bg), p_WG.index_select(0, win_bg),
                                cloud.index_select(0, win_m));
  const at::Tensor depth =
      (-row_signed_distance(c, any_cylinder, q, at::remainder(win_bg, G))).clamp_min(0);
  return at::zeros({B * M}, cloud.options()).index_put({win_key}, depth).view({B, M});
}

at::Tensor hand_self_penetration(const HandKinematics& kin, const HandKinematics::Poses& poses) {
  const HandConsts c = kin.impl().consts(poses.p);
  const int64_t B = poses.p.size(0);
  if (c.pair_a.numel() == 0) return at::zeros({B}, poses.p.options());

  // World segments of the capsules: start P0 and direction D (|D| = 2 hl).
  const at::Tensor R_WB = poses.R.index_select(1, c.cap_body);  // (B, C, 3, 3)
  const at::Tensor local = at::matmul(R_WB, c.cap_local);       // (B, C, 3, 2)
  const at::Tensor centre = poses.p.index_select(1, c.cap_body) + local.select(-1, 0);
  const at::Tensor axis = local.select(-1, 1);
  const at::Tensor seg = at::cat({centre - c.cap_half * axis, 2 * c.cap_half * axis}, -1);
  const at::Tensor sa = seg.index_select(1, c.pair_a);  // (B, Np, 6)
  const at::Tensor sb = seg.index_select(1, c.pair_b);
  const at::Tensor d1 = sa.narrow(-1, 3, 3), d2 = sb.narrow(-1, 3, 3);
  const at::Tensor r = sa.narrow(-1, 0, 3) - sb.narrow(-1, 0, 3);

  // Closest points of two segments (Ericson, Real-Time Collision Detection
  // 5.1.9), branch-free with where(); the lengths a, e are constants.
  const at::Tensor& a = c.pair_len2a;
  const at::Tensor& e = c.pair_len2b;
  const at::Tensor b = (d1 * d2).sum(-1);
  const at::Tensor cc = (d1 * r).sum(-1);
  const at::Tensor f = (d2 * r).sum(-1);
  const at::Tensor denom = a * e - b * b;
  // Near-parallel segments: any s works; s = 0 (the safe denominator keeps the
  // unused branch finite, so where() passes no NaN gradient).
  const at::Tensor skew_pair = denom > 1e-10 * a * e;
  const at::Tensor s_free =
      at::where(skew_pair, (b * f - cc * e) / at::where(skew_pair, denom, at::ones_like(denom)),
                at::zeros_like(denom))
          .clamp(0, 1);
  const at::Tensor t_free = (b * s_free + f) / e;
  const at::Tensor s = at::where(t_free < 0, (-cc / a).clamp(0, 1),
                                 at::where(t_free > 1, ((b - cc) / a).clamp(0, 1), s_free));
  const at::Tensor t = t_free.clamp(0, 1);
  const at::Tensor gap = r + s.unsqueeze(-1) * d1 - t.unsqueeze(-1) * d2;
  const at::Tensor dist = at::linalg_vector_norm(gap, 2, {-1});
  return (c.pair_rsum - dist).clamp_min(0).sum(-1);
}

}  // namespace dffeval
