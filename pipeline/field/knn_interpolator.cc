// The kKnn interpolator: inverse-square weights over the k nearest points
// (within the near radius), tapered into the mean feature beyond them.

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "pipeline/field/field_internals.h"

namespace dffeval {

int FeatureField::Impl::nearest(const Vec3& x, int k, std::uint32_t* idx, float* dist2) const {
  const float query[3] = {static_cast<float>(x.x()), static_cast<float>(x.y()),
                          static_cast<float>(x.z())};
  return kd->nearest(query, k, idx, dist2);
}

int FeatureField::Impl::knn_neighbours(const Vec3& x, std::uint32_t* idx, float* dist2,
                                       bool use_cache) const {
  const float query[3] = {static_cast<float>(x.x()), static_cast<float>(x.y()),
                          static_cast<float>(x.z())};
  if (use_cache && knn_cache) return knn_cache->nearest(query, idx, dist2);
  const int k1 = std::min<int>(config.knn_k + 1, static_cast<int>(num_points()));
  // With N <= k every point is near (the dense field), radius or not.
  if (std::isfinite(knn_radius2) && num_points() > config.knn_k)
    return kd->nearest_within(query, k1, knn_radius2, idx, dist2);
  return kd->nearest(query, k1, idx, dist2);
}

void FeatureField::Impl::point_terms(const Vec3& x, const std::uint32_t* idx, int count,
                                     std::vector<Term>* terms) const {
  for (int j = 0; j < count; ++j) {
    Term t;
    t.coef = inverse_square_weight(x - point(idx[j]), &t.grad);
    t.row = feature_row(idx[j]);
    terms->push_back(t);
  }
}

void FeatureField::Impl::knn_terms(const Vec3& x, const std::uint32_t* nbrs, int count,
                                   bool with_gradients, std::vector<Term>* terms) const {
  terms->clear();
  const int k = config.knn_k;
  if (num_points() <= k) {
    // Every point is a neighbour: the dense field itself.
    point_terms(x, nbrs, count, terms);
    return;
  }
  // Background: every point at the softened centroid distance.
  const Vec3 u_bg = x - centroid;
  const double k_bg = 1.0 / (u_bg.squaredNorm() + rms_radius2);
  const Vec3 k_bg_grad = with_gradients ? Vec3(-2.0 * k_bg * k_bg * u_bg) : Vec3::Zero();
  const double n = static_cast<double>(num_points());
  terms->push_back(Term{n * k_bg, n * k_bg_grad, mean.data()});

  // Near points: exact weight, tapered into the background weight towards the
  // (k+1)-th neighbour's distance, or the near radius when fewer than k + 1
  // points are nearer than it (then the reference does not move with x).
  // Distances are recomputed in double.
  const bool radius_reference = count <= k;
  const Vec3 u_far = radius_reference ? Vec3::Zero() : Vec3(x - point(nbrs[k]));
  const double d2_far =
      radius_reference ? config.knn_radius_m * config.knn_radius_m : u_far.squaredNorm();
  for (int j = 0; j < std::min(count, k); ++j) {
    const Vec3 u = x - point(nbrs[j]);
    const double d2 = u.squaredNorm();
    Vec3 w_grad = Vec3::Zero();
    const double w = inverse_square_weight(u, with_gradients ? &w_grad : nullptr);
    double beta = 1.0;
    Vec3 beta_grad = Vec3::Zero();
    if (d2_far > 0.0) {
      const double t = d2 / d2_far;
      if (t >= 1.0) {
        beta = 0.0;  // a tie with the (k+1)-th neighbour in float
      } else {
        // t = d^2 / d_k1^2, beta = 1 - t^2.
        beta = 1.0 - t * t;
        if (with_gradients) {
          const Vec3 t_grad = (2.0 * u * d2_far - 2.0 * d2 * u_far) / (d2_far * d2_far);
          beta_grad = -2.0 * t * t_grad;
        }
      }
    }
    Term term;
    term.coef = beta * (w - k_bg);
    term.grad = beta_grad * (w - k_bg) + beta * (w_grad - k_bg_grad);
    term.row = feature_row(nbrs[j]);
    terms->push_back(term);
  }
}

}  // namespace dffeval
