// The MJCF of an object: primitives by size, mesh parts as inline meshes
// with an explicit mass, drawn-only parts that neither collide nor weigh,
// and hidden collision pieces behind a visual mesh.

#include "sim/object_mjcf.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace dffeval {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

ObjectInstance two_mesh_parts(bool second_drawn_only) {
  ObjectInstance o = make_object_instance("box", InstanceSet::kSeen, 0);
  std::vector<Eigen::Vector3d> corners;
  for (int k = 0; k < 8; ++k)
    corners.push_back({(k & 1 ? 0.02 : -0.02), (k & 2 ? 0.02 : -0.02), (k & 4 ? 0.04 : 0.0)});
  ObjectPart piece;
  piece.type = PrimitiveType::kMesh;
  piece.mesh = std::make_shared<MeshShape>(convex_hull_mesh(corners));
  ObjectPart drawn = piece;
  drawn.collides = !second_drawn_only;
  o.parts = {piece, drawn};
  o.density_kg_m3 = 500;
  return o;
}

TEST(ObjectMjcf, MeshPartsAreInlineMeshesWithAnExplicitMass) {
  const ObjectInstance o = two_mesh_parts(false);
  const std::string assets = object_asset_mjcf(o, "t");
  EXPECT_TRUE(contains(assets, "<mesh name=\"t_m0\" vertex=\"")) << assets;
  EXPECT_TRUE(contains(assets, "<mesh name=\"t_m1\"")) << assets;
  EXPECT_TRUE(contains(assets, "face=\"")) << assets;
  const std::string body = object_body_mjcf(o, "t", Eigen::Isometry3d::Identity());
  EXPECT_TRUE(contains(body, "type=\"mesh\" mesh=\"t_m0\"")) << body;
  // 500 kg/m^3 x (4 cm x 4 cm x 4 cm) = 0.032 kg per piece.
  EXPECT_TRUE(contains(body, "mass=\"0.032")) << body;
  EXPECT_FALSE(contains(body, "density=")) << body;
  EXPECT_FALSE(contains(body, "group=\"3\"")) << "no visual mesh: the pieces are drawn";
}

TEST(ObjectMjcf, ADrawnOnlyPartNeitherCollidesNorWeighs) {
  const std::string body =
      object_body_mjcf(two_mesh_parts(true), "t", Eigen::Isometry3d::Identity());
  EXPECT_TRUE(contains(body, "contype=\"0\" conaffinity=\"0\" density=\"0\" group=\"1\"")) << body;
  // The collision piece hides behind it.
  EXPECT_TRUE(contains(body, "group=\"3\"")) << body;
}

TEST(ObjectMjcf, PrimitivesKeepTheirSizesAndDensity) {
  const ObjectInstance can = make_object_instance("can", InstanceSet::kSeen, 0);
  const std::string body = object_body_mjcf(can, "c", Eigen::Isometry3d::Identity());
  EXPECT_TRUE(contains(body, "type=\"cylinder\" size=\"")) << body;
  EXPECT_TRUE(contains(body, "density=\"")) << body;
  EXPECT_FALSE(contains(object_asset_mjcf(can, "c"), "<mesh")) << "no meshes for primitives";
}

}  // namespace
}  // namespace dffeval
