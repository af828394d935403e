// The picture `dffeval transfer` writes, read back from the PNG: two panels
// (source + demonstration, target + optimized grasp) of two views each, the
// clouds coloured by a PCA shared between them and the hands in grey.

#include "eval/viz/transfer_picture.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fixtures/png_image.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

// Sizes fixed by transfer_picture.cc: 360 x 320 views, 8 px gaps.
constexpr int kWidth = 2 * 360 + 8;
constexpr int kHeight = 2 * 320 + 8;
constexpr int kPanelHeight = 320;

using fixtures::read_png;
using Png = fixtures::PngImage;

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// A can-like cloud: points on a cylinder of radius 4 cm and height 10 cm
/// at `offset`, with smooth features of the position (so a PCA finds them).
ObservationField cylinder(const Eigen::Vector3f& offset, float feature_shift = 0.0f) {
  ObservationField f;
  const int rings = 25, per_ring = 60;
  f.points.resize(rings * per_ring, 3);
  f.refined.resize(rings * per_ring, 6);
  for (int r = 0; r < rings; ++r) {
    for (int k = 0; k < per_ring; ++k) {
      const int i = r * per_ring + k;
      const float a = 2.0f * float(M_PI) * k / per_ring, z = 0.1f * r / (rings - 1);
      const Eigen::Vector3f p(0.04f * std::cos(a), 0.04f * std::sin(a), z);
      f.points.row(i) = (p + offset).transpose();
      f.refined.row(i) << std::cos(a), std::sin(a), 10 * z, std::sin(3 * a + feature_shift),
          std::cos(40 * z), 0.1f * k;
    }
  }
  return f;
}

/// A block of grey "hand" points above the cloud.
PointsF hand_block(const Eigen::Vector3f& centre) {
  PointsF h(8 * 8 * 4, 3);
  int i = 0;
  for (int x = 0; x < 8; ++x)
    for (int y = 0; y < 8; ++y)
      for (int z = 0; z < 4; ++z)
        h.row(i++) = (centre + Eigen::Vector3f(0.008f * x - 0.028f, 0.006f * y - 0.021f, 0.01f * z))
                         .transpose();
  return h;
}

bool is_white(const std::uint8_t* c) { return c[0] > 250 && c[1] > 250 && c[2] > 250; }
bool is_grey(const std::uint8_t* c) {
  return c[0] == c[1] && c[1] == c[2] && c[0] > 5 && c[0] < 250;
}
bool is_coloured(const std::uint8_t* c) {
  const int lo = std::min({c[0], c[1], c[2]}), hi = std::max({c[0], c[1], c[2]});
  return hi - lo > 30;
}

struct Counts {
  int grey = 0, coloured = 0, dark = 0;
};

Counts count(const Png& png, int v0, int v1) {
  Counts c;
  for (int v = v0; v < v1; ++v) {
    for (int u = 0; u < png.width; ++u) {
      const std::uint8_t* p = png.at(u, v);
      c.grey += is_grey(p);
      c.coloured += is_coloured(p);
      c.dark += p[0] < 40 && p[1] < 40 && p[2] < 40;
    }
  }
  return c;
}

/// Whether rows [v0, v1) of `a` equal rows [w0, w0 + v1 - v0) of `b`.
bool same_rows(const Png& a, int v0, int v1, const Png& b, int w0) {
  for (int v = v0; v < v1; ++v)
    for (int u = 0; u < a.width * 3; ++u)
      if (a.rgb[(std::size_t(v) * a.width) * 3 + u] !=
          b.rgb[(std::size_t(v - v0 + w0) * b.width) * 3 + u])
        return false;
  return true;
}

