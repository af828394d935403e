#pragma once
// Provenance recorded in every result file: what built and ran the result.

#include <nlohmann/json.hpp>

namespace dffeval {

/// {git_commit, mujoco_version, libtorch_version, host, compiler, time_utc}.
/// Library versions are filled in by the layers that link them
/// (see add_provenance_entry).
nlohmann::json provenance();

/// Lets a library that the common layer does not link (MuJoCo, LibTorch)
/// register its version string once at start-up.
void add_provenance_entry(const std::string& key, const std::string& value);

}  // namespace dffeval
