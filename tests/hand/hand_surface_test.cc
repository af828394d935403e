// Hand surface points: the right count, on the skin (on their geom, outside
// every other one), area-weighted with the "tip_aug" weights, fixed per seed,
// and posed exactly by the kinematics.

#include "hand/hand_surface.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>

#include "common/input_error.h"
#include "tests/fixtures/hand_models.h"

namespace dffeval {
namespace {

const HandKinematics& hand() { return fixtures::shadow_hand(); }

HandParams zero_pose() {
  const auto opt = torch::TensorOptions().dtype(torch::kFloat64);
  return {torch::zeros({1, 3}, opt),
          torch::tensor({1.0, 0.0, 0.0, 0.0, 1.0, 0.0}, opt).view({1, 6}),
          torch::zeros({1, kNumHandJoints}, opt)};
}

double area(const HandGeom& g) {
  const Eigen::Vector3d& s = g.size;
  switch (g.type) {
    case HandGeomType::kSphere:
      return 4 * M_PI * s.x() * s.x();
    case HandGeomType::kCapsule:
      return 2 * M_PI * s.x() * 2 * s.y() + 4 * M_PI * s.x() * s.x();
    case HandGeomType::kCylinder:
      return 2 * M_PI * s.x() * 2 * s.y() + 2 * M_PI * s.x() * s.x();
    case HandGeomType::kBox:
      return 8 * (s.x() * s.y() + s.y() * s.z() + s.x() * s.z());
  }
  return 0;
}

/// Points per square metre of geom area, over the geoms of bodies whose name
/// contains `part` (e.g. "distal").
double density(const HandSurfacePoints& pts, const std::string& part) {
  const HandKinematics& kin = hand();
  double a = 0;
  for (const HandGeom& g : kin.geoms())
    if (kin.body_names()[g.body].find(part) != std::string::npos) a += area(g);
  int n = 0;
  for (int b : pts.body) n += kin.body_names()[b].find(part) != std::string::npos;
  return n / a;
}

TEST(HandSurface, CountShapesAndBodies) {
  const HandSurfacePoints pts = sample_hand_surface(hand(), {});
  EXPECT_EQ(pts.size(), 500);
  EXPECT_EQ(pts.geom.size(), 500u);
  EXPECT_EQ(pts.local.size(), 500u);
  EXPECT_EQ(pts.normal_local.size(), 500u);
  for (int i = 0; i < pts.size(); ++i) {
    EXPECT_EQ(pts.body[i], hand().geoms()[pts.geom[i]].body);
    EXPECT_NEAR(pts.normal_local[i].norm(), 1.0, 1e-12);
  }
  HandSurfaceConfig small;
  small.num_points = 7;
  EXPECT_EQ(sample_hand_surface(hand(), small).size(), 7);
}

TEST(HandSurface, DeterministicPerSeedAndDifferentAcrossSeeds) {
  HandSurfaceConfig c;
  c.seed = 42;
  const HandSurfacePoints a = sample_hand_surface(hand(), c);
  const HandSurfacePoints b = sample_hand_surface(hand(), c);
  EXPECT_EQ(a.local, b.local);
  EXPECT_EQ(a.normal_local, b.normal_local);
  EXPECT_EQ(a.body, b.body);
  c.seed = 43;
  const HandSurfacePoints d = sample_hand_surface(hand(), c);
  EXPECT_NE(a.local, d.local);
}

TEST(HandSurface, PointsLieOnTheSkinWithOutwardNormals) {
  // The Shadow hand, and the synthetic one for the primitive types it lacks.
  for (const HandKinematics* kin : {&hand(), &fixtures::synthetic_hand()}) {
    HandSurfaceConfig c;
    c.num_points = 2000;
    const HandSurfacePoints pts = sample_hand_surface(*kin, c);
    // Identity palm pose: body frames posed at zero joints.
    const HandKinematics::Poses poses = kin->forward(zero_pose());
    const torch::Tensor x = hand_surface_world(poses, pts)[0];
    const torch::Tensor n = hand_surface_normals_world(poses, pts)[0];
    EXPECT_LT((n.norm(2, 1) - 1).abs().max().item<double>(), 1e-12);
    const torch::Tensor sdf = hand_geom_signed_distance(*kin, poses, x)[0];  // (G, P)
    const torch::Tensor sdf_out = hand_geom_signed_distance(*kin, poses, x + 1e-3 * n)[0];
    const torch::Tensor own = torch::tensor(std::vector<int64_t>(pts.geom.begin(), pts.geom.end()));
    const torch::Tensor cols = torch::arange(pts.size());
    // On its own geom, and 1 mm out along the normal is 1 mm outside it.
    EXPECT_LT(sdf.index({own, cols}).abs().max().item<double>(), 1e-12) << kin->mjcf_path();
    EXPECT_LT((sdf_out.index({own, cols}) - 1e-3).abs().max().item<double>(), 1e-12);
    // Not buried in any other geom (drop_buried): the hand's distance is ~0.
    EXPECT_GT(std::get<0>(sdf.min(0)).min().item<double>(), -1e-12);
    // Every geom type gets points.
    std::map<HandGeomType, int> per_type;
    for (int g : pts.geom) ++per_type[kin->geoms()[g].type];
    for (const HandGeom& g : kin->geoms()) EXPECT_GT(per_type[g.type], 0) << g.name;
    // Without dropping, some points are buried.
    c.drop_buried = false;
    const torch::Tensor x_all = hand_surface_world(poses, sample_hand_surface(*kin, c))[0];
    EXPECT_LT(hand_signed_distance(*kin, poses, x_all).min().item<double>(), -1e-3);
  }
}

TEST(HandSurface, TipWeightsRaiseTheDensityOnDistalAndMiddlePhalanges) {
  // Points per unit of geom area, relative to the proximal phalanges: near 1
  // without weights (not exactly: the buried ends of the phalanx capsules are
  // dropped); the published weights multiply it by 4 (distal) and 3.2
  // (middle). Many points, so that sampling noise (~5%) stays inside the bounds.
  HandSurfaceConfig c;
  c.num_points = 20000;
  c.distal_weight = 1.0;
  c.middle_weight = 1.0;
  const HandSurfacePoints flat = sample_hand_surface(hand(), c);
  const double flat_distal = density(flat, "distal") / density(flat, "proximal");
  const double flat_middle = density(flat, "middle") / density(flat, "proximal");
  EXPECT_GT(flat_distal, 0.6);
  EXPECT_LT(flat_distal, 1.4);
  EXPECT_GT(flat_middle, 0.6);
  EXPECT_LT(flat_middle, 1.4);
  c.distal_weight = 4.0;
  c.middle_weight = 3.2;
  const HandSurfacePoints tip = sample_hand_surface(hand(), c);
  const double gain_distal = density(tip, "distal") / density(tip, "proximal") / flat_distal;
  const double gain_middle = density(tip, "middle") / density(tip, "proximal") / flat_middle;
  EXPECT_NEAR(gain_distal, 4.0, 0.4);
  EXPECT_NEAR(gain_middle, 3.2, 0.32);
}

TEST(HandSurface, WorldPointsFollowTheBodies) {
  const HandKinematics& kin = hand();
  const HandSurfacePoints pts = sample_hand_surface(kin, {});
  torch::manual_seed(1);
  const HandParams p{torch::rand({3, 3}, torch::kFloat64), torch::randn({3, 6}, torch::kFloat64),
                     0.5 * torch::rand({3, kNumHandJoints}, torch::kFloat64)};
  const HandKinematics::Poses poses = kin.forward(p);
  const torch::Tensor x = hand_surface_world(poses, pts);
  const torch::Tensor n = hand_surface_normals_world(poses, pts);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{3, 500, 3}));
  const torch::Tensor local = surface_local_tensor(pts), normal = surface_normal_tensor(pts);
  for (int b = 0; b < 3; ++b) {
    for (int i = 0; i < pts.size(); i += 37) {
      const torch::Tensor R = poses.R[b][pts.body[i]], t = poses.p[b][pts.body[i]];
      EXPECT_LT((x[b][i] - (torch::matmul(R, local[i]) + t)).abs().max().item<double>(), 1e-15);
      EXPECT_LT((n[b][i] - torch::matmul(R, normal[i])).abs().max().item<double>(), 1e-15);
    }
  }
  // Float32 poses give float32 points.
  const HandKinematics::Poses p32 = kin.forward(
      p.wrist_pos.to(torch::kFloat32), p.rot6d.to(torch::kFloat32), p.joints.to(torch::kFloat32));
  const torch::Tensor x32 = hand_surface_world(p32, pts);
  EXPECT_EQ(x32.scalar_type(), torch::kFloat32);
  EXPECT_LT((x32.to(torch::kFloat64) - x).abs().max().item<double>(), 1e-5);
}

