// The plain-C++ grasp energy (pipeline/grasp/grasp_energy.h): the same body
// poses as the LibTorch reference HandKinematics::forward on the Shadow hand
// and on the synthetic hand (hinge anchors, joint references, boxes and
// cylinders), and clear errors for a missing tape or bad noise. Each term is
// held to its reference in contact_terms_test.cc, prior_terms_test.cc and
// field_terms_test.cc.

#include "pipeline/grasp/grasp_energy.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "pipeline/grasp/grasp_optimizer.h"
#include "tests/fixtures/hand_models.h"
#include "tests/pipeline/grasp/energy_term_check.h"

namespace dffeval {
namespace {

using energy_test::random_params;
using energy_test::shadow_hand;
using energy_test::to_torch;
using energy_test::TorchParams;
using fixtures::synthetic_hand;

TEST(GraspEnergy, PosesEqualLibTorchKinematics) {
  std::mt19937_64 rng(7);
  for (const HandKinematics* kin : {&shadow_hand(), &synthetic_hand()}) {
    const HandSurfacePoints surface = sample_hand_surface(*kin);
    const GraspOptimizerConfig cfg;
    const GraspEnergy energy(*kin, surface, cfg);
    for (int trial = 0; trial < 5; ++trial) {
      const GraspParamVector x = random_params(*kin, rng);
      const TorchParams p = to_torch(x);
      const HandKinematics::Poses ref = kin->forward(p.t, p.r6, p.q);
      const HandBodyPoses poses = energy.pose(x);
      ASSERT_EQ(static_cast<int>(poses.R.size()), kin->num_bodies());
      for (int b = 0; b < kin->num_bodies(); ++b) {
        for (int r = 0; r < 3; ++r) {
          EXPECT_NEAR(poses.p[b][r], ref.p[0][b][r].item<double>(), 1e-12) << "body " << b;
          for (int c = 0; c < 3; ++c)
            EXPECT_NEAR(poses.R[b](r, c), ref.R[0][b][r][c].item<double>(), 1e-12) << "body " << b;
        }
      }
    }
  }
}

TEST(PenetrationCloud, CandidatesHoldEveryPointWithinTheRadius) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-0.1, 0.1);
  std::vector<Eigen::Vector3d> points;
  for (int i = 0; i < 2000; ++i) points.emplace_back(u(rng), u(rng), 0.5 * u(rng));
  const PenetrationCloud cloud(points, 0.01);
  for (int trial = 0; trial < 200; ++trial) {
    // Centres inside, at the edge of and outside the cloud's box.
    const Eigen::Vector3d centre(1.5 * u(rng), 1.5 * u(rng), 1.5 * u(rng));
    const double radius = 0.002 + 0.2 * std::abs(u(rng));
    std::vector<int> got;
    cloud.candidates(centre, radius, &got);
    std::sort(got.begin(), got.end());
    EXPECT_TRUE(std::adjacent_find(got.begin(), got.end()) == got.end()) << "a point twice";
    for (int i = 0; i < static_cast<int>(points.size()); ++i) {
      if ((points[i] - centre).norm() <= radius) {
        EXPECT_TRUE(std::binary_search(got.begin(), got.end(), i)) << "missed point " << i;
      }
    }
  }
  EXPECT_THROW(PenetrationCloud(points, 0.0), std::invalid_argument);
  std::vector<int> none;
  PenetrationCloud().candidates(Eigen::Vector3d::Zero(), 1.0, &none);
  EXPECT_TRUE(none.empty());
}

TEST(GraspEnergy, RejectsMissingTapeAndBadNoise) {
  const HandSurfacePoints surface = sample_hand_surface(shadow_hand());
  GraspOptimizerConfig cfg;
  const GraspEnergy energy(shadow_hand(), surface, cfg);
  EnergyReference ref;
  std::mt19937_64 rng(3);
  const GraspParamVector x = random_params(shadow_hand(), rng);
  std::vector<GraspParamVector> grad;
  EXPECT_THROW(energy.evaluate(ref, {x}, nullptr, &grad, nullptr), std::invalid_argument);
  const PointsF noise = PointsF::Zero(3, 3);
  EXPECT_THROW(energy.evaluate(ref, {x}, &noise, nullptr, nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace dffeval
