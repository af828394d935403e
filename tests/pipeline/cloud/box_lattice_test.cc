// fit_box_lattice: the box (bounding box plus margin), the site counts per axis for cells and
// for nodes, the 1.25x spacing growth until the budget fits, and that the sites cover the box.

#include "pipeline/cloud/box_lattice.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace dffeval {
namespace {

// Sizes that are powers of two (and sums of them), so that every coordinate, extent and
// quotient below is exact in float and the expected counts do not sit on a rounding edge.
constexpr float kSpacing = 1.0f / 256;  // ~3.9 mm
constexpr float kMargin = 1.0f / 128;   // two spacings
constexpr float kLow = 0.25f;

// A box of 1/16 x 1/32 x 1/64 m from (kLow, kLow, kLow): its two corners and points between.
PointsF dyadic_box_cloud() {
  PointsF p(4, 3);
  p << kLow, kLow, kLow,                                      //
      kLow + 1.0f / 16, kLow + 1.0f / 32, kLow + 1.0f / 64,   //
      kLow + 1.0f / 32, kLow + 1.0f / 64, kLow + 1.0f / 128,  //
      kLow + 1.0f / 64, kLow + 1.0f / 128, kLow + 1.0f / 256;
  return p;
}

PointsF random_cloud(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-0.07f, 0.05f), z(0.0f, 0.12f);
  PointsF p(n, 3);
  for (int i = 0; i < n; ++i) p.row(i) << u(rng), 0.5f * u(rng) + 0.3f, z(rng);
  return p;
}

TEST(BoxLattice, OriginIsTheLowCornerLessTheMarginAndCountsFollowTheFormula) {
  const PointsF p = dyadic_box_cloud();
  // Extents with the margin: 20, 12 and 8 spacings.
  const BoxLattice cells = fit_box_lattice(p, kMargin, kSpacing, 1000000, 1);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(cells.origin[c], kLow - kMargin) << "axis " << c;
  EXPECT_EQ(cells.spacing, kSpacing);
  EXPECT_EQ(cells.dims[0], 21);
  EXPECT_EQ(cells.dims[1], 13);
  EXPECT_EQ(cells.dims[2], 9);
  EXPECT_EQ(cells.sites(), 21u * 13u * 9u);

  // Nodes (the corners of the cubes between them): one more per axis.
  const BoxLattice nodes = fit_box_lattice(p, kMargin, kSpacing, 1000000, 2);
  EXPECT_EQ(nodes.spacing, kSpacing);
  EXPECT_EQ(nodes.dims[0], 22);
  EXPECT_EQ(nodes.dims[1], 14);
  EXPECT_EQ(nodes.dims[2], 10);
  EXPECT_EQ(nodes.sites(), 22u * 14u * 10u);
}

TEST(BoxLattice, SpacingGrowsBy125PercentStepsUntilTheBudgetFits) {
  const PointsF p = dyadic_box_cloud();
  // 2457 sites at the asked spacing: a budget of exactly that keeps it (the budget is
  // inclusive), one less needs a coarser lattice.
  EXPECT_EQ(fit_box_lattice(p, kMargin, kSpacing, 2457, 1).spacing, kSpacing);
  const BoxLattice one_step = fit_box_lattice(p, kMargin, kSpacing, 2456, 1);
  EXPECT_EQ(one_step.spacing, kSpacing * 1.25f);
  EXPECT_EQ(one_step.dims[0], 17);  // 16 spacings of 1.25/256 m exactly
  EXPECT_EQ(one_step.dims[1], 10);  // 9.6
  EXPECT_EQ(one_step.dims[2], 7);   // 6.4
  EXPECT_EQ(one_step.sites(), 1190u);

  // 1190 sites still exceed 1000: one more step (1.5625x: 12.8, 7.68, 5.12 spacings).
  const BoxLattice two_steps = fit_box_lattice(p, kMargin, kSpacing, 1000, 1);
  EXPECT_EQ(two_steps.spacing, kSpacing * 1.25f * 1.25f);
  EXPECT_EQ(two_steps.dims[0], 13);
  EXPECT_EQ(two_steps.dims[1], 8);
  EXPECT_EQ(two_steps.dims[2], 6);
  EXPECT_LE(two_steps.sites(), 1000u);
  // The box itself does not move with the spacing.
  for (int c = 0; c < 3; ++c) EXPECT_EQ(two_steps.origin[c], kLow - kMargin);
}

