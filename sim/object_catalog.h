#pragma once
// Procedural object categories: six parametric families of rigid objects
// (mug, bottle, bowl, box, can, basket), and one deformable family
// (soft_ball, a MuJoCo composite: see deformable_categories()); the rigid
// ones are built only from MuJoCo primitive geoms
// (box, cylinder, capsule, sphere). MuJoCo collides meshes as their convex
// hulls, so every non-convex feature (a mug's or bowl's cavity, a handle) is a
// union of convex primitives: a wall is a ring of thin boxes around the axis, a
// sloped bowl wall is two rings of tilted boxes, a handle is a chain of
// capsules. The same primitives are drawn (visual = collision).
//
// Units: metres, kilograms, kg/m^3, radians, unless a name says otherwise.
//
// Canonical object frame (every category):
//   - origin at the centre of the object's footprint on its resting face,
//     +z up when it rests on the table; the lowest point of the object is at
//     z = 0;
//   - mug: +x points from the cup axis towards the handle (the handle lies in
//     the x-z plane, y = 0);
//   - bottle, can, bowl: axisymmetric about z (+x has no special meaning);
//   - box: +x along the longer horizontal side (size_x >= size_y);
//   - basket: +x along the longer horizontal side (length >= width); the
//     handle is an arch across the short side: two vertical posts at the middle
//     of the two long walls (x = 0, y = +-(width/2 - wall/2)) joined by a
//     horizontal bar along y at z = height + handle_height, graspable from
//     above with the palm down and the fingers curling around the bar (the bar
//     axis is the object's y axis).
// Rest pose: the canonical frame with z = table top, identity rotation and any
// yaw about z is a stable rest on a flat table: every category rests upright.
//
// Shapes (total parts per object, foot parts included):
//   mug (34): 20-box cylindrical wall, base disc, D-shaped 5-capsule handle;
//   bottle (12): cylindrical body, hemispherical shoulder (a sphere), neck and
//     cap cylinders;
//   bowl (39): base disc and a rounded open wall of two rings of tilted boxes
//     (14 flatter below, 16 steeper above);
//   box (5): one box with capsule bottom edges;
//   can (12): body cylinder with narrower bottom and top rims;
//   basket (12): bottom plate, 4 thin walls, 2 capsule posts + capsule bar;
//   plus the foot parts described below.
//
// Resting contacts: only capsules touch the plane z = 0. MuJoCo 2.2.2 collides
// a cylinder with a box (e.g. a box table) through its general convex collider,
// which returns a single contact point, so a cylinder resting flat on a box
// rocks; and its box-box collider can return a phantom contact as deep as the
// box is wide for two boxes resting face to face at zero penetration (a box
// placed exactly on a box table is launched into the air). Capsule-box and
// capsule-plane contacts are multi-point and robust. So round objects (mug,
// bottle, can, bowl) stand on a 4 mm foot ring (a regular octagon of
// horizontal capsules of radius 2 mm just inside the round outline), and box
// and basket stand on four capsules of radius 3 mm along their bottom edges
// (rounded bottom edges; the box parts start 1 mm above the table). Every other
// part lies at z >= 1 mm. (The simulated world's table collides as a plane,
// sim/world.cc, which has exact colliders for every primitive; the feet keep
// objects stable on box tables too, e.g. in tests and other worlds.)
//
// Seen vs novel (by construction, no overlap): every shape parameter of a
// category has a range [lo, hi] (object_param_ranges()); a draw picks a
// fraction u in [0, 1] and sets value = lo + u * (hi - lo). Exactly one
// parameter per category is its key parameter (ParamRange::key):
//   mug: height, bottle: height, bowl: diameter, box: size_z (height),
//   can: height, basket: handle_height (bar height above the rim),
//   soft_ball (deformable, deformable_categories()): radius.
//   - seen: every shape parameter (key included) has u in [0.2, 0.8] (the
//     inner 60% of its range); seen instance 0, the demonstration's source
//     object, has u = 0.5 for every shape parameter and the density, and the
//     middle friction 0.85 (the category's nominal object);
//   - novel: the key parameter has u in the outer 40% of its range: even
//     indices u in [0, 0.2) (below every seen value), odd indices u in (0.8, 1]
//     (above every seen value); the other shape parameters have u anywhere in
//     [0, 1].
// So no novel instance shares a key-parameter value with a seen instance, for
// every index: the bands hold for each draw, not for a finite list. How many
// instances each set holds is a setting (config/catalog.yaml,
// instances_per_set(set)); instance i is drawn from its own seed, so a larger
// set adds instances and leaves instances 0..N-1 as they were.
//
// Mass: density (drawn from a per-category range of plausible bulk densities,
// kg/m^3: mug 1100-1500, bottle 250-500, bowl 1000-1400, box 150-350, can
// 350-600, basket 700-1000)
// times the summed primitive volume, clamped to [0.05, 0.30] kg. Friction:
// uniform in [0.7, 1.0]. Colours: random; about half the instances (a coin
// flip each) use a checker texture of rgb and rgb2.

