#include "sim/mesh_object_set.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <optional>

#include "common/input_error.h"
#include "common/strict_yaml.h"
#include "sim/object_semantics.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;
constexpr double kPi = 3.14159265358979323846;
/// Bounding-box extent an object may have along each axis once scaled,
/// metres: a hand grasps nothing outside it, and a scale left at 1 for a
/// mesh in millimetres lands far above it.
constexpr double kMinExtentM = 0.01, kMaxExtentM = 0.6;

/// The rotation taking mesh axis `up` ("+x", "-y", ...) onto +z.
Eigen::Matrix3d up_rotation(const StrictYaml& y, const std::string& up) {
  const std::vector<std::pair<std::string, Eigen::Vector3d>> axes = {
      {"+x", Eigen::Vector3d::UnitX()}, {"-x", -Eigen::Vector3d::UnitX()},
      {"+y", Eigen::Vector3d::UnitY()}, {"-y", -Eigen::Vector3d::UnitY()},
      {"+z", Eigen::Vector3d::UnitZ()}, {"-z", -Eigen::Vector3d::UnitZ()}};
  for (const auto& [name, axis] : axes) {
    if (name == up) {
      return Eigen::Quaterniond::FromTwoVectors(axis, Eigen::Vector3d::UnitZ()).toRotationMatrix();
    }
  }
  y.fail("up_axis", "must be one of +x, -x, +y, -y, +z, -z (got '" + up + "')");
}

std::vector<fs::path> collision_files(const StrictYaml& y, const fs::path& mesh_dir) {
  std::vector<fs::path> files;
  if (y.has("collision") == y.has("collision_glob"))
    y.fail("collision", "give exactly one of 'collision' (a list of files) and 'collision_glob'");
  if (y.has("collision")) {
    for (const StrictYaml& f : y.child("collision").elements())
      files.push_back(mesh_dir / f.as<std::string>());
  } else {
    const std::string pattern = y.get<std::string>("collision_glob");
    if (fs::is_directory(mesh_dir)) {
      for (const auto& e : fs::directory_iterator(mesh_dir)) {
        if (e.is_regular_file() && fnmatch(pattern.c_str(), e.path().filename().c_str(), 0) == 0)
          files.push_back(e.path());
      }
    }
    std::sort(files.begin(), files.end());
    if (files.empty())
      y.fail("collision_glob",
             fmt::format("no file in {} matches '{}'", mesh_dir.string(), pattern));
  }
  if (files.empty()) y.fail("collision", "needs at least one convex piece");
  return files;
}

/// A [lo, hi] pair of fractions (or normal components) of a part rule.
void read_interval(const StrictYaml& rule, const std::string& key, double lo_limit, double* lo,
                   double* hi) {
  const auto v = rule.get<std::vector<double>>(key);
  if (v.size() != 2 || !(v[0] <= v[1]) || v[0] < lo_limit - 1e-12 || v[1] > 1 + 1e-12)
    rule.fail(key, fmt::format("expected [lo, hi] with {} <= lo <= hi <= 1", lo_limit));
  *lo = v[0];
  *hi = v[1];
}

std::vector<PartRegion> read_parts(const StrictYaml& y, const std::string& category) {
  const std::vector<std::string>& names = category_parts(category);
  std::vector<PartRegion> regions;
  const std::vector<StrictYaml> rules = y.child("parts").elements();
  if (rules.empty()) y.fail("parts", "needs at least one rule");
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const StrictYaml& rule = rules[i];
    PartRegion r;
    r.part = rule.get<std::string>("part");
    if (std::find(names.begin(), names.end(), r.part) == names.end()) {
      rule.fail("part", fmt::format("'{}' is not a part of a {} (its parts: {})", r.part, category,
                                    fmt::join(names, ", ")));
    }
    bool conditioned = false;
    const char* axes[] = {"x_frac", "y_frac", "z_frac"};
    for (int a = 0; a < 3; ++a) {
      if (!rule.has(axes[a])) continue;
      conditioned = true;
      read_interval(rule, axes[a], 0.0, &r.box_frac.min()[a], &r.box_frac.max()[a]);
    }
    if (rule.has("normal_z")) {
      conditioned = true;
      read_interval(rule, "normal_z", -1.0, &r.normal_z_min, &r.normal_z_max);
    }
    if (rule.has("normal_radial")) {
      conditioned = true;
      read_interval(rule, "normal_radial", -1.0, &r.normal_radial_min, &r.normal_radial_max);
    }
    rule.reject_unknown_keys();
    if (i + 1 == rules.size() && conditioned)
      rule.fail("part",
                "the last part rule must have no condition: it names the rest of the surface");
    regions.push_back(r);
  }
  return regions;
}

void add_ring(std::vector<Eigen::Vector3d>* pts, double radius, double z, int segments) {
  for (int k = 0; k < segments; ++k) {
    const double a = 2 * kPi * k / segments;
    pts->push_back({radius * std::cos(a), radius * std::sin(a), z});
  }
}

}  // namespace

