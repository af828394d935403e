#include "common/results_root.h"

#include <cstdlib>

#include "common/project_paths.h"

namespace dffeval {

bool running_installed() {
  if (const char* env = std::getenv("DFFEVAL_ROOT"); env && *env) return false;
  return project_root() != std::filesystem::path(DFFEVAL_SOURCE_DIR);
}

std::filesystem::path results_root() {
  if (const char* env = std::getenv("DFFEVAL_RESULTS"); env && *env) return env;
  if (running_installed()) return std::filesystem::current_path() / "results";
  return project_root() / "results";
}

}  // namespace dffeval
