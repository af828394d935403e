// The hand's collision primitives as the contact terms see them: penetration_geoms' order
// (rounded boxes, then cylinders) and fields, finger_capsule_pairs across chains only, and
// primitive_sdf's values and gradients (known points, central differences, and the LibTorch
// reference hand_geom_signed_distance with its autograd on posed hands).

#include "pipeline/grasp/collision_shapes.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <map>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "tests/fixtures/hand_models.h"

namespace dffeval {
namespace {

using Eigen::Vector3d;

// Indices into hand.geoms() in the order penetration_geoms must list them.
std::vector<std::size_t> expected_order(const HandModel& hand) {
  std::vector<std::size_t> order;
  for (const bool cylinders : {false, true}) {
    for (std::size_t i = 0; i < hand.geoms().size(); ++i) {
      if ((hand.geoms()[i].type == HandGeomType::kCylinder) == cylinders) order.push_back(i);
    }
  }
  return order;
}

void expect_fields_from(const PenetrationGeom& g, const HandGeom& hg) {
  SCOPED_TRACE(hg.name);
  EXPECT_EQ(g.body, hg.body);
  EXPECT_EQ(g.R_BG, hg.R_BG);
  EXPECT_EQ(g.p_BG, hg.p_BG);
  const Vector3d s = hg.size;
  switch (hg.type) {
    case HandGeomType::kSphere:
      EXPECT_FALSE(g.cylinder);
      EXPECT_EQ(g.extent, Vector3d::Zero());
      EXPECT_EQ(g.radius, s.x());
      EXPECT_DOUBLE_EQ(g.bound, s.x());
      break;
    case HandGeomType::kCapsule:
      EXPECT_FALSE(g.cylinder);
      EXPECT_EQ(g.extent, Vector3d(0, 0, s.y()));
      EXPECT_EQ(g.radius, s.x());
      EXPECT_DOUBLE_EQ(g.bound, s.y() + s.x());
      break;
    case HandGeomType::kBox:
      EXPECT_FALSE(g.cylinder);
      EXPECT_EQ(g.extent, s);
      EXPECT_EQ(g.radius, 0.0);
      EXPECT_DOUBLE_EQ(g.bound, s.norm());
      break;
    case HandGeomType::kCylinder:
      EXPECT_TRUE(g.cylinder);
      EXPECT_EQ(g.radius, s.x());
      EXPECT_EQ(g.half, s.y());
      EXPECT_DOUBLE_EQ(g.bound, std::hypot(s.x(), s.y()));
      break;
  }
  if (!g.cylinder) {
    EXPECT_EQ(g.half, 0.0);
  }
}

TEST(PenetrationGeoms, RoundedBoxesFirstThenCylindersWithTheModelsFields) {
  for (const HandModel* hand :
       {&fixtures::synthetic_hand_model(), &fixtures::shadow_hand_model()}) {
    SCOPED_TRACE(hand->mjcf_path());
    const std::vector<PenetrationGeom> geoms = penetration_geoms(*hand);
    const std::vector<std::size_t> order = expected_order(*hand);
    ASSERT_EQ(geoms.size(), hand->geoms().size());
    for (std::size_t i = 0; i < geoms.size(); ++i) {
      expect_fields_from(geoms[i], hand->geoms()[order[i]]);
      if (i > 0) {
        EXPECT_LE(geoms[i - 1].cylinder, geoms[i].cylinder) << "a cylinder before " << i;
      }
    }
  }
  // The synthetic hand has all four types, so every branch above ran, and its cylinders are
  // interleaved with the other geoms in MuJoCo's order, so the reordering did something.
  std::map<HandGeomType, int> types;
  bool other_after_cylinder = false;
  for (const HandGeom& hg : fixtures::synthetic_hand_model().geoms()) {
    if (hg.type != HandGeomType::kCylinder && types.count(HandGeomType::kCylinder)) {
      other_after_cylinder = true;
    }
    ++types[hg.type];
  }
  EXPECT_EQ(types.size(), 4u);
  EXPECT_TRUE(other_after_cylinder);
}

TEST(PenetrationGeoms, NothingBeyondTheBoundIsInside) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n(0.0, 1.0);
  std::uniform_real_distribution<double> u(1.0, 2.0);
  for (const PenetrationGeom& g : penetration_geoms(fixtures::synthetic_hand_model())) {
    ASSERT_GT(g.bound, 0.0);
    for (int k = 0; k < 200; ++k) {
      const Vector3d q = Vector3d(n(rng), n(rng), n(rng)).normalized() * g.bound * (1e-6 + u(rng));
      Vector3d grad;
      EXPECT_GT(primitive_sdf(g.cylinder, g.extent, g.radius, g.half, q, &grad), 0.0)
          << "q " << q.transpose() << " bound " << g.bound;
    }
  }
}

void expect_pairs_across_chains(const HandModel& hand, std::size_t expected_capsules) {
  SCOPED_TRACE(hand.mjcf_path());
  const std::vector<int>& chain = hand.body_chain();
  std::vector<const HandGeom*> caps;
  std::map<int, int> per_chain;
  for (const HandGeom& hg : hand.geoms()) {
    if (hg.type != HandGeomType::kCapsule || chain[hg.body] < 0) continue;
    caps.push_back(&hg);
    ++per_chain[chain[hg.body]];
  }
  ASSERT_EQ(caps.size(), expected_capsules);
  // Every pair of capsules minus those within one chain.
  std::size_t expected = caps.size() * (caps.size() - 1) / 2;
  for (const auto& [c, count] : per_chain) expected -= count * (count - 1) / 2;
  const std::vector<CapsulePair> pairs = finger_capsule_pairs(hand);
  ASSERT_EQ(pairs.size(), expected);
  std::set<std::pair<const HandGeom*, const HandGeom*>> seen;
  for (const CapsulePair& p : pairs) {
    EXPECT_GE(chain[p.body_a], 0);
    EXPECT_GE(chain[p.body_b], 0);
    EXPECT_NE(chain[p.body_a], chain[p.body_b]) << p.body_a << " and " << p.body_b;
    // The capsules the pair describes: one of each body with exactly these numbers.
    const HandGeom* a = nullptr;
    const HandGeom* b = nullptr;
    for (const HandGeom* hg : caps) {
      if (hg->body == p.body_a && hg->p_BG == p.centre_a && Vector3d(hg->R_BG.col(2)) == p.axis_a &&
          hg->size.y() == p.half_a) {
        a = hg;
      }
      if (hg->body == p.body_b && hg->p_BG == p.centre_b && Vector3d(hg->R_BG.col(2)) == p.axis_b &&
          hg->size.y() == p.half_b) {
        b = hg;
      }
    }
    ASSERT_NE(a, nullptr) << "pair " << p.body_a << "-" << p.body_b;
    ASSERT_NE(b, nullptr) << "pair " << p.body_a << "-" << p.body_b;
    EXPECT_EQ(p.radius_sum, a->size.x() + b->size.x());
    EXPECT_NEAR(p.axis_a.norm(), 1.0, 1e-12);
    EXPECT_TRUE(seen.insert({std::min(a, b), std::max(a, b)}).second) << "a pair twice";
  }
}

TEST(FingerCapsulePairs, EveryPairOfCapsulesOnDifferentChainsOnce) {
  // Synthetic hand: capsules on chains 0, 1, 2 and 4, two on chain 3; the palm is a box.
  expect_pairs_across_chains(fixtures::synthetic_hand_model(), 6);
  // Shadow hand: knuckle, proximal, middle and distal of four fingers, three thumb links.
  expect_pairs_across_chains(fixtures::shadow_hand_model(), 19);
}

struct Probe {
  const char* what;
  bool cylinder;
  Vector3d extent;
  double radius, half;
  Vector3d q;
  double sdf;
  Vector3d grad;
};

TEST(PrimitiveSdf, KnownValuesAndGradients) {
  const Vector3d box(0.01, 0.02, 0.03), zero = Vector3d::Zero(), cap(0, 0, 0.012);
  const std::vector<Probe> probes = {
      {"sphere, outside", false, zero, 0.01, 0, {0.03, 0, 0.04}, 0.04, {0.6, 0, 0.8}},
      {"sphere, inside", false, zero, 0.01, 0, {0, -0.002, 0}, -0.008, {0, -1, 0}},
      // The centre: a norm of a zero vector, zero subgradient.
      {"sphere, centre", false, zero, 0.01, 0, zero, -0.01, zero},
      {"box, beyond an edge", false, box, 0, 0, {0.013, -0.024, 0}, 0.005, {0.6, -0.8, 0}},
      {"box, beyond a face", false, box, 0, 0, {0.001, 0.002, -0.037}, 0.007, {0, 0, -1}},
      {"box, inside", false, box, 0, 0, {-0.007, 0.001, 0.002}, -0.003, {-1, 0, 0}},
      // A tie of the nearest faces (exact in binary): the first coordinate's.
      {"box, tie", false, {0.0625, 0.125, 0.25}, 0, 0, {0.03125, -0.09375, 0}, -0.03125, {1, 0, 0}},
      {"rounded box, outside", false, box, 0.005, 0, {0.02, 0, 0}, 0.005, {1, 0, 0}},
      {"rounded box, inside", false, box, 0.005, 0, {0.004, 0, 0}, -0.011, {1, 0, 0}},
      {"capsule, side", false, cap, 0.008, 0, {0.02, 0, 0.005}, 0.012, {1, 0, 0}},
      {"capsule, cap", false, cap, 0.008, 0, {0, 0.003, 0.016}, -0.003, {0, 0.6, 0.8}},
      {"cylinder, side", true, zero, 0.01, 0.03, {0.012, 0.016, 0}, 0.01, {0.6, 0.8, 0}},
      {"cylinder, top", true, zero, 0.01, 0.03, {0.003, 0, 0.04}, 0.01, {0, 0, 1}},
      {"cylinder, rim", true, zero, 0.01, 0.03, {0.013, 0, -0.034}, 0.005, {0.6, 0, -0.8}},
      {"cylinder, inside near the top",
       true,
       zero,
       0.01,
       0.03,
       {0.004, 0, 0.025},
       -0.005,
       {0, 0, 1}},
      {"cylinder, inside near the side", true, zero, 0.01, 0.03, {0, 0.008, 0}, -0.002, {0, 1, 0}},
      // On the axis, nearest the side: the radial direction is undefined, zero subgradient.
      {"cylinder, centre", true, zero, 0.01, 0.03, zero, -0.01, zero},
  };
  for (const Probe& p : probes) {
    Vector3d grad(7, 7, 7);
    EXPECT_NEAR(primitive_sdf(p.cylinder, p.extent, p.radius, p.half, p.q, &grad), p.sdf, 1e-12)
        << p.what;
    EXPECT_LT((grad - p.grad).norm(), 1e-12) << p.what << ": " << grad.transpose();
  }
}

struct Primitive {
  const char* what;
  bool cylinder;
  Vector3d extent;
  double radius, half;
};

const std::vector<Primitive>& primitives() {
  static const std::vector<Primitive> all = {
      {"sphere", false, Vector3d::Zero(), 0.01, 0},
      {"capsule", false, Vector3d(0, 0, 0.015), 0.008, 0},
      {"box", false, Vector3d(0.012, 0.006, 0.02), 0, 0},
      {"rounded box", false, Vector3d(0.012, 0.006, 0.02), 0.004, 0},
      {"cylinder", true, Vector3d::Zero(), 0.009, 0.014},
  };
  return all;
}

// Away from the kinks (the inner ridges where the nearest face changes, the axis of a capsule
// or cylinder) the gradient is the derivative, and it has unit length everywhere: a signed
// distance.
TEST(PrimitiveSdf, GradientMatchesCentralDifferencesAndHasUnitLength) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-0.03, 0.03);
  const double h = 1e-7;
  for (const Primitive& p : primitives()) {
    int checked = 0, kinks = 0, inside = 0;
    for (int k = 0; k < 2000; ++k) {
      const Vector3d q(u(rng), u(rng), u(rng));
      Vector3d grad, unused;
      const double f = primitive_sdf(p.cylinder, p.extent, p.radius, p.half, q, &grad);
      ASSERT_NEAR(grad.norm(), 1.0, 1e-9) << p.what << " at " << q.transpose();
      inside += f < 0;
      for (int c = 0; c < 3; ++c) {
        Vector3d qp = q, qm = q;
        qp[c] += h;
        qm[c] -= h;
        const double fp = primitive_sdf(p.cylinder, p.extent, p.radius, p.half, qp, &unused);
        const double fm = primitive_sdf(p.cylinder, p.extent, p.radius, p.half, qm, &unused);
        // One-sided differences that disagree: a kink within h of q.
        if (std::abs((fp - f) / h - (f - fm) / h) > 1e-4) {
          ++kinks;
          continue;
        }
        ASSERT_NEAR(grad[c], (fp - fm) / (2 * h), 1e-4)
            << p.what << " at " << q.transpose() << ", coordinate " << c;
        ++checked;
      }
    }
    EXPECT_GT(checked, 5900) << p.what << ": " << kinks << " components at kinks";
    EXPECT_GT(inside, 10) << p.what;  // ~40 expected for the sphere, more for the rest
  }
}

