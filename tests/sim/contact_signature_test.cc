// Contact signatures read from the real simulator: link groups from the
// hand's body names, contacts of a hand pressed onto an object, and the JSON
// round trip.

#include "sim/contact_signature.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "sim/object_semantics.h"
#include "sim/scene_set.h"

namespace dffeval {
namespace {

TEST(ContactSignature, LinkGroupsFollowTheHandsBodies) {
  const auto world = World::compose(
      draw_scene(load_scene_set("clean"), make_object_instance("can", InstanceSet::kSeen, 0), 1));
  const mjModel* m = world->model();
  auto group = [&](const char* body) {
    return link_group_of_body(*world, mj_name2id(m, mjOBJ_BODY, body));
  };
  EXPECT_EQ(group("palm"), static_cast<int>(LinkGroup::kPalm));
  EXPECT_EQ(group("thdistal"), static_cast<int>(LinkGroup::kThumb));
  EXPECT_EQ(group("thbase"), static_cast<int>(LinkGroup::kThumb));
  EXPECT_EQ(group("ffdistal"), static_cast<int>(LinkGroup::kIndex));
  EXPECT_EQ(group("mfproximal"), static_cast<int>(LinkGroup::kMiddle));
  EXPECT_EQ(group("rfmiddle"), static_cast<int>(LinkGroup::kRing));
  EXPECT_EQ(group("lfmetacarpal"), static_cast<int>(LinkGroup::kLittle));
  EXPECT_EQ(link_group_of_body(*world, world->target_body()), -1);
  EXPECT_EQ(to_string(LinkGroup::kLittle), "little");
}

TEST(ContactSignature, AHandPushedIntoABoxTouchesItsTopFromAbove) {
  const ObjectInstance box = make_object_instance("box", InstanceSet::kSeen, 0);
  const Eigen::Isometry3d X_WObj = Eigen::Isometry3d::Identity();
  const auto world = World::compose(draw_scene(load_scene_set("clean"), box, 1, &X_WObj));
  const MjDataPtr d = world->make_settled_data();
  EXPECT_TRUE(read_contact_signature(*world, d.get()).empty());  // hand parked
  // Palm down (palmar +y to world -z), sunk 5 mm into the box's top.
  Eigen::Isometry3d X_WPalm = Eigen::Isometry3d::Identity();
  X_WPalm.linear() << 1, 0, 0, 0, 0, 1, 0, -1, 0;
  const double top = world->body_pose(d.get(), world->target_body()).translation().z() +
                     box.bounds_obj().max().z();
  std::array<double, kNumHandJoints> open{};
  // Find the height where the palm's lowest hand geom is 5 mm into the top.
  bool touched = false;
  for (double z = top + 0.1; z > top - 0.05 && !touched; z -= 0.002) {
    X_WPalm.translation() = Eigen::Vector3d(0, 0, z);
    world->teleport_hand(d.get(), X_WPalm, open);
    const ContactSignature s = read_contact_signature(*world, d.get());
    if (s.empty()) continue;
    touched = true;
    const auto parts = category_parts("box");
    for (int g = 0; g < kNumLinkGroups; ++g) {
      for (const auto& p : s.groups[g].parts) {
        EXPECT_NE(std::find(parts.begin(), parts.end(), p), parts.end()) << p;
      }
      if (s.groups[g].contacts == 0) continue;
      // Touched from above: on the top, at the top's height.
      EXPECT_TRUE(s.groups[g].parts.count("top")) << s.to_json().dump();
      EXPECT_NEAR(s.groups[g].centroid_obj_m.z(), box.bounds_obj().max().z(), 0.006);
    }
    EXPECT_TRUE(s.object_size_m.isApprox(box.bounds_obj().sizes()));
    const ContactSignature back = ContactSignature::from_json(s.to_json());
    EXPECT_EQ(back.to_json(), s.to_json());
  }
  EXPECT_TRUE(touched);
}

TEST(ContactSignature, ContactPointsAreWhatTheSignatureSums) {
  const ObjectInstance box = make_object_instance("box", InstanceSet::kSeen, 0);
  const Eigen::Isometry3d X_WObj = Eigen::Isometry3d::Identity();
  const auto world = World::compose(draw_scene(load_scene_set("clean"), box, 1, &X_WObj));
  const MjDataPtr d = world->make_settled_data();
  EXPECT_TRUE(read_contact_points(*world, d.get()).empty());  // hand parked
  Eigen::Isometry3d X_WPalm = Eigen::Isometry3d::Identity();
  X_WPalm.linear() << 1, 0, 0, 0, 0, 1, 0, -1, 0;  // flat over the box, back down
  const Eigen::Isometry3d X_WBox = world->body_pose(d.get(), world->target_body());
  const double top = X_WBox.translation().z() + box.bounds_obj().max().z();
  std::vector<ContactPoint> points;
  for (double z = top + 0.1; z > top - 0.05 && points.empty(); z -= 0.002) {
    X_WPalm.translation() = Eigen::Vector3d(0, 0, z);
    world->teleport_hand(d.get(), X_WPalm, {});
    points = read_contact_points(*world, d.get());
  }
  ASSERT_FALSE(points.empty());
  const ContactSignature s = read_contact_signature(*world, d.get());
  std::array<int, kNumLinkGroups> counts{};
  for (const ContactPoint& p : points) {
    ++counts[static_cast<int>(p.group)];
    EXPECT_TRUE(s.group(p.group).parts.count(p.part)) << p.part;
    EXPECT_EQ(p.part, "top");
    EXPECT_NEAR(p.p_W.z(), top, 0.006);
    EXPECT_TRUE(p.p_obj.isApprox(X_WBox.inverse() * p.p_W, 1e-9));
    EXPECT_GT(p.n_W.z(), 0.9) << "the normal points out of the top, up";
  }
  for (int g = 0; g < kNumLinkGroups; ++g) EXPECT_EQ(counts[g], s.groups[g].contacts) << g;
}

}  // namespace
}  // namespace dffeval
