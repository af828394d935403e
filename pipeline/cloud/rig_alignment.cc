#include "pipeline/cloud/rig_alignment.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>

#include "pipeline/cloud/nearest_points.h"
#include "pipeline/cloud/point_cloud.h"

namespace dffeval {
namespace {

bool in_box(const Eigen::Vector3d& p, const RigAlignmentConfig& c) {
  return (p.array() >= c.box_min_m.array()).all() && (p.array() <= c.box_max_m.array()).all();
}

/// The view's valid pixels, every stride-th per axis, inside the box.
std::vector<Eigen::Vector3d> view_points(const CameraView& view, const RigAlignmentConfig& c) {
  std::vector<Eigen::Vector3d> pts;
  const int stride = std::max(1, c.stride);
  for (int v = 0; v < view.height; v += stride) {
    for (int u = 0; u < view.width; u += stride) {
      const float d = view.depth_at(u, v);
      if (!(d > 0.f) || !std::isfinite(d)) continue;
      const Eigen::Vector3d p = backproject_pixel(view, u, v, d);
      if (in_box(p, c)) pts.push_back(p);
    }
  }
  return pts;
}

/// Least-squares plane through `pts`: (unit normal with z > 0, centroid).
std::pair<Eigen::Vector3d, Eigen::Vector3d> plane_through(const std::vector<Eigen::Vector3d>& pts) {
  Eigen::Vector3d mean = Eigen::Vector3d::Zero();
  for (const auto& p : pts) mean += p;
  mean /= static_cast<double>(pts.size());
  Eigen::Matrix3d cov = Eigen::Matrix3d::Zero();
  for (const auto& p : pts) cov += (p - mean) * (p - mean).transpose();
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig;
  eig.computeDirect(cov);
  Eigen::Vector3d n = eig.eigenvectors().col(0);  // smallest eigenvalue first
  if (n.z() < 0) n = -n;
  return {n, mean};
}

/// The rigid motion that puts the view's table plane at z = table height,
/// with its number of inliers (identity and 0 when too few are found).
std::pair<Eigen::Isometry3d, int> table_correction(const std::vector<Eigen::Vector3d>& pts,
                                                   const RigAlignmentConfig& c,
                                                   std::uint64_t seed) {
  std::vector<Eigen::Vector3d> cand;
  for (const auto& p : pts) {
    if (std::abs(p.z() - c.table_height_m) < c.table_band_m) cand.push_back(p);
  }
  const int n = static_cast<int>(cand.size());
  if (n < c.table_min_inliers) return {Eigen::Isometry3d::Identity(), 0};
  // Drift is a fraction of a degree: within 8 degrees of horizontal.
  const HorizontalPlane plane =
      fit_horizontal_plane(cand, c.table_ransac_iterations, c.table_inlier_m, 0.99, seed,
                           {Eigen::Vector3d::UnitZ(), -c.table_height_m});
  std::vector<Eigen::Vector3d> inliers;
  for (const auto& p : cand) {
    if (std::abs(plane.normal.dot(p) + plane.d) < c.table_inlier_m) inliers.push_back(p);
  }
  if (static_cast<int>(inliers.size()) < c.table_min_inliers) {
    return {Eigen::Isometry3d::Identity(), 0};
  }
  const auto [normal, centre] = plane_through(inliers);
  // Tilt about the inliers' centre (so x and y barely move), then lift.
  const Eigen::Matrix3d R =
      Eigen::Quaterniond::FromTwoVectors(normal, Eigen::Vector3d::UnitZ()).toRotationMatrix();
  Eigen::Isometry3d T = Eigen::Isometry3d::Identity();
  T.linear() = R;
  T.translation() = centre - R * centre + Eigen::Vector3d(0, 0, c.table_height_m - centre.z());
  return {T, static_cast<int>(inliers.size())};
}

/// Unit normals of pts by PCA over each point's nearest neighbours, turned
/// towards the camera at `eye` (so the two faces of a thin wall, seen from
/// two sides, are told apart).
std::vector<Eigen::Vector3d> normals_of(const std::vector<Eigen::Vector3d>& pts, int k,
                                        const Eigen::Vector3d& eye) {
  if (pts.empty()) return {};
  PointsF m(static_cast<Eigen::Index>(pts.size()), 3);
  for (std::size_t i = 0; i < pts.size(); ++i) m.row(i) = pts[i].cast<float>().transpose();
  const NearestPoints tree(m);
  std::vector<std::uint32_t> idx(k);
  std::vector<float> d2(k);
  std::vector<Eigen::Vector3d> out(pts.size(), Eigen::Vector3d::UnitZ());
  std::vector<Eigen::Vector3d> nb;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const int found = tree.nearest(m.row(i).data(), k, idx.data(), d2.data());
    if (found < 3) continue;
    nb.clear();
    for (int j = 0; j < found; ++j) nb.push_back(pts[idx[j]]);
    out[i] = plane_through(nb).first;
    if (out[i].dot(eye - pts[i]) < 0) out[i] = -out[i];
  }
  return out;
}

double yaw_of(const Eigen::Isometry3d& T) { return std::atan2(T.linear()(1, 0), T.linear()(0, 0)); }

/// A view's planar motion: a turn by yaw about the vertical through centre,
/// then a shift by t. Small updates add up exactly: a turn about the moved
/// centre composes with the last one.
struct PlanarMotion {
  Eigen::Vector3d centre = Eigen::Vector3d::Zero();
  double yaw_rad = 0;
  Eigen::Vector2d t_m = Eigen::Vector2d::Zero();

