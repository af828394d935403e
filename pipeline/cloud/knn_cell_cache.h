#pragma once
// Exact k-nearest-point search for queries that come back to the same places
// again and again (the grasp optimizer's 5000 hand surface points, 300
// iterations, moving by millimetres): a uniform grid of cells over the cloud,
// each holding, once a query first lands in it, every cloud point that can be
// among the k nearest of ANY point of the cell. Later queries in that cell
// only scan its list (tens of points) instead of descending the KD-tree.
//
// Why it is exact: for a cell of centre c and half-diagonal s, and d_k(c) the
// k-th nearest distance from c, a query q in the cell has its k-th nearest
// distance at most d_k(c) + |q - c| <= d_k(c) + s, so each of its k nearest
// points p has |p - c| <= |p - q| + |q - c| <= d_k(c) + 2 s. The list holds
// all points within that radius (sorted by distance from c, which also lets a
// scan stop early: |p - q| >= |p - c| - |q - c|). Distances are computed in
// float exactly as NearestPoints computes them, so both give the same points
// with the same distances, in the same order except among points at exactly
// the same float distance (here the lower index comes first; the KD-tree's
// order depends on its traversal). Such ties are not rare in rendered clouds
// (a few hundred per optimization), so the two searches give fields that
// agree to float rounding, not bitwise.
//
// Queries outside the grid (farther than margin_m from the cloud's bounding
// box) and cells whose list would exceed max_candidates (far from the cloud,
// where d_k is large) use the KD-tree, as does everything once the list pool
// is full.
//
// With a finite radius_m R the search is NearestPoints::nearest_within: the
// k nearest among the points nearer than R. Its k nearest are also within
// R + s of the centre, so a list holds the points within
// min(d_k(c) + 2 s, R + s), and is empty where no point is that near: such
// cells answer "none" after one look-up. The grid then reaches R beyond the
// bounding box, and queries outside it have no point within R at all.
//
// Thread safety: nearest() may be called from many threads at once. Cells are
// filled under a mutex and published with release/acquire; a list, once
// published, never moves or changes, and results never depend on which cells
// happen to be filled.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include "pipeline/cloud/nearest_points.h"

namespace dffeval {

struct KnnCellCacheConfig {
  /// Cell edge, metres. Smaller cells have shorter lists but more of them to
  /// fill. Measured on the grasp optimizer (BM_OptimizerStepKnn, 4800 points,
  /// 2 to 3 mm spacing): 4 mm beat 2 and 3 mm.
  float cell_m = 0.004f;
  /// How far beyond the cloud's bounding box the grid reaches, metres.
  float margin_m = 0.03f;
  /// Longest list a cell keeps; longer ones are marked "use the KD-tree".
  int max_candidates = 256;
  /// Most cells of the grid (the cell edge grows to stay within it).
  std::size_t max_cells = std::size_t{1} << 22;
  /// Size of the list pool, in entries (8 bytes each); pages are only
  /// touched as lists are added.
  std::size_t pool_entries = std::size_t{1} << 22;
  /// Only points nearer than this count as neighbours, metres (infinity:
  /// no limit). With a finite radius the grid reaches radius_m, not
  /// margin_m, beyond the cloud's bounding box.
  float radius_m = std::numeric_limits<float>::infinity();
};

class KnnCellCache {
 public:
  /// `tree` must outlive the cache; k >= 1 is the number of neighbours every
  /// nearest() call returns (min(k, N)). Throws std::invalid_argument on
  /// k < 1 or a config value out of range.
  KnnCellCache(const NearestPoints& tree, int k, KnnCellCacheConfig config = {});
  ~KnnCellCache();
  KnnCellCache(const KnnCellCache&) = delete;
  KnnCellCache& operator=(const KnnCellCache&) = delete;

  int k() const { return k_; }
  /// As NearestPoints::nearest(p, k(), index, dist2), or with a finite
  /// radius as NearestPoints::nearest_within(p, k(), radius_m^2, ...).
  int nearest(const float* p, std::uint32_t* index, float* dist2) const;

  /// Counters for tuning and tests: cells filled with a list, and cells
  /// marked for the KD-tree.
  std::size_t filled_cells() const;
  std::size_t tree_cells() const;

 private:
  struct Candidate {
    std::uint32_t index;
    float dist_from_centre;  // metres
  };
  // Slot values: 0 not filled yet, 1 use the KD-tree, otherwise 2 + the
  // offset of the list in the pool (its first entry holds the count).
  std::uint32_t fill(std::size_t cell, int ix, int iy, int iz) const;
  // The KD-tree's answer to nearest(), for queries no list covers.
  int tree_search(const float* p, std::uint32_t* index, float* dist2) const;
  // Centre coordinate (metres) of the cells with this index along an axis.
  float cell_centre(int axis, int index) const;

  const NearestPoints& tree_;
  int k_;
  KnnCellCacheConfig config_;
  float origin_[3] = {0, 0, 0};
  float cell_ = 0;
  int dims_[3] = {0, 0, 0};
  float half_diagonal_ = 0;
  float radius2_ = std::numeric_limits<float>::infinity();  // m^2
  // Whether queries outside the grid are known to have no neighbour.
  bool outside_is_empty_ = false;
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  // calloc: the zero pages of an untouched grid cost nothing.
  std::unique_ptr<std::uint32_t, FreeDeleter> slots_;
  std::unique_ptr<Candidate, FreeDeleter> pool_;
  mutable std::size_t pool_used_ = 0;
  mutable std::size_t filled_ = 0, tree_marked_ = 0;
  mutable std::mutex fill_mutex_;
};

}  // namespace dffeval
