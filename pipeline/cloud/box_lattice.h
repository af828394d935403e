#pragma once
// A regular lattice over a cloud's bounding box widened by a margin, with
// the spacing grown (by 1.25x steps) until the number of sites fits a
// budget: the shared geometry of the neighbour-search cell cache (sites are
// cells) and the distance grid (sites are nodes).

#include <cstddef>

#include "types/feature_types.h"

namespace dffeval {

struct BoxLattice {
  float origin[3] = {0, 0, 0};  // the box's low corner, metres
  float spacing = 0;            // metres
  int dims[3] = {0, 0, 0};      // sites along each axis
  std::size_t sites() const {
    return static_cast<std::size_t>(dims[0]) * static_cast<std::size_t>(dims[1]) *
           static_cast<std::size_t>(dims[2]);
  }
};

/// Sites along an axis of extent e: floor(e / spacing) + extra_sites (1
/// covers the extent with cells, 2 with the cubes between nodes). `points`
/// N >= 1 rows; margin_m >= 0; spacing_m > 0.
BoxLattice fit_box_lattice(const PointsF& points, float margin_m, float spacing_m,
                           std::size_t max_sites, int extra_sites);

}  // namespace dffeval
