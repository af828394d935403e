#pragma once
// Distance (metres) from a point to a cloud, trilinearly interpolated from
// exact distances at the nodes of a regular lattice, for points that are
// some way off the cloud: the grasp energy's surface-distance term between
// the feature field's near radius and the term's cap (1.5 to 3 cm), where
// an exact nearest-point search costs a KD-tree descent or a long list per
// query and the distance is smooth.
//
// Why interpolation is good enough there: the distance d is 1-Lipschitz,
// and where it is smooth its curvature is at most 1 / d, so trilinear
// interpolation with spacing h is off by about h^2 / (8 d) (0.1 mm for
// h = 4 mm at 2 cm); where the nearest point switches (a kink), by at most
// about h. The interpolant is continuous everywhere, with its gradient
// (piecewise, from the same trilinear weights).
//
// Nodes are computed on first use (each an exact nearest-point query), so a
// lattice that covers a large scene costs only the nodes that queries come
// near. Node values are the exact distance, clamped to `far_m` plus the
// node spacing times sqrt(3): a query in a cube touching a clamped node is
// farther than far_m from the cloud (d is 1-Lipschitz), and so is its
// interpolated distance, so clamping never brings a point within far_m.
// Outside the lattice (beyond far_m from the cloud's bounding box) distance()
// answers "past far_m".
//
// Thread safety: distance() may be called from many threads at once; a node
// computed twice gets the same value both times.

#include <cstddef>
#include <cstdint>
#include <memory>

#include "pipeline/cloud/nearest_points.h"

namespace dffeval {

struct CloudDistanceGridConfig {
  /// Node spacing, metres.
  float spacing_m = 0.004f;
  /// Distances of interest end here, metres: farther points are only told
  /// apart as "past far_m".
  float far_m = 0.03f;
  /// Most nodes of the lattice (the spacing grows to stay within it).
  std::size_t max_nodes = std::size_t{1} << 23;
};

class CloudDistanceGrid {
 public:
  /// `tree` must outlive the grid. Throws std::invalid_argument on a
  /// spacing or far_m that is not > 0, or max_nodes < 8.
  CloudDistanceGrid(const NearestPoints& tree, CloudDistanceGridConfig config = {});
  ~CloudDistanceGrid();
  CloudDistanceGrid(const CloudDistanceGrid&) = delete;
  CloudDistanceGrid& operator=(const CloudDistanceGrid&) = delete;

  /// The interpolated distance at p (3 floats, metres) into *distance_m and
  /// its gradient (3 doubles, metres per metre) into gradient (may be
  /// null). Returns false, leaving both untouched, when p is farther than
  /// far_m from the cloud (or not finite).
  bool distance(const float* p, double* distance_m, double* gradient) const;

  /// Node spacing in use, metres (config's, or larger to fit max_nodes).
  float spacing_m() const { return spacing_; }
  /// Nodes computed so far (for tests and tuning).
  std::size_t computed_nodes() const;

 private:
  float node_value(int ix, int iy, int iz) const;

  const NearestPoints& tree_;
  CloudDistanceGridConfig config_;
  float origin_[3] = {0, 0, 0};
  float spacing_ = 0;
  int dims_[3] = {0, 0, 0};  // nodes along each axis
  float clamp_m_ = 0;        // node values are at most this
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  // Each node's value as its float bits with the sign bit flipped (values
  // are >= 0), so that 0 means "not computed yet" and calloc's untouched
  // zero pages cost nothing.
  std::unique_ptr<std::uint32_t, FreeDeleter> nodes_;
  mutable std::size_t computed_ = 0;  // atomic access only
};

}  // namespace dffeval
