// Backbone training data rendered from seen instances: every kind of match
// is present, and matched pixels really see the same surface point.

#include "eval/harness/backbone_dataset.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <stdexcept>
#include <string>

#include "tests/fixtures/backbone_data.h"

namespace dffeval {
namespace {

TEST(BackboneDataset, HasMatchesOfEveryKindThatReallyCorrespond) {
  const BackboneDataset& d = fixtures::two_mug_scenes();
  ASSERT_EQ(d.data.views.size(), 8u);
  ASSERT_EQ(d.scene_views.size(), 2u);
  EXPECT_EQ(d.description["object_set"], "seen");
  std::map<std::string, int> kinds;
  for (const auto& p : d.data.pairs) {
    ++kinds[p.kind];
    ASSERT_EQ(p.pix_a.size(), p.pix_b.size());
    ASSERT_EQ(p.key.size(), p.pix_a.size());
    if (p.kind != "cross_view") continue;
    // Cross-view matches back-project to one world point (within a few mm).
    const CameraView& a = d.data.views[p.view_a];
    const CameraView& b = d.data.views[p.view_b];
    for (std::size_t i = 0; i < p.pix_a.size(); i += 37) {
      const Eigen::Vector3d pa = backproject_pixel(a, p.pix_a[i].x(), p.pix_a[i].y(),
                                                   a.depth_at(p.pix_a[i].x(), p.pix_a[i].y()));
      const Eigen::Vector3d pb = backproject_pixel(b, p.pix_b[i].x(), p.pix_b[i].y(),
                                                   b.depth_at(p.pix_b[i].x(), p.pix_b[i].y()));
      EXPECT_LT((pa - pb).norm(), 0.006);
    }
  }
  EXPECT_GE(kinds["cross_view"], 4);
  // Both scenes show the same instance (scenes_per_instance = 2).
  EXPECT_GE(kinds["cross_scene"], 1);
}

TEST(BackboneDataset, SensorNoiseChangesWhatTheNetSeesNotWhatMatches) {
  const BackboneDataset& exact = fixtures::two_mug_scenes();
  BackboneDatasetOptions o;
  o.categories = {"mug"};
  o.scenes = 2;
  o.seed = 11;
  o.sensor_noise_fraction = 1.0;
  const BackboneDataset noisy = build_backbone_dataset(o);
  ASSERT_EQ(noisy.data.views.size(), exact.data.views.size());
  EXPECT_EQ(noisy.description["sensor_noise"]["scenes_sensed"], 2);
  EXPECT_FALSE(exact.description.contains("sensor_noise"));
  // The net's input depth is sensed: it differs from the render (noise of a
  // millimetre or more, holes), RGB and cameras stay.
  double diff = 0;
  int both = 0, holes = 0;
  for (std::size_t v = 0; v < exact.data.views.size(); ++v) {
    const CameraView& e = exact.data.views[v];
    const CameraView& n = noisy.data.views[v];
    EXPECT_EQ(n.rgb, e.rgb);
    EXPECT_TRUE(n.X_WC.isApprox(e.X_WC));
    for (std::size_t k = 0; k < e.depth_m.size(); ++k) {
      if (e.depth_m[k] > 0 && n.depth_m[k] > 0) {
        diff += std::abs(n.depth_m[k] - e.depth_m[k]);
        ++both;
      } else if (e.depth_m[k] > 0) {
        ++holes;
      }
    }
  }
  ASSERT_GT(both, 0);
  EXPECT_GT(diff / both, 0.0005);
  EXPECT_GT(holes, 0);
  // Matches come from the exact render: cross-view matches back-projected
  // with the exact depth meet (as in the exact dataset), and no match sits
  // on a pixel the sensor lost.
  int cross_view = 0;
  for (const auto& p : noisy.data.pairs) {
    if (p.kind != "cross_view") continue;
    ++cross_view;
    const CameraView& a = exact.data.views[p.view_a];
    const CameraView& b = exact.data.views[p.view_b];
    for (std::size_t i = 0; i < p.pix_a.size(); i += 37) {
      const Eigen::Vector2i ua = p.pix_a[i], ub = p.pix_b[i];
      EXPECT_GT(noisy.data.views[p.view_a].depth_at(ua.x(), ua.y()), 0.f);
      EXPECT_GT(noisy.data.views[p.view_b].depth_at(ub.x(), ub.y()), 0.f);
      const Eigen::Vector3d pa = backproject_pixel(a, ua.x(), ua.y(), a.depth_at(ua.x(), ua.y()));
      const Eigen::Vector3d pb = backproject_pixel(b, ub.x(), ub.y(), b.depth_at(ub.x(), ub.y()));
      EXPECT_LT((pa - pb).norm(), 0.006);
    }
  }
  EXPECT_GE(cross_view, 4);
}

TEST(BackboneDataset, RefusesASensorNoiseFractionOutsideZeroToOne) {
  BackboneDatasetOptions o;
  o.sensor_noise_fraction = 1.5;
  EXPECT_THROW(build_backbone_dataset(o), std::invalid_argument);
}

}  // namespace
}  // namespace dffeval
