// The sensor-vs-truth picture of `dffeval render`, read back from the PNG:
// one row of three panels per view (truth depth, sensed depth, difference),
// holes white in the difference panel and black in the depth panel, and
// mismatched captures refused.

#include "eval/viz/capture_comparison.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>
#include <vector>

#include "tests/fixtures/png_image.h"
#include "tests/fixtures/synthetic_views.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

using fixtures::read_png;
using Png = fixtures::PngImage;

bool is_white(const std::uint8_t* p) { return p[0] > 250 && p[1] > 250 && p[2] > 250; }
bool is_black(const std::uint8_t* p) { return p[0] < 5 && p[1] < 5 && p[2] < 5; }

TEST(CaptureComparison, ShowsHolesAndDifferencesPerView) {
  // A 64 x 48 plane at 0.5 m; the sensed copy has a 10 x 10 hole at its
  // centre-right and is 4 mm deeper elsewhere.
  Observation truth, sensed;
  for (const char* name : {"cam0", "cam1"}) {
    CameraView t = fixtures::flat_view(64, 48, 0.5f);
    t.name = name;
    CameraView s = t;
    for (float& z : s.depth_m) z += 0.004f;
    for (int v = 19; v < 29; ++v)
      for (int u = 40; u < 50; ++u) s.depth_m[std::size_t(v) * 64 + u] = 0.0f;
    truth.views.push_back(t);
    sensed.views.push_back(s);
  }
  const fs::path file = fixtures::fresh_temp_dir("viz_capture_comparison") / "cmp.png";
  write_capture_comparison(file, truth, sensed);
  const Png png = read_png(file);
  // Three 64-px panels with 8-px gaps: at least 208 wide, two 48-px rows.
  ASSERT_GE(png.width, 3 * 64 + 2 * 8);
  ASSERT_GE(png.height, 2 * 48 + 8);
  const int sensed_x = 64 + 8, diff_x = 2 * (64 + 8);
  for (int row = 0; row < 2; ++row) {
    const int y = row * (48 + 8) + 24;
    // The hole: black in the sensed depth, white in the difference.
    EXPECT_TRUE(is_black(png.at(sensed_x + 45, y))) << row;
    EXPECT_TRUE(is_white(png.at(diff_x + 45, y))) << row;
    // Elsewhere the depth is drawn (not black) and the 4 mm difference is
    // neither a hole (white) nor zero (the ramp's dark-blue start).
    EXPECT_FALSE(is_black(png.at(sensed_x + 10, y + 15))) << row;
    const std::uint8_t* d = png.at(diff_x + 10, y + 15);
    EXPECT_FALSE(is_white(d)) << row;
    EXPECT_FALSE(is_black(d)) << row;
    // The truth panel has no hole there.
    EXPECT_FALSE(is_black(png.at(45, y))) << row;
  }
}

TEST(CaptureComparison, MismatchedCapturesAreRefused) {
  Observation truth, sensed;
  truth.views.push_back(fixtures::flat_view(32, 24, 0.5f));
  const fs::path file = fixtures::fresh_temp_dir("viz_capture_mismatch") / "cmp.png";
  EXPECT_THROW(write_capture_comparison(file, truth, sensed), std::invalid_argument);
  sensed.views.push_back(fixtures::flat_view(16, 24, 0.5f));
  EXPECT_THROW(write_capture_comparison(file, truth, sensed), std::invalid_argument);
  EXPECT_FALSE(fs::exists(file));
}

}  // namespace
}  // namespace dffeval
