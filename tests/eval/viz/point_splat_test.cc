// The point-splat renderer (projection, depth order, text) and PLY files.

#include "eval/viz/point_splat.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/input_error.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) { return fixtures::fresh_temp_dir("viz_" + name); }

bool is_white(const Eigen::Vector3f& c) { return c.minCoeff() > 0.99f; }

TEST(PointSplat, OpticalAxisProjectsToImageCentre) {
  const SplatCamera cam =
      look_at(Eigen::Vector3d(0.4, 0.1, 0.3), Eigen::Vector3d(0.0, 0.0, 0.05), 200, 150);
  Eigen::Vector2d uv;
  double depth = 0;
  ASSERT_TRUE(cam.project(Eigen::Vector3d(0.0, 0.0, 0.05), &uv, &depth));
  EXPECT_NEAR(uv.x(), 100.0, 1e-9);
  EXPECT_NEAR(uv.y(), 75.0, 1e-9);
  EXPECT_NEAR(depth, std::sqrt(0.4 * 0.4 + 0.1 * 0.1 + 0.25 * 0.25), 1e-12);
  // World +z is image up: a point above the target lands above the centre.
  ASSERT_TRUE(cam.project(Eigen::Vector3d(0.0, 0.0, 0.10), &uv, &depth));
  EXPECT_LT(uv.y(), 75.0);
  // Behind the camera: not projected.
  EXPECT_FALSE(cam.project(Eigen::Vector3d(0.8, 0.2, 0.55), &uv, &depth));
}

TEST(PointSplat, PointLandsWhereTheProjectionSays) {
  const SplatCamera cam =
      look_at(Eigen::Vector3d(0.3, -0.3, 0.25), Eigen::Vector3d(0.0, 0.0, 0.05), 160, 120);
  const Eigen::Vector3d p(0.03, 0.02, 0.08);
  Eigen::Vector2d uv;
  double depth = 0;
  ASSERT_TRUE(cam.project(p, &uv, &depth));
  // The projection by hand: p_C = X_WC^-1 p, u = f x / z + w / 2.
  const Eigen::Vector3d p_C = cam.X_WC.inverse() * p;
  EXPECT_NEAR(uv.x(), cam.focal_px() * p_C.x() / p_C.z() + 80.0, 1e-9);
  EXPECT_NEAR(uv.y(), cam.focal_px() * p_C.y() / p_C.z() + 60.0, 1e-9);

  SplatStyle style;
  style.point_radius_m = 0.001;
  style.min_radius_px = 1.5;
  const RgbImage im = splat_points(cam, {p}, {Eigen::Vector3f(1, 0, 0)}, style);
  ASSERT_EQ(im.width, 160);
  ASSERT_EQ(im.height, 120);
  const int u = static_cast<int>(std::floor(uv.x())), v = static_cast<int>(std::floor(uv.y()));
  const Eigen::Vector3f c = im.at(u, v);
  EXPECT_GT(c.x(), 0.7f);
  EXPECT_LT(c.y(), 0.1f);
  // Everything away from the splat stays background.
  int coloured = 0;
  for (int y = 0; y < im.height; ++y) {
    for (int x = 0; x < im.width; ++x) {
      if (is_white(im.at(x, y))) continue;
      ++coloured;
      EXPECT_LE(std::abs(x - u), 3);
      EXPECT_LE(std::abs(y - v), 3);
    }
  }
  EXPECT_GT(coloured, 0);
}

TEST(PointSplat, NearerPointWins) {
  const SplatCamera cam =
      look_at(Eigen::Vector3d(0.5, 0.0, 0.0), Eigen::Vector3d(0.0, 0.0, 0.0), 64, 64);
  // Two points on the optical axis: the nearer one (blue) hides the farther
  // (red), whatever the drawing order.
  const std::vector<Eigen::Vector3d> p = {{-0.05, 0, 0}, {0.05, 0, 0}};
  const RgbImage im = splat_points(cam, p, {Eigen::Vector3f(1, 0, 0), Eigen::Vector3f(0, 0, 1)});
  const Eigen::Vector3f c = im.at(32, 32);
  EXPECT_GT(c.z(), 0.7f);
  EXPECT_LT(c.x(), 0.1f);
  // Grey extra points in front of both are drawn in grey.
  GreyPoints hand;
  hand.p_W = {{0.2, 0, 0}};
  const RgbImage im2 = splat_points(cam, p, {Eigen::Vector3f(1, 0, 0), Eigen::Vector3f(0, 0, 1)},
                                    SplatStyle{}, &hand);
  const Eigen::Vector3f g = im2.at(32, 32);
  EXPECT_NEAR(g.x(), g.y(), 1e-6f);
  EXPECT_NEAR(g.y(), g.z(), 1e-6f);
}