MeshShape primitive_part_mesh(const ObjectPart& part, int segments) {
  if (part.type == PrimitiveType::kMesh) return part.mesh->transformed(part.X_ObjPart);
  std::vector<Eigen::Vector3d> pts;
  const Eigen::Vector3d s = part.size;
  const int latitudes = std::max(2, segments / 4);
  switch (part.type) {
    case PrimitiveType::kBox:
      for (int k = 0; k < 8; ++k)
        pts.push_back(
            {(k & 1 ? 1 : -1) * s.x(), (k & 2 ? 1 : -1) * s.y(), (k & 4 ? 1 : -1) * s.z()});
      break;
    case PrimitiveType::kCylinder:
      add_ring(&pts, s.x(), -s.y(), segments);
      add_ring(&pts, s.x(), s.y(), segments);
      break;
    case PrimitiveType::kCapsule:
    case PrimitiveType::kSphere: {
      const double half = part.type == PrimitiveType::kCapsule ? s.y() : 0.0;
      for (int sign : {-1, 1}) {
        for (int j = 0; j < latitudes; ++j) {
          const double phi = 0.5 * kPi * j / latitudes;  // 0 at the equator
          add_ring(&pts, s.x() * std::cos(phi), sign * (half + s.x() * std::sin(phi)), segments);
        }
        pts.push_back({0, 0, sign * (half + s.x())});
      }
      break;
    }
    case PrimitiveType::kMesh:
      break;
  }
  return convex_hull_mesh(pts).transformed(part.X_ObjPart);
}

ObjectInstance load_mesh_object(const fs::path& object_yaml) {
  const StrictYaml y = StrictYaml::load_file(object_yaml);
  const fs::path folder = object_yaml.parent_path();
  ObjectInstance obj;
  obj.mesh_name = folder.filename().string();
  obj.category = y.get<std::string>("category");
  const auto& categories = object_categories();
  if (std::find(categories.begin(), categories.end(), obj.category) == categories.end()) {
    y.fail("category", fmt::format("unknown category '{}' (known: {})", obj.category,
                                   fmt::join(categories, ", ")));
  }
  fs::path mesh_dir = y.get_or<std::string>("mesh_dir", ".");
  if (mesh_dir.is_relative()) mesh_dir = folder / mesh_dir;
  if (!fs::is_directory(mesh_dir))
    y.fail("mesh_dir", "folder " + mesh_dir.string() + " does not exist");
  const double scale = y.get_or("scale", 1.0);
  if (!(scale > 0 && scale <= 100)) y.fail("scale", "must be in (0, 100]");
  const Eigen::Matrix3d R_up = up_rotation(y, y.get_or<std::string>("up_axis", "+z"));
  const double yaw_deg = y.get_or("yaw_deg", 0.0);
  if (std::abs(yaw_deg) > 360) y.fail("yaw_deg", "must be in [-360, 360] degrees");
  Eigen::Isometry3d X = Eigen::Isometry3d::Identity();
  X.linear() = Eigen::AngleAxisd(yaw_deg * kPi / 180, Eigen::Vector3d::UnitZ()) * R_up;

  // Meshes in the rotated frame (up = +z, yawed), not yet moved.
  std::vector<MeshShape> pieces;
  for (const fs::path& f : collision_files(y, mesh_dir))
    pieces.push_back(load_mesh(f, MeshRole::kCollision, scale).transformed(X));
  std::optional<MeshShape> visual;
  if (y.has("visual"))
    visual =
        load_mesh(mesh_dir / y.get<std::string>("visual"), MeshRole::kVisual, scale).transformed(X);
  Eigen::AlignedBox3d box;
  for (const MeshShape& p : pieces) box.extend(p.bounds());
  if (visual) box.extend(visual->bounds());
  const Eigen::Vector3d extent = box.sizes();
  if (extent.minCoeff() < kMinExtentM || extent.maxCoeff() > kMaxExtentM) {
    y.fail("scale",
           fmt::format("the object measures {:.4g} x {:.4g} x {:.4g} m once scaled by {}: "
                       "outside [{}, {}] m per axis (a mesh in millimetres needs scale "
                       "0.001)",
                       extent.x(), extent.y(), extent.z(), scale, kMinExtentM, kMaxExtentM));
  }
  Eigen::Vector2d origin_xy = box.center().head<2>();
  if (y.has("origin_xy_m")) {
    const auto o = y.get<std::vector<double>>("origin_xy_m");
    if (o.size() != 2) y.fail("origin_xy_m", "expected [x, y] in metres");
    origin_xy = {o[0], o[1]};
  }
  Eigen::Isometry3d to_canonical = Eigen::Isometry3d::Identity();
  to_canonical.translation() = Eigen::Vector3d(-origin_xy.x(), -origin_xy.y(), -box.min().z());

  double volume = 0;
  for (MeshShape& p : pieces) {
    ObjectPart part;
    part.type = PrimitiveType::kMesh;
    part.mesh = std::make_shared<MeshShape>(p.transformed(to_canonical));
    volume += part.volume();
    obj.parts.push_back(part);
  }
  if (visual) {
    ObjectPart part;
    part.type = PrimitiveType::kMesh;
    part.mesh = std::make_shared<MeshShape>(visual->transformed(to_canonical));
    part.collides = false;
    obj.parts.push_back(part);
  }
  if (y.has("mass_kg") == y.has("density_kg_m3"))
    y.fail("mass_kg", "give exactly one of 'mass_kg' and 'density_kg_m3'");
  if (y.has("mass_kg")) {
    obj.mass_kg = y.get<double>("mass_kg");
    if (!(obj.mass_kg >= 0.005 && obj.mass_kg <= 5)) y.fail("mass_kg", "must be in [0.005, 5] kg");
    obj.density_kg_m3 = obj.mass_kg / volume;
  } else {
    obj.density_kg_m3 = y.get<double>("density_kg_m3");
    if (!(obj.density_kg_m3 >= 10 && obj.density_kg_m3 <= 20000))
      y.fail("density_kg_m3", "must be in [10, 20000] kg/m^3");
    obj.mass_kg = obj.density_kg_m3 * volume;
  }
  obj.friction = y.get_or("friction", 0.85);
  if (!(obj.friction >= 0.1 && obj.friction <= 2)) y.fail("friction", "must be in [0.1, 2]");
  if (y.has("rgb")) {
    const auto c = y.get<std::vector<double>>("rgb");
    if (c.size() != 3 || *std::min_element(c.begin(), c.end()) < 0 ||
        *std::max_element(c.begin(), c.end()) > 1)
      y.fail("rgb", "expected 3 numbers in [0, 1]");
    obj.appearance.rgb = {c[0], c[1], c[2]};
  } else {
    obj.appearance.rgb = {0.7, 0.7, 0.68};
  }
  auto declared = std::make_shared<DeclaredSemantics>();
  declared->symmetry = y.get_or<std::string>("symmetry", "");
  if (!declared->symmetry.empty()) {
    try {
      symmetry_group_from_string(declared->symmetry);
    } catch (const InputError& e) {
      y.fail("symmetry", e.what());
    }
  }
  obj.params = nlohmann::json::object();
  if (y.has("catalog_params")) {
    // A catalog instance written out as meshes: its category's part rules
    // read these shape parameters.
    const StrictYaml c = y.child("catalog_params");
    for (const std::string& key : c.keys()) obj.params[key] = c.get<double>(key);
  }
  if (y.has("parts")) {
    declared->regions = read_parts(y, obj.category);
  } else if (!y.has("catalog_params")) {
    y.fail("parts",
           "is required: the judge needs to know which part of the object a finger "
           "touches (see sim/mesh_object_set.h)");
  }
  obj.declared = declared;
  obj.params["mesh_object"] = object_yaml.string();
  obj.params["scale"] = scale;
  y.reject_unknown_keys();
  return obj;
}

