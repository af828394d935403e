// Geometric descriptors (normals, FPFH, height) of a rendered-like view.

#include "pipeline/backbone/geometric_features.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/input_error.h"
#include "pipeline/backbone/point_featurizer.h"
#include "tests/fixtures/synthetic_views.h"
#include "tests/fixtures/temp_dir.h"

namespace fs = std::filesystem;

namespace dffeval {
namespace {

using fixtures::flat_view;

TEST(GeometricFeaturizer, FiniteFeaturesOfTheDocumentedSize) {
  // A box-shaped cloud (top and two sides) seen by one camera above it.
  CameraView cam = flat_view(64, 48, 0.5f);
  cam.X_WC.translation() = Eigen::Vector3d(0.3, 0.0, 0.4);
  Observation obs;
  obs.views = {cam};
  PointCloud cloud;
  for (int i = 0; i <= 20; ++i) {
    for (int j = 0; j <= 20; ++j) {
      const double a = -0.04 + 0.004 * i, b = 0.004 * j;
      cloud.push_back({a, -0.04 + 0.004 * j, 0.08}, Eigen::Vector3f::Zero(), 0, {i, j});  // top
      cloud.push_back({0.04, a, b}, Eigen::Vector3f::Zero(), 0, {i, j});                  // side
    }
  }
  GeometricFeaturizer g(GeometricFeaturesConfig{});
  const FeaturesF f = g.featurize(obs, cloud);
  ASSERT_EQ(f.rows(), static_cast<Eigen::Index>(cloud.size()));
  ASSERT_EQ(f.cols(), 37);
  EXPECT_EQ(g.dim(), 37);
  EXPECT_TRUE(f.allFinite());
  // Top points: normal +z; side points (x = 0.04, camera at x = 0.3): +x.
  EXPECT_NEAR(f(0, 2), 1.0, 1e-4);
  EXPECT_NEAR(f(1, 0), 1.0, 1e-4);
  for (Eigen::Index i = 0; i < f.rows(); ++i) {
    EXPECT_NEAR(f.row(i).head<3>().norm(), 1.0, 1e-5);
    EXPECT_NEAR(f.row(i).segment<33>(3).norm(), 1.0, 1e-5);
    EXPECT_GE(f(i, 36), 0.0);
    EXPECT_LE(f(i, 36), 1.0);
  }
  EXPECT_NEAR(f(0, 36), 0.08 / 0.3, 1e-5);  // height 8 cm over the 0.3 m scale
}

}  // namespace
}  // namespace dffeval