#include <Eigen/Geometry>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/mesh_shape.h"
#include "sim/soft_object_mjcf.h"

namespace dffeval {

/// Which instance set an object comes from: kSeen (training/demonstration
/// objects) or kNovel (held-out shapes).
enum class InstanceSet { kSeen, kNovel };

/// "seen" or "novel".
std::string to_string(InstanceSet set);

/// Parses "seen" / "novel"; throws InputError naming the bad value and listing
/// the valid ones.
InstanceSet instance_set_from_string(const std::string& name);

/// MuJoCo geom types of object parts: the catalog's primitives, and meshes
/// for objects read from files (sim/mesh_object_set.h).
enum class PrimitiveType { kBox, kCylinder, kCapsule, kSphere, kMesh };

/// MJCF type name: "box", "cylinder", "capsule", "sphere", "mesh".
std::string to_string(PrimitiveType type);

/// One convex piece of an object. size follows MJCF conventions, metres: box:
/// half-sizes (x, y, z); cylinder/capsule: (radius, half-length along the
/// part's local z, unused); sphere: (radius, unused, unused); mesh: unused
/// (the shape is `mesh`). X_ObjPart is the part frame in the canonical object
/// frame.
struct ObjectPart {
  PrimitiveType type = PrimitiveType::kBox;
  Eigen::Vector3d size = Eigen::Vector3d::Zero();
  Eigen::Isometry3d X_ObjPart = Eigen::Isometry3d::Identity();
  /// kMesh only: the closed mesh in the part frame, metres (convex when the
  /// part collides: MuJoCo collides a mesh as its convex hull).
  std::shared_ptr<const MeshShape> mesh;
  /// False for a drawn-only part (a scanned object's visual mesh): no
  /// collisions and no mass; its collision pieces carry both.
  bool collides = true;

