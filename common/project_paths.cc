#include "common/project_paths.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "common/input_error.h"

namespace dffeval {

std::filesystem::path project_root() {
  if (const char* env = std::getenv("DFFEVAL_ROOT"); env && *env) return env;
  // An installed binary (PREFIX/bin/dffeval, `cmake --install`) reads the
  // data installed beside it, PREFIX/share/dffeval, before the source tree
  // it was built from (which may have moved on, or gone).
  static const std::filesystem::path installed = [] {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return std::filesystem::path();
    const auto share = exe.parent_path().parent_path() / "share" / "dffeval";
    return std::filesystem::exists(share / "assets" / "shadow_hand.xml", ec)
               ? share
               : std::filesystem::path();
  }();
  if (!installed.empty()) return installed;
  return DFFEVAL_SOURCE_DIR;
}

std::filesystem::path require_project_file(const std::string& relative, const std::string& what) {
  std::filesystem::path p = project_root() / relative;
  if (!std::filesystem::exists(p)) {
    throw InputError(fmt::format("{}: {} not found (project root {}; set DFFEVAL_ROOT to move it)",
                                 p.string(), what, project_root().string()));
  }
  return p;
}

std::vector<std::string> list_yaml_names(const std::string& relative_dir) {
  std::vector<std::string> names;
  const auto dir = project_root() / relative_dir;
  if (std::filesystem::is_directory(dir)) {
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::filesystem::path resolve_project_path(const std::string& path) {
  const std::filesystem::path p(path);
  return p.is_absolute() ? p : project_root() / p;
}

}  // namespace dffeval