TEST(BoxLattice, OnePointWithoutMarginIsOneSitePerExtraSite) {
  PointsF p(1, 3);
  p << 0.1f, -0.2f, 0.3f;
  const BoxLattice cells = fit_box_lattice(p, 0.0f, 0.004f, 100, 1);
  EXPECT_EQ(cells.sites(), 1u);
  EXPECT_EQ(cells.origin[0], 0.1f);
  EXPECT_EQ(cells.origin[1], -0.2f);
  EXPECT_EQ(cells.origin[2], 0.3f);
  const BoxLattice nodes = fit_box_lattice(p, 0.0f, 0.004f, 100, 2);
  EXPECT_EQ(nodes.sites(), 8u);
}

// Whatever the budget: the cells (extra_sites 1) hold every point of the widened box, and the
// nodes (extra_sites 2) reach past its high corner, so every point has a whole cube of nodes
// around it; and the budget is kept.
TEST(BoxLattice, SitesCoverTheWidenedBoxWithinTheBudget) {
  const PointsF p = random_cloud(500, 3);
  for (const std::size_t budget : {std::size_t{200}, std::size_t{5000}, std::size_t{200000}}) {
    for (const float margin : {0.0f, 0.01f, 0.03f}) {
      for (const int extra : {1, 2}) {
        const BoxLattice lattice = fit_box_lattice(p, margin, 0.004f, budget, extra);
        SCOPED_TRACE(testing::Message()
                     << "budget " << budget << ", margin " << margin << ", extra_sites " << extra);
        EXPECT_LE(lattice.sites(), budget);
        EXPECT_GE(lattice.spacing, 0.004f);
        for (int c = 0; c < 3; ++c) {
          EXPECT_FLOAT_EQ(lattice.origin[c], p.col(c).minCoeff() - margin);
          // The box's high corner, in spacings from the origin, lies in the lattice's cells
          // (extra_sites 1) or cubes between nodes (2), and in the last of them: the lattice
          // is no larger than it needs to be. 1e-4: float against double rounding.
          const double top =
              (static_cast<double>(p.col(c).maxCoeff()) + margin - lattice.origin[c]) /
              lattice.spacing;
          const int spans = lattice.dims[c] - (extra - 1);  // cells or cubes
          EXPECT_LT(top, spans + 1e-4) << "axis " << c;
          EXPECT_LE(spans, top + 1.0 + 1e-4) << "axis " << c;
          for (Eigen::Index i = 0; i < p.rows(); ++i) {
            const double s = (p(i, c) - lattice.origin[c]) / lattice.spacing;
            ASSERT_GE(s, -1e-6) << "point " << i;
            ASSERT_LT(std::floor(s), spans) << "point " << i;
          }
        }
      }
    }
  }
}

TEST(BoxLattice, CoarserSpacingNeverHasMoreSites) {
  const PointsF p = random_cloud(300, 5);
  std::size_t previous = fit_box_lattice(p, 0.02f, 0.002f, 100000000, 1).sites();
  for (float h = 0.003f; h < 0.05f; h *= 1.3f) {
    const std::size_t n = fit_box_lattice(p, 0.02f, h, 100000000, 1).sites();
    EXPECT_LE(n, previous) << "spacing " << h;
    previous = n;
  }
  EXPECT_LT(previous, 100u);
}

}  // namespace
}  // namespace dffeval
