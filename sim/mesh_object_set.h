#pragma once
// Objects read from meshes (scanned or modelled household objects) instead
// of drawn by a category's generator. A mesh object set is a folder with one
// sub-folder per object, each holding an `object.yaml`:
//
//   SET/
//     mug/object.yaml        # what the object is (below)
//     mug/mug.stl            # visual mesh (optional)
//     mug/contact0.stl ...   # convex collision pieces
//
//   category: mug              # a catalog category: its demonstrations (tasks),
//                              # part names and default symmetry
//   mesh_dir: .                # where the meshes are, relative to this file's
//                              # folder or absolute (default: the folder)
//   visual: mug.stl            # drawn only; without it the pieces are drawn
//   collision: [contact0.stl]  # convex pieces, or a pattern:
//   collision_glob: contact*.stl
//   scale: 1.0                 # multiplies mesh coordinates into metres
//   up_axis: +z                # the mesh axis that points up at rest (+-x, +-y, +-z)
//   yaw_deg: 0                 # then a turn about up, so canonical +x is where
//                              # the category wants it (a mug's handle)
//   origin_xy_m: [-0.017, 0]   # the canonical origin (the footprint centre, e.g.
//                              # a mug's cup axis) after scale, up and yaw;
//                              # default: the bounding box centre
//   mass_kg: 0.35              # or density_kg_m3 (exactly one)
//   friction: 0.85
//   rgb: [0.8, 0.8, 0.75]
//   symmetry: none             # none | half_turn_z | quarter_turn_z | continuous_z
//   parts:                     # required; in order, the first match wins; the last rule
//     - {part: handle, x_frac: [0.72, 1]}   # has no condition (the rest)
//     - {part: rim, z_frac: [0.93, 1], normal_z: [0.3, 1]}
//     - {part: body}
//
// (An exported catalog instance has `catalog_params:` instead of `parts:`,
// its shape parameters, so that its category's own part rules apply.)
//
// The canonical frame is then the catalog's (sim/object_catalog.h): +z up,
// the lowest point at z = 0, origin at origin_xy_m. x_frac, y_frac and
// z_frac are fractions of the object's bounding box in that frame (0 at its
// minimum, 1 at its maximum); normal_z bounds the outward normal's z and
// normal_radial its horizontal component away from the z axis (a bowl's
// inside: normal_radial: [-1, -0.3]).
//
// Every problem is an InputError naming the file (the YAML or the mesh) and
// the key or reason: a missing or empty mesh, one that is not closed, a
// collision piece that is not convex (sim/mesh_shape.h), an object smaller
// than 1 cm or larger than 0.6 m along an axis once scaled (a scale in
// millimetres left at 1 is the usual cause), an unknown part name, a last
// part rule with a condition, unknown keys.

#include <filesystem>
#include <vector>

#include "sim/object_catalog.h"

namespace dffeval {

/// Reads one object.yaml (and its meshes) into an instance whose parts are
/// the collision pieces (and the visual mesh, drawn only) in the canonical
/// frame, named after the YAML's folder.
ObjectInstance load_mesh_object(const std::filesystem::path& object_yaml);

/// Every object of a set: the sub-folders of `dir` that hold an object.yaml,
/// in name order. Throws InputError if `dir` is missing or holds none.
std::vector<ObjectInstance> load_mesh_object_set(const std::filesystem::path& dir);

/// Writes a catalog instance as a mesh object folder: each part as a convex
/// STL piece (cylinders, capsules and spheres with `segments` facets around)
/// and an object.yaml with its category, mass, friction and colour, in the
/// canonical frame (so it reads back where it was). For tests and for users
/// who want a starting point for their own objects.
void export_mesh_object(const ObjectInstance& object, const std::filesystem::path& dir,
                        int segments = 48);

/// The convex mesh of a primitive part in the object frame.
MeshShape primitive_part_mesh(const ObjectPart& part, int segments = 48);

}  // namespace dffeval
