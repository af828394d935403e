#include "sim/object_mjcf.h"

#include <fmt/format.h>

#include <cstdio>
#include <sstream>

namespace dffeval {
namespace {

using Eigen::Matrix3d;
using Eigen::Vector3d;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string vec_text(const Vector3d& v) { return num(v.x()) + " " + num(v.y()) + " " + num(v.z()); }

std::string quat_text(const Matrix3d& R) {
  Eigen::Quaterniond q(R);
  q.normalize();
  return num(q.w()) + " " + num(q.x()) + " " + num(q.y()) + " " + num(q.z());
}

std::string size_text(const ObjectPart& part) {
  switch (part.type) {
    case PrimitiveType::kBox:
      return vec_text(part.size);
    case PrimitiveType::kCylinder:
    case PrimitiveType::kCapsule:
      return num(part.size.x()) + " " + num(part.size.y());
    case PrimitiveType::kSphere:
      return num(part.size.x());
    case PrimitiveType::kMesh:
      return "";
  }
  return "";
}

bool has_visual_only_part(const ObjectInstance& object) {
  for (const ObjectPart& p : object.parts)
    if (!p.collides) return true;
  return false;
}

/// A soft ball: a free body whose frame is the canonical one (origin on the
/// table), holding a welded centre body at the ball's centre with the
/// composite. The free body needs a mass of its own: a small anchor geom
/// that collides with nothing and is not drawn (group 4), one element's
/// share of the mass.
std::string soft_body_mjcf(const ObjectInstance& object, const std::string& prefix) {
  const SoftBallSpec& spec = *object.soft;
  const int shares = 1;
  const double share_kg = spec.mass_kg / (soft_ball_body_count(spec) + shares);
  std::ostringstream out;
  out << "  <geom name=\"" << prefix << "_anchor\" type=\"sphere\" size=\""
      << num(0.25 * spec.radius_m) << "\" pos=\"0 0 " << num(spec.radius_m) << "\" mass=\""
      << num(share_kg) << "\" contype=\"0\" conaffinity=\"0\" group=\"4\"/>\n";
  out << "  <body name=\"" << prefix << "_core\" pos=\"0 0 " << num(spec.radius_m) << "\">\n";
  out << soft_ball_composite_mjcf(spec, prefix, prefix + "_mat", shares);
  out << "  </body>\n";
  return out.str();
}

}  // namespace

std::string object_asset_mjcf(const ObjectInstance& object, const std::string& prefix) {
  std::ostringstream out;
  const ObjectAppearance& a = object.appearance;
  if (a.checker_texture) {
    out << "<texture name=\"" << prefix << "_tex\" type=\"cube\" builtin=\"checker\" rgb1=\""
        << vec_text(a.rgb) << "\" rgb2=\"" << vec_text(a.rgb2)
        << "\" width=\"64\" height=\"64\" mark=\"none\"/>\n";
    out << "<material name=\"" << prefix << "_mat\" texture=\"" << prefix
        << "_tex\" texuniform=\"true\" rgba=\"1 1 1 1\" specular=\"0.3\" shininess=\"0.3\"/>\n";
  } else {
    out << "<material name=\"" << prefix << "_mat\" rgba=\"" << vec_text(a.rgb)
        << " 1\" specular=\"0.3\" shininess=\"0.3\"/>\n";
  }
  for (std::size_t i = 0; i < object.parts.size(); ++i) {
    const ObjectPart& part = object.parts[i];
    if (part.type != PrimitiveType::kMesh || !part.mesh) continue;
    // Inline vertices and faces: no files for MuJoCo to find. Written with
    // 9 significant digits (sub-micrometre at object sizes).
    out << "<mesh name=\"" << prefix << "_m" << i << "\" vertex=\"";
    for (const Vector3d& v : part.mesh->vertices)
      out << fmt::format("{:.9g} {:.9g} {:.9g} ", v.x(), v.y(), v.z());
    out << "\" face=\"";
    for (const Eigen::Vector3i& f : part.mesh->faces)
      out << f[0] << ' ' << f[1] << ' ' << f[2] << ' ';
    out << "\"/>\n";
  }
  return out.str();
}

std::string object_body_mjcf(const ObjectInstance& object, const std::string& prefix,
                             const Eigen::Isometry3d& X_WObj) {
  std::ostringstream out;
  out << "<body name=\"" << prefix << "\" pos=\"" << vec_text(X_WObj.translation()) << "\" quat=\""
      << quat_text(X_WObj.linear()) << "\">\n";
  out << "  <freejoint name=\"" << prefix << "_free\"/>\n";
  if (object.soft) out << soft_body_mjcf(object, prefix);
  for (size_t i = 0; i < object.parts.size() && !object.soft; ++i) {
    const ObjectPart& part = object.parts[i];
    out << "  <geom name=\"" << prefix << "_g" << i << "\" type=\"" << to_string(part.type);
    if (part.type == PrimitiveType::kMesh) {
      out << "\" mesh=\"" << prefix << "_m" << i;
    } else {
      out << "\" size=\"" << size_text(part);
    }
    out << "\" pos=\"" << vec_text(part.X_ObjPart.translation()) << "\" quat=\""
        << quat_text(part.X_ObjPart.linear()) << "\" material=\"" << prefix << "_mat\" ";
    if (part.collides) {
      out << "contype=\"1\" conaffinity=\"1\" condim=\"4\" friction=\"" << num(object.friction)
          << " 0.005 0.0001\" ";
      if (part.type == PrimitiveType::kMesh) {
        // An explicit mass: MuJoCo 2.2.2 gave convex meshes with round
        // outlines (hulls of cylinders, 8 to 96 facets) 4.5% less volume
        // than they enclose (measured: body mass / density against the enclosed
        // volume, while writing tests/sim/mesh_object_set_test.cc),
        // so density would not give the declared mass.
        out << "mass=\"" << num(object.density_kg_m3 * part.volume()) << "\"";
      } else {
        out << "density=\"" << num(object.density_kg_m3) << "\"";
      }
      out << " solref=\"0.004 1\" solimp=\"0.95 0.99 0.001\"";
      // A mesh object's collision pieces are hidden (group 3) behind its visual mesh.
      if (part.type == PrimitiveType::kMesh && has_visual_only_part(object)) out << " group=\"3\"";
      out << "/>\n";
    } else {
      out << "contype=\"0\" conaffinity=\"0\" density=\"0\" group=\"1\"/>\n";
    }
  }
  out << "  <site name=\"" << prefix
      << "_origin\" pos=\"0 0 0\" size=\"0.004\" group=\"4\" rgba=\"1 0 0 1\"/>\n";
  out << "</body>\n";
  return out.str();
}

}  // namespace dffeval
