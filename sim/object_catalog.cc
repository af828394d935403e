#include "sim/object_catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "common/input_error.h"
#include "common/seeded_rng.h"
#include "sim/catalog_settings.h"

namespace dffeval {
namespace {

/// A primitive part (no mesh; collides).
ObjectPart primitive_part(PrimitiveType type, const Eigen::Vector3d& size,
                          const Eigen::Isometry3d& X_ObjPart) {
  ObjectPart part;
  part.type = type;
  part.size = size;
  part.X_ObjPart = X_ObjPart;
  return part;
}

constexpr double kPi = 3.14159265358979323846;
// The set size before config/catalog.yaml (auxiliary_instance_count()).
constexpr int kAuxiliaryInstances = 10;
constexpr std::uint64_t kCatalogSeed = 0xDFFE;
/// Round objects stand on a foot ring of horizontal capsules of this radius
/// (the foot is 2 * kFootRadius tall); the parts above start at kFootHeight,
/// overlapping the ring by 1 mm.
constexpr double kFootRadius = 0.002;
constexpr double kFootHeight = 0.003;
/// Box-shaped objects stand on capsules of this radius along their bottom
/// edges; the box parts start kBoxLift above the table.
constexpr double kEdgeRadius = 0.003;
constexpr double kBoxLift = 0.001;
constexpr double kMinMassKg = 0.05;
constexpr double kMaxMassKg = 0.30;
constexpr double kFrictionLo = 0.7;
constexpr double kFrictionHi = 1.0;

using Eigen::AngleAxisd;
using Eigen::Isometry3d;
using Eigen::Matrix3d;
using Eigen::Vector3d;
using Params = std::map<std::string, double>;

struct CategorySpec {
  std::string name;
  std::vector<ParamRange> params;
  double density_lo;  // kg/m^3
  double density_hi;
  void (*build)(const Params&, std::vector<ObjectPart>*);
  /// A soft body (a MuJoCo composite): not in object_categories().
  bool deformable = false;
};

// ---------------------------------------------------------------- part helpers

Isometry3d make_pose(const Vector3d& p, const Matrix3d& R = Matrix3d::Identity()) {
  Isometry3d X = Isometry3d::Identity();
  X.linear() = R;
  X.translation() = p;
  return X;
}

Matrix3d rot_z(double a) { return AngleAxisd(a, Vector3d::UnitZ()).toRotationMatrix(); }
Matrix3d rot_y(double a) { return AngleAxisd(a, Vector3d::UnitY()).toRotationMatrix(); }

void add_box(std::vector<ObjectPart>* parts, const Vector3d& half, const Vector3d& pos,
             const Matrix3d& R = Matrix3d::Identity()) {
  parts->push_back(primitive_part(PrimitiveType::kBox, half, make_pose(pos, R)));
}

/// Vertical cylinder on the z axis from z0 to z1.
void add_vertical_cylinder(std::vector<ObjectPart>* parts, double radius, double z0, double z1) {
  parts->push_back(primitive_part(PrimitiveType::kCylinder, Vector3d(radius, 0.5 * (z1 - z0), 0.0),
                                  make_pose(Vector3d(0, 0, 0.5 * (z0 + z1)))));
}

/// Capsule whose axis segment runs from a to b.
void add_capsule(std::vector<ObjectPart>* parts, const Vector3d& a, const Vector3d& b,
                 double radius) {
  const Vector3d d = b - a;
  const Matrix3d R =
      Eigen::Quaterniond::FromTwoVectors(Vector3d::UnitZ(), d.normalized()).toRotationMatrix();
  parts->push_back(primitive_part(PrimitiveType::kCapsule, Vector3d(radius, 0.5 * d.norm(), 0.0),
                                  make_pose(0.5 * (a + b), R)));
}

/// The foot under round objects: a regular 8-gon of horizontal capsules of
/// radius kFootRadius lying on z = 0, vertices on a circle of vertex_radius.
/// Capsules (unlike boxes and cylinders) have multi-point, robust contacts with
/// both a box table and a plane in MuJoCo 2.2.2.
void add_foot(std::vector<ObjectPart>* parts, double vertex_radius) {
  constexpr int kSides = 8;
  for (int i = 0; i < kSides; ++i) {
    const double a0 = 2.0 * kPi * i / kSides;
    const double a1 = 2.0 * kPi * (i + 1) / kSides;
    add_capsule(parts,
                Vector3d(vertex_radius * std::cos(a0), vertex_radius * std::sin(a0), kFootRadius),
                Vector3d(vertex_radius * std::cos(a1), vertex_radius * std::sin(a1), kFootRadius),
                kFootRadius);
  }
}

/// Rounded bottom edges of a box-shaped object with footprint sx x sy (full
/// sizes): four horizontal capsules of radius kEdgeRadius touching z = 0, flush
/// with the sides.
void add_edge_feet(std::vector<ObjectPart>* parts, double sx, double sy) {
  const double x = 0.5 * sx - kEdgeRadius;
  const double y = 0.5 * sy - kEdgeRadius;
  const double z = kEdgeRadius;
  for (double s : {-1.0, 1.0}) {
    add_capsule(parts, Vector3d(s * x, -y, z), Vector3d(s * x, y, z), kEdgeRadius);
    add_capsule(parts, Vector3d(-x, s * y, z), Vector3d(x, s * y, z), kEdgeRadius);
  }
}

/// A ring of n thin boxes around the z axis approximating a (possibly conical)
/// wall of thickness t whose mid-surface runs, in the (radius, z) half-plane,
/// from (r0, z0) to (r1, z1). Each box is extended by ext0 beyond the first end
/// and ext1 beyond the second (to close joints between rings). The tangential
/// width makes neighbouring outer faces meet, so the wall has no gaps.
void add_ring(std::vector<ObjectPart>* parts, int n, double r0, double z0, double r1, double z1,
              double t, double ext0, double ext1) {
  const double dr = r1 - r0;
  const double dz = z1 - z0;
  const double len = std::hypot(dr, dz);
  const double tilt = std::atan2(dr, dz);  // from vertical, outwards positive
  const Eigen::Vector2d dir(dr / len, dz / len);
  // Centre of the extended segment in the (radius, z) plane.
  const Eigen::Vector2d c =
      0.5 * (Eigen::Vector2d(r0, z0) + Eigen::Vector2d(r1, z1)) + 0.5 * (ext1 - ext0) * dir;
  const double r_out = std::max(r0, r1) + 0.5 * t;
  const double half_w = r_out * std::tan(kPi / n) * 1.01;
  const Vector3d half(0.5 * t, half_w, 0.5 * (len + ext0 + ext1));
  for (int i = 0; i < n; ++i) {
    const double phi = 2.0 * kPi * i / n;
    const Vector3d pos(c.x() * std::cos(phi), c.x() * std::sin(phi), c.y());
    add_box(parts, half, pos, rot_z(phi) * rot_y(tilt));
  }
}

// -------------------------------------------------------------- the categories

/// Mug: a cylindrical wall (ring of 20 boxes) on a base disc, with a D-shaped
/// handle of 5 capsules on +x.
void build_mug(const Params& p, std::vector<ObjectPart>* parts) {
  const double R = 0.5 * p.at("diameter");
  const double H = p.at("height");
  const double t = p.at("wall");
  const double base_t = t + 0.002;
  add_foot(parts, R - kFootRadius);
  add_vertical_cylinder(parts, R - 0.5 * t, kFootHeight, kFootHeight + base_t);
  add_ring(parts, 20, R - 0.5 * t, kFootHeight, R - 0.5 * t, H, t, 0.0, 0.0);
  // Handle: D shape in the x-z plane.
  const double zt = p.at("handle_top_frac") * H;
  const double zb = p.at("handle_bottom_frac") * H;
  const double span = zt - zb;
  const double d = p.at("handle_reach");
  const double rh = p.at("handle_radius");
  const double xw = R - t + rh;  // end caps tangent to the inner wall surface
  const std::vector<Vector3d> pts = {
      {xw, 0, zt},
      {R + 0.55 * d, 0, zt},
      {R + d, 0, zt - 0.22 * span},
      {R + d, 0, zb + 0.22 * span},
      {R + 0.55 * d, 0, zb},
      {xw, 0, zb},
  };
  for (size_t i = 0; i + 1 < pts.size(); ++i) add_capsule(parts, pts[i], pts[i + 1], rh);
}

/// Bottle: a cylindrical body with a rounded (hemispherical) shoulder, a
/// neck and a cap.
void build_bottle(const Params& p, std::vector<ObjectPart>* parts) {
  const double R = 0.5 * p.at("diameter");
  const double H = p.at("height");
  const double rn = 0.5 * p.at("neck_diameter");
  const double neck = p.at("neck_length");
  const double cap = p.at("cap_height");
  const double z_cap = H - cap;
  const double z_neck = z_cap - neck;
  // The shoulder sphere (radius R, centred at the top of the body) meets the
  // neck surface at z_neck.
  const double z_sh = z_neck - std::sqrt(R * R - rn * rn);
  add_foot(parts, R - kFootRadius);
  add_vertical_cylinder(parts, R, kFootHeight, z_sh);
  parts->push_back(
      primitive_part(PrimitiveType::kSphere, Vector3d(R, 0, 0), make_pose(Vector3d(0, 0, z_sh))));
  add_vertical_cylinder(parts, rn, z_neck - 0.004, z_cap);
  add_vertical_cylinder(parts, rn + 0.0025, z_cap, H);
}

/// Bowl: a foot, a flat base disc and a rounded sloped wall made of two rings
/// of tilted boxes (a flatter lower band of 14 and a steeper upper band of 16); open top.
void build_bowl(const Params& p, std::vector<ObjectPart>* parts) {
  const double R = 0.5 * p.at("diameter");
  const double H = p.at("height");
  const double t = p.at("wall");
  const double rf = p.at("foot_frac") * R;
  const double base_t = t + 0.001;
  add_foot(parts, rf - kFootRadius);
  add_vertical_cylinder(parts, rf, kFootHeight, kFootHeight + base_t);
  const double r0 = rf - 0.5 * t;
  const double z0 = kFootHeight + base_t;
  const double r2 = R - 0.5 * t;
  const double z2 = H;
  const double r1 = r0 + 0.7 * (r2 - r0);
  const double z1 = z0 + 0.35 * (z2 - z0);
  add_ring(parts, 14, r0, z0, r1, z1, t, 0.5 * t, 0.5 * t);
  add_ring(parts, 16, r1, z1, r2, z2, t, 0.5 * t, 0.0);
}

/// Box: one rectangular box (lifted 1 mm) on four capsules along its bottom
/// edges (rounded bottom edges).
void build_box(const Params& p, std::vector<ObjectPart>* parts) {
  const double sx = p.at("size_x");
  const double sy = p.at("size_y");
  const double sz = p.at("size_z");
  add_edge_feet(parts, sx, sy);
  add_box(parts, Vector3d(0.5 * sx, 0.5 * sy, 0.5 * (sz - kBoxLift)),
          Vector3d(0, 0, kBoxLift + 0.5 * (sz - kBoxLift)));
}

/// Can: a closed cylinder with a slightly narrower bottom and top rim.
void build_can(const Params& p, std::vector<ObjectPart>* parts) {
  const double R = 0.5 * p.at("diameter");
  const double H = p.at("height");
  constexpr double kBottom = 0.004;
  constexpr double kTop = 0.006;
  add_foot(parts, 0.93 * R - kFootRadius);
  add_vertical_cylinder(parts, 0.93 * R, kFootHeight, kFootHeight + kBottom);
  add_vertical_cylinder(parts, R, kFootHeight + kBottom, H - kTop);
  add_vertical_cylinder(parts, 0.94 * R, H - kTop, H - 0.0015);
  add_vertical_cylinder(parts, 0.9 * R, H - 0.0015, H);
}

/// Basket: an open rectangular box (bottom plate + 4 walls) with an arch
/// handle across the short side (y): two vertical capsule posts at x = 0 on
/// the long walls and a horizontal capsule bar along y.
void build_basket(const Params& p, std::vector<ObjectPart>* parts) {
  const double L = p.at("length");
  const double W = p.at("width");
  const double H = p.at("height");
  const double t = p.at("wall");
  const double hh = p.at("handle_height");
  const double rh = p.at("handle_radius");
  const double base_t = kBoxLift + t;  // top of the bottom plate
  add_edge_feet(parts, L, W);
  add_box(parts, Vector3d(0.5 * L, 0.5 * W, 0.5 * t), Vector3d(0, 0, kBoxLift + 0.5 * t));
  const double wall_half_h = 0.5 * (H - base_t);
  const double wall_z = base_t + wall_half_h;
  for (double s : {-1.0, 1.0}) {
    add_box(parts, Vector3d(0.5 * t, 0.5 * W, wall_half_h),
            Vector3d(s * (0.5 * L - 0.5 * t), 0, wall_z));
  }
  for (double s : {-1.0, 1.0}) {
    add_box(parts, Vector3d(0.5 * L - t, 0.5 * t, wall_half_h),
            Vector3d(0, s * (0.5 * W - 0.5 * t), wall_z));
  }
  const double yp = 0.5 * W - 0.5 * t;
  const double zbar = H + hh;
  for (double s : {-1.0, 1.0}) {
    add_capsule(parts, Vector3d(0, s * yp, 0.45 * H), Vector3d(0, s * yp, zbar), rh);
  }
  add_capsule(parts, Vector3d(0, -yp, zbar), Vector3d(0, yp, zbar), rh);
}

// Soft ball: its rest shape, one sphere of the outer radius resting on the
// table (bounds, volume and part labels); the body itself is a composite
// (sim/object_mjcf.cc, soft_ball_spec()).
void build_soft_ball(const Params& p, std::vector<ObjectPart>* parts) {
  const double R = p.at("radius");
  ObjectPart s;
  s.type = PrimitiveType::kSphere;
  s.size = Vector3d(R, 0, 0);
  s.X_ObjPart = make_pose(Vector3d(0, 0, R));
  parts->push_back(s);
}

const std::vector<CategorySpec>& specs() {
  static const std::vector<CategorySpec> kSpecs = {
      {"mug",
       {{"diameter", 0.07, 0.09, false},
        {"height", 0.08, 0.11, true},
        {"wall", 0.004, 0.007, false},
        {"handle_reach", 0.018, 0.028, false},
        {"handle_radius", 0.004, 0.006, false},
        {"handle_top_frac", 0.75, 0.85, false},
        {"handle_bottom_frac", 0.2, 0.3, false}},
       1100.0,
       1500.0,
       &build_mug},
      {"bottle",
       {{"diameter", 0.055, 0.075, false},
        {"height", 0.16, 0.22, true},
        {"neck_diameter", 0.025, 0.03, false},
        {"neck_length", 0.025, 0.045, false},
        {"cap_height", 0.012, 0.018, false}},
       250.0,
       500.0,
       &build_bottle},
      {"bowl",
       {{"diameter", 0.12, 0.16, true},
        {"height", 0.05, 0.07, false},
        {"wall", 0.004, 0.006, false},
        {"foot_frac", 0.4, 0.5, false}},
       1000.0,
       1400.0,
       &build_bowl},
      {"box",
       {{"size_x", 0.08, 0.14, false}, {"size_y", 0.05, 0.08, false}, {"size_z", 0.06, 0.12, true}},
       150.0,
       350.0,
       &build_box},
      {"can",
       {{"diameter", 0.06, 0.075, false}, {"height", 0.09, 0.13, true}},
       350.0,
       600.0,
       &build_can},
      {"basket",
       {{"length", 0.10, 0.14, false},
        {"width", 0.08, 0.11, false},
        {"height", 0.05, 0.08, false},
        {"wall", 0.003, 0.005, false},
        {"handle_height", 0.06, 0.09, true},
        {"handle_radius", 0.006, 0.009, false}},
       700.0,
       1000.0,
       &build_basket},
      // A plush ball, 8 to 12 cm across; a fibre-filled toy's bulk density
      // (assumed 60 to 140 kg/m^3) gives 0.05 (the floor) to 0.13 kg.
      {"soft_ball", {{"radius", 0.04, 0.06, true}}, 60.0, 140.0, &build_soft_ball, true},
  };
  return kSpecs;
}

/// The names of the rigid (deformable = false) or deformable categories.
std::vector<std::string> category_names(bool deformable) {
  std::vector<std::string> names;
  for (const auto& spec : specs())
    if (spec.deformable == deformable) names.push_back(spec.name);
  return names;
}

const CategorySpec& spec_for(const std::string& category) {
  for (const auto& s : specs()) {
    if (s.name == category) return s;
  }
  throw InputError("unknown object category '" + category + "' (known: " + known_categories_text() +
                   ")");
}

double luminance(const Vector3d& c) { return 0.2126 * c.x() + 0.7152 * c.y() + 0.0722 * c.z(); }

}  // namespace

std::string to_string(InstanceSet set) { return set == InstanceSet::kSeen ? "seen" : "novel"; }

InstanceSet instance_set_from_string(const std::string& name) {
  if (name == "seen") return InstanceSet::kSeen;
  if (name == "novel") return InstanceSet::kNovel;
  throw InputError("unknown instance set '" + name + "' (valid: seen, novel)");
}

std::string to_string(PrimitiveType type) {
  switch (type) {
    case PrimitiveType::kBox:
      return "box";
    case PrimitiveType::kCylinder:
      return "cylinder";
    case PrimitiveType::kCapsule:
      return "capsule";
    case PrimitiveType::kSphere:
      return "sphere";
    case PrimitiveType::kMesh:
      return "mesh";
  }
  return "box";
}

double ObjectPart::volume() const {
  switch (type) {
    case PrimitiveType::kBox:
      return 8.0 * size.x() * size.y() * size.z();
    case PrimitiveType::kCylinder:
      return kPi * size.x() * size.x() * 2.0 * size.y();
    case PrimitiveType::kCapsule:
      return kPi * size.x() * size.x() * (2.0 * size.y() + 4.0 / 3.0 * size.x());
    case PrimitiveType::kSphere:
      return 4.0 / 3.0 * kPi * size.x() * size.x() * size.x();
    case PrimitiveType::kMesh:
      return mesh ? mesh->volume_m3() : 0.0;
  }
  return 0.0;
}

Eigen::AlignedBox3d ObjectPart::bounds_obj() const {
  const Matrix3d& R = X_ObjPart.linear();
  const Vector3d c = X_ObjPart.translation();
  Vector3d e = Vector3d::Zero();  // every case sets it; zeroed for the compiler
  switch (type) {
    case PrimitiveType::kBox:
      e = R.cwiseAbs() * size;
      break;
    case PrimitiveType::kCylinder: {
      const Vector3d a = R.col(2);
      for (int i = 0; i < 3; ++i) {
        e[i] = std::abs(a[i]) * size.y() + size.x() * std::sqrt(std::max(0.0, 1.0 - a[i] * a[i]));
      }
      break;
    }
    case PrimitiveType::kCapsule:
      e = R.col(2).cwiseAbs() * size.y() + Vector3d::Constant(size.x());
      break;
    case PrimitiveType::kSphere:
      e = Vector3d::Constant(size.x());
      break;
    case PrimitiveType::kMesh:
      return mesh ? mesh->transformed(X_ObjPart).bounds() : Eigen::AlignedBox3d(c, c);
  }
  return Eigen::AlignedBox3d(c - e, c + e);
}

std::string ObjectInstance::id() const {
  if (!mesh_name.empty()) return category + "/mesh/" + mesh_name;
  return category + "/" + to_string(set) + "/" + std::to_string(index);
}

Eigen::AlignedBox3d ObjectInstance::bounds_obj() const {
  Eigen::AlignedBox3d box;  // empty
  for (const auto& part : parts) box.extend(part.bounds_obj());
  return box;
}

const std::vector<std::string>& object_categories() {
  static const std::vector<std::string> kNames = category_names(false);
  return kNames;
}

const std::vector<std::string>& deformable_categories() {
  static const std::vector<std::string> kNames = category_names(true);
  return kNames;
}

std::string known_categories_text() {
  std::string s;
  for (const auto& spec : specs()) s += (s.empty() ? "" : ", ") + spec.name;
  return s;
}

bool is_known_category(const std::string& category) {
  for (const auto& s : specs())
    if (s.name == category) return true;
  return false;
}

const std::vector<ParamRange>& object_param_ranges(const std::string& category) {
  return spec_for(category).params;
}

int instances_per_set(InstanceSet set) { return catalog_settings().instances(set); }

int auxiliary_instance_count(InstanceSet set) {
  return std::min(kAuxiliaryInstances, instances_per_set(set));
}

ObjectInstance make_object_instance(const std::string& category, InstanceSet set, int index) {
  spec_for(category);  // an unknown category is named before the index
  const int n = instances_per_set(set);
  if (index < 0 || index >= n) {
    throw InputError("object index " + std::to_string(index) + " out of range [0, " +
                     std::to_string(n - 1) + "] for " + category + "/" + to_string(set));
  }
  return draw_object_instance(category, set, index);
}

ObjectInstance draw_object_instance(const std::string& category, InstanceSet set, int index) {
  const CategorySpec& spec = spec_for(category);
  if (index < 0) {
    throw InputError("object index " + std::to_string(index) + " is negative for " + category +
                     "/" + to_string(set));
  }
  ObjectInstance obj;
  obj.category = category;
  obj.set = set;
  obj.index = index;
  SeededRng rng(derive_seed(derive_seed(kCatalogSeed, category),
                            to_string(set) + "/" + std::to_string(index)));
  const bool nominal = set == InstanceSet::kSeen && index == 0;

  // Shape parameters, in spec order (every branch draws exactly one number so
  // the colour draws below do not depend on the branch).
  Params values;
  obj.params = nlohmann::json::object();
  for (const auto& range : spec.params) {
    double u = 0.0;
    const double draw = rng.uniform();  // [0, 1)
    if (nominal) {
      u = 0.5;
    } else if (set == InstanceSet::kSeen) {
      u = kSeenFractionLo + (kSeenFractionHi - kSeenFractionLo) * draw;
    } else if (range.key) {
      // Even: [0, 0.2) below every seen value; odd: (0.8, 1] above.
      u = index % 2 == 0 ? kSeenFractionLo * draw : 1.0 - (1.0 - kSeenFractionHi) * draw;
    } else {
      u = draw;
    }
    const double value = range.lo + u * (range.hi - range.lo);
    values[range.name] = value;
    obj.params[range.name] = value;
  }
  spec.build(values, &obj.parts);

  // Physical properties.
  const double u_density = rng.uniform();
  const double u_friction = rng.uniform();
  const double density =
      spec.density_lo + (nominal ? 0.5 : u_density) * (spec.density_hi - spec.density_lo);
  double volume = 0.0;
  for (const auto& part : obj.parts) volume += part.volume();
  obj.mass_kg = std::clamp(density * volume, kMinMassKg, kMaxMassKg);
  obj.density_kg_m3 = obj.mass_kg / volume;
  obj.friction = kFrictionLo + (nominal ? 0.5 : u_friction) * (kFrictionHi - kFrictionLo);

  // Appearance: random colour; the checker's second colour is pushed away in
  // brightness so the pattern is visible.
  Vector3d rgb, rgb2;
  for (int i = 0; i < 3; ++i) rgb[i] = rng.uniform(0.1, 0.9);
  for (int i = 0; i < 3; ++i) rgb2[i] = rng.uniform(0.1, 0.9);
  if (std::abs(luminance(rgb) - luminance(rgb2)) < 0.3) {
    rgb2 = luminance(rgb) > 0.45 ? Vector3d(0.35 * rgb2)
                                 : Vector3d(rgb2 + 0.7 * (Vector3d::Ones() - rgb2));
  }
  obj.appearance.rgb = rgb;
  obj.appearance.rgb2 = rgb2;
  obj.appearance.checker_texture = rng.uniform() < 0.5;
  if (spec.deformable) obj.soft = std::make_shared<const SoftBallSpec>(soft_ball_spec(obj));
  return obj;
}

SoftBallSpec soft_ball_spec(const ObjectInstance& object) {
  SoftBallSpec s;
  s.radius_m = object.params.at("radius").get<double>();
  // 0.185 of the radius: 12 mm at 6.5 cm, the spike's measured element
  // (tests/sim/soft_object_mjcf_test.cc); under the composite's limit of a
  // quarter of the radius (half the grid spacing at 5 per axis).
  s.element_radius_m = 0.185 * s.radius_m;
  s.mass_kg = object.mass_kg;
  s.friction = object.friction;
  for (int i = 0; i < 3; ++i) s.rgba[i] = object.appearance.rgb[i];
  return s;
}

ShapeSymmetry category_symmetry(const std::string& category) {
  if (category == "mug") return ShapeSymmetry::kMirrorY;
  if (category == "box" || category == "basket") return ShapeSymmetry::kMirrorXY;
  if (category == "bottle" || category == "can" || category == "bowl" || category == "soft_ball")
    return ShapeSymmetry::kAxial;
  return ShapeSymmetry::kNone;
}

double symmetric_distance(const Eigen::Vector3d& a, const Eigen::Vector3d& b, ShapeSymmetry s) {
  switch (s) {
    case ShapeSymmetry::kAxial:
      return std::hypot(std::hypot(a.x(), a.y()) - std::hypot(b.x(), b.y()), a.z() - b.z());
    case ShapeSymmetry::kMirrorY:
      return std::min((a - b).norm(), (a - Eigen::Vector3d(b.x(), -b.y(), b.z())).norm());
    case ShapeSymmetry::kMirrorXY: {
      double d = (a - b).norm();
      for (double sx : {-1.0, 1.0})
        for (double sy : {-1.0, 1.0})
          d = std::min(d, (a - Eigen::Vector3d(sx * b.x(), sy * b.y(), b.z())).norm());
      return d;
    }
    case ShapeSymmetry::kNone:
      break;
  }
  return (a - b).norm();
}

}  // namespace dffeval
