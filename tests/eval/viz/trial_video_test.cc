// A trial filmed by the real renderer and encoded by the real ffmpeg: the
// MP4 decodes (ffprobe) to the frames of the execution at 25 per simulated
// second, 320 x 240, the object lifted between the first frame and the last;
// a camera the scene does not have is refused.

#include "eval/viz/trial_video.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "common/input_error.h"
#include "tests/fixtures/oracle_trial.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

using fixtures::OracleTrial;

const OracleTrial& oracle_trial() { return fixtures::oracle_can_trial(); }

std::string command_output(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  pclose(p);
  return out;
}

TEST(TrialVideo, FilmsTheExecutionAtTheFrameRate) {
  ASSERT_TRUE(ffmpeg_available()) << "ffmpeg missing (scripts/install_deps.sh installs it)";
  const OracleTrial& t = oracle_trial();
  ASSERT_TRUE(t.result.success) << t.result.record.dump();
  const fs::path mp4 = fixtures::fresh_temp_dir("trial_video") / "v" / "can.mp4";
  RgbdRenderer renderer;
  const TrialVideo v = record_trial_video(t.result.record, t.suite.execution, renderer, mp4);
  ASSERT_TRUE(fs::is_regular_file(mp4));
  EXPECT_FALSE(fs::exists(mp4.string() + ".log"));
  const double sim_s = t.result.record["execution"]["sim_time_s"].get<double>();
  EXPECT_NEAR(v.frames, 1 + sim_s * 25.0, 2.0);
  EXPECT_GT(v.wall_time_s, 0.0);
  const std::string probe = command_output(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
      "stream=codec_name,width,height,nb_read_frames -of csv=p=0 " +
      mp4.string());
  EXPECT_EQ(probe, "h264,320,240," + std::to_string(v.frames) + "\n");
  // The first and the last frame differ: the hand came in and lifted.
  const std::string raw =
      command_output("ffmpeg -v error -i " + mp4.string() + " -f rawvideo -pix_fmt gray -");
  const std::size_t frame = 320 * 240;
  ASSERT_EQ(raw.size(), frame * v.frames);
  double diff = 0.0;
  for (std::size_t i = 0; i < frame; ++i)
    diff += std::abs(static_cast<unsigned char>(raw[i]) -
                     static_cast<unsigned char>(raw[raw.size() - frame + i]));
  EXPECT_GT(diff / frame, 2.0) << "first and last frames nearly equal";
}

TEST(TrialVideo, ACameraTheSceneDoesNotHaveIsRefused) {
  const OracleTrial& t = oracle_trial();
  RgbdRenderer renderer;
  VideoSettings s;
  s.camera = 9;
  const fs::path mp4 = fixtures::fresh_temp_dir("trial_video_bad") / "x.mp4";
  EXPECT_THROW(record_trial_video(t.result.record, t.suite.execution, renderer, mp4, s),
               InputError);
  EXPECT_FALSE(fs::exists(mp4));
}

}  // namespace
}  // namespace dffeval
