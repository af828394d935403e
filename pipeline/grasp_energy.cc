#include "pipeline/grasp_energy.h"

#include <ATen/ATen.h>

#include <Eigen/Geometry>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "pipeline/grasp_optimizer.h"

namespace dffeval {
namespace {

using Eigen::Matrix3d;
using Eigen::Vector3d;

double sign(double v) { return (v > 0.0) - (v < 0.0); }

/// The axial vector w of the skew part of M: <M, [w]x> = w . axial(M) for
/// every w (Frobenius product).
Vector3d axial(const Matrix3d& M) {
  return Vector3d(M(2, 1) - M(1, 2), M(0, 2) - M(2, 0), M(1, 0) - M(0, 1));
}

constexpr double kElevationClamp = 1.0 - 1e-6;

/// The forces of one candidate on its bodies (world frame): their sum F and
/// their moment T about the world origin, per body.
struct BodyWrenches {
  std::vector<Vector3d> force, moment;
  explicit BodyWrenches(int nb) : force(nb, Vector3d::Zero()), moment(nb, Vector3d::Zero()) {}
  /// dE/dx = g at the world point x fixed in body b.
  void add(int b, const Vector3d& x, const Vector3d& g) {
    force[b] += g;
    moment[b] += x.cross(g);
  }
};

/// Signed distance (metres, negative inside) of q, given in a primitive's
/// frame, and its gradient in that frame. Rounded boxes (sphere: extent 0;
/// capsule: (0, 0, half length); box: radius 0) and cylinders along z, with
/// the LibTorch reference's formulas (hand_kinematics.cc) and its
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

/// d R / d r6_k for the 6 components of r6, as angular velocities w_k
/// (dR = [w_k]x R): Gram-Schmidt differentiated forward.
std::array<Vector3d, 6> rot6d_velocities(const double* r6, const Matrix3d& R) {
  const Vector3d a1(r6[0], r6[1], r6[2]), a2(r6[3], r6[4], r6[5]);
  const double n1 = std::max(a1.norm(), 1e-12);
  const Vector3d b1 = R.col(0), b2 = R.col(1);
  const Vector3d u = a2 - b1.dot(a2) * b1;
  const double nu = std::max(u.norm(), 1e-12);
  std::array<Vector3d, 6> w;
  for (int k = 0; k < 6; ++k) {
    Vector3d da1 = Vector3d::Zero(), da2 = Vector3d::Zero();
    (k < 3 ? da1 : da2)[k % 3] = 1.0;
    const Vector3d db1 = (da1 - b1 * b1.dot(da1)) / n1;
    const Vector3d du = da2 - (db1.dot(a2) + b1.dot(da2)) * b1 - b1.dot(a2) * db1;
    const Vector3d db2 = (du - b2 * b2.dot(du)) / nu;
    const Vector3d db3 = db1.cross(b2) + b1.cross(db2);
    Matrix3d dR;
    dR << db1, db2, db3;
    // dR R^T is skew; its axial vector is twice w.
    w[k] = 0.5 * axial(dR * R.transpose());
  }
  return w;
}

}  // namespace

PenetrationCloud::PenetrationCloud(std::vector<Eigen::Vector3d> points, double cell_m)
    : points_(std::move(points)), cell_(cell_m) {
  if (!(cell_m > 0.0)) throw std::invalid_argument("PenetrationCloud: cell_m must be > 0");
  if (points_.empty()) return;
  Vector3d lo = points_[0], hi = points_[0];
  for (const Vector3d& p : points_) {
    lo = lo.cwiseMin(p);
    hi = hi.cwiseMax(p);
  }
  origin_ = lo;
  std::size_t cells = 1;
  for (int c = 0; c < 3; ++c) {
    dims_[c] = static_cast<int>((hi[c] - lo[c]) / cell_) + 1;
    cells *= static_cast<std::size_t>(dims_[c]);
  }
  auto cell_of = [&](const Vector3d& p) {
    std::size_t i = 0;
    for (int c = 2; c >= 0; --c) {
      const int k = std::clamp(static_cast<int>((p[c] - origin_[c]) / cell_), 0, dims_[c] - 1);
      i = i * static_cast<std::size_t>(dims_[c]) + static_cast<std::size_t>(k);
    }
    return i;
  };
  cell_start_.assign(cells + 1, 0);
  for (const Vector3d& p : points_) ++cell_start_[cell_of(p) + 1];
  for (std::size_t c = 0; c < cells; ++c) cell_start_[c + 1] += cell_start_[c];
  order_.resize(points_.size());
  std::vector<int> next(cell_start_.begin(), cell_start_.end() - 1);
  for (std::size_t i = 0; i < points_.size(); ++i)
    order_[next[cell_of(points_[i])]++] = static_cast<int>(i);
}

void PenetrationCloud::candidates(const Vector3d& centre, double radius_m,
                                  std::vector<int>* out) const {
  if (points_.empty()) return;
  int lo[3], hi[3];
  for (int c = 0; c < 3; ++c) {
    lo[c] = static_cast<int>(std::floor((centre[c] - radius_m - origin_[c]) / cell_));
    hi[c] = static_cast<int>(std::floor((centre[c] + radius_m - origin_[c]) / cell_));
    if (hi[c] < 0 || lo[c] >= dims_[c]) return;
    lo[c] = std::max(lo[c], 0);
    hi[c] = std::min(hi[c], dims_[c] - 1);
  }
  for (int z = lo[2]; z <= hi[2]; ++z) {
    for (int y = lo[1]; y <= hi[1]; ++y) {
      const std::size_t row = (static_cast<std::size_t>(z) * dims_[1] + y) * dims_[0];
      const int* first = order_.data() + cell_start_[row + lo[0]];
      const int* last = order_.data() + cell_start_[row + hi[0] + 1];
      out->insert(out->end(), first, last);
    }
  }
}

Eigen::Vector3d palm_axis_elevations(const Matrix3d& R) {
  Vector3d el;
  for (int c = 0; c < 3; ++c)
    el[c] = std::asin(std::clamp(R(2, c), -kElevationClamp, kElevationClamp));
  return el;
}

std::vector<double> distances_to_cloud(const PointsF& x, const PointsF& cloud,
                                       const std::vector<std::int64_t>& nearest) {
  std::vector<double> d(nearest.size());
  for (std::size_t i = 0; i < d.size(); ++i) {
    const Eigen::Index r = static_cast<Eigen::Index>(i);
    d[i] = nearest[i] < 0
               ? std::numeric_limits<double>::infinity()
               : std::sqrt((x.row(r) - cloud.row(nearest[i])).cast<double>().squaredNorm() + 1e-12);
  }
  return d;
}

GraspParamVector grasp_params(const Grasp& grasp) {
  GraspParamVector x{};
  const Matrix3d R = grasp.X_WPalm.rotation();
  for (int c = 0; c < 3; ++c) {
    x[c] = grasp.X_WPalm.translation()[c];
    x[3 + c] = R(c, 0);
    x[6 + c] = R(c, 1);
  }
  for (int k = 0; k < kNumHandJoints; ++k) x[9 + k] = grasp.joints_rad[k];
  return x;
}

Matrix3d rot6d_matrix(const double* r6) {
  const Vector3d a1(r6[0], r6[1], r6[2]), a2(r6[3], r6[4], r6[5]);
  const Vector3d b1 = a1 / std::max(a1.norm(), 1e-12);
  const Vector3d u = a2 - b1.dot(a2) * b1;
  const Vector3d b2 = u / std::max(u.norm(), 1e-12);
  Matrix3d R;
  R << b1, b2, b1.cross(b2);
  return R;
}

GraspEnergy::GraspEnergy(const HandKinematics& hand, const HandSurfacePoints& surface,
                         const GraspOptimizerConfig& config)
    : hand_(hand), surface_(surface), config_(config) {
  const at::Tensor local = surface.local.to(at::kDouble).contiguous();
  const double* l = local.data_ptr<double>();
  for (int p = 0; p < surface.size(); ++p)
    local_.emplace_back(l[3 * p], l[3 * p + 1], l[3 * p + 2]);
  // The penetration term's geoms in the reference's order (rounded boxes,
  // then cylinders), so that ties of depth go to the same geom.
  for (int pass = 0; pass < 2; ++pass) {
    for (const HandGeom& hg : hand.geoms()) {
      const bool cyl = hg.type == HandGeomType::kCylinder;
      if (cyl != (pass == 1)) continue;
      Geom g;
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
      geoms_.push_back(g);
    }
  }
  // Capsule pairs on different finger chains (hand_self_penetration's set).
  const std::vector<int>& chain = hand.body_chain();
  std::vector<const HandGeom*> caps;
  for (const HandGeom& hg : hand.geoms())
    if (hg.type == HandGeomType::kCapsule && chain[hg.body] >= 0) caps.push_back(&hg);
  for (std::size_t a = 0; a < caps.size(); ++a) {
    for (std::size_t b = a + 1; b < caps.size(); ++b) {
      if (chain[caps[a]->body] == chain[caps[b]->body]) continue;
      pairs_.push_back({caps[a]->body, caps[b]->body, caps[a]->p_BG, caps[a]->R_BG.col(2),
                        caps[b]->p_BG, caps[b]->R_BG.col(2), caps[a]->size.y(), caps[b]->size.y(),
                        caps[a]->size.x() + caps[b]->size.x()});
    }
  }
  const at::Tensor lo = hand.joint_lower().contiguous(), hi = hand.joint_upper().contiguous();
  for (int k = 0; k < kNumHandJoints; ++k) {
    lower_[k] = lo.data_ptr<double>()[k];
    upper_[k] = hi.data_ptr<double>()[k];
  }
}

HandBodyPoses GraspEnergy::pose(const GraspParamVector& x) const {
  const std::vector<HandBodyJoint>& joints = hand_.body_joints();
  const int nb = static_cast<int>(joints.size());
  HandBodyPoses out;
  out.R.resize(nb);
  out.p.resize(nb);
  out.R[0] = rot6d_matrix(x.data() + 3);
  out.p[0] = Vector3d(x[0], x[1], x[2]);
  for (int i = 1; i < nb; ++i) {
    const HandBodyJoint& bj = joints[i];
    Matrix3d R_PB = bj.R_PB0;
    Vector3d p_PB = bj.p_PB0;
    if (bj.joint >= 0) {
      const Matrix3d Rj =
          Eigen::AngleAxisd(x[9 + bj.joint] - bj.qpos0, bj.axis_B).toRotationMatrix();
      R_PB = bj.R_PB0 * Rj;
      p_PB = bj.p_PB0 + bj.R_PB0 * (bj.anchor_B - Rj * bj.anchor_B);
    }
    out.R[i] = out.R[bj.parent] * R_PB;
    out.p[i] = out.p[bj.parent] + out.R[bj.parent] * p_PB;
  }
  return out;
}

PointsF GraspEnergy::surface_points(const GraspParamVector& x) const {
  const HandBodyPoses poses = pose(x);
  PointsF out(static_cast<Eigen::Index>(local_.size()), 3);
  for (std::size_t p = 0; p < local_.size(); ++p) {
    const int b = surface_.body[p];
    out.row(static_cast<Eigen::Index>(p)) = (poses.R[b] * local_[p] + poses.p[b]).cast<float>();
  }
  return out;
}

EnergyBatch GraspEnergy::evaluate(const EnergyReference& ref,
                                  const std::vector<GraspParamVector>& params, const PointsF* noise,
                                  std::vector<GraspParamVector>* gradient, FieldTape* tape,
                                  std::map<std::string, double>* timing_s) const {
  auto clock = std::chrono::steady_clock::now();
  auto lap = [&](const char* part) {
    if (!timing_s) return;
    const auto now = std::chrono::steady_clock::now();
    (*timing_s)[part] += std::chrono::duration<double>(now - clock).count();
    clock = now;
  };
  const EnergyWeights& w = config_.weights;
  const int B = static_cast<int>(params.size());
  const int P = static_cast<int>(local_.size());
  const int nb = hand_.num_bodies();
  const Eigen::Index Q = static_cast<Eigen::Index>(B) * P;
  const bool grad = gradient != nullptr;
  if (noise && noise->rows() != Q) {
    throw std::invalid_argument("GraspEnergy: noise must have B * P rows");
  }
  if (grad && w.feature != 0 && tape == nullptr) {
    throw std::invalid_argument("GraspEnergy: a gradient of the feature term needs a tape");
  }

  // Poses and surface points (x: noiseless, double; xq: where the target is
  // read, with the noise, float as the field takes it).
  std::vector<HandBodyPoses> poses(B);
  std::vector<Vector3d> x(static_cast<std::size_t>(Q));
  PointsF xq(Q, 3);
  for (int b = 0; b < B; ++b) {
    poses[b] = pose(params[b]);
    for (int p = 0; p < P; ++p) {
      const int body = surface_.body[p];
      const Eigen::Index i = static_cast<Eigen::Index>(b) * P + p;
      x[i] = poses[b].R[body] * local_[p] + poses[b].p[body];
      xq.row(i) = x[i].cast<float>().transpose();
      if (noise) xq.row(i) += noise->row(i);
    }
  }
  lap("kinematics");

  EnergyBatch out;
  out.total.assign(B, 0.0);
  std::vector<BodyWrenches> wrench(grad ? B : 0, BodyWrenches(nb));
  std::vector<GraspParamVector> direct(grad ? B : 0, GraspParamVector{});
  auto term = [&](const char* name) -> std::vector<double>& {
    std::vector<double>& t = out.terms[name];
    t.assign(B, 0.0);
    return t;
  };

  std::vector<std::int64_t> nearest;
  FeaturesF values, dL_dF;
  if (w.feature != 0) {
    const FeatureField& field = *ref.target_field;
    if (ref.descriptor.rows() != P || ref.descriptor.cols() != field.dim()) {
      throw std::invalid_argument("GraspEnergy: the descriptor must be P x D of the target field");
    }
    if (grad) {
      field.evaluate_vjp(xq, &values, tape);
      // -1 where no point is within the field's near radius: see below.
      nearest = tape->nearest_points();
    } else {
      field.evaluate(xq, &values, nullptr, NeighbourCache::kBypass);
    }
    std::vector<double>& f = term("feature");
    if (grad) dL_dF.resize(Q, field.dim());
    for (int b = 0; b < B; ++b) {
      for (int p = 0; p < P; ++p) {
        const Eigen::Index i = static_cast<Eigen::Index>(b) * P + p;
        double sum = 0.0;
        for (Eigen::Index d = 0; d < values.cols(); ++d) {
          const float diff = values(i, d) - ref.descriptor(p, d);
          sum += std::abs(diff);
          if (grad) dL_dF(i, d) = static_cast<float>(w.feature * sign(diff) / P);
        }
        f[b] += sum / P;
      }
    }
    lap("feature");
  }

  if (w.surface_distance != 0) {
    const NearestPoints& cloud = *ref.target_cloud;
    if (nearest.empty()) nearest = cloud.query(xq);
    const double cap = config_.surface_distance_cap_m;
    const double near_radius = ref.target_field ? ref.target_field->config().knn_radius_m : 0.0;
    // A near radius below the cap without the grid: the points the field's
    // search left without a nearest point get an exact search.
    if (!ref.far_distance && cap > near_radius) {
      for (Eigen::Index i = 0; i < Q; ++i)
        if (nearest[i] < 0) nearest[i] = cloud.query(xq.row(i))[0];
    }
    std::vector<double> dist = distances_to_cloud(xq, cloud.points(), nearest);
    // d dist / d x at each query (zero past the cap, where it is not used).
    std::vector<Vector3d> slope(static_cast<std::size_t>(Q), Vector3d::Zero());
    for (Eigen::Index i = 0; i < Q; ++i) {
      if (nearest[i] < 0) continue;
      slope[i] = (xq.row(i) - cloud.points().row(nearest[i])).cast<double>().transpose() / dist[i];
    }
    // At the field's near radius or farther: the interpolated distance, with
    // the tape (the search found no point) and without (the same rule).
    if (ref.far_distance) {
      for (Eigen::Index i = 0; i < Q; ++i) {
        if (dist[i] < near_radius) continue;
        const float p[3] = {xq(i, 0), xq(i, 1), xq(i, 2)};
        double d = 0.0, g[3] = {0, 0, 0};
        dist[i] =
            ref.far_distance->distance(p, &d, g) ? d : std::numeric_limits<double>::infinity();
        slope[i] = Vector3d(g[0], g[1], g[2]);
      }
    }
    std::vector<double>& s = term("surface_distance");
    for (int b = 0; b < B; ++b) {
      for (int p = 0; p < P; ++p) {
        const Eigen::Index i = static_cast<Eigen::Index>(b) * P + p;
        const double d = dist[i];
        const double diff = std::min(d, cap) - ref.demo_distance[p];
        s[b] += std::abs(diff) / P;
        if (grad && d <= cap) {
          wrench[b].add(surface_.body[p], x[i], (w.surface_distance * sign(diff) / P) * slope[i]);
        }
      }
    }
    lap("surface_distance");
  }

  if (w.penetration != 0) {
    std::vector<double>& pen = term("penetration");
    const double tol = config_.penetration_tolerance_m;
    const std::size_t M = ref.penetration_cloud.points().size();
    std::vector<double> best(M);
    std::vector<int> best_geom(M), near;
    std::vector<Matrix3d> R_WG(geoms_.size());
    std::vector<Vector3d> p_WG(geoms_.size());
    const std::vector<Vector3d>& cloud = ref.penetration_cloud.points();
    for (int b = 0; b < B; ++b) {
      for (std::size_t g = 0; g < geoms_.size(); ++g) {
        const Geom& geom = geoms_[g];
        R_WG[g] = poses[b].R[geom.body] * geom.R_BG;
        p_WG[g] = poses[b].p[geom.body] + poses[b].R[geom.body] * geom.p_BG;
      }
      std::fill(best.begin(), best.end(), 0.0);
      std::fill(best_geom.begin(), best_geom.end(), -1);
      Vector3d unused;
      for (std::size_t g = 0; g < geoms_.size(); ++g) {
        const Geom& geom = geoms_[g];
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
        if (!grad) continue;
        const Geom& geom = geoms_[best_geom[m]];
        const Matrix3d& R = R_WG[best_geom[m]];
        Vector3d n;
        primitive_sdf(geom.cylinder, geom.extent, geom.radius, geom.half,
                      R.transpose() * (cloud[m] - p_WG[best_geom[m]]), &n);
        // E = -sdf(R^T (c - p)): moving the geom by d moves q by -R^T d.
        wrench[b].add(geom.body, cloud[m], w.penetration * (R * n));
      }
    }
    lap("penetration");
  }

  if (w.table != 0) {
    std::vector<double>& t = term("table");
    const double top = config_.table_height_m + config_.table_margin_m;
    for (int b = 0; b < B; ++b) {
      for (int p = 0; p < P; ++p) {
        const Eigen::Index i = static_cast<Eigen::Index>(b) * P + p;
        const double below = top - x[i].z();
        if (below <= 0.0) continue;
        t[b] += below;
        if (grad) wrench[b].add(surface_.body[p], x[i], Vector3d(0, 0, -w.table));
      }
    }
  }

  if (w.joint_limits != 0) {
    std::vector<double>& t = term("joint_limits");
    for (int b = 0; b < B; ++b) {
      for (int k = 0; k < kNumHandJoints; ++k) {
        const double q = params[b][9 + k];
        if (q > upper_[k]) {
          t[b] += q - upper_[k];
          if (grad) direct[b][9 + k] += w.joint_limits;
        } else if (q < lower_[k]) {
          t[b] += lower_[k] - q;
          if (grad) direct[b][9 + k] -= w.joint_limits;
        }
      }
    }
  }

  if (w.self_collision != 0) {
    std::vector<double>& t = term("self_collision");
    for (int b = 0; b < B; ++b) {
      const HandBodyPoses& ps = poses[b];
      for (const CapsulePair& pair : pairs_) {
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
        const double a = 4 * pair.half_a * pair.half_a, e = 4 * pair.half_b * pair.half_b;
        const double bb = d1.dot(d2), c = d1.dot(r), f = d2.dot(r);
        const double denom = a * e - bb * bb;
        const double s_free =
            denom > 1e-10 * a * e ? std::clamp((bb * f - c * e) / denom, 0.0, 1.0) : 0.0;
        const double t_free = (bb * s_free + f) / e;
        const double s = t_free < 0   ? std::clamp(-c / a, 0.0, 1.0)
                         : t_free > 1 ? std::clamp((bb - c) / a, 0.0, 1.0)
                                      : s_free;
        const double tt = std::clamp(t_free, 0.0, 1.0);
        const Vector3d gap = r + s * d1 - tt * d2;
        const double dist = gap.norm();
        const double overlap = pair.radius_sum - dist;
        if (overlap <= 0.0) continue;
        t[b] += overlap;
        if (grad && dist > 0.0) {
          // The closest points are fixed points of the two bodies; E falls as
          // they move apart.
          const Vector3d g = (w.self_collision / dist) * gap;
          wrench[b].add(pair.body_a, p1 + s * d1, -g);
          wrench[b].add(pair.body_b, p2 + tt * d2, g);
        }
      }
    }
  }

  // Rotation-matrix gradients that are not point forces (the wrist prior),
  // per candidate: dE/dR of the palm.
  std::vector<Matrix3d> dE_dR(grad ? B : 0, Matrix3d::Zero());
  if (w.wrist_prior != 0) {
    std::vector<double>& t = term("wrist_prior");
    for (int b = 0; b < B; ++b) {
      const Matrix3d& R = poses[b].R[0];
      const Vector3d elevation = palm_axis_elevations(R);
      for (int c = 0; c < 3; ++c) {
        const double el = elevation[c];
        const double excess = std::abs(el - ref.demo_elevation[c]) - config_.wrist_cone_rad;
        if (excess <= 0.0) continue;
        t[b] += excess * excess;
        if (grad && std::abs(R(2, c)) <= kElevationClamp) {
          // d asin(z) / dz, z = R(2, c) inside the clamp.
          dE_dR[b](2, c) += w.wrist_prior * 2 * excess * sign(el - ref.demo_elevation[c]) /
                            std::sqrt(1 - R(2, c) * R(2, c));
        }
      }
    }
  }

  if (w.joint_prior != 0) {
    std::vector<double>& t = term("joint_prior");
    for (int b = 0; b < B; ++b) {
      for (int k = 0; k < kNumHandJoints; ++k) {
        const double dq = params[b][9 + k] - ref.demo_joints[k];
        t[b] += dq * dq;
        if (grad) direct[b][9 + k] += w.joint_prior * 2 * dq;
      }
    }
  }

  const std::map<std::string, double> weight = {
      {"feature", w.feature},           {"surface_distance", w.surface_distance},
      {"penetration", w.penetration},   {"table", w.table},
      {"joint_limits", w.joint_limits}, {"self_collision", w.self_collision},
      {"wrist_prior", w.wrist_prior},   {"joint_prior", w.joint_prior}};
  for (const auto& [name, values_b] : out.terms)
    for (int b = 0; b < B; ++b) out.total[b] += weight.at(name) * values_b[b];
  lap("other_terms");
  if (!grad) return out;

  // The feature term's forces: the field's pullback at the read points, on
  // the (noiseless) points of the hand that carry them.
  if (w.feature != 0) {
    const PointsF dL_dx = ref.target_field->pullback(*tape, dL_dF);
    for (int b = 0; b < B; ++b) {
      for (int p = 0; p < P; ++p) {
        const Eigen::Index i = static_cast<Eigen::Index>(b) * P + p;
        wrench[b].add(surface_.body[p], x[i], dL_dx.row(i).cast<double>().transpose());
      }
    }
  }
  // Up the tree: a hinge's derivative is the moment about its axis of every
  // force on the bodies it moves; children come after their parents.
  const std::vector<HandBodyJoint>& joints = hand_.body_joints();
  gradient->assign(B, GraspParamVector{});
  for (int b = 0; b < B; ++b) {
    BodyWrenches& wr = wrench[b];
    GraspParamVector& g = (*gradient)[b];
    g = direct[b];
    for (int i = nb - 1; i >= 1; --i) {
      const HandBodyJoint& bj = joints[i];
      if (bj.joint >= 0) {
        const Vector3d axis = poses[b].R[i] * bj.axis_B;
        const Vector3d anchor = poses[b].p[i] + poses[b].R[i] * bj.anchor_B;
        g[9 + bj.joint] += axis.dot(wr.moment[i] - anchor.cross(wr.force[i]));
      }
      wr.force[bj.parent] += wr.force[i];
      wr.moment[bj.parent] += wr.moment[i];
    }
    const Vector3d t(params[b][0], params[b][1], params[b][2]);
    const Matrix3d& R = poses[b].R[0];
    const Vector3d torque = wr.moment[0] - t.cross(wr.force[0]) + axial(dE_dR[b] * R.transpose());
    for (int c = 0; c < 3; ++c) g[c] += wr.force[0][c];
    const std::array<Vector3d, 6> omega = rot6d_velocities(params[b].data() + 3, R);
    for (int k = 0; k < 6; ++k) g[3 + k] += torque.dot(omega[k]);
  }
  lap("backward");
  return out;
}

}  // namespace dffeval
