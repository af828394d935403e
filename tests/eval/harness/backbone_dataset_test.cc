// Backbone training data rendered from seen instances: every kind of match
// is present, and matched pixels really see the same surface point.

#include "eval/harness/backbone_dataset.h"

#include <gtest/gtest.h>

#include <map>
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

}  // namespace
}  // namespace dffeval
