// The energy's contact terms: target cloud points inside the hand, hand
// surface points below the table, and fingers overlapping each other.

#include <algorithm>
#include <cmath>

#include "pipeline/grasp/energy_terms.h"

namespace dffeval {

using Eigen::Matrix3d;
using Eigen::Vector3d;

void add_penetration_term(EnergyPass& e, const EnergyReference& ref,
                          const std::vector<PenetrationGeom>& geoms) {
  if (e.weights.penetration == 0) return;
  std::vector<double>& pen = e.term("penetration");
  const double tol = e.config.penetration_tolerance_m;
  const std::size_t M = ref.penetration_cloud.points().size();
  std::vector<double> best(M);
  std::vector<int> best_geom(M), near;
  std::vector<Matrix3d> R_WG(geoms.size());
  std::vector<Vector3d> p_WG(geoms.size());
  const std::vector<Vector3d>& cloud = ref.penetration_cloud.points();
  for (int b = 0; b < e.B; ++b) {
    for (std::size_t g = 0; g < geoms.size(); ++g) {
      const PenetrationGeom& geom = geoms[g];
      R_WG[g] = e.poses[b].R[geom.body] * geom.R_BG;
      p_WG[g] = e.poses[b].p[geom.body] + e.poses[b].R[geom.body] * geom.p_BG;
    }
    std::fill(best.begin(), best.end(), 0.0);
    std::fill(best_geom.begin(), best_geom.end(), -1);
    Vector3d unused;
    for (std::size_t g = 0; g < geoms.size(); ++g) {
      const PenetrationGeom& geom = geoms[g];
      near.clear();
      ref.penetration_cloud.candidates(p_WG[g], geom.bound, &near);
      for (const int m : near) {
        const Vector3d u = cloud[m] - p_WG[g];
        if (u.squaredNorm() >= geom.bound * geom.bound) continue;
        const double sdf = primitive_sdf(geom.cylinder, geom.extent, geom.radius, geom.half,
                                         R_WG[g].transpose() * u, &unused);
        if (sdf < best[m]) {
          best[m] = sdf;
          best_geom[m] = static_cast<int>(g);
        }
      }
    }
    for (std::size_t m = 0; m < M; ++m) {
      if (best_geom[m] < 0 || -best[m] <= tol) continue;
      pen[b] += -best[m] - tol;
      if (!e.grad) continue;
      const PenetrationGeom& geom = geoms[best_geom[m]];
      const Matrix3d& R = R_WG[best_geom[m]];
      Vector3d n;
      primitive_sdf(geom.cylinder, geom.extent, geom.radius, geom.half,
                    R.transpose() * (cloud[m] - p_WG[best_geom[m]]), &n);
      // E = -sdf(R^T (c - p)): moving the geom by d moves q by -R^T d.
      e.wrench[b].add(geom.body, cloud[m], e.weights.penetration * (R * n));
    }
  }
  e.lap("penetration");
}

void add_table_term(EnergyPass& e) {
  if (e.weights.table == 0) return;
  std::vector<double>& t = e.term("table");
  const double top = e.config.table_height_m + e.config.table_margin_m;
  for (int b = 0; b < e.B; ++b) {
    for (int p = 0; p < e.P; ++p) {
      const Eigen::Index i = static_cast<Eigen::Index>(b) * e.P + p;
      const double below = top - e.x[i].z();
      if (below <= 0.0) continue;
      t[b] += below;
      if (e.grad) e.wrench[b].add(e.surface.body[p], e.x[i], Vector3d(0, 0, -e.weights.table));
    }
  }
}

void add_self_collision_term(EnergyPass& e, const std::vector<CapsulePair>& pairs) {
  if (e.weights.self_collision == 0) return;
  std::vector<double>& t = e.term("self_collision");
  for (int b = 0; b < e.B; ++b) {
    const HandBodyPoses& ps = e.poses[b];
    for (const CapsulePair& pair : pairs) {
      // Segments P0 + s D, s in [0, 1] (Ericson, Real-Time Collision
      // Detection 5.1.9, as the reference computes them).
      const Vector3d ax_a = ps.R[pair.body_a] * pair.axis_a;
      const Vector3d ax_b = ps.R[pair.body_b] * pair.axis_b;
      const Vector3d d1 = 2 * pair.half_a * ax_a, d2 = 2 * pair.half_b * ax_b;
      const Vector3d p1 =
          ps.p[pair.body_a] + ps.R[pair.body_a] * pair.centre_a - pair.half_a * ax_a;
      const Vector3d p2 =
          ps.p[pair.body_b] + ps.R[pair.body_b] * pair.centre_b - pair.half_b * ax_b;
      const Vector3d r = p1 - p2;
      const double a = 4 * pair.half_a * pair.half_a, len2_b = 4 * pair.half_b * pair.half_b;
      const double bb = d1.dot(d2), c = d1.dot(r), f = d2.dot(r);
      const double denom = a * len2_b - bb * bb;
      const double s_free =
          denom > 1e-10 * a * len2_b ? std::clamp((bb * f - c * len2_b) / denom, 0.0, 1.0) : 0.0;
      const double t_free = (bb * s_free + f) / len2_b;
      const double s = t_free < 0   ? std::clamp(-c / a, 0.0, 1.0)
                       : t_free > 1 ? std::clamp((bb - c) / a, 0.0, 1.0)
                                    : s_free;
      const double tt = std::clamp(t_free, 0.0, 1.0);
      const Vector3d gap = r + s * d1 - tt * d2;
      const double dist = gap.norm();
      const double overlap = pair.radius_sum - dist;
      if (overlap <= 0.0) continue;
      t[b] += overlap;
      if (e.grad && dist > 0.0) {
        // The closest points are fixed points of the two bodies; E falls as
        // they move apart.
        const Vector3d g = (e.weights.self_collision / dist) * gap;
        e.wrench[b].add(pair.body_a, p1 + s * d1, -g);
        e.wrench[b].add(pair.body_b, p2 + tt * d2, g);
      }
    }
  }
}

}  // namespace dffeval
