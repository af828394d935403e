#pragma once
// The on-disk capture layout, shared by rendered scenes (`dffeval render`)
// and real RGB-D captures:
//
//   DIR/cameras.json        {"format": "dffeval-capture-v1", "depth_unit_m": 0.001,
//                            "views": [{"name", "width", "height",
//                                       "K": [fx, 0, cx, 0, fy, cy, 0, 0, 1],
//                                       "X_WC": {"pos": [..], "quat_wxyz": [..]},
//                                       "rgb": "cam0_rgb.png", "depth": "cam0_depth.png"}]}
//   DIR/<name>_rgb.png      8-bit RGB
//   DIR/<name>_depth.png    16-bit grey, depth along the optical axis in
//                           units of depth_unit_m (millimetres); 0 = invalid
//
// Camera frames follow the OpenCV convention (see observation.h).

#include <filesystem>
#include <nlohmann/json.hpp>

#include "types/observation.h"

namespace dffeval {

/// Writes the views into dir (created if needed). `extra` is merged into
/// cameras.json (e.g. the scene that was rendered).
void save_observation(const Observation& obs, const std::filesystem::path& dir,
                      const nlohmann::json& extra = {});

/// Reads a capture. Throws InputError naming the file and the reason
/// (missing file, size mismatch, bad intrinsics).
Observation load_observation(const std::filesystem::path& dir);

/// Reads cameras.json only (to get fields written through `extra`).
nlohmann::json load_capture_metadata(const std::filesystem::path& dir);

/// 8-bit RGB PNG writer used for pictures.
void write_rgb_png(const std::filesystem::path& file, int width, int height,
                   const std::vector<std::uint8_t>& rgb);

}  // namespace dffeval
