#include "sim/mesh_shape.h"

#include <fmt/format.h>
#include <open3d/geometry/TriangleMesh.h>
#include <open3d/io/TriangleMeshIO.h>
#include <open3d/utility/Logging.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>

#include "common/input_error.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

/// A collision piece whose volume is below this fraction of its convex
/// hull's is not convex.
constexpr double kConvexVolumeFraction = 0.98;

MeshShape from_open3d(const open3d::geometry::TriangleMesh& m) {
  MeshShape out;
  out.vertices.assign(m.vertices_.begin(), m.vertices_.end());
  out.faces.assign(m.triangles_.begin(), m.triangles_.end());
  return out;
}

[[noreturn]] void fail(const fs::path& file, const std::string& reason) {
  throw InputError(fmt::format("{}: {}", file.string(), reason));
}

}  // namespace

double MeshShape::volume_m3() const {
  double six_v = 0;
  for (const Eigen::Vector3i& f : faces) {
    six_v += vertices[f[0]].dot(vertices[f[1]].cross(vertices[f[2]]));
  }
  return six_v / 6.0;
}

Eigen::AlignedBox3d MeshShape::bounds() const {
  Eigen::AlignedBox3d box;
  for (const Eigen::Vector3d& v : vertices) box.extend(v);
  return box;
}

MeshShape MeshShape::transformed(const Eigen::Isometry3d& X) const {
  MeshShape out = *this;
  for (Eigen::Vector3d& v : out.vertices) v = X * v;
  return out;
}

MeshShape load_mesh(const fs::path& file, MeshRole role, double scale) {
  if (!fs::exists(file)) fail(file, "mesh file not found");
  if (fs::is_directory(file)) fail(file, "is a folder, not a mesh file");
  const std::string ext = file.extension().string();
  if (ext != ".stl" && ext != ".STL" && ext != ".obj" && ext != ".OBJ")
    fail(file, "unsupported mesh format '" + ext + "' (use .stl or .obj)");
  if (!(scale > 0 && scale < 1e3))
    fail(file, fmt::format("scale must be in (0, 1000), got {}", scale));
  open3d::utility::SetVerbosityLevel(open3d::utility::VerbosityLevel::Error);
  open3d::geometry::TriangleMesh m;
  open3d::io::ReadTriangleMeshOptions options;
  options.enable_post_processing = false;
  options.print_progress = false;
  if (fs::file_size(file) == 0 || !open3d::io::ReadTriangleMesh(file.string(), m, options))
    fail(file, "cannot be read as a triangle mesh (empty or malformed)");
  if (m.triangles_.empty()) fail(file, "has no triangles");
  for (const Eigen::Vector3d& v : m.vertices_)
    if (!v.allFinite()) fail(file, "has a non-finite vertex coordinate");
  // STL stores three corners per triangle: shared corners become one vertex.
  m.RemoveDuplicatedVertices();
  m.RemoveDegenerateTriangles();
  if (m.triangles_.empty()) fail(file, "has only degenerate triangles");
  if (role == MeshRole::kVisual) {
    // Drawn only: an open scan (a bowl without its underside) is fine.
    MeshShape shape = from_open3d(m);
    for (Eigen::Vector3d& v : shape.vertices) v *= scale;
    return shape;
  }
  if (!m.IsEdgeManifold(/*allow_boundary_edges=*/false)) {
    fail(file,
         "is not a closed manifold mesh (an edge is not shared by exactly two triangles): MuJoCo "
         "needs closed meshes to compute volume and mass");
  }
  if (!m.IsVertexManifold()) fail(file, "is not vertex-manifold (two surfaces meet at a vertex)");
  if (!m.IsOrientable()) fail(file, "cannot be wound consistently (not orientable)");
  MeshShape shape = from_open3d(m);
  for (Eigen::Vector3d& v : shape.vertices) v *= scale;
  if (shape.volume_m3() < 0) {
    // Wound inwards throughout: turn every face.
    for (Eigen::Vector3i& f : shape.faces) std::swap(f[1], f[2]);
  }
  {
    const double volume = shape.volume_m3();
    const double hull = convex_hull_mesh(shape.vertices).volume_m3();
    if (!(hull > 0) || volume < kConvexVolumeFraction * hull) {
      fail(file, fmt::format("collision piece is not convex (volume {:.3g} m^3 is {:.1f}% of its "
                             "convex hull's; MuJoCo would collide it as the hull): split it into "
                             "convex pieces",
                             volume, hull > 0 ? 100.0 * volume / hull : 0.0));
    }
  }
  return shape;
}

MeshShape convex_hull_mesh(const std::vector<Eigen::Vector3d>& points) {
  open3d::geometry::TriangleMesh cloud;
  cloud.vertices_.assign(points.begin(), points.end());
  auto [hull, indices] = cloud.ComputeConvexHull();
  (void)indices;
  MeshShape out = from_open3d(*hull);
  // Wind every face outwards: its normal must point away from the centroid
  // (the hull is convex, so the centroid is inside).
  Eigen::Vector3d c = Eigen::Vector3d::Zero();
  for (const Eigen::Vector3d& v : out.vertices) c += v;
  c /= static_cast<double>(std::max<std::size_t>(out.vertices.size(), 1));
  for (Eigen::Vector3i& f : out.faces) {
    const Eigen::Vector3d& a = out.vertices[f[0]];
    const Eigen::Vector3d n = (out.vertices[f[1]] - a).cross(out.vertices[f[2]] - a);
    if (n.dot(a - c) < 0) std::swap(f[1], f[2]);
  }
  return out;
}

void write_stl(const fs::path& file, const MeshShape& mesh) {
  std::ofstream out(file, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write " + file.string());
  char header[80] = {};
  std::strncpy(header, "dffeval binary STL", sizeof(header) - 1);
  out.write(header, sizeof(header));
  const auto count = static_cast<std::uint32_t>(mesh.faces.size());
  out.write(reinterpret_cast<const char*>(&count), sizeof(count));
  for (const Eigen::Vector3i& f : mesh.faces) {
    const Eigen::Vector3d& a = mesh.vertices[f[0]];
    const Eigen::Vector3d& b = mesh.vertices[f[1]];
    const Eigen::Vector3d& c = mesh.vertices[f[2]];
    const Eigen::Vector3f n = (b - a).cross(c - a).normalized().cast<float>();
    float values[12] = {n.x(), n.y(), n.z()};
    for (int k = 0; k < 3; ++k) {
      const Eigen::Vector3f p = mesh.vertices[f[k]].cast<float>();
      values[3 + 3 * k] = p.x();
      values[4 + 3 * k] = p.y();
      values[5 + 3 * k] = p.z();
    }
    out.write(reinterpret_cast<const char*>(values), sizeof(values));
    const std::uint16_t attributes = 0;
    out.write(reinterpret_cast<const char*>(&attributes), sizeof(attributes));
  }
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace dffeval