// The hand posed by the LibTorch reference; the world frame of geom `g`.
struct GeomFrame {
  Eigen::Matrix3d R;
  Vector3d p;
};

GeomFrame geom_frame(const HandKinematics::Poses& poses, const PenetrationGeom& g) {
  const torch::Tensor R = poses.R[0][g.body].contiguous(), p = poses.p[0][g.body].contiguous();
  Eigen::Matrix3d R_WB;
  Vector3d p_WB;
  for (int i = 0; i < 3; ++i) {
    p_WB[i] = p[i].item<double>();
    for (int j = 0; j < 3; ++j) R_WB(i, j) = R[i][j].item<double>();
  }
  return {R_WB * g.R_BG, p_WB + R_WB * g.p_BG};
}

void expect_matches_reference(const HandKinematics& kin, std::uint64_t seed) {
  SCOPED_TRACE(kin.mjcf_path());
  torch::manual_seed(seed);
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  const torch::Tensor lo = kin.joint_lower(), hi = kin.joint_upper();
  const HandKinematics::Poses poses =
      kin.forward(0.1 * torch::randn({1, 3}, f64), torch::randn({1, 6}, f64),
                  lo + (hi - lo) * torch::rand({1, kNumHandJoints}, f64));
  const std::vector<PenetrationGeom> geoms = penetration_geoms(kin);
  const std::vector<std::size_t> order = expected_order(kin);
  std::vector<GeomFrame> frames;
  for (const PenetrationGeom& g : geoms) frames.push_back(geom_frame(poses, g));

  // Points around every geom (within its bound and a few millimetres beyond, mostly outside)
  // and inside its core (so that the inside formulas are compared too).
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const auto rand3 = [&] { return Vector3d(u(rng), u(rng), u(rng)); };
  std::vector<Vector3d> x;
  for (std::size_t i = 0; i < geoms.size(); ++i) {
    const PenetrationGeom& g = geoms[i];
    for (int k = 0; k < 8; ++k) x.push_back(frames[i].p + (g.bound + 0.004) * rand3());
    for (int k = 0; k < 8; ++k) {
      const Vector3d r = rand3();
      const Vector3d q = g.cylinder ? Vector3d(0.5 * g.radius * r.x(), 0.5 * g.radius * r.y(),
                                               0.9 * g.half * r.z())
                                    : Vector3d(g.extent.cwiseProduct(r) + 0.5 * g.radius * rand3());
      x.push_back(frames[i].p + frames[i].R * q);
    }
  }
  const auto M = static_cast<int64_t>(x.size());
  torch::Tensor cloud = torch::empty({M, 3}, f64);
  for (int64_t m = 0; m < M; ++m)
    for (int c = 0; c < 3; ++c) cloud[m][c] = x[static_cast<std::size_t>(m)][c];
  cloud.requires_grad_(true);
  const torch::Tensor sdf = hand_geom_signed_distance(kin, poses, cloud);  // (1, G, M)
  ASSERT_EQ(sdf.size(1), static_cast<int64_t>(geoms.size()));

  int inside = 0;
  for (std::size_t i = 0; i < geoms.size(); ++i) {
    const PenetrationGeom& g = geoms[i];
    const auto G = static_cast<int64_t>(order[i]);
    // Each point's distance depends on that point only: one backward pass per geom gives
    // every point's gradient.
    const torch::Tensor ref_grad =
        torch::autograd::grad({sdf[0][G].sum()}, {cloud}, {}, /*retain_graph=*/true)[0];
    const torch::Tensor ref = sdf[0][G].detach();
    const auto ref_a = ref.accessor<double, 1>();
    const auto ref_grad_a = ref_grad.accessor<double, 2>();
    for (int64_t m = 0; m < M; ++m) {
      const Vector3d q = frames[i].R.transpose() * (x[static_cast<std::size_t>(m)] - frames[i].p);
      Vector3d grad;
      const double d = primitive_sdf(g.cylinder, g.extent, g.radius, g.half, q, &grad);
      ASSERT_NEAR(d, ref_a[m], 1e-12) << kin.geoms()[order[i]].name << " point " << m;
      const Vector3d grad_W = frames[i].R * grad;
      for (int c = 0; c < 3; ++c) {
        ASSERT_NEAR(grad_W[c], ref_grad_a[m][c], 1e-9)
            << kin.geoms()[order[i]].name << " point " << m << " coordinate " << c;
      }
      inside += d < 0;
    }
  }
  // The core points at least.
  EXPECT_GE(inside, 8 * static_cast<int>(geoms.size()));
}

TEST(PrimitiveSdf, MatchesTheLibTorchReferenceOnPosedHands) {
  at::set_num_threads(1);
  expect_matches_reference(fixtures::synthetic_hand(), 21);
  expect_matches_reference(fixtures::shadow_hand(), 22);
}

}  // namespace
}  // namespace dffeval
