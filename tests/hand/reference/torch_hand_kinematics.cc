#include "tests/hand/reference/torch_hand_kinematics.h"

#include "tests/hand/reference/torch_hand_internals.h"

#include <ATen/ATen.h>
#include <fmt/format.h>

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


at::Tensor to_tensor(const std::vector<double>& v, std::vector<int64_t> shape) {
  return at::tensor(v, at::kDouble).reshape(shape);
}

at::Tensor to_index(const std::vector<int64_t>& v) { return at::tensor(v, at::kLong); }

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


HandKinematics HandKinematics::load(const std::string& mjcf_path) {
  return HandKinematics(HandModel::load(mjcf_path));
}

HandKinematics::HandKinematics(const HandModel& model) {
  auto impl = std::make_shared<Impl>();
  impl->model = model;
  impl->parent = model.body_parent();
  impl->lower = at::tensor(
      std::vector<double>(model.joint_lower().begin(), model.joint_lower().end()), at::kDouble);
  impl->upper = at::tensor(
      std::vector<double>(model.joint_upper().begin(), model.joint_upper().end()), at::kDouble);
  impl->geoms = model.geoms();
  impl->chain = model.body_chain();
  const int nb = model.num_bodies();
  std::vector<int> depth(nb, 0), body_joint(nb, -1);
  for (int i = 1; i < nb; ++i) {
    depth[i] = depth[impl->parent[i]] + 1;
    body_joint[i] = model.body_joints()[i].joint;
  }
  HandConsts c;
  fill_forward_consts(*impl, depth, body_joint, &c);
  fill_geom_consts(*impl, &c);
  fill_capsule_pairs(*impl, &c);
  impl->f64 = c;
  impl->f32 = c.to(at::TensorOptions().dtype(at::kFloat));
  impl_ = std::move(impl);
}

void HandKinematics::fill_forward_consts(Impl& im, const std::vector<int>& depth,
                                         const std::vector<int>& body_joint, HandConsts* out) {
  HandConsts& c = *out;
  Impl* impl = &im;
  const int nb = static_cast<int>(depth.size());
  // Level order: all bodies of one tree depth are posed by one batched op.
  const int max_depth = *std::max_element(depth.begin(), depth.end());
  std::vector<int> level_order;              // non-palm hand bodies, by level
  std::vector<int64_t> pos_in_level(nb, 0);  // index of a body within its level
  std::vector<int64_t> level_to_body(nb, 0);
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

  std::vector<int64_t> select;
  std::vector<double> q0, A, AK, AK2, p0, u1, u2;
  for (int i : level_order) {
    const HandBodyJoint& bj = im.model.body_joints()[i];
    const Eigen::Matrix3d R = bj.R_PB0;
    const Eigen::Vector3d pos = bj.p_PB0;
    Eigen::Matrix3d K = Eigen::Matrix3d::Zero();
    Eigen::Vector3d anchor = Eigen::Vector3d::Zero();
    double ref = 0;
    if (body_joint[i] >= 0) {
      K = skew(bj.axis_B);
      anchor = bj.anchor_B;
      ref = bj.qpos0;
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
}

void HandKinematics::fill_geom_consts(Impl& im, HandConsts* out) {
  HandConsts& c = *out;
  Impl* impl = &im;
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
}

void HandKinematics::fill_capsule_pairs(Impl& im, HandConsts* out) {
  HandConsts& c = *out;
  Impl* impl = &im;
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
}

int HandKinematics::num_bodies() const { return impl_->model.num_bodies(); }
const std::vector<std::string>& HandKinematics::body_names() const {
  return impl_->model.body_names();
}
int HandKinematics::body_index(const std::string& name) const {
  return impl_->model.body_index(name);
}
const std::vector<int>& HandKinematics::body_parent() const { return impl_->parent; }
const std::vector<int>& HandKinematics::body_chain() const { return impl_->chain; }
const std::vector<std::string>& HandKinematics::chain_names() const {
  return impl_->model.chain_names();
}
const std::vector<int>& HandKinematics::joint_body() const { return impl_->model.joint_body(); }
const std::vector<HandBodyJoint>& HandKinematics::body_joints() const {
  return impl_->model.body_joints();
}
at::Tensor HandKinematics::joint_lower() const { return impl_->lower; }
at::Tensor HandKinematics::joint_upper() const { return impl_->upper; }
const std::vector<HandGeom>& HandKinematics::geoms() const { return impl_->geoms; }
const std::string& HandKinematics::mjcf_path() const { return impl_->model.mjcf_path(); }
const HandModel& HandKinematics::model() const { return impl_->model; }

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

at::Tensor surface_local_tensor(const HandSurfacePoints& points) {
  std::vector<double> v;
  for (const Eigen::Vector3d& p : points.local) v.insert(v.end(), {p.x(), p.y(), p.z()});
  return at::tensor(v, at::kDouble).reshape({points.size(), 3});
}

at::Tensor surface_normal_tensor(const HandSurfacePoints& points) {
  std::vector<double> v;
  for (const Eigen::Vector3d& n : points.normal_local) v.insert(v.end(), {n.x(), n.y(), n.z()});
  return at::tensor(v, at::kDouble).reshape({points.size(), 3});
}

at::Tensor surface_body_tensor(const HandSurfacePoints& points) {
  return at::tensor(std::vector<int64_t>(points.body.begin(), points.body.end()), at::kLong);
}

namespace {

/// R_WB v_B for each point: (B, P, 3); elementwise rather than P tiny matmuls.
at::Tensor rotate(const HandKinematics::Poses& poses, const HandSurfacePoints& points,
                  const at::Tensor& v_B) {
  const at::Tensor idx = surface_body_tensor(points).to(poses.R.device());
  const at::Tensor R = poses.R.index_select(1, idx);  // (B, P, 3, 3)
  return (R * v_B.to(poses.R.options()).unsqueeze(-2)).sum(-1);
}

}  // namespace

at::Tensor hand_surface_world(const HandKinematics::Poses& poses, const HandSurfacePoints& points) {
  const at::Tensor idx = surface_body_tensor(points).to(poses.p.device());
  return rotate(poses, points, surface_local_tensor(points)) + poses.p.index_select(1, idx);
}

at::Tensor hand_surface_normals_world(const HandKinematics::Poses& poses,
                                      const HandSurfacePoints& points) {
  return rotate(poses, points, surface_normal_tensor(points));
}

}  // namespace dffeval
