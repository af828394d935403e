#include "pipeline/cloud/point_cloud.h"

#include "common/seeded_rng.h"

namespace dffeval {

void PointCloud::reserve(std::size_t n) {
  p_W.reserve(n);
  rgb.reserve(n);
  view.reserve(n);
  pixel.reserve(n);
}

void PointCloud::push_back(const Eigen::Vector3d& p, const Eigen::Vector3f& c, int v,
                           const Eigen::Vector2i& px) {
  p_W.push_back(p);
  rgb.push_back(c);
  view.push_back(v);
  pixel.push_back(px);
}

PointCloud PointCloud::subset(const std::vector<std::size_t>& keep) const {
  PointCloud out;
  out.reserve(keep.size());
  for (std::size_t i : keep) out.push_back(p_W[i], rgb[i], view[i], pixel[i]);
  return out;
}

Eigen::Vector3d PointCloud::centroid() const {
  Eigen::Vector3d c = Eigen::Vector3d::Zero();
  for (const auto& p : p_W) c += p;
  return p_W.empty() ? c : Eigen::Vector3d(c / static_cast<double>(p_W.size()));
}

Eigen::Vector3d backproject_pixel(const CameraView& view, int u, int v, double depth_m) {
  const double x = (u + 0.5 - view.K(0, 2)) / view.K(0, 0);
  const double y = (v + 0.5 - view.K(1, 2)) / view.K(1, 1);
  return view.X_WC * Eigen::Vector3d(x * depth_m, y * depth_m, depth_m);
}

PointCloud backproject(const Observation& obs, int stride) {
  PointCloud cloud;
  for (std::size_t vi = 0; vi < obs.views.size(); ++vi) {
    const CameraView& view = obs.views[vi];
    for (int v = 0; v < view.height; v += stride) {
      for (int u = 0; u < view.width; u += stride) {
        const float d = view.depth_at(u, v);
        if (!(d > 0.f) || !std::isfinite(d)) continue;
        const std::size_t k = (static_cast<std::size_t>(v) * view.width + u) * 3;
        cloud.push_back(backproject_pixel(view, u, v, d),
                        Eigen::Vector3f(view.rgb[k], view.rgb[k + 1], view.rgb[k + 2]) / 255.f,
                        static_cast<int>(vi), Eigen::Vector2i(u, v));
      }
    }
  }
  return cloud;
}

HorizontalPlane fit_horizontal_plane(const std::vector<Eigen::Vector3d>& pts, int iterations,
                                     double inlier_m, double min_normal_z, std::uint64_t seed,
                                     const HorizontalPlane& fallback) {
  SeededRng rng(seed);
  HorizontalPlane best = fallback;
  std::size_t best_inliers = 0;
  const int n = static_cast<int>(pts.size());
  if (n < 3) return best;
  for (int it = 0; it < iterations; ++it) {
    const auto& a = pts[rng.uniform_int(0, n - 1)];
    const auto& b = pts[rng.uniform_int(0, n - 1)];
    const auto& c = pts[rng.uniform_int(0, n - 1)];
    Eigen::Vector3d nrm = (b - a).cross(c - a);
    if (nrm.norm() < 1e-9) continue;
    nrm.normalize();
    if (nrm.z() < 0) nrm = -nrm;
    if (nrm.z() < min_normal_z) continue;
    const double d = -nrm.dot(a);
    std::size_t inliers = 0;
    for (int i = 0; i < n; i += 4) inliers += std::abs(nrm.dot(pts[i]) + d) < inlier_m;
    if (inliers > best_inliers) best_inliers = inliers, best = {nrm, d};
  }
  return best;
}

PointCloud select_foreground(const PointCloud& cloud, const ForegroundConfig& cfg) {
  std::vector<std::size_t> in_box;
  std::vector<Eigen::Vector3d> box_pts;
  for (std::size_t i = 0; i < cloud.size(); ++i) {
    const auto& p = cloud.p_W[i];
    if ((p.array() >= cfg.box_min_m.array()).all() && (p.array() <= cfg.box_max_m.array()).all()) {
      in_box.push_back(i);
      box_pts.push_back(p);
    }
  }
  Eigen::Vector3d n = Eigen::Vector3d::UnitZ();
  double d = -cfg.table_height_m;
  if (cfg.fit_table_plane) {
    // A table is near horizontal: within 25 degrees.
    const HorizontalPlane fit =
        fit_horizontal_plane(box_pts, cfg.ransac_iterations, cfg.table_margin_m, 0.9,
                             cfg.ransac_seed, {Eigen::Vector3d::UnitZ(), -cfg.table_height_m});
    n = fit.normal;
    d = fit.d;
  }
  std::vector<std::size_t> keep;
  for (std::size_t k = 0; k < in_box.size(); ++k) {
    if (n.dot(box_pts[k]) + d > cfg.table_margin_m) keep.push_back(in_box[k]);
  }
  return cloud.subset(keep);
}

}  // namespace dffeval
