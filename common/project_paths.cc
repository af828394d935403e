#include "common/project_paths.h"

#include <fmt/format.h>

#include <cstdlib>

#include "common/input_error.h"

namespace dffeval {

std::filesystem::path project_root() {
  if (const char* env = std::getenv("DFFEVAL_ROOT"); env && *env) return env;
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

}  // namespace dffeval
