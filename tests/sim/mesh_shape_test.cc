// Mesh reading and checks on meshes the test writes itself: a hull's volume,
// the STL round trip, inward winding repaired, and each bad mesh refused
// with its file named.

#include "sim/mesh_shape.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/input_error.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

MeshShape cube(double half) {
  std::vector<Eigen::Vector3d> corners;
  for (int k = 0; k < 8; ++k)
    corners.push_back({(k & 1 ? half : -half), (k & 2 ? half : -half), (k & 4 ? half : -half)});
  return convex_hull_mesh(corners);
}

std::string load_error(const fs::path& file, MeshRole role, double scale = 1.0) {
  try {
    load_mesh(file, role, scale);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(MeshShape, HullOfACubeIsClosedAndWoundOutwards) {
  const MeshShape c = cube(0.02);
  EXPECT_EQ(c.faces.size(), 12u);
  EXPECT_NEAR(c.volume_m3(), 0.04 * 0.04 * 0.04, 1e-12);
  EXPECT_TRUE(c.bounds().isApprox(
      Eigen::AlignedBox3d(Eigen::Vector3d::Constant(-0.02), Eigen::Vector3d::Constant(0.02))));
}

TEST(MeshShape, StlRoundTripKeepsTheShape) {
  const fs::path dir = fixtures::fresh_temp_dir("mesh_shape_roundtrip");
  MeshShape c = cube(0.03);
  write_stl(dir / "cube.stl", c);
  const MeshShape back = load_mesh(dir / "cube.stl", MeshRole::kCollision);
  EXPECT_EQ(back.vertices.size(), 8u);  // shared corners merged
  EXPECT_NEAR(back.volume_m3(), c.volume_m3(), 1e-9);
  // Millimetres scaled to metres.
  for (auto& v : c.vertices) v *= 1000.0;
  write_stl(dir / "cube_mm.stl", c);
  EXPECT_NEAR(load_mesh(dir / "cube_mm.stl", MeshRole::kVisual, 0.001).volume_m3(),
              0.06 * 0.06 * 0.06, 1e-9);
}

TEST(MeshShape, InwardWindingIsTurnedOutwards) {
  const fs::path dir = fixtures::fresh_temp_dir("mesh_shape_inward");
  MeshShape c = cube(0.02);
  for (auto& f : c.faces) std::swap(f[1], f[2]);
  ASSERT_LT(c.volume_m3(), 0);
  write_stl(dir / "inward.stl", c);
  EXPECT_NEAR(load_mesh(dir / "inward.stl", MeshRole::kCollision).volume_m3(), 6.4e-5, 1e-9);
}

TEST(MeshShape, BadMeshesNameTheFileAndTheReason) {
  const fs::path dir = fixtures::fresh_temp_dir("mesh_shape_bad");
  const std::string missing = load_error(dir / "nope.stl", MeshRole::kVisual);
  EXPECT_TRUE(contains(missing, (dir / "nope.stl").string())) << missing;
  EXPECT_TRUE(contains(missing, "not found")) << missing;

  std::ofstream(dir / "empty.stl").close();
  const std::string empty = load_error(dir / "empty.stl", MeshRole::kVisual);
  EXPECT_TRUE(contains(empty, "empty.stl")) << empty;
  EXPECT_TRUE(contains(empty, "empty or malformed")) << empty;

  std::ofstream(dir / "text.ply") << "ply\n";
  EXPECT_TRUE(contains(load_error(dir / "text.ply", MeshRole::kVisual), "unsupported mesh format"));

  // An open box: one face (two triangles) missing.
  MeshShape open = cube(0.02);
  open.faces.resize(open.faces.size() - 2);
  write_stl(dir / "open.stl", open);
  const std::string o = load_error(dir / "open.stl", MeshRole::kCollision);
  EXPECT_TRUE(contains(o, "open.stl")) << o;
  EXPECT_TRUE(contains(o, "not a closed manifold mesh")) << o;
  // Drawn only, an open mesh is fine (scans often are).
  EXPECT_EQ(load_error(dir / "open.stl", MeshRole::kVisual), "");

  // A cube with one corner pushed in: closed, but not convex.
  MeshShape dented = cube(0.02);
  for (auto& v : dented.vertices)
    if (v.minCoeff() > 0) v = Eigen::Vector3d::Constant(0.004);
  write_stl(dir / "dented.stl", dented);
  const std::string d = load_error(dir / "dented.stl", MeshRole::kCollision);
  EXPECT_TRUE(contains(d, "dented.stl")) << d;
  EXPECT_TRUE(contains(d, "not convex")) << d;
  // The same mesh is fine as a visual mesh: only collision pieces must be convex.
  EXPECT_EQ(load_error(dir / "dented.stl", MeshRole::kVisual), "");

  EXPECT_TRUE(contains(load_error(dir / "dented.stl", MeshRole::kVisual, -1.0), "scale"));
}

}  // namespace
}  // namespace dffeval
