#pragma once
// Shared by the energy-term tests (contact_terms_test.cc, prior_terms_test.cc):
// random hand parameters, a cloud reaching into the hand, the LibTorch
// reference value of each non-field term, and the check that holds a term's
// value to the reference and its gradient to finite differences.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "pipeline/grasp/grasp_energy.h"
#include "pipeline/grasp/grasp_optimizer.h"
#include "tests/fixtures/hand_models.h"

namespace dffeval::energy_test {

using fixtures::synthetic_hand;

inline const HandKinematics& shadow_hand() { return fixtures::shadow_hand(); }

/// Random parameters: palm within 0.2 m of the origin at any orientation
/// (6D not orthonormal), joints within their limits widened by 0.1 rad.
inline GraspParamVector random_params(const HandKinematics& kin, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  GraspParamVector x{};
  for (int c = 0; c < 3; ++c) x[c] = 0.2 * u(rng);
  for (int c = 3; c < 9; ++c) x[c] = u(rng);
  const torch::Tensor lo = kin.joint_lower(), hi = kin.joint_upper();
  for (int k = 0; k < kNumHandJoints; ++k) {
    const double a = lo[k].item<double>() - 0.1, b = hi[k].item<double>() + 0.1;
    x[9 + k] = a + (b - a) * 0.5 * (1.0 + u(rng));
  }
  return x;
}

struct TorchParams {
  torch::Tensor t, r6, q;
};

inline TorchParams to_torch(const GraspParamVector& x) {
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor all = torch::tensor(std::vector<double>(x.begin(), x.end()), f64);
  return {all.slice(0, 0, 3).reshape({1, 3}), all.slice(0, 3, 9).reshape({1, 6}),
          all.slice(0, 9, kGraspParams).reshape({1, kNumHandJoints})};
}

/// A cloud that reaches into the hand: surface points pushed 0.5 to 6 mm
/// inwards along their normals, and some points around the hand.
inline std::vector<Eigen::Vector3d> cloud_into_hand(const HandKinematics& kin,
                                                    const HandSurfacePoints& surface,
                                                    const GraspParamVector& x,
                                                    std::mt19937_64& rng) {
  const TorchParams p = to_torch(x);
  const HandKinematics::Poses poses = kin.forward(p.t, p.r6, p.q);
  const torch::Tensor pts = hand_surface_world(poses, surface)[0].contiguous();
  const torch::Tensor nrm = hand_surface_normals_world(poses, surface)[0].contiguous();
  std::uniform_real_distribution<double> depth(0.0005, 0.006), u(-0.05, 0.05);
  std::vector<Eigen::Vector3d> cloud;
  for (int i = 0; i < surface.size(); i += 2) {
    Eigen::Vector3d a, n;
    for (int c = 0; c < 3; ++c) {
      a[c] = pts[i][c].item<double>();
      n[c] = nrm[i][c].item<double>();
    }
    cloud.push_back(a - depth(rng) * n);
    cloud.push_back(a + Eigen::Vector3d(u(rng), u(rng), u(rng)));
  }
  return cloud;
}

inline GraspOptimizerConfig only(const char* term) {
  GraspOptimizerConfig cfg;
  EnergyWeights w;
  w.feature = w.surface_distance = w.penetration = w.table = w.joint_limits = w.self_collision =
      w.wrist_prior = w.joint_prior = 0.0;
  const std::string t = term;
  if (t == "penetration") w.penetration = 1.0;
  if (t == "table") w.table = 1.0;
  if (t == "joint_limits") w.joint_limits = 1.0;
  if (t == "self_collision") w.self_collision = 1.0;
  if (t == "wrist_prior") w.wrist_prior = 1.0;
  if (t == "joint_prior") w.joint_prior = 1.0;
  cfg.weights = w;
  cfg.penetration_tolerance_m = 0.001;
  cfg.table_height_m = 0.02;  // the random palms reach below it
  cfg.wrist_cone_rad = 0.2;
  return cfg;
}

/// The LibTorch value of one (non-field) term at x.
inline double torch_term(const HandKinematics& kin, const HandSurfacePoints& surface,
                         const GraspOptimizerConfig& cfg, const EnergyReference& ref,
                         const std::string& term, const GraspParamVector& x) {
  torch::NoGradGuard no_grad;
  const TorchParams p = to_torch(x);
  const HandKinematics::Poses poses = kin.forward(p.t, p.r6, p.q);
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  if (term == "penetration") {
    std::vector<double> flat;
    const std::vector<Eigen::Vector3d>& points = ref.penetration_cloud.points();
    for (const Eigen::Vector3d& c : points) flat.insert(flat.end(), {c.x(), c.y(), c.z()});
    const torch::Tensor cloud =
        torch::tensor(flat, f64).reshape({static_cast<int64_t>(points.size()), 3});
    return torch::relu(hand_penetration_depth(kin, poses, cloud) - cfg.penetration_tolerance_m)
        .sum()
        .item<double>();
  }
  if (term == "self_collision") return hand_self_penetration(kin, poses).sum().item<double>();
  if (term == "table") {
    const torch::Tensor z = hand_surface_world(poses, surface).select(2, 2);
    return torch::relu(cfg.table_height_m + cfg.table_margin_m - z).sum().item<double>();
  }
  if (term == "joint_limits") {
    return (torch::relu(p.q - kin.joint_upper()) + torch::relu(kin.joint_lower() - p.q))
        .sum()
        .item<double>();
  }
  if (term == "wrist_prior") {
    const torch::Tensor R = rot6d_to_matrix(p.r6)[0];
    const torch::Tensor el = torch::asin(R[2].clamp(-1.0 + 1e-6, 1.0 - 1e-6));
    const torch::Tensor demo = torch::tensor(
        {ref.demo_elevation.x(), ref.demo_elevation.y(), ref.demo_elevation.z()}, f64);
    const torch::Tensor excess = torch::relu((el - demo).abs() - cfg.wrist_cone_rad);
    return (excess * excess).sum().item<double>();
  }
  if (term == "joint_prior") {
    const torch::Tensor demo =
        torch::tensor(std::vector<double>(ref.demo_joints.begin(), ref.demo_joints.end()), f64);
    return (p.q[0] - demo).pow(2).sum().item<double>();
  }
  ADD_FAILURE() << "no reference for " << term;
  return 0.0;
}

/// Random joints rarely make fingers of different chains touch: for the
/// self-collision term, the Shadow hand's joints are set to crossings (first
/// and middle finger abducted into each other; the thumb swung into curled
/// fingers, as in hand_kinematics_test.cc), perturbed by up to 0.05 rad.
inline void cross_fingers(const HandKinematics& kin, int trial, std::mt19937_64& rng,
                          GraspParamVector* x) {
  if (&kin != &shadow_hand()) return;
  std::uniform_real_distribution<double> u(-0.05, 0.05);
  for (int k = 0; k < kNumHandJoints; ++k) (*x)[9 + k] = u(rng);
  if (trial % 2 == 0) {
    (*x)[9 + 0] += 0.349;   // FFJ4
    (*x)[9 + 4] += -0.349;  // MFJ4
  } else {
    (*x)[9 + 17] += 1.0;  // THJ5
    (*x)[9 + 18] += 1.2;  // THJ4
    for (int k : {1, 2, 3, 5, 6, 7}) (*x)[9 + k] += 1.2;
  }
}

/// Holds one non-field term (the others weighted 0) to its LibTorch value
/// on random poses of both hands, and its gradient to central differences.
inline void check_energy_term(const std::string& term) {
  std::mt19937_64 rng(11);
  for (const HandKinematics* kin : {&shadow_hand(), &synthetic_hand()}) {
    HandSurfaceConfig sc;
    sc.num_points = 300;
    const HandSurfacePoints surface = sample_hand_surface(*kin, sc);
    const GraspOptimizerConfig cfg = only(term.c_str());
    const GraspEnergy energy(*kin, surface, cfg);
    int active = 0;
    for (int trial = 0; trial < 6; ++trial) {
      GraspParamVector x = random_params(*kin, rng);
      if (term == "self_collision") cross_fingers(*kin, trial, rng, &x);
      EnergyReference ref;
      ref.penetration_cloud = PenetrationCloud(cloud_into_hand(*kin, surface, x, rng));
      ref.demo_elevation = Eigen::Vector3d(0.3, -0.2, 0.5);
      for (int k = 0; k < kNumHandJoints; ++k) ref.demo_joints[k] = 0.1 * k - 0.5;
      std::vector<GraspParamVector> grad;
      const EnergyBatch e = energy.evaluate(ref, {x}, nullptr, &grad, nullptr);
      ASSERT_EQ(e.terms.count(term), 1u);
      const double value = e.terms.at(term)[0];
      EXPECT_NEAR(value, torch_term(*kin, surface, cfg, ref, term, x), 1e-9 * std::max(1.0, value))
          << term << " trial " << trial;
      EXPECT_DOUBLE_EQ(e.total[0], value);  // weight 1, the only term
      if (value > 0) ++active;
      for (int i = 0; i < kGraspParams; ++i) {
        const double h = 1e-7;
        GraspParamVector xp = x, xm = x;
        xp[i] += h;
        xm[i] -= h;
        const double fd = (energy.evaluate(ref, {xp}, nullptr, nullptr, nullptr).total[0] -
                           energy.evaluate(ref, {xm}, nullptr, nullptr, nullptr).total[0]) /
                          (2 * h);
        EXPECT_NEAR(grad[0][i], fd, 1e-4 * std::max(1.0, std::abs(fd)))
            << term << " trial " << trial << " parameter " << i;
      }
    }
    // The poses must exercise the term, or the checks above say little (the
    // synthetic hand's capsules on different chains never meet).
    if (term != "self_collision" || kin == &shadow_hand()) {
      EXPECT_GE(active, 3) << term << " was zero in most trials";
    }
  }
}

}  // namespace dffeval::energy_test
