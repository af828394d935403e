#include "sim/object_semantics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/input_error.h"
#include "sim/object_catalog.h"

namespace dffeval {
namespace {

using Eigen::Vector3d;

constexpr double kPi = 3.14159265358979323846;
// The catalog's construction constants (sim/object_catalog.cc).
constexpr double kFootRadius = 0.002;
constexpr double kFootHeight = 0.003;
constexpr double kEdgeRadius = 0.003;
constexpr double kBoxLift = 0.001;

/// A surface point, its outward normal and the part it belongs to.
struct Probe {
  std::string part;
  Vector3d p;
  Vector3d n;
};

double param(const ObjectInstance& o, const char* name) { return o.params.at(name).get<double>(); }

/// The nominal object and two novel ones (one below, one above every seen
/// key-parameter value): the rules must follow the shape parameters.
std::vector<ObjectInstance> test_instances(const std::string& category) {
  return {make_object_instance(category, InstanceSet::kSeen, 0),
          make_object_instance(category, InstanceSet::kNovel, 0),
          make_object_instance(category, InstanceSet::kNovel, 1)};
}

std::vector<Probe> mug_probes(const ObjectInstance& o) {
  const double R = 0.5 * param(o, "diameter");
  const double H = param(o, "height");
  const double t = param(o, "wall");
  const double d = param(o, "handle_reach");
  const double rh = param(o, "handle_radius");
  const double zt = param(o, "handle_top_frac") * H;
  const double zb = param(o, "handle_bottom_frac") * H;
  const double zm = 0.5 * (zt + zb);
  const double floor_z = kFootHeight + t + 0.002;
  return {
      {"handle", {R + d + rh, 0, zm}, Vector3d::UnitX()},
      {"handle", {R + d - rh, 0, zm}, -Vector3d::UnitX()},
      {"handle", {R + 0.3 * d, 0, zt + rh}, Vector3d::UnitZ()},
      {"handle", {R + d, rh, zm}, Vector3d::UnitY()},
      {"rim", {-R, 0, H - 0.003}, -Vector3d::UnitX()},
      {"rim", {0, R - t, H - 0.004}, -Vector3d::UnitY()},
      {"rim", {-(R - 0.5 * t), 0, H}, Vector3d::UnitZ()},
      {"base", {0, 0, kFootHeight}, -Vector3d::UnitZ()},
      {"base", {0, 0, floor_z}, Vector3d::UnitZ()},
      {"base", {0.5 * (R - t), 0.3 * (R - t), floor_z}, Vector3d::UnitZ()},
      {"body", {-R, 0, 0.5 * H}, -Vector3d::UnitX()},
      {"body", {0, -R, H / 3}, -Vector3d::UnitY()},
      {"body", {0, R - t, 0.5 * H}, -Vector3d::UnitY()},
  };
}

std::vector<Probe> bottle_probes(const ObjectInstance& o) {
  const double R = 0.5 * param(o, "diameter");
  const double H = param(o, "height");
  const double rn = 0.5 * param(o, "neck_diameter");
  const double z_cap = H - param(o, "cap_height");
  const double z_neck = z_cap - param(o, "neck_length");
  const double z_sh = z_neck - std::sqrt(R * R - rn * rn);
  std::vector<Probe> probes = {
      {"body", {R, 0, 0.5 * z_sh}, Vector3d::UnitX()},
      {"body", {0, -R, 0.02}, -Vector3d::UnitY()},
      {"body", {0, 0, kFootHeight}, -Vector3d::UnitZ()},
      {"neck", {rn, 0, z_neck + 0.5 * (z_cap - z_neck)}, Vector3d::UnitX()},
      {"neck", {0, -rn, z_neck + 0.002}, -Vector3d::UnitY()},
      {"cap", {0, 0, H}, Vector3d::UnitZ()},
      {"cap", {rn + 0.0025, 0, H - 0.5 * (H - z_cap)}, Vector3d::UnitX()},
  };
  // On the shoulder sphere, up to 2 mm below the neck (within the 4 mm where
  // the neck cylinder goes on hidden inside the sphere).
  for (double dz : {0.1 * (z_neck - z_sh), 0.5 * (z_neck - z_sh), z_neck - z_sh - 0.002}) {
    const double r = std::sqrt(R * R - dz * dz);
    probes.push_back({"shoulder", {-r, 0, z_sh + dz}, Vector3d(-r, 0, dz) / R});
  }
  return probes;
}

/// A point on one face of the bowl's wall ring at phi = 0 (the middle of a
/// box), s in [0, 1] along the segment from (ra, za) to (rb, zb); side +1 is
/// the outer face, -1 the inner one.
Probe bowl_wall_point(const std::string& part, double ra, double za, double rb, double zb, double t,
                      double s, double side) {
  const Eigen::Vector2d dir = Eigen::Vector2d(rb - ra, zb - za).normalized();
  const Eigen::Vector2d out(dir.y(), -dir.x());  // away from the axis, downwards
  const Eigen::Vector2d q =
      Eigen::Vector2d(ra, za) + s * Eigen::Vector2d(rb - ra, zb - za) + side * 0.5 * t * out;
  return {part, {q.x(), 0, q.y()}, Vector3d(side * out.x(), 0, side * out.y())};
}

std::vector<Probe> bowl_probes(const ObjectInstance& o) {
  const double R = 0.5 * param(o, "diameter");
  const double H = param(o, "height");
  const double t = param(o, "wall");
  const double rf = param(o, "foot_frac") * R;
  const double base_t = t + 0.001;
  const double r0 = rf - 0.5 * t;
  const double z0 = kFootHeight + base_t;
  const double r2 = R - 0.5 * t;
  const double r1 = r0 + 0.7 * (r2 - r0);
  const double z1 = z0 + 0.35 * (H - z0);
  return {
      {"rim", {r2, 0, H}, Vector3d::UnitZ()},
      bowl_wall_point("rim", r1, z1, r2, H, t, 0.96, 1.0),
      bowl_wall_point("rim", r1, z1, r2, H, t, 0.96, -1.0),
      bowl_wall_point("inside", r1, z1, r2, H, t, 0.5, -1.0),
      bowl_wall_point("inside", r0, z0, r1, z1, t, 0.5, -1.0),
      {"inside", {0, 0, z0}, Vector3d::UnitZ()},
      {"inside", {0.5 * r0, 0, z0}, Vector3d::UnitZ()},
      bowl_wall_point("wall", r1, z1, r2, H, t, 0.3, 1.0),
      bowl_wall_point("wall", r0, z0, r1, z1, t, 0.6, 1.0),
      {"base", {0, 0, kFootHeight}, -Vector3d::UnitZ()},
      {"base", {rf - kFootRadius, 0, 0}, -Vector3d::UnitZ()},
      {"base", {rf, 0, kFootHeight + 0.5 * base_t}, Vector3d::UnitX()},
      // The foot ring's inner side faces the axis but is under the base.
      {"base", {rf - 2 * kFootRadius, 0, kFootRadius}, -Vector3d::UnitX()},
  };
}

std::vector<Probe> box_probes(const ObjectInstance& o) {
  const double sx = param(o, "size_x");
  const double sy = param(o, "size_y");
  const double sz = param(o, "size_z");
  return {
      {"top", {0, 0, sz}, Vector3d::UnitZ()},
      {"top", {0.5 * sx - 0.01, 0.5 * sy - 0.01, sz}, Vector3d::UnitZ()},
      {"side", {0.5 * sx, 0, 0.5 * sz}, Vector3d::UnitX()},
      {"side", {0, -0.5 * sy, 0.5 * sz}, -Vector3d::UnitY()},
      {"side", {-0.5 * sx, 0.2 * sy, 0.8 * sz}, -Vector3d::UnitX()},
      {"bottom", {0, 0, kBoxLift}, -Vector3d::UnitZ()},
      {"bottom", {0.5 * sx - kEdgeRadius, 0, 0}, -Vector3d::UnitZ()},
  };
}

std::vector<Probe> can_probes(const ObjectInstance& o) {
  const double R = 0.5 * param(o, "diameter");
  const double H = param(o, "height");
  return {
      {"body", {R, 0, 0.5 * H}, Vector3d::UnitX()},
      {"body", {0, -R, H / 3}, -Vector3d::UnitY()},
      {"top_rim", {0, 0, H}, Vector3d::UnitZ()},
      {"top_rim", {0.94 * R, 0, H - 0.003}, Vector3d::UnitX()},
      {"bottom_rim", {0.93 * R, 0, kFootHeight + 0.002}, Vector3d::UnitX()},
      {"bottom_rim", {0, 0, kFootHeight}, -Vector3d::UnitZ()},
      {"bottom_rim", {0.93 * R - kFootRadius, 0, 0}, -Vector3d::UnitZ()},
  };
}

std::vector<Probe> basket_probes(const ObjectInstance& o) {
  const double L = param(o, "length");
  const double W = param(o, "width");
  const double H = param(o, "height");
  const double t = param(o, "wall");
  const double hh = param(o, "handle_height");
  const double rh = param(o, "handle_radius");
  const double yp = 0.5 * W - 0.5 * t;
  const double zbar = H + hh;
  return {
      {"handle_bar", {0, 0, zbar + rh}, Vector3d::UnitZ()},
      {"handle_bar", {0, 0.3 * yp, zbar - rh}, -Vector3d::UnitZ()},
      {"handle_bar", {rh, 0, zbar}, Vector3d::UnitX()},
      {"posts", {rh, yp, H + 0.5 * hh}, Vector3d::UnitX()},
      {"posts", {0, -(yp - rh), H + 0.5 * hh}, Vector3d::UnitY()},
      {"rim", {0.25 * L, 0.5 * W - 0.5 * t, H}, Vector3d::UnitZ()},
      {"rim", {0.5 * L - 0.5 * t, 0, H}, Vector3d::UnitZ()},
      {"rim", {0.5 * L, 0, H - 0.002}, Vector3d::UnitX()},
      {"walls", {0.5 * L, 0, 0.5 * H}, Vector3d::UnitX()},
      {"walls", {0.25 * L, -0.5 * W, H / 3}, -Vector3d::UnitY()},
      {"walls", {0.25 * L, 0.5 * W - t, 0.5 * H}, -Vector3d::UnitY()},
      {"walls", {0, 0, kBoxLift}, -Vector3d::UnitZ()},
      {"walls", {0, 0, kBoxLift + t}, Vector3d::UnitZ()},
      // A post below the rim lies against the wall: a hand there holds the wall.
      {"walls", {0, yp + rh, 0.6 * H}, Vector3d::UnitY()},
  };
}

std::vector<Probe> probes_for(const ObjectInstance& o) {
  if (o.category == "mug") return mug_probes(o);
  if (o.category == "bottle") return bottle_probes(o);
  if (o.category == "bowl") return bowl_probes(o);
  if (o.category == "box") return box_probes(o);
  if (o.category == "can") return can_probes(o);
  if (o.category == "basket") return basket_probes(o);
  ADD_FAILURE() << "no probes for " << o.category;
  return {};
}

std::string text(const Vector3d& v) {
  return "(" + std::to_string(v.x()) + ", " + std::to_string(v.y()) + ", " + std::to_string(v.z()) +
         ")";
}

TEST(ObjectSemanticsTest, SurfacePointsGetTheirPart) {
  for (const auto& category : object_categories()) {
    for (const auto& object : test_instances(category)) {
      const std::vector<Probe> probes = probes_for(object);
      std::set<std::string> labels;
      for (const auto& probe : probes) {
        const std::string label = part_label(object, probe.p, probe.n);
        labels.insert(label);
        EXPECT_EQ(label, probe.part)
            << object.id() << " at " << text(probe.p) << " normal " << text(probe.n);
      }
      for (const auto& part : category_parts(category)) {
        EXPECT_EQ(std::count_if(probes.begin(), probes.end(),
                                [&](const Probe& p) { return p.part == part; }) >= 2,
                  true)
            << object.id() << ": fewer than 2 probes on " << part;
        EXPECT_TRUE(labels.count(part)) << object.id() << ": no point labelled " << part;
      }
    }
  }
}

TEST(ObjectSemanticsTest, SlightlyOffSurfacePointsKeepTheirPart) {
  // Contact points lie up to a few millimetres off the surface; points 1.5 mm
  // outside and inside along the normal, away from any part boundary, keep
  // the label.
  const auto object = make_object_instance("can", InstanceSet::kSeen, 0);
  const double R = 0.5 * param(object, "diameter");
  const double H = param(object, "height");
  for (double off : {-0.0015, 0.0015}) {
    EXPECT_EQ(part_label(object, Vector3d(R + off, 0, 0.5 * H), Vector3d::UnitX()), "body");
    EXPECT_EQ(part_label(object, Vector3d(0, 0, H + off), Vector3d::UnitZ()), "top_rim");
  }
  const auto mug = make_object_instance("mug", InstanceSet::kSeen, 0);
  const double Rm = 0.5 * param(mug, "diameter");
  const double zm = 0.5 * (param(mug, "handle_top_frac") + param(mug, "handle_bottom_frac")) *
                    param(mug, "height");
  const double x_out = Rm + param(mug, "handle_reach") + param(mug, "handle_radius");
  EXPECT_EQ(part_label(mug, Vector3d(x_out + 0.003, 0, zm), Vector3d::UnitX()), "handle");
  EXPECT_EQ(part_label(mug, Vector3d(Rm + 0.001, 0, zm), Vector3d::UnitX()), "body");
}

TEST(ObjectSemanticsTest, RandomPointsGetAKnownPart) {
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<double> g(0.0, 1.0);
  for (const auto& category : object_categories()) {
    const auto& parts = category_parts(category);
    for (const auto& object : test_instances(category)) {
      const Eigen::AlignedBox3d box = object.bounds_obj();
      std::set<std::string> seen;
      for (int i = 0; i < 2000; ++i) {
        Vector3d p;
        for (int k = 0; k < 3; ++k) {
          p[k] = box.min()[k] - 0.005 + u(gen) * (box.sizes()[k] + 0.01);
        }
        const Vector3d n = Vector3d(g(gen), g(gen), g(gen)).normalized();
        const std::string label = part_label(object, p, n);
        seen.insert(label);
        EXPECT_NE(std::find(parts.begin(), parts.end(), label), parts.end())
            << object.id() << " gave '" << label << "' at " << text(p);
      }
      EXPECT_GE(seen.size(), 2u) << object.id();
    }
  }
}

ObjectInstance hand_built_box(double sx, double sy) {
  ObjectInstance box;
  box.category = "box";
  box.params = {{"size_x", sx}, {"size_y", sy}, {"size_z", 0.1}};
  return box;
}

TEST(ObjectSemanticsTest, SymmetryGroups) {
  const std::vector<std::pair<std::string, SymmetryGroup>> expected = {
      {"mug", SymmetryGroup::kNone},         {"bottle", SymmetryGroup::kContinuousZ},
      {"bowl", SymmetryGroup::kContinuousZ}, {"box", SymmetryGroup::kHalfTurnZ},
      {"can", SymmetryGroup::kContinuousZ},  {"basket", SymmetryGroup::kHalfTurnZ},
  };
  for (const auto& [category, group] : expected) {
    for (const auto& object : test_instances(category)) {
      EXPECT_EQ(object_symmetry(object), group) << object.id();
    }
  }
  EXPECT_EQ(object_symmetry(hand_built_box(0.07, 0.07)), SymmetryGroup::kQuarterTurnZ);
  EXPECT_EQ(object_symmetry(hand_built_box(0.07, 0.0715)), SymmetryGroup::kQuarterTurnZ);
  EXPECT_EQ(object_symmetry(hand_built_box(0.0715, 0.07)), SymmetryGroup::kQuarterTurnZ);
  EXPECT_EQ(object_symmetry(hand_built_box(0.07, 0.073)), SymmetryGroup::kHalfTurnZ);
  EXPECT_EQ(object_symmetry(hand_built_box(0.10, 0.06)), SymmetryGroup::kHalfTurnZ);
}

TEST(ObjectSemanticsTest, SymmetryGroupNames) {
  EXPECT_EQ(to_string(SymmetryGroup::kNone), "none");
  EXPECT_EQ(to_string(SymmetryGroup::kHalfTurnZ), "half_turn_z");
  EXPECT_EQ(to_string(SymmetryGroup::kQuarterTurnZ), "quarter_turn_z");
  EXPECT_EQ(to_string(SymmetryGroup::kContinuousZ), "continuous_z");
}

void expect_angles(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << "angle " << i;
}

TEST(ObjectSemanticsTest, SymmetryAngles) {
  expect_angles(symmetry_angles(SymmetryGroup::kNone), {0.0});
  expect_angles(symmetry_angles(SymmetryGroup::kHalfTurnZ), {0.0, kPi});
  expect_angles(symmetry_angles(SymmetryGroup::kQuarterTurnZ), {0.0, 0.5 * kPi, kPi, 1.5 * kPi});
  expect_angles(symmetry_angles(SymmetryGroup::kContinuousZ, 4), {0.0, 0.5 * kPi, kPi, 1.5 * kPi});
  expect_angles(symmetry_angles(SymmetryGroup::kContinuousZ, 1), {0.0});

  const std::vector<double> a = symmetry_angles(SymmetryGroup::kContinuousZ);
  ASSERT_EQ(a.size(), 360u);
  EXPECT_DOUBLE_EQ(a[0], 0.0);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(a[i], 2.0 * kPi * i / 360.0, 1e-12);
    EXPECT_LT(a[i], 2.0 * kPi);
  }
  // The sample count only matters for the continuous group.
  expect_angles(symmetry_angles(SymmetryGroup::kHalfTurnZ, 7), {0.0, kPi});
  EXPECT_THROW(symmetry_angles(SymmetryGroup::kContinuousZ, 0), std::invalid_argument);
  EXPECT_THROW(symmetry_angles(SymmetryGroup::kContinuousZ, -3), std::invalid_argument);
}

TEST(ObjectSemanticsTest, CategoryParts) {
  EXPECT_EQ(category_parts("mug"), (std::vector<std::string>{"body", "handle", "rim", "base"}));
  EXPECT_EQ(category_parts("bottle"),
            (std::vector<std::string>{"body", "shoulder", "neck", "cap"}));
  EXPECT_EQ(category_parts("bowl"), (std::vector<std::string>{"rim", "wall", "base", "inside"}));
  EXPECT_EQ(category_parts("box"), (std::vector<std::string>{"top", "side", "bottom"}));
  EXPECT_EQ(category_parts("can"), (std::vector<std::string>{"body", "top_rim", "bottom_rim"}));
  EXPECT_EQ(category_parts("basket"),
            (std::vector<std::string>{"handle_bar", "posts", "walls", "rim"}));
  for (const auto& category : object_categories()) EXPECT_NO_THROW(category_parts(category));
}

TEST(ObjectSemanticsTest, UnknownCategoryThrowsInputError) {
  EXPECT_THROW(category_parts("teapot"), InputError);
  try {
    category_parts("teapot");
    FAIL() << "no exception";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("teapot"), std::string::npos) << what;
    for (const auto& category : object_categories()) {
      EXPECT_NE(what.find(category), std::string::npos) << what;
    }
  }
  ObjectInstance teapot;
  teapot.category = "teapot";
  EXPECT_THROW(part_label(teapot, Vector3d::Zero(), Vector3d::UnitZ()), InputError);
}

}  // namespace
}  // namespace dffeval
