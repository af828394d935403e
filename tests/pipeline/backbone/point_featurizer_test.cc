// Feature maps sampled at pixels, and the featurizer factory.

#include "pipeline/backbone/point_featurizer.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/input_error.h"

namespace fs = std::filesystem;

namespace dffeval {
namespace {

// value(c, y, x) = 100 c + 10 y + x: bilinear interpolation reproduces it
// exactly inside the grid.
FeatureMap ramp_map(int C, int H, int W, double stride) {
  FeatureMap m;
  m.channels = C;
  m.height = H;
  m.width = W;
  m.stride_px = stride;
  for (int c = 0; c < C; ++c)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) m.data.push_back(100.f * c + 10.f * y + x);
  return m;
}

TEST(SampleFeatures, BilinearIsExactOnARampAndClampsAtTheBorder) {
  const FeatureMap m = ramp_map(2, 3, 4, 2.0);
  // Pixel (u, v) -> cell ((u + 0.5) / 2 - 0.5, (v + 0.5) / 2 - 0.5).
  const std::vector<Eigen::Vector2i> px = {{2, 1}, {3, 2}, {5, 4}, {0, 0}, {7, 5}};
  const FeaturesF f = sample_features(m, px);
  ASSERT_EQ(f.rows(), 5);
  ASSERT_EQ(f.cols(), 2);
  auto expect = [](double x, double y, int c) { return 100.0 * c + 10.0 * y + x; };
  EXPECT_FLOAT_EQ(f(0, 0), expect(0.75, 0.25, 0));
  EXPECT_FLOAT_EQ(f(0, 1), expect(0.75, 0.25, 1));
  EXPECT_FLOAT_EQ(f(1, 0), expect(1.25, 0.75, 0));
  EXPECT_FLOAT_EQ(f(2, 1), expect(2.25, 1.75, 1));
  // (0, 0) maps to (-0.25, -0.25): clamped to cell (0, 0).
  EXPECT_FLOAT_EQ(f(3, 0), expect(0, 0, 0));
  // (7, 5) maps to (3.25, 2.25): clamped to the last cell (3, 2).
  EXPECT_FLOAT_EQ(f(4, 1), expect(3, 2, 1));

  // A non-linear map: one hot cell, sampled between four cells.
  FeatureMap hot;
  hot.channels = 1;
  hot.height = 2;
  hot.width = 2;
  hot.stride_px = 4;
  hot.data = {1.f, 0.f, 0.f, 0.f};
  // Pixel (3, 3) -> cell (0.375, 0.375): weight of cell (0,0) = 0.625^2.
  EXPECT_FLOAT_EQ(sample_features(hot, {{3, 3}})(0, 0), 0.625f * 0.625f);

  // sample_features_into fills only the rows of the given view.
  PointCloud cloud;
  cloud.push_back(Eigen::Vector3d::Zero(), Eigen::Vector3f::Zero(), 1, {2, 1});
  cloud.push_back(Eigen::Vector3d::Zero(), Eigen::Vector3f::Zero(), 0, {3, 2});
  FeaturesF out = FeaturesF::Constant(2, 2, -1.f);
  sample_features_into(m, cloud, 1, &out);
  EXPECT_FLOAT_EQ(out(0, 0), expect(0.75, 0.25, 0));
  EXPECT_FLOAT_EQ(out(1, 0), -1.f);
  FeaturesF wrong(3, 2);
  EXPECT_THROW(sample_features_into(m, cloud, 1, &wrong), std::invalid_argument);
}

TEST(MakeFeaturizer, UnknownNameListsTheValidOnes) {
  BackboneConfig bc;
  bc.name = "dino";
  try {
    make_featurizer(bc);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    for (const auto& n : backbone_names()) EXPECT_NE(msg.find(n), std::string::npos) << msg;
  }
  bc.name = "learned";
  bc.learned.weights_path = "/nonexistent/weights.pt";
  try {
    make_featurizer(bc);
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/weights.pt"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("train-backbone"), std::string::npos);
  }
}

}  // namespace
}  // namespace dffeval
