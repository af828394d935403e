#pragma once
// Triangle meshes of objects that no generator made (scanned household
// objects, CAD models): reading them from STL or OBJ, the checks that keep a
// bad file from reaching the simulator, and writing them back as STL.
//
// Why the checks: MuJoCo collides every mesh as its convex hull and computes
// a mesh's mass from its enclosed volume. A collision piece that is not
// convex would silently collide as its hull (fingers stopped by air inside a
// handle's opening), and an open or inconsistently wound mesh gives a wrong
// or negative volume, so a wrong mass. Reading and the mesh checks use
// Open3D (its STL/OBJ readers, edge/vertex manifold tests, convex hull and
// volume).

#include <Eigen/Geometry>
#include <filesystem>
#include <string>
#include <vector>

namespace dffeval {

/// A closed triangle mesh, metres, in whatever frame its owner says.
struct MeshShape {
  std::vector<Eigen::Vector3d> vertices;
  /// Vertex indices, counter-clockwise seen from outside.
  std::vector<Eigen::Vector3i> faces;

  /// Enclosed volume (divergence theorem), m^3; positive when the faces are
  /// wound outwards.
  double volume_m3() const;
  Eigen::AlignedBox3d bounds() const;
  /// The same mesh with every vertex mapped by X (a rotation keeps the winding).
  MeshShape transformed(const Eigen::Isometry3d& X) const;
};

/// What a mesh is used for: visual meshes are drawn only, collision pieces
/// also collide and carry the mass, so they must be convex.
enum class MeshRole { kVisual, kCollision };

/// Reads an STL (binary or ASCII) or OBJ file, merges duplicated vertices and
/// scales it by `scale` (mesh units to metres). Throws InputError naming the
/// file and the reason if the file is missing or unreadable or has no
/// triangles; a collision piece also if it is not closed and edge-manifold
/// (every edge in exactly two triangles), cannot be wound consistently, or
/// is not convex (its volume below 98% of its convex hull's: a convex
/// decomposition's pieces are hulls, so they pass with a margin). A visual
/// mesh is drawn only: an open scan (a bowl without its underside) loads.
MeshShape load_mesh(const std::filesystem::path& file, MeshRole role, double scale = 1.0);

/// The convex hull of `points` as a closed mesh wound outwards.
MeshShape convex_hull_mesh(const std::vector<Eigen::Vector3d>& points);

/// Writes a binary STL; throws std::runtime_error naming the file if it
/// cannot be written.
void write_stl(const std::filesystem::path& file, const MeshShape& mesh);

}  // namespace dffeval
