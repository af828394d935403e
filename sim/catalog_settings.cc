#include "sim/catalog_settings.h"

#include "common/project_paths.h"
#include "common/strict_yaml.h"

namespace dffeval {

CatalogSettings read_catalog_settings(const std::filesystem::path& file) {
  const StrictYaml y = StrictYaml::load_file(file);
  const StrictYaml counts = y.child("instances_per_set");
  CatalogSettings s;
  s.seen_instances = counts.get<int>("seen");
  s.novel_instances = counts.get<int>("novel");
  // Zero instances would leave suites nothing to draw from; say so here
  // rather than as an index error in the middle of a run.
  if (s.seen_instances < 1) counts.fail("seen", "must be at least 1");
  if (s.novel_instances < 1) counts.fail("novel", "must be at least 1");
  counts.reject_unknown_keys();
  y.reject_unknown_keys();
  return s;
}

const CatalogSettings& catalog_settings() {
  static const CatalogSettings kSettings =
      read_catalog_settings(require_project_file("config/catalog.yaml", "object catalog settings"));
  return kSettings;
}

}  // namespace dffeval