  Eigen::Isometry3d isometry() const {
    Eigen::Isometry3d T = Eigen::Isometry3d::Identity();
    T.translate(centre + Eigen::Vector3d(t_m.x(), t_m.y(), 0));
    T.rotate(Eigen::AngleAxisd(yaw_rad, Eigen::Vector3d::UnitZ()));
    T.translate(-centre);
    return T;
  }
};

struct IcpResult {
  PlanarMotion motion;
  int matches = 0;
  double rms_m = 0;
};

/// Planar (x, y, yaw) point-to-plane ICP of (src, src_normals) onto (dst,
/// dst_normals), starting from `init`. A Gaussian prior on the motion
/// (config's prior sigmas) keeps what the points do not constrain (a lone
/// cylinder's yaw) near zero instead of letting it drift.
IcpResult planar_icp(const std::vector<Eigen::Vector3d>& src,
                     const std::vector<Eigen::Vector3d>& src_normals,
                     const std::vector<Eigen::Vector3d>& dst,
                     const std::vector<Eigen::Vector3d>& dst_normals, const PlanarMotion& init,
                     const RigAlignmentConfig& c) {
  IcpResult r;
  r.motion = init;
  if (src.empty() || dst.empty()) return r;
  PointsF m(static_cast<Eigen::Index>(dst.size()), 3);
  for (std::size_t i = 0; i < dst.size(); ++i) m.row(i) = dst[i].cast<float>().transpose();
  const NearestPoints tree(m);
  const float max_d2 = static_cast<float>(c.icp_max_distance_m * c.icp_max_distance_m);
  const double inv_noise2 = 1.0 / (c.icp_noise_m * c.icp_noise_m);
  const Eigen::Vector3d prior(1.0 / (c.prior_translation_m * c.prior_translation_m),
                              1.0 / (c.prior_translation_m * c.prior_translation_m),
                              1.0 / (c.prior_yaw_rad * c.prior_yaw_rad));
  for (int it = 0; it < c.icp_iterations; ++it) {
    const Eigen::Isometry3d T = r.motion.isometry();
    const Eigen::Vector3d pivot =
        r.motion.centre + Eigen::Vector3d(r.motion.t_m.x(), r.motion.t_m.y(), 0);
    Eigen::Matrix3d A = Eigen::Matrix3d::Zero();
    Eigen::Vector3d b = Eigen::Vector3d::Zero();
    int matches = 0;
    double sum_r2 = 0;
    for (std::size_t i = 0; i < src.size(); ++i) {
      const Eigen::Vector3d p = T * src[i];
      const Eigen::Vector3f pf = p.cast<float>();
      std::uint32_t j = 0;
      float d2 = 0;
      if (tree.nearest_within(pf.data(), 1, max_d2, &j, &d2) == 0) continue;
      const Eigen::Vector3d& n = dst_normals[j];
      // Surfaces facing different ways are not the same surface.
      if (n.dot(T.linear() * src_normals[i]) < c.icp_min_normal_cosine) continue;
      const Eigen::Vector3d gap = p - dst[j];
      const double res = n.dot(gap);
      // Far along the surface means beyond what the other views saw: such a
      // point meets their outline, and a curved surface bends away from the
      // outline's tangent plane, always to the same side.
      if ((gap - res * n).squaredNorm() > c.icp_max_tangential_m * c.icp_max_tangential_m) continue;
      const double u = res / c.icp_tukey_m;
      if (std::abs(u) >= 1) continue;
      const double w = (1 - u * u) * (1 - u * u);
      const Eigen::Vector3d rel = p - pivot;
      const Eigen::Vector3d J(n.x(), n.y(), n.y() * rel.x() - n.x() * rel.y());
      A += w * inv_noise2 * J * J.transpose();
      b -= w * inv_noise2 * J * res;
      ++matches;
      sum_r2 += res * res;
    }
    r.matches = matches;
    r.rms_m = matches > 0 ? std::sqrt(sum_r2 / matches) : 0;
    if (matches < c.icp_min_matches) return r;
    const Eigen::Vector3d state(r.motion.t_m.x(), r.motion.t_m.y(), r.motion.yaw_rad);
    A += prior.asDiagonal();
    b -= prior.cwiseProduct(state);
    const Eigen::Vector3d x = A.ldlt().solve(b);
    if (!x.allFinite()) return r;
    r.motion.t_m += x.head<2>();
    r.motion.yaw_rad += x.z();
    if (x.head<2>().norm() < 1e-6 && std::abs(x.z()) < 1e-6) break;
  }
  return r;
}

}  // namespace

