#include "pipeline/grasp/penetration_cloud.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace dffeval {

using Eigen::Vector3d;

PenetrationCloud::PenetrationCloud(std::vector<Eigen::Vector3d> points, double cell_m)
    : points_(std::move(points)), cell_(cell_m) {
  if (!(cell_m > 0.0)) throw std::invalid_argument("PenetrationCloud: cell_m must be > 0");
  if (points_.empty()) return;
  Vector3d lo = points_[0], hi = points_[0];
  for (const Vector3d& p : points_) {
    lo = lo.cwiseMin(p);
    hi = hi.cwiseMax(p);
  }
  origin_ = lo;
  std::size_t cells = 1;
  for (int c = 0; c < 3; ++c) {
    dims_[c] = static_cast<int>((hi[c] - lo[c]) / cell_) + 1;
    cells *= static_cast<std::size_t>(dims_[c]);
  }
  auto cell_of = [&](const Vector3d& p) {
    std::size_t i = 0;
    for (int c = 2; c >= 0; --c) {
      const int k = std::clamp(static_cast<int>((p[c] - origin_[c]) / cell_), 0, dims_[c] - 1);
      i = i * static_cast<std::size_t>(dims_[c]) + static_cast<std::size_t>(k);
    }
    return i;
  };
  cell_start_.assign(cells + 1, 0);
  for (const Vector3d& p : points_) ++cell_start_[cell_of(p) + 1];
  for (std::size_t c = 0; c < cells; ++c) cell_start_[c + 1] += cell_start_[c];
  order_.resize(points_.size());
  std::vector<int> next(cell_start_.begin(), cell_start_.end() - 1);
  for (std::size_t i = 0; i < points_.size(); ++i)
    order_[next[cell_of(points_[i])]++] = static_cast<int>(i);
}

void PenetrationCloud::candidates(const Vector3d& centre, double radius_m,
                                  std::vector<int>* out) const {
  if (points_.empty()) return;
  int lo[3], hi[3];
  for (int c = 0; c < 3; ++c) {
    lo[c] = static_cast<int>(std::floor((centre[c] - radius_m - origin_[c]) / cell_));
    hi[c] = static_cast<int>(std::floor((centre[c] + radius_m - origin_[c]) / cell_));
    if (hi[c] < 0 || lo[c] >= dims_[c]) return;
    lo[c] = std::max(lo[c], 0);
    hi[c] = std::min(hi[c], dims_[c] - 1);
  }
  for (int z = lo[2]; z <= hi[2]; ++z) {
    for (int y = lo[1]; y <= hi[1]; ++y) {
      const std::size_t row = (static_cast<std::size_t>(z) * dims_[1] + y) * dims_[0];
      const int* first = order_.data() + cell_start_[row + lo[0]];
      const int* last = order_.data() + cell_start_[row + hi[0] + 1];
      out->insert(out->end(), first, last);
    }
  }
}

}  // namespace dffeval
