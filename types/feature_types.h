#pragma once
// Row-major float matrices shared by the feature pipeline. Row-major so that a
// block of points or features maps onto a LibTorch tensor (N, 3) / (N, D)
// without a copy.

#include <Eigen/Core>

namespace dffeval {

/// Points, one per row, metres (N x 3).
using PointsF = Eigen::Matrix<float, Eigen::Dynamic, 3, Eigen::RowMajor>;
/// Per-point features, one row per point (N x D).
using FeaturesF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

}  // namespace dffeval
