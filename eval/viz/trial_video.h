#pragma once
// A short MP4 of one trial (`dffeval --record failures|all`): the trial
// rebuilt from its record (eval/viz/trial_replay.h), its grasp executed again
// from approach to the end of the hold (the force test is not filmed), seen
// from behind one of the scene's cameras, farther out so that the lift stays
// in view, every 1/fps seconds of simulated time, and the frames piped
// as raw RGB to the `ffmpeg` program (Debian's ffmpeg; H.264 in MP4, the
// format browsers play). Diagnostics only: the replay is deterministic, so
// the film is of the trial that was judged, and recording changes no record.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/grasp_executor.h"
#include "sim/rgbd_renderer.h"

namespace dffeval {

struct VideoSettings {
  /// Frames per second of simulated time (and of the film: real time).
  double fps = 25.0;
  /// The scene camera the film stands behind (its index in the scene's
  /// camera list), at this distance from the middle of the lift, looking
  /// down at this elevation.
  std::size_t camera = 0;
  double distance_m = 0.75;
  double elevation_deg = -25.0;
};

struct TrialVideo {
  std::filesystem::path file;
  int frames = 0;
  /// Wall-clock seconds spent: replay, rendering and encoding.
  double wall_time_s = 0.0;
};

/// Films the trial of `record` with the run's `execution` settings into
/// `mp4` (its folder created). A record without a grasp (method_error) is
/// filmed as the scene alone, one second. Throws InputError when ffmpeg is
/// missing or fails (naming the file) or the record cannot be replayed.
TrialVideo record_trial_video(const nlohmann::json& record, const ExecutionConfig& execution,
                              RgbdRenderer& renderer, const std::filesystem::path& mp4,
                              const VideoSettings& settings = {});

/// Whether the `ffmpeg` program is on the PATH (checked once per run, before
/// any trial, when videos are asked for).
bool ffmpeg_available();

}  // namespace dffeval
