#pragma once
// One entry of a suite's `object_sets`: a catalog set, whose instances the
// categories' generators draw (`seen`, `novel`), or a folder of objects read
// from meshes (sim/mesh_object_set.h), named by path:
//
//   object_sets:
//     - novel
//     - {mesh_dir: ../../assets/scanned_objects, name: scanned}
//
// `mesh_dir` is relative to the suite file's folder (or absolute); `name`
// (default: the folder's name) is what trial ids, records and tables call
// the set, so it must differ from `seen`, `novel` and the suite's other
// sets. A task runs on a mesh set's objects of its category, one after the
// other (trial k on the (k mod n)-th, in folder-name order); a task whose
// category the set lacks has no trials in that set. The suite's `instances`
// range applies to the catalog sets only.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/strict_yaml.h"
#include "sim/object_catalog.h"

namespace dffeval {

struct SuiteObjectSet {
  SuiteObjectSet() = default;
  /// A catalog set (lets a suite be written as `{InstanceSet::kSeen, ...}`).
  SuiteObjectSet(InstanceSet set);  // NOLINT(google-explicit-constructor)

  /// "seen", "novel", or the mesh set's name.
  std::string name;
  /// Set for a catalog set; empty for a mesh set.
  std::optional<InstanceSet> catalog;
  /// A mesh set's folder, as resolved, and its objects in name order.
  std::filesystem::path mesh_dir;
  std::vector<ObjectInstance> meshes;

  bool is_mesh() const { return !catalog.has_value(); }
  /// Objects of `category` this set gives trials: a mesh set's count of
  /// them (0 if it has none); for a catalog set, -1 (the suite's
  /// `instances` range decides).
  int mesh_count(const std::string& category) const;
  /// The object of a trial: for a catalog set instance `index` of the
  /// category; for a mesh set its `index`-th object of the category.
  ObjectInstance instance(const std::string& category, int index) const;
  /// A catalog set's name, or {"name", "mesh_dir", "objects"} for a mesh set.
  nlohmann::json to_json() const;

  bool operator==(const SuiteObjectSet& other) const {
    return name == other.name && catalog == other.catalog && mesh_dir == other.mesh_dir;
  }
};

/// Reads one element of a suite's `object_sets` (a string or a map with
/// `mesh_dir` and `name`); a relative mesh_dir is taken from `suite_dir`.
/// Loads a mesh set's objects. Throws InputError naming the suite file, the
/// key and the reason (or the object's file, for a bad mesh object).
SuiteObjectSet read_suite_object_set(const StrictYaml& element,
                                     const std::filesystem::path& suite_dir);

}  // namespace dffeval
