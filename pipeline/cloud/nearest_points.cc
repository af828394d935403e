#include "pipeline/cloud/nearest_points.h"

#include <nanoflann.hpp>
#include <stdexcept>

namespace dffeval {
namespace {

/// nanoflann's view of a PointsF.
struct PointsAdaptor {
  const PointsF* points = nullptr;
  std::size_t kdtree_get_point_count() const { return static_cast<std::size_t>(points->rows()); }
  float kdtree_get_pt(std::size_t i, std::size_t dim) const {
    return (*points)(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(dim));
  }
  template <class Bbox>
  bool kdtree_get_bbox(Bbox& /*bbox*/) const {
    return false;
  }
};

}  // namespace

struct NearestPoints::Tree {
  using Index =
      nanoflann::KDTreeSingleIndexAdaptor<nanoflann::L2_Simple_Adaptor<float, PointsAdaptor>,
                                          PointsAdaptor, 3, std::uint32_t>;
  // The index keeps a reference to the adaptor, so both live here, unmoved.
  Tree(const PointsF& points, std::size_t leaf_size)
      : adaptor{&points}, index(3, adaptor, nanoflann::KDTreeSingleIndexAdaptorParams(leaf_size)) {}
  PointsAdaptor adaptor;
  Index index;
};

NearestPoints::NearestPoints(PointsF points, std::size_t leaf_size) : points_(std::move(points)) {
  if (points_.rows() == 0) throw std::invalid_argument("NearestPoints: the cloud is empty");
  if (leaf_size == 0) throw std::invalid_argument("NearestPoints: leaf_size must be >= 1");
  tree_ = std::make_unique<Tree>(points_, leaf_size);
}

NearestPoints::~NearestPoints() = default;

std::vector<std::int64_t> NearestPoints::query(const PointsF& x) const {
  std::vector<std::int64_t> out(static_cast<std::size_t>(x.rows()));
  for (Eigen::Index q = 0; q < x.rows(); ++q) {
    const float p[3] = {x(q, 0), x(q, 1), x(q, 2)};
    std::uint32_t index = 0;
    float dist2 = 0;
    nearest(p, 1, &index, &dist2);
    out[static_cast<std::size_t>(q)] = static_cast<std::int64_t>(index);
  }
  return out;
}

int NearestPoints::nearest(const float* p, int k, std::uint32_t* index, float* dist2) const {
  return static_cast<int>(tree_->index.knnSearch(p, static_cast<std::size_t>(k), index, dist2));
}

int NearestPoints::nearest_within(const float* p, int k, float radius2_m2, std::uint32_t* index,
                                  float* dist2) const {
  if (k < 1) return 0;
  nanoflann::KNNResultSet<float, std::uint32_t> result(static_cast<std::size_t>(k));
  result.init(index, dist2);
  // The set's worst distance starts as the radius instead of "infinity": the
  // search then only adds (and only descends towards) nearer points.
  dist2[k - 1] = radius2_m2;
  tree_->index.findNeighbors(result, p, nanoflann::SearchParams());
  return static_cast<int>(result.size());
}

void NearestPoints::within(const float* p, float radius2_m2,
                           std::vector<std::pair<std::uint32_t, float>>* hits) const {
  nanoflann::SearchParams params;
  params.sorted = false;
  hits->clear();
  tree_->index.radiusSearch(p, radius2_m2, *hits, params);
}

}  // namespace dffeval