TEST(HandSurface, GradientsReachAllHandParameters) {
  const HandKinematics& kin = hand();
  const HandSurfacePoints pts = sample_hand_surface(kin, {});
  HandParams p = zero_pose();
  p.joints.fill_(0.3);
  for (torch::Tensor* t : {&p.wrist_pos, &p.rot6d, &p.joints}) t->requires_grad_(true);
  const torch::Tensor x = hand_surface_world(kin.forward(p), pts);
  // Pull every point along one world direction w (not along a joint axis).
  const torch::Tensor w = torch::tensor({0.3, 1.0, -0.5}, torch::kFloat64);
  (x * w).sum().backward();
  // Translation: d(sum w.x)/dt = P w.
  EXPECT_LT((p.wrist_pos.grad()[0] - 500.0 * w).abs().max().item<double>(), 1e-9);
  // Every finger joint carries points, so every joint gets a gradient.
  EXPECT_GT(p.joints.grad().abs().min().item<double>(), 0.0);
}

TEST(HandSurface, RejectsBadConfigs) {
  HandSurfaceConfig c;
  c.num_points = 0;
  EXPECT_THROW(sample_hand_surface(hand(), c), InputError);
  c.num_points = 10;
  c.distal_weight = -1;
  EXPECT_THROW(sample_hand_surface(hand(), c), InputError);
}

}  // namespace
}  // namespace dffeval