TEST(TransferPicture, TwoPanelsOfTwoViewsWithCloudsHandsAndTitles) {
  const fs::path file = fixtures::fresh_temp_dir("transfer_picture_layout") / "sub" / "t.png";
  const ObservationField source = cylinder(Eigen::Vector3f::Zero());
  const ObservationField target = cylinder(Eigen::Vector3f(0.02f, -0.01f, 0.0f), 0.5f);
  write_transfer_picture(file, source, target, hand_block(Eigen::Vector3f(0.02f, -0.01f, 0.13f)),
                         hand_block(Eigen::Vector3f(0, 0, 0.13f)));
  ASSERT_TRUE(fs::exists(file));  // the parent folder was created
  const Png png = read_png(file);
  ASSERT_EQ(png.width, kWidth);
  ASSERT_EQ(png.height, kHeight);
  // White gaps between the panels and between the two views of each.
  for (int u = 0; u < png.width; ++u)
    for (int v = kPanelHeight; v < kPanelHeight + 8; ++v)
      ASSERT_TRUE(is_white(png.at(u, v))) << u << "," << v;
  for (int v = 0; v < png.height; ++v)
    for (int u = 360; u < 368; ++u) ASSERT_TRUE(is_white(png.at(u, v))) << u << "," << v;
  EXPECT_TRUE(is_white(png.at(kWidth - 1, kHeight - 1)));
  // Each panel: a title in black at the top left, PCA colours, a grey hand.
  for (int v0 : {0, kPanelHeight + 8}) {
    const Counts title = count(png, v0 + 6, v0 + 20);
    EXPECT_GT(title.dark, 50) << "no title in the panel at row " << v0;
    const Counts panel = count(png, v0 + 20, v0 + kPanelHeight);
    EXPECT_GT(panel.coloured, 2000) << v0;
    EXPECT_GT(panel.grey, 200) << v0;
  }
}

TEST(TransferPicture, EqualFeaturesGetEqualColoursInBothPanels) {
  // Source and target the same cloud with the same features and hand: the
  // shared PCA colours them alike, so the panels match below their titles.
  const fs::path file = fixtures::fresh_temp_dir("transfer_picture_equal") / "t.png";
  const ObservationField cloud = cylinder(Eigen::Vector3f::Zero());
  const PointsF hand = hand_block(Eigen::Vector3f(0, 0, 0.13f));
  write_transfer_picture(file, cloud, cloud, hand, hand);
  const Png png = read_png(file);
  ASSERT_EQ(png.height, kHeight);
  EXPECT_TRUE(same_rows(png, 24, kPanelHeight, png, kPanelHeight + 8 + 24));
  // The titles differ ("source + demonstration", "target + optimized grasp").
  EXPECT_FALSE(same_rows(png, 0, 24, png, kPanelHeight + 8));
}

TEST(TransferPicture, TheOptimizedHandIsDrawnInTheTargetPanelOnly) {
  const fs::path dir = fixtures::fresh_temp_dir("transfer_picture_hand");
  const ObservationField source = cylinder(Eigen::Vector3f::Zero());
  const ObservationField target = cylinder(Eigen::Vector3f(0.01f, 0.0f, 0.0f), 0.3f);
  const PointsF demo = hand_block(Eigen::Vector3f(0, 0, 0.13f));
  write_transfer_picture(dir / "a.png", source, target, hand_block(Eigen::Vector3f(0, 0, 0.13f)),
                         demo);
  write_transfer_picture(dir / "b.png", source, target,
                         hand_block(Eigen::Vector3f(0.05f, 0.0f, 0.06f)), demo);
  const Png a = read_png(dir / "a.png"), b = read_png(dir / "b.png");
  ASSERT_EQ(a.height, kHeight);
  ASSERT_EQ(b.height, kHeight);
  EXPECT_TRUE(same_rows(a, 0, kPanelHeight, b, 0));
  EXPECT_FALSE(same_rows(a, kPanelHeight + 8, kHeight, b, kPanelHeight + 8));
}

TEST(TransferPicture, SameInputsSameFile) {
  const fs::path dir = fixtures::fresh_temp_dir("transfer_picture_repeat");
  const ObservationField source = cylinder(Eigen::Vector3f::Zero());
  const ObservationField target = cylinder(Eigen::Vector3f(0.0f, 0.02f, 0.0f), 1.0f);
  const PointsF hand = hand_block(Eigen::Vector3f(0, 0.02f, 0.13f));
  write_transfer_picture(dir / "a.png", source, target, hand, hand);
  write_transfer_picture(dir / "b.png", source, target, hand, hand);
  const std::string a = read_bytes(dir / "a.png");
  EXPECT_GT(a.size(), 1000u);
  EXPECT_EQ(a, read_bytes(dir / "b.png"));
}

}  // namespace
}  // namespace dffeval
