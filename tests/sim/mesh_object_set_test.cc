// Mesh objects: a catalog instance exported to convex STL pieces and read
// back is the same object to MuJoCo (mass within 1%, shape within a
// millimetre, rests stably); declared parts and symmetry are what the
// judge's semantics use; each bad object.yaml or mesh gives its error.

#include "sim/mesh_object_set.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/input_error.h"
#include "sim/object_semantics.h"
#include "sim/scene_set.h"
#include "sim/world.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string load_error(const fs::path& yaml) {
  try {
    load_mesh_object(yaml);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

/// The target's mass in a composed world and its drift and tilt after
/// settling on the table for 1.5 s at the origin.
struct Rest {
  double mass_kg = 0, moved_m = 0, tilt_deg = 0;
};

Rest rest_on_table(const ObjectInstance& object) {
  const Eigen::Isometry3d X_WObj = Eigen::Isometry3d::Identity();
  DrawnScene scene = draw_scene(load_scene_set("clean"), object, 3, &X_WObj);
  auto world = World::compose(scene);
  const MjDataPtr d = world->make_settled_data(1.5);
  Rest r;
  r.mass_kg = world->model()->body_subtreemass[world->target_body()];
  const Eigen::Isometry3d X = world->body_pose(d.get(), world->target_body());
  r.moved_m = X.translation().norm();
  r.tilt_deg = std::acos(std::clamp(X.linear()(2, 2), -1.0, 1.0)) * 180.0 / M_PI;
  return r;
}

TEST(MeshObjectSet, AnExportedCatalogInstanceIsTheSameObject) {
  const fs::path root = fixtures::fresh_temp_dir("mesh_export");
  for (const std::string& category : object_categories()) {
    SCOPED_TRACE(category);
    const ObjectInstance primitive = make_object_instance(category, InstanceSet::kSeen, 0);
    export_mesh_object(primitive, root / category);
    const ObjectInstance mesh = load_mesh_object(root / category / "object.yaml");
    EXPECT_EQ(mesh.category, category);
    EXPECT_EQ(mesh.id(), category + "/mesh/" + category);
    EXPECT_EQ(mesh.parts.size(), primitive.parts.size());
    // Shape: the bounding boxes agree within a millimetre (facets are
    // inscribed in the round parts), the lowest point on the table.
    const Eigen::AlignedBox3d a = primitive.bounds_obj(), b = mesh.bounds_obj();
    EXPECT_LT((a.min() - b.min()).cwiseAbs().maxCoeff(), 0.001);
    EXPECT_LT((a.max() - b.max()).cwiseAbs().maxCoeff(), 0.001);
    EXPECT_NEAR(b.min().z(), 0.0, 1e-9);
    const Rest p = rest_on_table(primitive), m = rest_on_table(mesh);
    EXPECT_NEAR(m.mass_kg, p.mass_kg, 0.01 * p.mass_kg);
    EXPECT_LT(m.moved_m, 0.003);
    EXPECT_LT(m.tilt_deg, 2.0);
  }
}

TEST(MeshObjectSet, ASetListsItsObjectsInNameOrder) {
  const fs::path root = fixtures::fresh_temp_dir("mesh_set");
  export_mesh_object(make_object_instance("can", InstanceSet::kSeen, 0), root / "b_can");
  export_mesh_object(make_object_instance("box", InstanceSet::kSeen, 1), root / "a_box");
  fs::create_directories(root / "not_an_object");
  const auto set = load_mesh_object_set(root);
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[0].mesh_name, "a_box");
  EXPECT_EQ(set[1].mesh_name, "b_can");
  EXPECT_EQ(set[1].index, 1);
  EXPECT_THROW(load_mesh_object_set(root / "not_an_object"), InputError);
  EXPECT_THROW(load_mesh_object_set(root / "missing"), InputError);
}

