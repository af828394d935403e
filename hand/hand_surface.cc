#include "hand/hand_surface.h"

#include <fmt/format.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "common/input_error.h"
#include "common/seeded_rng.h"
#include "hand/forward_kinematics.h"

namespace dffeval {
namespace {

double geom_area(const HandGeom& g) {
  const Eigen::Vector3d& s = g.size;
  switch (g.type) {
    case HandGeomType::kSphere:
      return 4 * M_PI * s.x() * s.x();
    case HandGeomType::kCapsule:
      return 4 * M_PI * s.x() * s.y() + 4 * M_PI * s.x() * s.x();
    case HandGeomType::kCylinder:
      return 4 * M_PI * s.x() * s.y() + 2 * M_PI * s.x() * s.x();
    case HandGeomType::kBox:
      return 8 * (s.x() * s.y() + s.y() * s.z() + s.x() * s.z());
  }
  return 0;
}

/// Signed distance (metres) of a point given in the geom's frame; the same
/// formulas as hand_geom_signed_distance.
double geom_sdf(const HandGeom& g, const Eigen::Vector3d& q) {
  const Eigen::Vector3d& s = g.size;
  if (g.type == HandGeomType::kCylinder) {
    const Eigen::Vector2d d(q.head<2>().norm() - s.x(), std::abs(q.z()) - s.y());
    return d.cwiseMax(0).norm() + std::min(d.maxCoeff(), 0.0);
  }
  Eigen::Vector3d e = Eigen::Vector3d::Zero();
  double r = 0;
  if (g.type == HandGeomType::kSphere) r = s.x();
  if (g.type == HandGeomType::kCapsule) e.z() = s.y(), r = s.x();
  if (g.type == HandGeomType::kBox) e = s;
  const Eigen::Vector3d d = q.cwiseAbs() - e;
  return d.cwiseMax(0).norm() + std::min(d.maxCoeff(), 0.0) - r;
}

/// Uniform direction on the unit sphere (Archimedes: z uniform in [-1, 1]).
Eigen::Vector3d unit_sphere(SeededRng& rng) {
  const double z = rng.uniform(-1, 1), phi = rng.uniform(0, 2 * M_PI);
  const double rho = std::sqrt(std::max(0.0, 1 - z * z));
  return {rho * std::cos(phi), rho * std::sin(phi), z};
}

/// A point uniform on the geom's surface and its outward normal, geom frame.
std::pair<Eigen::Vector3d, Eigen::Vector3d> sample_on(const HandGeom& g, SeededRng& rng) {
  const Eigen::Vector3d& s = g.size;
  switch (g.type) {
    case HandGeomType::kSphere: {
      const Eigen::Vector3d n = unit_sphere(rng);
      return {s.x() * n, n};
    }
    case HandGeomType::kCapsule:
    case HandGeomType::kCylinder: {
      const double r = s.x(), hl = s.y();
      const double side = 4 * M_PI * r * hl;
      if (rng.uniform() * geom_area(g) < side) {
        const double phi = rng.uniform(0, 2 * M_PI), z = rng.uniform(-hl, hl);
        const Eigen::Vector3d n(std::cos(phi), std::sin(phi), 0);
        return {Eigen::Vector3d(r * n.x(), r * n.y(), z), n};
      }
      if (g.type == HandGeomType::kCapsule) {
        // The two hemispheres together are one sphere split at z = 0.
        const Eigen::Vector3d n = unit_sphere(rng);
        return {r * n + Eigen::Vector3d(0, 0, n.z() >= 0 ? hl : -hl), n};
      }
      // Cylinder cap: uniform on the disk (radius r sqrt(u)).
      const double sign = rng.uniform() < 0.5 ? -1.0 : 1.0;
      const double rho = r * std::sqrt(rng.uniform()), phi = rng.uniform(0, 2 * M_PI);
      return {Eigen::Vector3d(rho * std::cos(phi), rho * std::sin(phi), sign * hl),
              Eigen::Vector3d(0, 0, sign)};
    }
    case HandGeomType::kBox: {
      // A face pair chosen by area, then a side, then a point on the face.
      const double ax = s.y() * s.z(), ay = s.x() * s.z(), az = s.x() * s.y();
      const double u = rng.uniform() * (ax + ay + az);
      const int axis = u < ax ? 0 : (u < ax + ay ? 1 : 2);
      const double sign = rng.uniform() < 0.5 ? -1.0 : 1.0;
      Eigen::Vector3d p, n = Eigen::Vector3d::Zero();
      for (int i = 0; i < 3; ++i) p(i) = rng.uniform(-s(i), s(i));
      p(axis) = sign * s(axis);
      n(axis) = sign;
      return {p, n};
    }
  }
  throw std::logic_error("sample_on: unknown geom type");
}

double body_weight(const std::string& body, const HandSurfaceConfig& cfg) {
  if (body.find("distal") != std::string::npos) return cfg.distal_weight;
  if (body.find("middle") != std::string::npos) return cfg.middle_weight;
  return 1.0;
}

}  // namespace

HandSurfacePoints sample_hand_surface(const HandModel& hand, const HandSurfaceConfig& config) {
  if (config.num_points < 1) {
    throw InputError(
        fmt::format("hand surface: num_points must be >= 1, got {}", config.num_points));
  }
  if (!(config.distal_weight > 0) || !(config.middle_weight > 0)) {
    throw InputError("hand surface: distal_weight and middle_weight must be > 0");
  }
  const std::vector<HandGeom>& geoms = hand.geoms();
  const int G = static_cast<int>(geoms.size());

  // Body poses at the zero pose (palm at the origin), for the buried test.
  const std::array<double, kNumHandJoints> zero_joints{};
  const HandBodyPoses zero = forward_kinematics(hand, Eigen::Matrix3d::Identity(),
                                                Eigen::Vector3d::Zero(), zero_joints.data());
  std::vector<Eigen::Isometry3d> X_PG(G);
  for (int g = 0; g < G; ++g) {
    const int b = geoms[g].body;
    Eigen::Isometry3d X_PB = Eigen::Isometry3d::Identity();
    X_PB.translation() = zero.p[b];
    X_PB.linear() = zero.R[b];
    Eigen::Isometry3d X_BG = Eigen::Isometry3d::Identity();
    X_BG.linear() = geoms[g].R_BG;
    X_BG.translation() = geoms[g].p_BG;
    X_PG[g] = X_PB * X_BG;
  }

  // Cumulative weighted areas for picking a geom.
  std::vector<double> cumulative(G);
  double total = 0;
  for (int g = 0; g < G; ++g) {
    total += geom_area(geoms[g]) * body_weight(hand.body_names()[geoms[g].body], config);
    cumulative[g] = total;
  }

  // A candidate is hidden if a 0.1 mm step out along its normal lands inside
  // another geom (it lies inside the union, or on a face shared with a
  // touching geom), or if it lies on another geom's surface with a lower
  // index (coincident surfaces, e.g. a sphere and a capsule end of the same
  // radius at the same place, keep one copy).
  constexpr double kStepOutM = 1e-4;
  constexpr double kCoincidentM = 1e-9;
  std::vector<Eigen::Isometry3d> X_GP(G);
  for (int g = 0; g < G; ++g) X_GP[g] = X_PG[g].inverse();
  auto hidden = [&](int g, const Eigen::Vector3d& p_G, const Eigen::Vector3d& n_G) {
    const Eigen::Vector3d p_P = X_PG[g] * p_G;
    const Eigen::Vector3d out_P = X_PG[g] * (p_G + kStepOutM * n_G);
    for (int h = 0; h < G; ++h) {
      if (h == g) continue;
      if (geom_sdf(geoms[h], X_GP[h] * out_P) < 0) return true;
      const double at = geom_sdf(geoms[h], X_GP[h] * p_P);
      if (at < -kCoincidentM || (h < g && at < kCoincidentM)) return true;
    }
    return false;
  };
  const int n = config.num_points;
  const long max_attempts = 1000L * n + 10000;
  SeededRng rng(config.seed);
  HandSurfacePoints out;
  out.local.reserve(n);
  out.normal_local.reserve(n);
  for (long attempt = 0; out.size() < n; ++attempt) {
    if (attempt >= max_attempts) {
      throw std::runtime_error(hand.mjcf_path() +
                               ": hand surface: almost every sample is buried inside another "
                               "geom; the collision geoms overlap too much");
    }
    const double u = rng.uniform() * total;
    const int g = std::min<int>(
        G - 1, static_cast<int>(std::upper_bound(cumulative.begin(), cumulative.end(), u) -
                                cumulative.begin()));
    const auto [p_G, n_G] = sample_on(geoms[g], rng);
    if (config.drop_buried && hidden(g, p_G, n_G)) continue;
    const Eigen::Vector3d p_B = geoms[g].R_BG * p_G + geoms[g].p_BG;
    const Eigen::Vector3d n_B = geoms[g].R_BG * n_G;
    out.body.push_back(geoms[g].body);
    out.geom.push_back(g);
    out.local.push_back(p_B);
    out.normal_local.push_back(n_B);
  }
  return out;
}

}  // namespace dffeval
