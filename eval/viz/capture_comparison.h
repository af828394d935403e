#pragma once
// A picture of what the depth sensor and calibration error did to a capture:
// per view, the ground-truth depth, the sensed depth (both as colour, the same
// scale, invalid pixels black) and their difference; below, the two
// back-projected clouds (truth with the true cameras, sensed with the
// reported ones) from the same viewpoint, cropped to the workspace.

#include <filesystem>

#include "types/observation.h"

namespace dffeval {

/// Writes the picture to `file`. `truth` and `sensed` must have the same
/// views (names and sizes); throws std::invalid_argument otherwise.
void write_capture_comparison(const std::filesystem::path& file, const Observation& truth,
                              const Observation& sensed);

}  // namespace dffeval
