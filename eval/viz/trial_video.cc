#include "eval/viz/trial_video.h"

#include <fmt/format.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "common/input_error.h"
#include "common/stopwatch.h"
#include "eval/viz/trial_replay.h"
#include "sim/world.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

/// `text` quoted for the shell.
std::string shell_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// The frames go to ffmpeg's stdin; its messages to a log beside the film.
class FfmpegPipe {
 public:
  FfmpegPipe(const fs::path& mp4, int width, int height, double fps)
      : mp4_(mp4), log_(mp4.string() + ".log") {
    // A dead encoder must be an error we report, not a SIGPIPE that ends
    // the run.
    std::signal(SIGPIPE, SIG_IGN);
    const std::string cmd = fmt::format(
        "ffmpeg -nostdin -loglevel error -y -f rawvideo -pix_fmt rgb24 -s {}x{} -r {} -i - "
        "-c:v libx264 -preset veryfast -pix_fmt yuv420p -movflags +faststart {} 2> {}",
        width, height, fps, shell_quoted(mp4.string()), shell_quoted(log_.string()));
    pipe_ = popen(cmd.c_str(), "w");
    if (!pipe_) throw InputError(fmt::format("{}: cannot start ffmpeg", mp4.string()));
  }
  ~FfmpegPipe() {
    if (pipe_) pclose(pipe_);
  }
  void write(const std::vector<std::uint8_t>& rgb) {
    ok_ = ok_ && std::fwrite(rgb.data(), 1, rgb.size(), pipe_) == rgb.size();
  }
  /// Waits for ffmpeg; throws InputError with its messages if it failed.
  void finish() {
    const int status = pclose(pipe_);
    pipe_ = nullptr;
    std::ifstream in(log_);
    const std::string log{std::istreambuf_iterator<char>(in), {}};
    if (!ok_ || status != 0)
      throw InputError(fmt::format("{}: ffmpeg failed (exit status {}): {}", mp4_.string(), status,
                                   log.empty() ? "no message" : log));
    std::error_code ec;
    fs::remove(log_, ec);
  }

 private:
  fs::path mp4_, log_;
  FILE* pipe_ = nullptr;
  bool ok_ = true;
};

}  // namespace

bool ffmpeg_available() { return std::system("ffmpeg -version > /dev/null 2>&1") == 0; }

TrialVideo record_trial_video(const nlohmann::json& record, const ExecutionConfig& execution,
                              RgbdRenderer& renderer, const fs::path& mp4,
                              const VideoSettings& settings) {
  const auto t0 = SteadyClock::now();
  DrawnScene scene;
  Grasp grasp;
  bool has_grasp = false;
  try {
    scene = redraw_scene(record);
    has_grasp = record.contains("grasp");
    if (has_grasp) grasp = grasp_from_record(record.at("grasp"));
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("trial {}: not a trial record: {}", record_id(record), e.what()));
  }
  if (settings.camera >= scene.cameras.size())
    throw InputError(fmt::format("trial {}: no camera {} (the scene has {})", record_id(record),
                                 settings.camera, scene.cameras.size()));
  if (!(settings.fps > 0.0 && settings.fps <= 240.0))
    throw InputError(fmt::format("video fps {} outside (0, 240]", settings.fps));
  const auto world = World::compose(scene);
  const MjDataPtr d = world->make_settled_data();
  if (mp4.has_parent_path()) fs::create_directories(mp4.parent_path());
  // The scene's cameras frame the table top: a lifted object leaves their
  // view. The film stands behind the chosen one, farther out and looking at
  // the middle of the lift, so that approach, closing and lift are all seen.
  const Eigen::Vector3d object = world->body_pose(d.get(), world->target_body()).translation();
  Viewpoint viewpoint;
  viewpoint.lookat_m = object + Eigen::Vector3d(0, 0, 0.5 * execution.lift_height_m + 0.03);
  const Eigen::Vector3d forward =
      viewpoint.lookat_m - scene.cameras[settings.camera].X_WC.translation();
  viewpoint.azimuth_deg = std::atan2(forward.y(), forward.x()) * 180.0 / M_PI;
  viewpoint.elevation_deg = settings.elevation_deg;
  viewpoint.distance_m = settings.distance_m;
  const auto& camera = scene.cameras[0];  // the frame size (render_viewpoint)
  FfmpegPipe ffmpeg(mp4, camera.width, camera.height, settings.fps);

  TrialVideo video;
  video.file = mp4;
  auto frame = [&](const mjData& state) {
    // Rendering reads the state; MuJoCo's API takes it non-const.
    ffmpeg.write(renderer.render_viewpoint(*world, const_cast<mjData*>(&state), viewpoint));
    ++video.frames;
  };
  frame(*d);
  const double period_s = 1.0 / settings.fps;
  const double start_s = d->time;
  if (has_grasp) {
    execute_grasp(*world, d.get(), grasp, execution, [&](const mjData& state) {
      if (state.time - start_s >= video.frames * period_s) frame(state);
    });
  } else {
    for (int i = 1; i < static_cast<int>(settings.fps); ++i) frame(*d);  // one second of scene
  }
  ffmpeg.finish();
  video.wall_time_s = seconds_since(t0);
  return video;
}

}  // namespace dffeval
