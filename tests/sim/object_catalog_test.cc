#include "sim/object_catalog.h"

#include <gtest/gtest.h>
#include <mujoco/mujoco.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "common/input_error.h"
#include "sim/world.h"

namespace dffeval {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<ObjectInstance> all_instances(InstanceSet set) {
  std::vector<ObjectInstance> out;
  for (const auto& category : object_categories()) {
    for (int i = 0; i < instances_per_set(); ++i) {
      out.push_back(make_object_instance(category, set, i));
    }
  }
  return out;
}

Eigen::Isometry3d pose(double x, double y, double z, double yaw) {
  Eigen::Isometry3d X = Eigen::Isometry3d::Identity();
  X.linear() = Eigen::AngleAxisd(yaw, Eigen::Vector3d::UnitZ()).toRotationMatrix();
  X.translation() = Eigen::Vector3d(x, y, z);
  return X;
}

/// A table and the object; the object frame at X_WObj (on the table top).
struct Scene {
  std::string name;
  std::string table_geom;
  Eigen::Isometry3d X_WObj;
};

std::vector<Scene> scenes() {
  return {
      {"box table, yaw 0.7",
       "<geom name=\"table\" type=\"box\" size=\"0.5 0.5 0.02\" pos=\"0 0 -0.02\"/>",
       pose(0, 0, 0, 0.7)},
      {"raised box table, yaw -2.1",
       "<geom name=\"table\" type=\"box\" size=\"0.4 0.6 0.375\" pos=\"0.1 0 0.375\"/>",
       pose(0.17, -0.08, 0.75, -2.1)},
      {"plane, yaw 0", "<geom name=\"floor\" type=\"plane\" size=\"1 1 0.1\"/>",
       pose(0.03, 0.02, 0, 0)},
  };
}

std::string world_xml(const ObjectInstance& obj, const Scene& scene) {
  return "<mujoco><compiler angle=\"radian\"/><option timestep=\"0.002\"/><asset>" +
         object_asset_mjcf(obj, "obj") + "</asset><worldbody>" + scene.table_geom +
         object_body_mjcf(obj, "obj", scene.X_WObj) + "</worldbody></mujoco>";
}

/// Loads an XML string through a VFS; returns nullptr and fills err on failure.
mjModel* load_xml(const std::string& text, std::string* err) {
  mjVFS* vfs = new mjVFS;
  mj_defaultVFS(vfs);
  const int n = static_cast<int>(text.size());
  mj_makeEmptyFileVFS(vfs, "world.xml", n);
  std::memcpy(vfs->filedata[mj_findFileVFS(vfs, "world.xml")], text.data(), n);
  char error[1000] = "";
  mjModel* m = mj_loadXML("world.xml", vfs, error, sizeof error);
  mj_deleteVFS(vfs);
  delete vfs;
  if (!m) *err = error;
  return m;
}

TEST(ObjectCatalogTest, CategoriesAndSets) {
  EXPECT_EQ(object_categories(),
            (std::vector<std::string>{"mug", "bottle", "bowl", "box", "can", "basket"}));
  EXPECT_EQ(instances_per_set(), 10);
  EXPECT_EQ(to_string(InstanceSet::kSeen), "seen");
  EXPECT_EQ(to_string(InstanceSet::kNovel), "novel");
  EXPECT_EQ(instance_set_from_string("seen"), InstanceSet::kSeen);
  EXPECT_EQ(instance_set_from_string("novel"), InstanceSet::kNovel);
  EXPECT_EQ(make_object_instance("mug", InstanceSet::kSeen, 3).id(), "mug/seen/3");
  EXPECT_EQ(make_object_instance("basket", InstanceSet::kNovel, 9).id(), "basket/novel/9");
}

TEST(ObjectCatalogTest, BadInputsThrowNamingTheValue) {
  auto expect_input_error = [](auto fn, const std::vector<std::string>& needles) {
    try {
      fn();
      ADD_FAILURE() << "no exception";
    } catch (const InputError& e) {
      for (const auto& needle : needles) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
            << e.what() << " lacks " << needle;
      }
    }
  };
  expect_input_error([] { make_object_instance("teapot", InstanceSet::kSeen, 0); },
                     {"teapot", "mug", "basket"});
  expect_input_error([] { make_object_instance("mug", InstanceSet::kSeen, 10); }, {"10"});
  expect_input_error([] { make_object_instance("mug", InstanceSet::kNovel, -1); }, {"-1"});
  expect_input_error([] { instance_set_from_string("unseen"); }, {"unseen", "seen", "novel"});
  expect_input_error([] { object_param_ranges("cup"); }, {"cup"});
}

