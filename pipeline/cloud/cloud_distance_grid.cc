#include "pipeline/cloud/cloud_distance_grid.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

#include "pipeline/cloud/box_lattice.h"

namespace dffeval {
namespace {

constexpr std::uint32_t kSignBit = 0x80000000u;

std::uint32_t encode(float value) {
  std::uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits ^ kSignBit;
}

float decode(std::uint32_t stored) {
  const std::uint32_t bits = stored ^ kSignBit;
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

}  // namespace

void CloudDistanceGrid::FreeDeleter::operator()(void* p) const { std::free(p); }

CloudDistanceGrid::CloudDistanceGrid(const NearestPoints& tree, CloudDistanceGridConfig config)
    : tree_(tree), config_(config) {
  if (!(config_.spacing_m > 0.f) || !(config_.far_m > 0.f) || config_.max_nodes < 8) {
    throw std::invalid_argument(
        "CloudDistanceGrid: spacing_m and far_m must be > 0 and max_nodes >= 8");
  }
  // Nodes a spacing beyond far_m, so that every point within far_m of the
  // cloud lies inside a cube of the lattice.
  const BoxLattice lattice =
      fit_box_lattice(tree_.points(), config_.far_m, config_.spacing_m, config_.max_nodes, 2);
  spacing_ = lattice.spacing;
  for (int c = 0; c < 3; ++c) {
    origin_[c] = lattice.origin[c];
    dims_[c] = lattice.dims[c];
  }
  const std::size_t nodes = lattice.sites();
  clamp_m_ = config_.far_m + spacing_ * std::sqrt(3.f);
  nodes_.reset(static_cast<std::uint32_t*>(std::calloc(nodes, sizeof(std::uint32_t))));
  if (!nodes_) throw std::bad_alloc();
}

CloudDistanceGrid::~CloudDistanceGrid() = default;

std::size_t CloudDistanceGrid::computed_nodes() const {
  return __atomic_load_n(&computed_, __ATOMIC_RELAXED);
}

float CloudDistanceGrid::node_value(int ix, int iy, int iz) const {
  const std::size_t i = (static_cast<std::size_t>(iz) * static_cast<std::size_t>(dims_[1]) +
                         static_cast<std::size_t>(iy)) *
                            static_cast<std::size_t>(dims_[0]) +
                        static_cast<std::size_t>(ix);
  std::uint32_t stored = __atomic_load_n(nodes_.get() + i, __ATOMIC_ACQUIRE);
  if (stored != 0) return decode(stored);
  const float node[3] = {origin_[0] + static_cast<float>(ix) * spacing_,
                         origin_[1] + static_cast<float>(iy) * spacing_,
                         origin_[2] + static_cast<float>(iz) * spacing_};
  std::uint32_t index = 0;
  float d2 = 0.f;
  // Only as far as the clamp: beyond it the value is the clamp anyway.
  float value = clamp_m_;
  if (tree_.nearest_within(node, 1, clamp_m_ * clamp_m_, &index, &d2) == 1)
    value = std::min(clamp_m_, std::sqrt(d2));
  stored = encode(value);
  __atomic_store_n(nodes_.get() + i, stored, __ATOMIC_RELEASE);
  __atomic_fetch_add(&computed_, std::size_t{1}, __ATOMIC_RELAXED);
  return value;
}

bool CloudDistanceGrid::distance(const float* p, double* distance_m, double* gradient) const {
  int base[3];
  double t[3];
  for (int c = 0; c < 3; ++c) {
    const double u = (static_cast<double>(p[c]) - origin_[c]) / spacing_;
    // Also false for NaN.
    if (!(u >= 0.0 && u < static_cast<double>(dims_[c] - 1))) return false;
    base[c] = std::min(static_cast<int>(u), dims_[c] - 2);
    t[c] = u - base[c];
  }
  double v[2][2][2];
  for (int dz = 0; dz < 2; ++dz)
    for (int dy = 0; dy < 2; ++dy)
      for (int dx = 0; dx < 2; ++dx)
        v[dz][dy][dx] = node_value(base[0] + dx, base[1] + dy, base[2] + dz);
  // Trilinear: along x, then y, then z; the gradient from the same lerps.
  const double x00 = v[0][0][0] + t[0] * (v[0][0][1] - v[0][0][0]);
  const double x10 = v[0][1][0] + t[0] * (v[0][1][1] - v[0][1][0]);
  const double x01 = v[1][0][0] + t[0] * (v[1][0][1] - v[1][0][0]);
  const double x11 = v[1][1][0] + t[0] * (v[1][1][1] - v[1][1][0]);
  const double y0 = x00 + t[1] * (x10 - x00);
  const double y1 = x01 + t[1] * (x11 - x01);
  const double d = y0 + t[2] * (y1 - y0);
  if (!(d < config_.far_m)) return false;
  *distance_m = d;
  if (gradient != nullptr) {
    const double h = spacing_;
    const double gx00 = v[0][0][1] - v[0][0][0], gx10 = v[0][1][1] - v[0][1][0];
    const double gx01 = v[1][0][1] - v[1][0][0], gx11 = v[1][1][1] - v[1][1][0];
    const double gx0 = gx00 + t[1] * (gx10 - gx00), gx1 = gx01 + t[1] * (gx11 - gx01);
    gradient[0] = (gx0 + t[2] * (gx1 - gx0)) / h;
    gradient[1] = ((x10 - x00) + t[2] * ((x11 - x01) - (x10 - x00))) / h;
    gradient[2] = (y1 - y0) / h;
  }
  return true;
}

}  // namespace dffeval
