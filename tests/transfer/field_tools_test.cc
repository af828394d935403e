// Tests of the field inspection tools: the point-splat renderer, shared PCA
// colours, PLY files, and a small `fieldeval` run.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/input_error.h"
#include "eval/feature_colors.h"
#include "eval/field_evaluation.h"
#include "eval/field_views.h"
#include "eval/point_splat.h"
#include "pipeline/point_featurizer.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() /
                       ("dffeval_field_tools_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

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

TEST(FeatureColors, IdenticalFeaturesGetIdenticalColoursAcrossClouds) {
  // Cloud b holds a's rows in another order plus rows of its own.
  FeaturesF a(50, 8), b(70, 8);
  for (int i = 0; i < 50; ++i)
    for (int d = 0; d < 8; ++d) a(i, d) = std::sin(0.37f * i * (d + 1) + d);
  for (int i = 0; i < 70; ++i)
    for (int d = 0; d < 8; ++d) b(i, d) = i < 50 ? a(49 - i, d) : std::cos(0.21f * i + 0.5f * d);
  const SharedPca pca = fit_shared_pca(a, b);
  const auto ca = pca_colors(pca, a);
  const auto cb = pca_colors(pca, b);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(ca[i], cb[49 - i]) << i;
    EXPECT_GE(ca[i].minCoeff(), 0.0f);
    EXPECT_LE(ca[i].maxCoeff(), 1.0f);
  }
  // The same data give the same fit (colours are reproducible).
  const SharedPca again = fit_shared_pca(a, b);
  EXPECT_EQ(pca.components, again.components);
  EXPECT_EQ(pca.lo, again.lo);
  EXPECT_GT(pca.explained_variance_ratio.sum(), 0.3f);
  EXPECT_LE(pca.explained_variance_ratio.sum(), 1.0f + 1e-5f);
}

TEST(FeatureColors, SimilarityMetrics) {
  FeaturesF f(3, 2);
  f << 1, 0, 0, 1, -2, 0;
  const Eigen::RowVectorXf ref = f.row(0);
  const Eigen::VectorXf cos = feature_similarity(f, ref, SimilarityMetric::kCosine);
  EXPECT_FLOAT_EQ(cos(0), 1.0f);
  EXPECT_NEAR(cos(1), 0.0f, 1e-7f);
  EXPECT_FLOAT_EQ(cos(2), -1.0f);
  const Eigen::VectorXf l2 = feature_similarity(f, ref, SimilarityMetric::kL2);
  EXPECT_FLOAT_EQ(l2(0), 0.0f);
  EXPECT_FLOAT_EQ(l2(1), -std::sqrt(2.0f));
  EXPECT_FLOAT_EQ(l2(2), -3.0f);
  EXPECT_EQ(parse_similarity_metric("cosine"), SimilarityMetric::kCosine);
  EXPECT_THROW(parse_similarity_metric("dot"), std::invalid_argument);
  const auto colours = similarity_colors(l2, -3.0f, 0.0f);
  EXPECT_EQ(colours[0], similarity_ramp(1.0f));
  EXPECT_EQ(colours[2], similarity_ramp(0.0f));
  EXPECT_NE(similarity_ramp(0.0f), similarity_ramp(1.0f));
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

TEST(FieldEval, SmallRunWritesTheDocumentedKeys) {
  const fs::path dir = temp_dir("fieldeval");
  FieldEvalOptions o;
  o.pairs = 1;
  o.categories = {"mug"};
  // Both shipped backbones: the learned one's weights are in assets/backbone/
  // (the default backbone), so a missing or unreadable file fails this test.
  o.backbones = {"learned", "geometric"};
  o.samples = 60;
  o.out = dir.string();
  o.cache_dir = "off";  // no files outside the test's folder
  std::ostringstream log;
  ASSERT_EQ(run_fieldeval(o, log), 0) << log.str();
  std::ifstream in(dir / "fieldeval.json");
  ASSERT_TRUE(in.good());
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["tool"], "fieldeval");
  EXPECT_TRUE(fs::exists(dir / "fieldeval.md"));
  ASSERT_EQ(j["entries"].size(), 3 * o.backbones.size());  // backbones x 3 variants
  std::set<std::pair<std::string, std::string>> seen;
  auto finite = [](const nlohmann::json& x) {
    return x.is_number() && std::isfinite(x.get<double>());
  };
  for (const auto& e : j["entries"]) {
    seen.emplace(e["backbone"].get<std::string>(), e["variant"].get<std::string>());
    ASSERT_TRUE(finite(e["cross_view_distance"])) << e.dump();
    EXPECT_GE(e["cross_view_distance"].get<double>(), 0.0);
    EXPECT_LE(e["cross_view_distance"].get<double>(), 2.0 + 1e-6);  // unit vectors
    for (const char* which : {"same_instance", "other_instance"}) {
      const auto& c = e["correspondence_error_cm"][which];
      ASSERT_TRUE(finite(c)) << e.dump();
      EXPECT_GE(c.get<double>(), 0.0);
      EXPECT_LT(c.get<double>(), 100.0);  // objects are ~10 cm
      EXPECT_TRUE(finite(e["correspondence_error_symmetric_cm"][which]));
      EXPECT_LE(e["correspondence_error_symmetric_cm"][which].get<double>(),
                c.get<double>() + 1e-9);
    }
  }
  for (const std::string& b : o.backbones)
    for (const char* v : {"raw", "refined", "refined+pruned"}) EXPECT_TRUE(seen.count({b, v}));
  EXPECT_TRUE(finite(j["chance_level_cm"]["same_instance"]));
  ASSERT_EQ(j["scenes"].size(), 1u);
  EXPECT_EQ(j["scenes"][0]["category"], "mug");
  fs::remove_all(dir);
}

TEST(FieldViews, DefaultScenesWriteEveryPicture) {
  const fs::path dir = temp_dir("vis");
  VisOptions o;
  o.mode = "all";
  o.backbone = "geometric";
  o.grid = 16;
  o.out = dir.string();
  o.cache_dir = "off";
  o.panel_width = 160;
  o.panel_height = 128;
  std::ostringstream log;
  ASSERT_EQ(run_vis(o, log), 0) << log.str();
  for (const char* f :
       {"similarity.png", "volume.png", "pca.png", "pca_raw.png", "similarity_ref.ply",
        "similarity_test.ply", "volume.ply", "pca_ref.ply", "pca_test.ply"}) {
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  }
  std::vector<Eigen::Vector3d> p;
  std::vector<Eigen::Vector3f> c;
  read_ply(dir / "pca_ref.ply", &p, &c);
  EXPECT_GT(p.size(), 100u);
  // Bad options are input errors.
  o.metric = "dot";
  EXPECT_THROW(run_vis(o, log), InputError);
  o.metric = "cosine";
  o.ref_dir = dir.string();  // --ref without --test
  EXPECT_THROW(run_vis(o, log), InputError);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dffeval