TEST(ObjectCatalogTest, Deterministic) {
  for (InstanceSet set : {InstanceSet::kSeen, InstanceSet::kNovel}) {
    for (const auto& category : object_categories()) {
      for (int i = 0; i < instances_per_set(); ++i) {
        const ObjectInstance a = make_object_instance(category, set, i);
        const ObjectInstance b = make_object_instance(category, set, i);
        EXPECT_EQ(a.params, b.params) << a.id();
        EXPECT_EQ(a.mass_kg, b.mass_kg) << a.id();
        EXPECT_EQ(a.friction, b.friction) << a.id();
        EXPECT_EQ(a.appearance.rgb, b.appearance.rgb) << a.id();
        EXPECT_EQ(a.appearance.checker_texture, b.appearance.checker_texture) << a.id();
        EXPECT_EQ(object_body_mjcf(a, "o", Eigen::Isometry3d::Identity()),
                  object_body_mjcf(b, "o", Eigen::Isometry3d::Identity()));
        ASSERT_EQ(a.parts.size(), b.parts.size());
        for (size_t k = 0; k < a.parts.size(); ++k) {
          EXPECT_TRUE(a.parts[k].X_ObjPart.isApprox(b.parts[k].X_ObjPart, 0.0));
        }
      }
    }
  }
}

TEST(ObjectCatalogTest, SeenAndNovelDifferAsDocumented) {
  const auto seen = all_instances(InstanceSet::kSeen);
  const auto novel = all_instances(InstanceSet::kNovel);
  for (const auto& n : novel) {
    for (const auto& s : seen) EXPECT_NE(n.params, s.params) << n.id() << " vs " << s.id();
  }
  for (const auto& category : object_categories()) {
    const auto& ranges = object_param_ranges(category);
    int n_key = 0;
    for (const auto& r : ranges) n_key += r.key ? 1 : 0;
    EXPECT_EQ(n_key, 1) << category;
    for (int i = 0; i < instances_per_set(); ++i) {
      const ObjectInstance s = make_object_instance(category, InstanceSet::kSeen, i);
      const ObjectInstance n = make_object_instance(category, InstanceSet::kNovel, i);
      ASSERT_EQ(s.params.size(), ranges.size());
      ASSERT_EQ(n.params.size(), ranges.size());
      for (const auto& r : ranges) {
        const double span = r.hi - r.lo;
        const double seen_lo = r.lo + kSeenFractionLo * span;
        const double seen_hi = r.lo + kSeenFractionHi * span;
        const double sv = s.params.at(r.name).get<double>();
        const double nv = n.params.at(r.name).get<double>();
        // Seen: every parameter in the inner 60% of its range.
        EXPECT_GE(sv, seen_lo) << s.id() << " " << r.name;
        EXPECT_LE(sv, seen_hi) << s.id() << " " << r.name;
        // Novel: inside the full range; the key parameter outside the seen interval,
        // below it for even indices and above it for odd ones.
        EXPECT_GE(nv, r.lo) << n.id() << " " << r.name;
        EXPECT_LE(nv, r.hi) << n.id() << " " << r.name;
        if (r.key) {
          if (i % 2 == 0) {
            EXPECT_LT(nv, seen_lo) << n.id() << " " << r.name;
          } else {
            EXPECT_GT(nv, seen_hi) << n.id() << " " << r.name;
          }
        }
        // Seen instance 0 is the nominal object: every parameter mid-range.
        if (i == 0) {
          EXPECT_NEAR(sv, 0.5 * (r.lo + r.hi), 1e-12) << s.id() << " " << r.name;
        }
      }
    }
  }
}

TEST(ObjectCatalogTest, GeometryConventions) {
  for (InstanceSet set : {InstanceSet::kSeen, InstanceSet::kNovel}) {
    for (const auto& obj : all_instances(set)) {
      SCOPED_TRACE(obj.id());
      ASSERT_FALSE(obj.parts.empty());
      EXPECT_LE(obj.parts.size(), 40u);
      const Eigen::AlignedBox3d b = obj.bounds_obj();
      EXPECT_NEAR(b.min().z(), 0.0, 1e-9);
      // Footprint roughly centred on the origin (the mug's handle extends +x).
      EXPECT_NEAR(b.min().y() + b.max().y(), 0.0, 1e-6);
      if (obj.category != "mug") {
        EXPECT_NEAR(b.min().x() + b.max().x(), 0.0, 1e-6);
      }
      // Human-hand sized.
      const Eigen::Vector3d extent = b.sizes();
      EXPECT_GT(extent.minCoeff(), 0.04);
      EXPECT_LT(extent.maxCoeff(), 0.25);
      // Only capsules touch the table: every other part is at least 1 mm above it.
      for (const auto& part : obj.parts) {
        if (part.type != PrimitiveType::kCapsule) {
          EXPECT_GE(part.bounds_obj().min().z(), 0.001 - 1e-12);
        }
      }
      EXPECT_GE(obj.friction, 0.7);
      EXPECT_LE(obj.friction, 1.0);
      EXPECT_GE(obj.mass_kg, 0.05);
      EXPECT_LE(obj.mass_kg, 0.3);
    }
  }
}

