// The energy's terms that read the target: the feature field at the hand's
// surface points, and their distances to the target cloud.

#include <cmath>
#include <limits>
#include <stdexcept>

#include "pipeline/grasp/energy_terms.h"

namespace dffeval {

using Eigen::Matrix3d;
using Eigen::Vector3d;

void add_feature_term(EnergyPass& e, const EnergyReference& ref, FieldTape* tape) {
  if (e.weights.feature == 0) return;
  const FeatureField& field = *ref.target_field;
  if (ref.descriptor.rows() != e.P || ref.descriptor.cols() != field.dim()) {
    throw std::invalid_argument("GraspEnergy: the descriptor must be P x D of the target field");
  }
  if (e.grad) {
    field.evaluate_vjp(e.xq, &e.values, tape);
    // -1 where no point is within the field's near radius: see below.
    e.nearest = tape->nearest_points();
  } else {
    field.evaluate(e.xq, &e.values, nullptr, NeighbourCache::kBypass);
  }
  std::vector<double>& f = e.term("feature");
  if (e.grad) e.dL_dF.resize(e.Q, field.dim());
  for (int b = 0; b < e.B; ++b) {
    for (int p = 0; p < e.P; ++p) {
      const Eigen::Index i = static_cast<Eigen::Index>(b) * e.P + p;
      double sum = 0.0;
      for (Eigen::Index d = 0; d < e.values.cols(); ++d) {
        const float diff = e.values(i, d) - ref.descriptor(p, d);
        sum += std::abs(diff);
        if (e.grad) e.dL_dF(i, d) = static_cast<float>(e.weights.feature * sign(diff) / e.P);
      }
      f[b] += sum / e.P;
    }
  }
  e.lap("feature");
}

void add_surface_distance_term(EnergyPass& e, const EnergyReference& ref) {
  if (e.weights.surface_distance == 0) return;
  const NearestPoints& cloud = *ref.target_cloud;
  if (e.nearest.empty()) e.nearest = cloud.query(e.xq);
  const double cap = e.config.surface_distance_cap_m;
  const double near_radius = ref.target_field ? ref.target_field->config().knn_radius_m : 0.0;
  // A near radius below the cap without the grid: the points the field's
  // search left without a nearest point get an exact search.
  if (!ref.far_distance && cap > near_radius) {
    for (Eigen::Index i = 0; i < e.Q; ++i)
      if (e.nearest[i] < 0) e.nearest[i] = cloud.query(e.xq.row(i))[0];
  }
  std::vector<double> dist = distances_to_cloud(e.xq, cloud.points(), e.nearest);
  // d dist / d x at each query (zero past the cap, where it is not used).
  std::vector<Vector3d> slope(static_cast<std::size_t>(e.Q), Vector3d::Zero());
  for (Eigen::Index i = 0; i < e.Q; ++i) {
    if (e.nearest[i] < 0) continue;
    slope[i] =
        (e.xq.row(i) - cloud.points().row(e.nearest[i])).cast<double>().transpose() / dist[i];
  }
  // At the field's near radius or farther: the interpolated distance, with
  // the tape (the search found no point) and without (the same rule).
  if (ref.far_distance) {
    for (Eigen::Index i = 0; i < e.Q; ++i) {
      if (dist[i] < near_radius) continue;
      const float p[3] = {e.xq(i, 0), e.xq(i, 1), e.xq(i, 2)};
      double d = 0.0, g[3] = {0, 0, 0};
      dist[i] = ref.far_distance->distance(p, &d, g) ? d : std::numeric_limits<double>::infinity();
      slope[i] = Vector3d(g[0], g[1], g[2]);
    }
  }
  std::vector<double>& s = e.term("surface_distance");
  for (int b = 0; b < e.B; ++b) {
    for (int p = 0; p < e.P; ++p) {
      const Eigen::Index i = static_cast<Eigen::Index>(b) * e.P + p;
      const double d = dist[i];
      const double diff = std::min(d, cap) - ref.demo_distance[p];
      s[b] += std::abs(diff) / e.P;
      if (e.grad && d <= cap) {
        e.wrench[b].add(e.surface.body[p], e.x[i],
                        (e.weights.surface_distance * sign(diff) / e.P) * slope[i]);
      }
    }
  }
  e.lap("surface_distance");
}

}  // namespace dffeval