TEST(MeshObjectSet, DeclaredPartsAndSymmetryAreWhatTheJudgeUses) {
  const fs::path root = fixtures::fresh_temp_dir("mesh_parts");
  export_mesh_object(make_object_instance("mug", InstanceSet::kSeen, 0), root / "mug");
  std::ofstream(root / "mug" / "object.yaml", std::ios::app)
      << "symmetry: half_turn_z\nparts:\n  - {part: handle, x_frac: [0.75, 1]}\n"
         "  - {part: rim, z_frac: [0.95, 1], normal_z: [0.5, 1]}\n  - {part: body}\n";
  const ObjectInstance mug = load_mesh_object(root / "mug" / "object.yaml");
  EXPECT_EQ(object_symmetry(mug), SymmetryGroup::kHalfTurnZ);
  const Eigen::AlignedBox3d box = mug.bounds_obj();
  const Eigen::Vector3d size = box.sizes();
  auto at = [&](double fx, double fy, double fz) {
    return Eigen::Vector3d(box.min() + Eigen::Vector3d(fx, fy, fz).cwiseProduct(size));
  };
  EXPECT_EQ(part_label(mug, at(0.9, 0.5, 0.5), Eigen::Vector3d::UnitX()), "handle");
  EXPECT_EQ(part_label(mug, at(0.2, 0.5, 0.98), Eigen::Vector3d::UnitZ()), "rim");
  EXPECT_EQ(part_label(mug, at(0.2, 0.5, 0.98), -Eigen::Vector3d::UnitX()), "body");
  EXPECT_EQ(part_label(mug, at(0.1, 0.5, 0.5), -Eigen::Vector3d::UnitX()), "body");
  // Without declarations the category's rules and symmetry apply.
  export_mesh_object(make_object_instance("can", InstanceSet::kSeen, 0), root / "can");
  EXPECT_EQ(object_symmetry(load_mesh_object(root / "can" / "object.yaml")),
            SymmetryGroup::kContinuousZ);
}

TEST(MeshObjectSet, BadObjectsNameTheFileAndTheReason) {
  const fs::path root = fixtures::fresh_temp_dir("mesh_bad");
  export_mesh_object(make_object_instance("box", InstanceSet::kSeen, 0), root / "box");
  const fs::path yaml = root / "box" / "object.yaml";
  std::string good;
  {
    std::ifstream in(yaml);
    good.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  struct Case {
    std::string extra_or_replace;  // appended to the good file
    std::string needle;
  };
  const std::vector<Case> appended = {
      {"colour: red\n", "unknown key 'colour'"},
      {"scale: 30\n", "outside [0.01, 0.6] m"},
      {"up_axis: w\n", "must be one of +x"},
      {"symmetry: spiral\n", "unknown symmetry 'spiral'"},
      {"parts:\n  - {part: lid}\n", "'lid' is not a part of a box"},
      {"parts:\n  - {part: top, z_frac: [0.9, 1]}\n", "the last part rule must have no condition"},
      {"parts:\n  - {part: top, z_frac: [0.9, 2]}\n  - {part: side}\n", "expected [lo, hi]"},
      {"density_kg_m3: 300\n", "exactly one of 'mass_kg' and 'density_kg_m3'"},
      {"mesh_dir: nowhere\n", "does not exist"},
  };
  int i = 0;
  for (const Case& c : appended) {
    const fs::path dir = root / ("case" + std::to_string(i++));
    fs::copy(root / "box", dir);
    std::ofstream(dir / "object.yaml") << good << c.extra_or_replace;
    const std::string e = load_error(dir / "object.yaml");
    EXPECT_TRUE(contains(e, (dir / "object.yaml").string())) << c.extra_or_replace << " -> " << e;
    EXPECT_TRUE(contains(e, c.needle)) << c.extra_or_replace << " -> " << e;
  }
  // A missing piece, an empty piece, an unknown category: the file is named.
  {
    const fs::path dir = root / "missing_piece";
    fs::copy(root / "box", dir);
    fs::remove(dir / "piece0.stl");
    const std::string e = load_error(dir / "object.yaml");
    EXPECT_TRUE(contains(e, "piece0.stl: mesh file not found")) << e;
    EXPECT_TRUE(contains(e, "not found")) << e;
  }
  {
    const fs::path dir = root / "empty_piece";
    fs::copy(root / "box", dir);
    std::ofstream(dir / "piece0.stl", std::ios::trunc).close();
    const std::string e = load_error(dir / "object.yaml");
    EXPECT_TRUE(contains(e, "piece0.stl")) << e;
    EXPECT_TRUE(contains(e, "empty or malformed")) << e;
  }
  {
    // A mesh object that declares no parts cannot be judged.
    const fs::path dir = root / "no_parts";
    fs::copy(root / "box", dir);
    std::ofstream(dir / "object.yaml") << good.substr(0, good.find("catalog_params:"));
    const std::string e = load_error(dir / "object.yaml");
    EXPECT_TRUE(contains(e, "'parts'")) << e;
    EXPECT_TRUE(contains(e, "is required")) << e;
  }
  {
    const fs::path dir = root / "category";
    fs::copy(root / "box", dir);
    std::string text = good;
    text.replace(text.find("category: box"), 13, "category: vase");
    std::ofstream(dir / "object.yaml") << text;
    const std::string e = load_error(dir / "object.yaml");
    EXPECT_TRUE(contains(e, "unknown category 'vase'")) << e;
  }
}

}  // namespace
}  // namespace dffeval