RigAlignment estimate_rig_alignment(const Observation& obs, const RigAlignmentConfig& c) {
  const std::size_t nv = obs.views.size();
  RigAlignment out;
  out.correction.assign(nv, Eigen::Isometry3d::Identity());
  out.table_inliers.assign(nv, 0);
  out.icp_matches.assign(nv, 0);
  out.icp_rms_m.assign(nv, 0.0);

  // Step 1: each view's table.
  std::vector<std::vector<Eigen::Vector3d>> above(nv), normals(nv);
  std::vector<Eigen::Isometry3d> table(nv, Eigen::Isometry3d::Identity());
  for (std::size_t v = 0; v < nv; ++v) {
    std::vector<Eigen::Vector3d> pts = view_points(obs.views[v], c);
    std::tie(table[v], out.table_inliers[v]) = table_correction(pts, c, c.seed + v);
    for (const auto& p : pts) {
      const Eigen::Vector3d q = table[v] * p;
      if (q.z() > c.table_height_m + c.object_min_height_m) above[v].push_back(q);
    }
    normals[v] = normals_of(above[v], std::max(3, c.normal_neighbours),
                            table[v] * obs.views[v].X_WC.translation());
  }

  // Step 2: planar ICP of each view against the others, Gauss-Seidel.
  std::vector<PlanarMotion> motion(nv);
  for (std::size_t v = 0; v < nv; ++v) {
    for (const auto& p : above[v]) motion[v].centre += p;
    if (!above[v].empty()) motion[v].centre /= static_cast<double>(above[v].size());
  }
  std::vector<Eigen::Vector3d> dst, dst_n;
  for (int pass = 0; pass < c.icp_passes && nv > 1; ++pass) {
    for (std::size_t v = 0; v < nv; ++v) {
      dst.clear();
      dst_n.clear();
      for (std::size_t o = 0; o < nv; ++o) {
        if (o == v) continue;
        const Eigen::Isometry3d T = motion[o].isometry();
        for (std::size_t i = 0; i < above[o].size(); ++i) {
          dst.push_back(T * above[o][i]);
          dst_n.push_back(T.linear() * normals[o][i]);
        }
      }
      const IcpResult r = planar_icp(above[v], normals[v], dst, dst_n, motion[v], c);
      out.icp_matches[v] = r.matches;
      out.icp_rms_m[v] = r.rms_m;
      if (r.matches >= c.icp_min_matches) motion[v] = r.motion;
    }
  }
  // Refuse implausible corrections (their view's icp_matches becomes 0),
  // then remove the accepted ones' mean (the rig's own x, y and yaw are not
  // observable).
  double yaw_sum = 0;
  Eigen::Vector3d t_sum = Eigen::Vector3d::Zero();
  int n_accepted = 0;
  std::vector<Eigen::Isometry3d> found(nv);
  for (std::size_t v = 0; v < nv; ++v) {
    found[v] = motion[v].isometry();
    const bool accepted = out.icp_matches[v] >= c.icp_min_matches &&
                          found[v].translation().norm() <= c.max_translation_m &&
                          std::abs(yaw_of(found[v])) <= c.max_yaw_rad;
    if (!accepted) {
      out.icp_matches[v] = 0;
      continue;
    }
    yaw_sum += yaw_of(found[v]);
    t_sum += found[v].translation();
    ++n_accepted;
  }
  PlanarMotion mean;  // about the world origin
  if (n_accepted > 0) {
    mean.yaw_rad = yaw_sum / n_accepted;
    mean.t_m = t_sum.head<2>() / n_accepted;
  }
  const Eigen::Isometry3d mean_inv = mean.isometry().inverse();
  for (std::size_t v = 0; v < nv; ++v) {
    out.correction[v] =
        out.icp_matches[v] > 0 ? Eigen::Isometry3d(mean_inv * found[v] * table[v]) : table[v];
  }
  return out;
}

Observation align_rig(const Observation& obs, const RigAlignmentConfig& config) {
  Observation out = obs;
  if (!config.enabled) return out;
  const RigAlignment a = estimate_rig_alignment(obs, config);
  for (std::size_t v = 0; v < out.views.size(); ++v) {
    out.views[v].X_WC = a.correction[v] * obs.views[v].X_WC;
  }
  return out;
}

}  // namespace dffeval
