#pragma once
// Where the project's data lives: $DFFEVAL_ROOT if set, else the data
// installed beside the binary (PREFIX/share/dffeval for PREFIX/bin/dffeval),
// else the source tree, which is compiled in.

#include <filesystem>
#include <string>
#include <vector>

namespace dffeval {

/// The project root holding assets/, scenes/ and config/.
std::filesystem::path project_root();

/// `path` under the project root when relative, unchanged when absolute.
std::filesystem::path resolve_project_path(const std::string& path);

/// `relative` under the project root; throws InputError naming the path (and
/// `what`, e.g. "hand model") if it does not exist.
std::filesystem::path require_project_file(const std::string& relative, const std::string& what);

/// Sorted stems of the *.yaml files in `relative_dir` under the project root
/// (the names of suites, scene sets, tasks).
std::vector<std::string> list_yaml_names(const std::string& relative_dir);

}  // namespace dffeval
