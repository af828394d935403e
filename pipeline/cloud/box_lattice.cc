#include "pipeline/cloud/box_lattice.h"

#include <cmath>

namespace dffeval {

BoxLattice fit_box_lattice(const PointsF& points, float margin_m, float spacing_m,
                           std::size_t max_sites, int extra_sites) {
  float lo[3], hi[3];
  for (int c = 0; c < 3; ++c) {
    lo[c] = points.col(c).minCoeff() - margin_m;
    hi[c] = points.col(c).maxCoeff() + margin_m;
  }
  auto sites_for = [&](float h) {
    double n = 1.0;
    for (int c = 0; c < 3; ++c) n *= std::floor((hi[c] - lo[c]) / h) + extra_sites;
    return n;
  };
  BoxLattice lattice;
  lattice.spacing = spacing_m;
  while (sites_for(lattice.spacing) > static_cast<double>(max_sites)) lattice.spacing *= 1.25f;
  for (int c = 0; c < 3; ++c) {
    lattice.origin[c] = lo[c];
    lattice.dims[c] = static_cast<int>(std::floor((hi[c] - lo[c]) / lattice.spacing)) + extra_sites;
  }
  return lattice;
}

}  // namespace dffeval