TEST(ObjectCatalogTest, PartBoundsAreExact) {
  // A capsule tilted 90 degrees about y, and a cylinder tilted 45 degrees about x.
  ObjectPart capsule{PrimitiveType::kCapsule, Eigen::Vector3d(0.01, 0.05, 0),
                     Eigen::Isometry3d::Identity()};
  capsule.X_ObjPart.linear() =
      Eigen::AngleAxisd(kPi / 2, Eigen::Vector3d::UnitY()).toRotationMatrix();
  const auto cb = capsule.bounds_obj();
  EXPECT_NEAR(cb.max().x(), 0.06, 1e-12);
  EXPECT_NEAR(cb.max().y(), 0.01, 1e-12);
  EXPECT_NEAR(cb.max().z(), 0.01, 1e-12);
  ObjectPart cyl{PrimitiveType::kCylinder, Eigen::Vector3d(0.02, 0.05, 0),
                 Eigen::Isometry3d::Identity()};
  cyl.X_ObjPart.linear() = Eigen::AngleAxisd(kPi / 4, Eigen::Vector3d::UnitX()).toRotationMatrix();
  const auto yb = cyl.bounds_obj();
  EXPECT_NEAR(yb.max().x(), 0.02, 1e-12);
  EXPECT_NEAR(yb.max().z(), std::sqrt(0.5) * (0.05 + 0.02), 1e-12);
}

TEST(ObjectCatalogTest, EveryInstanceCompilesAndRestsStably) {
  for (const Scene& scene : scenes()) {
    for (InstanceSet set : {InstanceSet::kSeen, InstanceSet::kNovel}) {
      for (const auto& obj : all_instances(set)) {
        SCOPED_TRACE(obj.id() + " on " + scene.name);
        std::string err;
        mjModel* m = load_xml(world_xml(obj, scene), &err);
        ASSERT_NE(m, nullptr) << err;
        const MjDataPtr d_data(mj_makeData(m));
        mjData* d = d_data.get();
        const int body = mj_name2id(m, mjOBJ_BODY, "obj");
        const int site = mj_name2id(m, mjOBJ_SITE, "obj_origin");
        ASSERT_GE(body, 0);
        ASSERT_GE(site, 0);
        EXPECT_EQ(m->ngeom, 1 + static_cast<int>(obj.parts.size()));
        EXPECT_NEAR(m->body_subtreemass[body], obj.mass_kg, 0.05 * obj.mass_kg);
        EXPECT_GE(m->body_subtreemass[body], 0.03);
        EXPECT_LE(m->body_subtreemass[body], 0.5);
        mj_forward(m, d);
        const Eigen::Vector3d p0(d->site_xpos[3 * site], d->site_xpos[3 * site + 1],
                                 d->site_xpos[3 * site + 2]);
        EXPECT_LT((p0 - scene.X_WObj.translation()).norm(), 1e-9);
        const int steps = static_cast<int>(std::lround(1.5 / m->opt.timestep));
        for (int k = 0; k < steps; ++k) mj_step(m, d);
        bool finite = true;
        for (int k = 0; k < m->nq; ++k) finite = finite && std::isfinite(d->qpos[k]);
        EXPECT_TRUE(finite);
        const Eigen::Vector3d p1(d->site_xpos[3 * site], d->site_xpos[3 * site + 1],
                                 d->site_xpos[3 * site + 2]);
        EXPECT_LT((p1 - p0).norm(), 0.005) << "moved " << (p1 - p0).transpose();
        const double cos_tilt = std::clamp(d->xmat[9 * body + 8], -1.0, 1.0);
        EXPECT_LT(std::acos(cos_tilt) * 180.0 / kPi, 3.0);
        mj_deleteModel(m);
      }
    }
  }
}

TEST(ObjectCatalogTest, SymmetricDistanceIgnoresOnlyTheCategorysSymmetries) {
  const Eigen::Vector3d a(0.03, 0.02, 0.05);
  // A can turned about its axis is the same can; a mirrored point is not.
  const Eigen::Vector3d turned = Eigen::AngleAxisd(1.0, Eigen::Vector3d::UnitZ()) * a;
  EXPECT_NEAR(symmetric_distance(a, turned, category_symmetry("can")), 0.0, 1e-12);
  EXPECT_GT(symmetric_distance(a, turned, category_symmetry("mug")), 0.01);
  // A mug mirrored about its x-z plane (the handle's plane) is the same mug.
  const Eigen::Vector3d mirrored(a.x(), -a.y(), a.z());
  EXPECT_NEAR(symmetric_distance(a, mirrored, category_symmetry("mug")), 0.0, 1e-12);
  EXPECT_NEAR(symmetric_distance(a, -mirrored + Eigen::Vector3d(0, 0, 2 * a.z()),
                                 category_symmetry("box")),
              0.0, 1e-12);
  EXPECT_NEAR(symmetric_distance(a, mirrored, category_symmetry("unknown")), 0.04, 1e-12);
  // Never more than the plain distance.
  for (const char* c : {"mug", "box", "can", "bowl"})
    EXPECT_LE(symmetric_distance(a, Eigen::Vector3d(-0.01, 0.04, 0.0), category_symmetry(c)),
              (a - Eigen::Vector3d(-0.01, 0.04, 0.0)).norm() + 1e-15);
}

}  // namespace
}  // namespace dffeval
