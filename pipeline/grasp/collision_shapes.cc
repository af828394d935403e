#include "pipeline/grasp/collision_shapes.h"

#include <cmath>

namespace dffeval {
namespace {

double sign(double v) { return (v > 0.0) - (v < 0.0); }

}  // namespace

using Eigen::Vector3d;

std::vector<PenetrationGeom> penetration_geoms(const HandModel& hand) {
  std::vector<PenetrationGeom> geoms;
  // The penetration term's geoms in the reference's order (rounded boxes,
  // then cylinders), so that ties of depth go to the same geom.
  for (int pass = 0; pass < 2; ++pass) {
    for (const HandGeom& hg : hand.geoms()) {
      const bool cyl = hg.type == HandGeomType::kCylinder;
      if (cyl != (pass == 1)) continue;
      PenetrationGeom g;
      g.body = hg.body;
      g.cylinder = cyl;
      g.R_BG = hg.R_BG;
      g.p_BG = hg.p_BG;
      g.radius = hg.type == HandGeomType::kBox ? 0.0 : hg.size.x();
      g.extent = hg.type == HandGeomType::kBox       ? hg.size
                 : hg.type == HandGeomType::kCapsule ? Vector3d(0, 0, hg.size.y())
                                                     : Vector3d::Zero();
      g.half = cyl ? hg.size.y() : 0.0;
      g.bound = cyl ? std::hypot(hg.size.x(), hg.size.y()) : g.extent.norm() + g.radius;
      geoms.push_back(g);
    }
  }
  return geoms;
}

std::vector<CapsulePair> finger_capsule_pairs(const HandModel& hand) {
  std::vector<CapsulePair> pairs;
  // Capsule pairs on different finger chains (hand_self_penetration's set).
  const std::vector<int>& chain = hand.body_chain();
  std::vector<const HandGeom*> caps;
  for (const HandGeom& hg : hand.geoms())
    if (hg.type == HandGeomType::kCapsule && chain[hg.body] >= 0) caps.push_back(&hg);
  for (std::size_t a = 0; a < caps.size(); ++a) {
    for (std::size_t b = a + 1; b < caps.size(); ++b) {
      if (chain[caps[a]->body] == chain[caps[b]->body]) continue;
      pairs.push_back({caps[a]->body, caps[b]->body, caps[a]->p_BG, caps[a]->R_BG.col(2),
                       caps[b]->p_BG, caps[b]->R_BG.col(2), caps[a]->size.y(), caps[b]->size.y(),
                       caps[a]->size.x() + caps[b]->size.x()});
    }
  }
  return pairs;
}

/// Signed distance (metres, negative inside) of q, given in a primitive's
/// frame, and its gradient in that frame. Rounded boxes (sphere: extent 0;
/// capsule: (0, 0, half length); box: radius 0) and cylinders along z, with
/// the LibTorch reference's formulas (tests/hand/reference/torch_hand_kinematics.cc) and its
/// subgradients: zero where a norm is taken of a zero vector, the first
/// coordinate on a tie of the inner maximum.
double primitive_sdf(bool cylinder, const Vector3d& extent, double radius, double half,
                     const Vector3d& q, Vector3d* grad) {
  if (!cylinder) {
    const Vector3d d = q.cwiseAbs() - extent;
    int imax = 0;
    d.maxCoeff(&imax);
    if (d[imax] > 0.0) {
      const Vector3d dp = d.cwiseMax(0.0);
      const double n = dp.norm();
      for (int c = 0; c < 3; ++c) (*grad)[c] = sign(q[c]) * dp[c] / n;
      return n - radius;
    }
    *grad = Vector3d::Zero();
    (*grad)[imax] = sign(q[imax]);
    return d[imax] - radius;
  }
  const double rho = std::hypot(q.x(), q.y());
  const Eigen::Vector2d d(rho - radius, std::abs(q.z()) - half);
  Eigen::Vector2d g = Eigen::Vector2d::Zero();
  double sdf;
  if (d.maxCoeff() > 0.0) {
    const Eigen::Vector2d dp = d.cwiseMax(0.0);
    sdf = dp.norm();
    g = dp / sdf;
  } else {
    const int i = d[0] >= d[1] ? 0 : 1;
    sdf = d[i];
    g[i] = 1.0;
  }
  const double radial = rho > 0.0 ? g[0] / rho : 0.0;
  *grad = Vector3d(radial * q.x(), radial * q.y(), g[1] * sign(q.z()));
  return sdf;
}

}  // namespace dffeval
