#include "eval/harness/suite_object_set.h"

#include <fmt/format.h>

#include "sim/mesh_object_set.h"

namespace dffeval {

namespace fs = std::filesystem;

SuiteObjectSet::SuiteObjectSet(InstanceSet set) : name(to_string(set)), catalog(set) {}

int SuiteObjectSet::mesh_count(const std::string& category) const {
  if (catalog) return -1;
  int n = 0;
  for (const auto& m : meshes) n += m.category == category ? 1 : 0;
  return n;
}

ObjectInstance SuiteObjectSet::instance(const std::string& category, int index) const {
  if (catalog) return make_object_instance(category, *catalog, index);
  int seen = 0;
  for (const auto& m : meshes) {
    if (m.category != category) continue;
    if (seen++ == index) return m;
  }
  throw InputError(fmt::format("{}: object set '{}' has {} {} object(s), no index {}",
                               mesh_dir.string(), name, seen, category, index));
}

nlohmann::json SuiteObjectSet::to_json() const {
  if (catalog) return name;
  nlohmann::json objects = nlohmann::json::array();
  for (const auto& m : meshes) objects.push_back({{"name", m.mesh_name}, {"category", m.category}});
  return {{"name", name}, {"mesh_dir", mesh_dir.string()}, {"objects", objects}};
}

SuiteObjectSet read_suite_object_set(const StrictYaml& element, const fs::path& suite_dir) {
  if (!element.is_map()) {
    SuiteObjectSet s;
    try {
      s = SuiteObjectSet(instance_set_from_string(element.as<std::string>()));
    } catch (const InputError& e) {
      element.fail("", std::string(e.what()) + ", or a mesh set {mesh_dir: PATH}");
    }
    return s;
  }
  SuiteObjectSet s;
  const fs::path given = element.get<std::string>("mesh_dir");
  // Absolute, so that records name the object files wherever they are read.
  s.mesh_dir = fs::absolute(given.is_absolute() ? given : suite_dir / given).lexically_normal();
  if (!fs::is_directory(s.mesh_dir)) {
    element.fail("mesh_dir", fmt::format("{}: folder not found (a relative mesh_dir is taken "
                                         "from the suite file's folder)",
                                         s.mesh_dir.string()));
  }
  s.name = element.get_or<std::string>("name", s.mesh_dir.filename().string());
  if (s.name.empty() || s.name == "seen" || s.name == "novel" ||
      s.name.find_first_of("/ \t") != std::string::npos) {
    element.fail("name", fmt::format("'{}': a mesh set needs a name other than seen and novel, "
                                     "without '/' or spaces (it is part of every trial id)",
                                     s.name));
  }
  element.reject_unknown_keys();
  // The objects' own errors name their object.yaml or mesh file.
  s.meshes = load_mesh_object_set(s.mesh_dir);
  return s;
}

}  // namespace dffeval
