#include "sim/object_semantics.h"

#include <cmath>
#include <map>
#include <stdexcept>

#include "common/input_error.h"

namespace dffeval {
namespace {

constexpr double kPi = 3.14159265358979323846;
// The catalog's foot: round objects stand on a 4 mm ring, their parts start
// at kFootHeight (sim/object_catalog.cc).
constexpr double kFootHeight = 0.003;
// Contact points lie up to a few millimetres off the surface (MuJoCo puts
// them midway between the penetrating surfaces), so bands are this wide.
constexpr double kSlack = 0.003;

double param(const ObjectInstance& o, const char* name) { return o.params.at(name).get<double>(); }

double radial(const Eigen::Vector3d& p) { return std::hypot(p.x(), p.y()); }

/// The normal's component along the outward horizontal radius at p: < 0 on
/// surfaces that face the axis (inside a cup or bowl).
double radial_normal(const Eigen::Vector3d& p, const Eigen::Vector3d& n) {
  const double r = radial(p);
  if (r < 1e-6) return 0.0;
  return (p.x() * n.x() + p.y() * n.y()) / r;
}

// Mug: the handle is whatever lies outside the cup's wall on the handle's
// side near its plane (y = 0): 1.5 mm beyond R clears the wall ring's box
// corners (they bulge about 0.6 mm past R) and a contact sitting on the wall;
// 4 mm beyond the handle radius in y takes contacts on the handle's flanks.
// The rim is the top 8 mm, inside and out (where a top grasp puts its
// fingertips). The base is the inside floor (its top is kFootHeight + wall +
// 2 mm, plus 2 mm of slack) and everything at foot height (the bottom disc
// and the foot ring). The rest, inner and outer wall, is the body.
std::string mug_part(const ObjectInstance& o, const Eigen::Vector3d& p) {
  const double R = 0.5 * param(o, "diameter");
  const double H = param(o, "height");
  const double t = param(o, "wall");
  const double rh = param(o, "handle_radius");
  if (p.x() > 0 && radial(p) > R + 0.0015 && std::abs(p.y()) < rh + 0.004) return "handle";
  if (p.z() >= H - 0.008) return "rim";
  const double base_top = kFootHeight + t + 0.002;
  if (p.z() <= base_top + 0.002 && radial(p) < R - t + kSlack) return "base";
  if (p.z() <= kFootHeight + kSlack) return "base";
  return "body";
}

// Bottle: bands in height, from the same construction as build_bottle. The
// shoulder sphere meets the neck surface at z_neck, so the visible neck starts
// there; the neck cylinder goes on 4 mm below z_neck but inside the sphere, so
// only points within the neck's radius (a contact pressed into the junction)
// count as neck down there. A flat z >= z_neck - 4 mm band would take a ring
// of the shoulder about 20 mm wide in radius. The cap's 1 mm of slack takes
// contacts on the cap's lower edge.
std::string bottle_part(const ObjectInstance& o, const Eigen::Vector3d& p) {
  const double R = 0.5 * param(o, "diameter");
  const double H = param(o, "height");
  const double rn = 0.5 * param(o, "neck_diameter");
  const double z_cap = H - param(o, "cap_height");
  const double z_neck = z_cap - param(o, "neck_length");
  const double z_sh = z_neck - std::sqrt(R * R - rn * rn);
  if (p.z() >= z_cap - 0.001) return "cap";
  if (p.z() >= z_neck) return "neck";
  if (p.z() >= z_neck - 0.004 && radial(p) <= rn + 0.001) return "neck";
  if (p.z() >= z_sh) return "shoulder";
  return "body";
}

// Bowl: the rim is the top 6 mm of the wall; surfaces facing the axis, and
// the floor seen from above, are the inside; the foot and base disc from
// below or beside are the base; the rest is the outer wall.
std::string bowl_part(const ObjectInstance& o, const Eigen::Vector3d& p, const Eigen::Vector3d& n) {
  const double R = 0.5 * param(o, "diameter");
  const double H = param(o, "height");
  const double t = param(o, "wall");
  const double rf = param(o, "foot_frac") * R;
  const double base_top = kFootHeight + t + 0.001;
  if (p.z() >= H - 0.006) return "rim";
  // Above the base only: under it the foot ring's inner side faces the axis
  // too, but that is the base seen from below.
  if (p.z() > base_top - kSlack && radial_normal(p, n) < -0.3) return "inside";
  if (n.z() > 0.7 && p.z() > base_top - kSlack && radial(p) < rf + kSlack) return "inside";
  if (p.z() <= base_top + 0.002 && radial(p) <= rf + kSlack) return "base";
  return "wall";
}

// Box: by the face the normal leaves through, with height bands as the
// fallback on edges, where a contact's normal is oblique: 2 mm under the top
// face; the bottom face (kBoxLift) and the 3 mm capsule edges below 4 mm.
std::string box_part(const ObjectInstance& o, const Eigen::Vector3d& p, const Eigen::Vector3d& n) {
  const double sz = param(o, "size_z");
  if (n.z() > 0.7 || p.z() >= sz - 0.002) return "top";
  if (n.z() < -0.7 || p.z() <= 0.004) return "bottom";
  return "side";
}

// Can: the narrower rims at both ends with the lid and the bottom face. The
// top rim cylinders take the top 6 mm and the bottom rim the 4 mm above the
// foot; each band reaches 2 mm into the body so a contact on the step between
// rim and body counts as the rim. The body is between.
std::string can_part(const ObjectInstance& o, const Eigen::Vector3d& p) {
  const double H = param(o, "height");
  if (p.z() >= H - 0.008) return "top_rim";
  if (p.z() <= kFootHeight + 0.004 + 0.002) return "bottom_rim";
  return "body";
}

// Basket: the bar is everything from the bar's underside (zbar - rh, less
// kSlack) up, which includes the posts' rounded joints with it. The posts
// are the capsules between the rim and the bar, within kSlack of their
// surface; below the rim they lie inside the wall planes (centred on the
// long walls' mid-plane), so a hand there holds the wall. The rim is the top
// 4 mm of the walls; the walls take the rest, the bottom plate included.
std::string basket_part(const ObjectInstance& o, const Eigen::Vector3d& p) {
  const double W = param(o, "width");
  const double H = param(o, "height");
  const double t = param(o, "wall");
  const double rh = param(o, "handle_radius");
  const double zbar = H + param(o, "handle_height");
  const double yp = 0.5 * W - 0.5 * t;
  if (p.z() >= zbar - rh - kSlack) return "handle_bar";
  if (std::abs(p.x()) <= rh + kSlack && std::abs(p.y()) >= yp - rh - kSlack && p.z() > H + 0.002) {
    return "posts";
  }
  if (p.z() >= H - 0.004) return "rim";
  return "walls";
}

// Soft ball: by latitude on its rest sphere (radius R, centre at z = R): the
// cap above 30 degrees north is the top, below 30 degrees south the bottom
// (where it rests), the band between the side. A squeezed ball's contacts
// move a few millimetres; the bands are wide enough for that.
std::string soft_ball_part(const ObjectInstance& o, const Eigen::Vector3d& p) {
  const double R = param(o, "radius");
  if (p.z() >= 1.5 * R) return "top";
  if (p.z() <= 0.5 * R) return "bottom";
  return "side";
}

}  // namespace

std::string to_string(SymmetryGroup group) {
  switch (group) {
    case SymmetryGroup::kNone:
      return "none";
    case SymmetryGroup::kHalfTurnZ:
      return "half_turn_z";
    case SymmetryGroup::kQuarterTurnZ:
      return "quarter_turn_z";
    case SymmetryGroup::kContinuousZ:
      return "continuous_z";
  }
  return "none";
}

SymmetryGroup symmetry_group_from_string(const std::string& name) {
  for (SymmetryGroup g : {SymmetryGroup::kNone, SymmetryGroup::kHalfTurnZ,
                          SymmetryGroup::kQuarterTurnZ, SymmetryGroup::kContinuousZ}) {
    if (to_string(g) == name) return g;
  }
  throw InputError("unknown symmetry '" + name +
                   "' (known: none, half_turn_z, quarter_turn_z, continuous_z)");
}

SymmetryGroup object_symmetry(const ObjectInstance& object) {
  if (object.declared && !object.declared->symmetry.empty())
    return symmetry_group_from_string(object.declared->symmetry);
  const std::string& c = object.category;
  if (c == "bottle" || c == "can" || c == "bowl" || c == "soft_ball")
    return SymmetryGroup::kContinuousZ;
  if (c == "basket") return SymmetryGroup::kHalfTurnZ;
  if (c == "box") {
    const double dx = param(object, "size_x") - param(object, "size_y");
    return std::abs(dx) < kSquareToleranceM ? SymmetryGroup::kQuarterTurnZ
                                            : SymmetryGroup::kHalfTurnZ;
  }
  return SymmetryGroup::kNone;
}

std::vector<double> symmetry_angles(SymmetryGroup group, int continuous_samples) {
  switch (group) {
    case SymmetryGroup::kNone:
      return {0.0};
    case SymmetryGroup::kHalfTurnZ:
      return {0.0, kPi};
    case SymmetryGroup::kQuarterTurnZ:
      return {0.0, 0.5 * kPi, kPi, 1.5 * kPi};
    case SymmetryGroup::kContinuousZ:
      break;
  }
  if (continuous_samples < 1) throw std::invalid_argument("continuous_samples must be >= 1");
  std::vector<double> a(continuous_samples);
  for (int i = 0; i < continuous_samples; ++i) a[i] = 2.0 * kPi * i / continuous_samples;
  return a;
}

const std::vector<std::string>& category_parts(const std::string& category) {
  static const std::map<std::string, std::vector<std::string>> kParts = {
      {"mug", {"body", "handle", "rim", "base"}},
      {"bottle", {"body", "shoulder", "neck", "cap"}},
      {"bowl", {"rim", "wall", "base", "inside"}},
      {"box", {"top", "side", "bottom"}},
      {"can", {"body", "top_rim", "bottom_rim"}},
      {"basket", {"handle_bar", "posts", "walls", "rim"}},
      {"soft_ball", {"top", "side", "bottom"}},
  };
  auto it = kParts.find(category);
  if (it == kParts.end()) {
    throw InputError("unknown object category '" + category +
                     "' (known: " + known_categories_text() + ")");
  }
  return it->second;
}

std::string part_label(const ObjectInstance& object, const Eigen::Vector3d& p_obj,
                       const Eigen::Vector3d& n_obj) {
  if (object.declared && !object.declared->regions.empty()) {
    const Eigen::AlignedBox3d box = object.bounds_obj();
    const Eigen::Vector3d frac = (p_obj - box.min()).cwiseQuotient(box.sizes().cwiseMax(1e-9));
    const Eigen::Vector2d out = p_obj.head<2>().norm() > 1e-9
                                    ? Eigen::Vector2d(p_obj.head<2>().normalized())
                                    : Eigen::Vector2d::Zero();
    const double n_radial = out.dot(n_obj.head<2>());
    for (const PartRegion& r : object.declared->regions) {
      if (r.box_frac.contains(frac) && n_obj.z() >= r.normal_z_min && n_obj.z() <= r.normal_z_max &&
          n_radial >= r.normal_radial_min && n_radial <= r.normal_radial_max)
        return r.part;
    }
    return object.declared->regions.back().part;  // the catch-all rule
  }
  const std::string& c = object.category;
  if (c == "mug") return mug_part(object, p_obj);
  if (c == "bottle") return bottle_part(object, p_obj);
  if (c == "bowl") return bowl_part(object, p_obj, n_obj);
  if (c == "box") return box_part(object, p_obj, n_obj);
  if (c == "can") return can_part(object, p_obj);
  if (c == "basket") return basket_part(object, p_obj);
  if (c == "soft_ball") return soft_ball_part(object, p_obj);
  category_parts(c);  // throws, naming the category
  return "";
}

}  // namespace dffeval
