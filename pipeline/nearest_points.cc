#include "pipeline/nearest_points.h"

#include <nanoflann.hpp>
#include <stdexcept>

namespace dffeval {

struct NearestPoints::Tree {
  using Index = nanoflann::KDTreeEigenMatrixAdaptor<PointsF, 3, nanoflann::metric_L2_Simple>;
  explicit Tree(const PointsF& p) : index(3, std::cref(p), 10) {}
  Index index;
};

NearestPoints::NearestPoints(PointsF points) : points_(std::move(points)) {
  if (points_.rows() == 0) throw std::invalid_argument("NearestPoints: the cloud is empty");
  tree_ = std::make_unique<Tree>(points_);
}

NearestPoints::~NearestPoints() = default;

std::vector<std::int64_t> NearestPoints::query(const PointsF& x) const {
  std::vector<std::int64_t> out(static_cast<std::size_t>(x.rows()));
  for (Eigen::Index q = 0; q < x.rows(); ++q) {
    const float p[3] = {x(q, 0), x(q, 1), x(q, 2)};
    Tree::Index::IndexType index = 0;
    float dist2 = 0;
    tree_->index.query(p, 1, &index, &dist2);
    out[static_cast<std::size_t>(q)] = static_cast<std::int64_t>(index);
  }
  return out;
}

}  // namespace dffeval