std::vector<ObjectInstance> load_mesh_object_set(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw InputError(dir.string() + ": mesh object set folder not found");
  std::vector<fs::path> yamls;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory() && fs::exists(e.path() / "object.yaml"))
      yamls.push_back(e.path() / "object.yaml");
  }
  std::sort(yamls.begin(), yamls.end());
  if (yamls.empty())
    throw InputError(dir.string() +
                     ": no sub-folder holds an object.yaml (see sim/mesh_object_set.h)");
  std::vector<ObjectInstance> objects;
  for (int i = 0; i < static_cast<int>(yamls.size()); ++i) {
    objects.push_back(load_mesh_object(yamls[i]));
    objects.back().index = i;
  }
  return objects;
}

void export_mesh_object(const ObjectInstance& object, const fs::path& dir, int segments) {
  fs::create_directories(dir);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < object.parts.size(); ++i) {
    if (!object.parts[i].collides) continue;
    names.push_back(fmt::format("piece{}.stl", i));
    write_stl(dir / names.back(), primitive_part_mesh(object.parts[i], segments));
  }
  std::ofstream out(dir / "object.yaml");
  out << "# Exported from " << object.id() << " by export_mesh_object (canonical frame).\n";
  out << "category: " << object.category << "\n";
  out << "collision: [" << fmt::format("{}", fmt::join(names, ", ")) << "]\n";
  // The pieces are in the canonical frame already: keep its origin.
  out << "origin_xy_m: [0, 0]\n";
  out << fmt::format("mass_kg: {:.9g}\nfriction: {:.9g}\n", object.mass_kg, object.friction);
  // The category's part rules need the shape parameters.
  out << "catalog_params:\n";
  for (const auto& [key, value] : object.params.items())
    if (value.is_number()) out << fmt::format("  {}: {:.12g}\n", key, value.get<double>());
  const Eigen::Vector3d c = object.appearance.rgb;
  out << fmt::format("rgb: [{:.4f}, {:.4f}, {:.4f}]\n", c.x(), c.y(), c.z());
  if (!out) throw std::runtime_error("cannot write " + (dir / "object.yaml").string());
}

}  // namespace dffeval
