// The LibTorch reference's collision terms: signed distances of cloud
// points to the hand's primitives, penetration depth and self-penetration.

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "tests/hand/reference/torch_hand_internals.h"

namespace dffeval {

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