  /// Volume, m^3, as MuJoCo computes it (capsule: cylinder + two hemispheres;
  /// mesh: the enclosed volume).
  double volume() const;
  /// Exact axis-aligned bounding box in the object frame, metres.
  Eigen::AlignedBox3d bounds_obj() const;
};

/// Colours (linear RGB in [0, 1]); with checker_texture the surface is a
/// checker of rgb and rgb2, otherwise plain rgb.
struct ObjectAppearance {
  Eigen::Vector3d rgb = Eigen::Vector3d::Constant(0.5);
  Eigen::Vector3d rgb2 = Eigen::Vector3d::Constant(0.8);
  bool checker_texture = false;
};

/// One rule of an object's declared part map (mesh objects: their generator
/// cannot say where the handle is). A surface point belongs to `part` if it
/// lies in `box_frac` (normalized canonical coordinates: the object's
/// bounding box mapped onto [0, 1]^3) and its outward normal's z component is
/// in [normal_z_min, normal_z_max], and its normal's component along the
/// horizontal direction away from the z axis in [normal_radial_min,
/// normal_radial_max] (negative: facing the axis, as a bowl's inside does).
/// Rules are tried in order, the first that matches wins; the last rule
/// matches everything.
struct PartRegion {
  std::string part;
  Eigen::AlignedBox3d box_frac{Eigen::Vector3d::Constant(-1e9), Eigen::Vector3d::Constant(1e9)};
  double normal_z_min = -1.0;
  double normal_z_max = 1.0;
  double normal_radial_min = -1.0;
  double normal_radial_max = 1.0;
};

/// What an object declares about itself instead of what its category's
/// generator knows (sim/object_semantics.h reads it).
struct DeclaredSemantics {
  /// "none", "half_turn_z", "quarter_turn_z" or "continuous_z".
  std::string symmetry;
  /// Ordered part rules; the names are the category's parts.
  std::vector<PartRegion> regions;
};

/// One object instance: a draw of a category's parameters, or an object read
/// from meshes (sim/mesh_object_set.h).
struct ObjectInstance {
  std::string category;
  InstanceSet set = InstanceSet::kSeen;
  int index = 0;
  /// Mesh objects: their name (the folder of their object.yaml); empty for
  /// catalog draws.
  std::string mesh_name;
  /// "{category}/{set}/{index}", e.g. "mug/seen/3"; for a mesh object
  /// "{category}/mesh/{name}".
  std::string id() const;
  /// Set for objects that declare their symmetry and parts (mesh objects);
  /// null for catalog draws, whose generator's rules apply.
  std::shared_ptr<const DeclaredSemantics> declared;
  /// The shape parameters drawn, by name (metres; names ending in "_frac" are
  /// dimensionless fractions), for result files. Keys: object_param_ranges().
  nlohmann::json params;
  /// Convex pieces in the canonical object frame (at most 40).
  std::vector<ObjectPart> parts;
  /// Total mass, kg.
  double mass_kg = 0.1;
  /// Bulk density used for every part, kg/m^3 (mass_kg / summed part volume).
  double density_kg_m3 = 500.0;
  /// Sliding friction coefficient (MuJoCo geom friction[0]).
  double friction = 0.85;
  ObjectAppearance appearance;
  /// Set for a deformable object (category soft_ball): the body is this
  /// MuJoCo composite, and `parts` hold only its rest shape (for bounds,
  /// volume and part labels; not written as geoms). Null for rigid objects.
  std::shared_ptr<const SoftBallSpec> soft;
  /// Axis-aligned bounding box of all parts in the object frame, metres (exact
  /// for box/cylinder/capsule/sphere). Its min z is 0.
  Eigen::AlignedBox3d bounds_obj() const;
};

/// One shape parameter's range. value = lo + u * (hi - lo), u in [0, 1].
struct ParamRange {
  std::string name;
  double lo = 0.0;
  double hi = 0.0;
  /// The parameter that separates the seen and novel sets (one per category).
  bool key = false;
};

/// The rigid category names: mug, bottle, bowl, box, can, basket. Every
/// loop over "all categories" (clutter, backbone training, `tasks: all`)
/// uses these, so adding a deformable category changed none of them.
const std::vector<std::string>& object_categories();

/// The deformable categories: soft_ball, a plush ball (a MuJoCo 2.2
/// composite, sim/soft_object_mjcf.h): radius (key) 4 to 6 cm, outer
/// radius, element spheres included; density 60 to 140 kg/m^3. Named
/// explicitly by suites and demonstrations.
const std::vector<std::string>& deformable_categories();

/// A rigid or deformable category.
bool is_known_category(const std::string& category);
/// Every category name, rigid then deformable, comma-separated (for errors).
std::string known_categories_text();

/// The shape parameters of a category, in draw order. Throws InputError for an
/// unknown category.
const std::vector<ParamRange>& object_param_ranges(const std::string& category);

/// Seen fraction interval: seen instances draw every u in
/// [kSeenFractionLo, kSeenFractionHi]; novel instances draw the key u outside.
inline constexpr double kSeenFractionLo = 0.2;
inline constexpr double kSeenFractionHi = 0.8;

/// Instances per category in `set` (indices 0..N-1): config/catalog.yaml,
/// read on the first call. Throws InputError naming the file and key if the
/// file is missing or bad.
int instances_per_set(InstanceSet set);

/// Random draws that are not a suite's test objects (scene distractors, the
/// backbone's training scenes, field-evaluation partners) pick among the first
/// min(10, instances_per_set(set)) instances: 10 was the set size before it
/// became a setting, so those scenes, the shipped backbone's training data and
/// published field results stay reproducible, and the draws never reach the
/// validation suite's instances (40..49).
int auxiliary_instance_count(InstanceSet set);

/// Instance `index` of a category's set, for any index >= 0 (beyond the set
/// too: tests check the seen/novel bands far past its end). Deterministic:
/// the same arguments always give the same instance. The draws come from
/// SeededRng(derive_seed(derive_seed(0xDFFE, category), "{set}/{index}")).
/// Throws InputError for an unknown category (listing the known ones) or a
/// negative index.
ObjectInstance draw_object_instance(const std::string& category, InstanceSet set, int index);

/// draw_object_instance for an index of the set: throws InputError for an
/// index outside [0, instances_per_set(set)) (so a suite cannot silently run
/// on instances the catalog does not declare) or an unknown category.
ObjectInstance make_object_instance(const std::string& category, InstanceSet set, int index);

/// The composite of a soft_ball instance (drawn radius, mass, friction and
/// colour; element radius 0.185 of the radius).
SoftBallSpec soft_ball_spec(const ObjectInstance& object);

/// Which canonical points a category's shape cannot tell apart (mirror and
/// axial symmetries of the object frames below): a mug is mirror-symmetric
/// about its x-z plane (the handle lies in it); box and basket about both
/// vertical planes (which includes a half turn); bottle, can and bowl are
/// bodies of revolution about z.
enum class ShapeSymmetry { kNone, kMirrorY, kMirrorXY, kAxial };

/// The symmetry of a category; kNone for an unknown name.
ShapeSymmetry category_symmetry(const std::string& category);

/// Distance (metres) between canonical points a and b, minimized over the
/// copies of b that the symmetry makes equivalent.
double symmetric_distance(const Eigen::Vector3d& a, const Eigen::Vector3d& b, ShapeSymmetry s);

}  // namespace dffeval
