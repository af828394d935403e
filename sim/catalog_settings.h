#pragma once
// Object catalog settings (config/catalog.yaml): how many instances each set
// holds. A setting rather than a constant so that suites can grow without a
// rebuild; the instances themselves do not depend on it (see
// sim/object_catalog.h).

#include <filesystem>

#include "sim/object_catalog.h"

namespace dffeval {

struct CatalogSettings {
  /// Instances per category in each set (indices 0..N-1), each >= 1.
  int seen_instances = 0;
  int novel_instances = 0;

  int instances(InstanceSet set) const {
    return set == InstanceSet::kSeen ? seen_instances : novel_instances;
  }
};

/// Reads a catalog settings file. Throws InputError naming the file and the
/// key for a missing file, a missing, unknown or non-integer key, or a count
/// below 1.
CatalogSettings read_catalog_settings(const std::filesystem::path& file);

/// config/catalog.yaml under the project root, read on the first call (the
/// settings of a process never change mid-run). Thread-safe.
const CatalogSettings& catalog_settings();

}  // namespace dffeval
