#include "pipeline/cloud/knn_cell_cache.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>

#include "pipeline/cloud/box_lattice.h"

namespace dffeval {
namespace {

constexpr std::uint32_t kUnfilled = 0, kUseTree = 1, kListBase = 2;

// The squared distance exactly as nanoflann's L2_Simple_Adaptor<float>
// computes it (same operations, same order), so that both searches rank
// points identically.
inline float squared_distance(const float* p, const float* q) {
  float result = 0.f;
  const float d0 = p[0] - q[0];
  result += d0 * d0;
  const float d1 = p[1] - q[1];
  result += d1 * d1;
  const float d2 = p[2] - q[2];
  result += d2 * d2;
  return result;
}

// Inserts (d2, i) into the sorted best list of size *count (capacity k):
// nearer first, equal distances by index.
inline void insert_best(float d2, std::uint32_t i, int k, int* count, std::uint32_t* index,
                        float* dist2) {
  int at = *count < k ? (*count)++ : k - 1;  // the last entry drops out when full
  while (at > 0 && (dist2[at - 1] > d2 || (dist2[at - 1] == d2 && index[at - 1] > i))) {
    dist2[at] = dist2[at - 1];
    index[at] = index[at - 1];
    --at;
  }
  dist2[at] = d2;
  index[at] = i;
}

}  // namespace

void KnnCellCache::FreeDeleter::operator()(void* p) const { std::free(p); }

KnnCellCache::KnnCellCache(const NearestPoints& tree, int k, KnnCellCacheConfig config)
    : tree_(tree), k_(k), config_(config) {
  if (k < 1) throw std::invalid_argument("KnnCellCache: k must be >= 1, got " + std::to_string(k));
  if (!(config_.cell_m > 0.f) || !(config_.margin_m >= 0.f) || config_.max_candidates < 1 ||
      config_.max_cells < 1 || config_.pool_entries < 1 || !(config_.radius_m > 0.f)) {
    throw std::invalid_argument(
        "KnnCellCache: cell_m and radius_m must be > 0, margin_m >= 0, max_candidates, max_cells "
        "and pool_entries >= 1");
  }
  const bool limited = std::isfinite(config_.radius_m);
  if (limited) radius2_ = config_.radius_m * config_.radius_m;
  // A query farther than R from the bounding box along one axis is farther
  // than R from every point.
  const float margin = limited ? config_.radius_m : config_.margin_m;
  outside_is_empty_ = limited;
  const BoxLattice lattice =
      fit_box_lattice(tree_.points(), margin, config_.cell_m, config_.max_cells, 1);
  cell_ = lattice.spacing;
  for (int c = 0; c < 3; ++c) {
    origin_[c] = lattice.origin[c];
    dims_[c] = lattice.dims[c];
  }
  const std::size_t cells = lattice.sites();
  half_diagonal_ = 0.5f * cell_ * std::sqrt(3.0f);
  slots_.reset(static_cast<std::uint32_t*>(std::calloc(cells, sizeof(std::uint32_t))));
  pool_.reset(static_cast<Candidate*>(std::malloc(config_.pool_entries * sizeof(Candidate))));
  if (!slots_ || !pool_) throw std::bad_alloc();
}

KnnCellCache::~KnnCellCache() = default;

std::size_t KnnCellCache::filled_cells() const {
  std::lock_guard<std::mutex> lock(fill_mutex_);
  return filled_;
}

std::size_t KnnCellCache::tree_cells() const {
  std::lock_guard<std::mutex> lock(fill_mutex_);
  return tree_marked_;
}

float KnnCellCache::cell_centre(int axis, int index) const {
  return origin_[axis] + (static_cast<float>(index) + 0.5f) * cell_;
}

std::uint32_t KnnCellCache::fill(std::size_t cell, int ix, int iy, int iz) const {
  const float centre[3] = {cell_centre(0, ix), cell_centre(1, iy), cell_centre(2, iz)};
  std::vector<std::uint32_t> idx(static_cast<std::size_t>(k_));
  std::vector<float> d2(static_cast<std::size_t>(k_));
  // The list, or none (fewer than k points, or too many candidates: the
  // cell then uses the KD-tree).
  std::vector<Candidate> list;
  bool has_list = false;
  // The list's radius about the centre: d_k(c) + 2 s, and at most R + s
  // with a radius R (see the file comment).
  float list_radius = std::numeric_limits<float>::infinity();
  if (std::isfinite(radius2_)) {
    const float cap = std::sqrt(radius2_) + half_diagonal_;
    const int found = tree_.nearest_within(centre, k_, cap * cap, idx.data(), d2.data());
    list_radius = cap;
    if (found == k_) {
      list_radius =
          std::min(cap, std::sqrt(d2[static_cast<std::size_t>(k_ - 1)]) + 2.f * half_diagonal_);
    }
  } else if (tree_.nearest(centre, k_, idx.data(), d2.data()) == k_) {
    list_radius = std::sqrt(d2[static_cast<std::size_t>(k_ - 1)]) + 2.f * half_diagonal_;
  }
  if (std::isfinite(list_radius)) {
    // Widened by a few float ulps (and 1 um) so that rounding can only add
    // candidates, never drop one.
    const float radius = list_radius * (1.f + 1e-5f) + 1e-6f;
    std::vector<std::pair<std::uint32_t, float>> hits;
    tree_.within(centre, radius * radius, &hits);
    if (hits.size() <= static_cast<std::size_t>(config_.max_candidates)) {
      has_list = true;
      list.reserve(hits.size());
      for (const auto& [i, dist2_m2] : hits) list.push_back(Candidate{i, std::sqrt(dist2_m2)});
      std::sort(list.begin(), list.end(), [](const Candidate& a, const Candidate& b) {
        return a.dist_from_centre < b.dist_from_centre ||
               (a.dist_from_centre == b.dist_from_centre && a.index < b.index);
      });
    }
  }
  std::lock_guard<std::mutex> lock(fill_mutex_);
  const std::uint32_t existing = __atomic_load_n(slots_.get() + cell, __ATOMIC_ACQUIRE);
  if (existing != kUnfilled) return existing;  // another thread filled it meanwhile
  std::uint32_t slot = kUseTree;
  const bool room =
      pool_used_ + list.size() + 1 <= config_.pool_entries &&
      pool_used_ + list.size() + 1 + kListBase < std::numeric_limits<std::uint32_t>::max();
  if (has_list && room) {
    Candidate* out = pool_.get() + pool_used_;
    out[0] = Candidate{static_cast<std::uint32_t>(list.size()), 0.f};
    std::copy(list.begin(), list.end(), out + 1);
    slot = kListBase + static_cast<std::uint32_t>(pool_used_);
    pool_used_ += list.size() + 1;
    ++filled_;
  } else {
    ++tree_marked_;
  }
  __atomic_store_n(slots_.get() + cell, slot, __ATOMIC_RELEASE);
  return slot;
}

int KnnCellCache::tree_search(const float* p, std::uint32_t* index, float* dist2) const {
  if (std::isfinite(radius2_)) return tree_.nearest_within(p, k_, radius2_, index, dist2);
  return tree_.nearest(p, k_, index, dist2);
}

int KnnCellCache::nearest(const float* p, std::uint32_t* index, float* dist2) const {
  int cell_index[3];
  for (int c = 0; c < 3; ++c) {
    const float u = (p[c] - origin_[c]) / cell_;
    // Also false for NaN: such queries go to the tree, which handles them.
    if (!(u >= 0.f && u < static_cast<float>(dims_[c]))) {
      if (outside_is_empty_ && !std::isnan(u)) return 0;
      return tree_search(p, index, dist2);
    }
    cell_index[c] = std::min(static_cast<int>(u), dims_[c] - 1);
  }
  const std::size_t cell =
      (static_cast<std::size_t>(cell_index[2]) * static_cast<std::size_t>(dims_[1]) +
       static_cast<std::size_t>(cell_index[1])) *
          static_cast<std::size_t>(dims_[0]) +
      static_cast<std::size_t>(cell_index[0]);
  std::uint32_t slot = __atomic_load_n(slots_.get() + cell, __ATOMIC_ACQUIRE);
  if (slot == kUnfilled) slot = fill(cell, cell_index[0], cell_index[1], cell_index[2]);
  if (slot == kUseTree) return tree_search(p, index, dist2);
  const Candidate* list = pool_.get() + (slot - kListBase);
  const std::uint32_t n = list[0].index;
  ++list;
  // Distance of p from the cell centre: candidates farther than d_best + this
  // from the centre cannot be nearer than the current k-th best.
  float offset2 = 0.f;
  for (int c = 0; c < 3; ++c) {
    const float centre = cell_centre(c, cell_index[c]);
    offset2 += (p[c] - centre) * (p[c] - centre);
  }
  // Slack for the float rounding of both distances.
  const float offset = std::sqrt(offset2) * (1.f + 1e-5f) + 1e-6f;
  const PointsF& pts = tree_.points();
  int count = 0;
  // The scan stops at candidates farther from the centre than this; it only
  // changes when the k-th best does (so no square root per candidate), and
  // starts at R + |p - c| with a radius R.
  float stop_beyond = std::numeric_limits<float>::infinity();
  if (std::isfinite(radius2_)) stop_beyond = std::sqrt(radius2_) * (1.f + 1e-5f) + offset;
  for (std::uint32_t j = 0; j < n; ++j) {
    if (list[j].dist_from_centre > stop_beyond) break;
    const std::uint32_t i = list[j].index;
    const float d2 = squared_distance(p, pts.data() + static_cast<Eigen::Index>(i) * 3);
    if (!(d2 < radius2_)) continue;
    if (count < k_ || d2 < dist2[k_ - 1] || (d2 == dist2[k_ - 1] && i < index[k_ - 1])) {
      insert_best(d2, i, k_, &count, index, dist2);
      if (count == k_) stop_beyond = std::sqrt(dist2[k_ - 1]) * (1.f + 1e-5f) + offset;
    }
  }
  return count;
}

}  // namespace dffeval