TEST(PointSplat, TextAndStacking) {
  RgbImage a(20, 10, Eigen::Vector3f::Zero()), b(30, 14, Eigen::Vector3f::Zero());
  const RgbImage h = hstack({a, b}, 4);
  EXPECT_EQ(h.width, 54);
  EXPECT_EQ(h.height, 14);
  EXPECT_TRUE(is_white(h.at(22, 0)));  // the gap
  EXPECT_TRUE(is_white(h.at(5, 12)));  // below the shorter image
  const RgbImage v = vstack({a, b}, 4);
  EXPECT_EQ(v.width, 30);
  EXPECT_EQ(v.height, 28);
  RgbImage t(100, 20);
  draw_text(&t, 2, 2, "Ab1", Eigen::Vector3f::Zero(), 2);
  EXPECT_EQ(text_width_px("Ab1", 2), 34);
  EXPECT_FALSE(is_white(t.at(2 + 2 * 2, 2)));  // top bar of the 'A'
}

TEST(PointSplat, ShrunkAveragesBlocksAndKeepsNarrowImages) {
  RgbImage img(7, 4, Eigen::Vector3f::Zero());
  for (int v = 0; v < 4; ++v) img.set(0, v, Eigen::Vector3f::Ones());  // a white column
  const RgbImage half = shrunk(img, 4);  // factor 2: 3 x 2, the 7th column dropped
  EXPECT_EQ(half.width, 3);
  EXPECT_EQ(half.height, 2);
  EXPECT_NEAR(half.at(0, 0).x(), 0.5f, 1.0f / 255);
  EXPECT_NEAR(half.at(1, 1).x(), 0.0f, 1e-6);
  EXPECT_EQ(shrunk(img, 7).rgb, img.rgb);
  EXPECT_EQ(shrunk(img, 3).width, 2);  // factor 3
}

TEST(PointSplat, EncodePngGivesTheBytesWritePngWrites) {
  RgbImage img(5, 3, Eigen::Vector3f(0.2f, 0.4f, 0.6f));
  const std::vector<std::uint8_t> bytes = encode_png(img);
  ASSERT_GT(bytes.size(), 8u);
  EXPECT_EQ(bytes[0], 0x89);
  EXPECT_EQ(std::string(bytes.begin() + 1, bytes.begin() + 4), "PNG");
  const auto file = fixtures::fresh_temp_dir("encode_png") / "x.png";
  write_png(file, img);
  std::ifstream in(file, std::ios::binary);
  const std::vector<std::uint8_t> written{std::istreambuf_iterator<char>(in), {}};
  EXPECT_EQ(written, bytes);
  EXPECT_THROW(encode_png(RgbImage()), std::runtime_error);
}

TEST(Ply, RoundTripKeepsCountPositionsAndColours) {
  const fs::path dir = temp_dir("ply");
  std::vector<Eigen::Vector3d> p;
  std::vector<Eigen::Vector3f> c;
  for (int i = 0; i < 123; ++i) {
    p.emplace_back(0.001 * i, -0.002 * i, 0.5 + 0.0001 * i);
    c.emplace_back(i / 122.0f, 1.0f - i / 122.0f, 0.5f);
  }
  write_ply(dir / "cloud.ply", p, c);
  std::vector<Eigen::Vector3d> p2;
  std::vector<Eigen::Vector3f> c2;
  read_ply(dir / "cloud.ply", &p2, &c2);
  ASSERT_EQ(p2.size(), 123u);
  ASSERT_EQ(c2.size(), 123u);
  for (std::size_t i = 0; i < p.size(); ++i) {
    EXPECT_LT((p[i] - p2[i]).norm(), 1e-6);
    EXPECT_LT((c[i] - c2[i]).cwiseAbs().maxCoeff(), 1.0f / 255.0f);
  }
  EXPECT_THROW(write_ply(dir / "bad.ply", p, {}), std::invalid_argument);
  EXPECT_THROW(read_ply(dir / "missing.ply", &p2, &c2), std::runtime_error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dffeval
