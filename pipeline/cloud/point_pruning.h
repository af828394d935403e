#pragma once
// Point pruning (stage 3 of docs/method): drop points whose features are not
// backed up by another camera view (depth-edge noise, view-specific
// artifacts), so that the feature field built on the rest is continuous.
//
// kVote3D (published default) Every point votes for its nearest point of a
//   DIFFERENT view, if that point is within vote_radius_m. Points are ranked
//   by votes received (most first); ties go to the point whose own nearest
//   other-view point is closer (points with none within the radius last),
//   then to the lower index. The top keep_fraction are kept (and, optionally,
//   only those with at least min_votes). Purely geometric: features unused.
//
// kMutualNearest For every pair of views (a, b): the candidates of a point A
//   of view a are the points of view b within vote_radius_m of A (3D); its
//   match is the candidate with the nearest feature (L2). A is kept if, for
//   some other view b, A's match B has A as its own match in view a (A and B
//   choose each other). The 3D radius keeps matches local; feature space
//   decides among them, so a point whose feature disagrees with what the
//   other views see there tends to lose mutuality.
//
// kRatioTest Same candidates per view pair. A is supported by view b if its
//   nearest candidate in feature space is clearly better than the second:
//   d1 < ratio * d2 (Lowe's test), or if it has exactly one candidate (no
//   ambiguity inside the radius). A is kept if some other view supports it.
//
// All methods are deterministic (exact ties are broken by lower index) and
// independent of the order of the views' ids. A point with no other view
// within vote_radius_m is never supported by mutual_nn or ratio, and receives
// no votes in vote_3d.

#include <cstddef>
#include <string>
#include <vector>

#include "types/feature_types.h"

namespace dffeval {

enum class PruningMethod { kNone, kVote3D, kMutualNearest, kRatioTest };

/// "none", "vote_3d", "mutual_nn" or "ratio"; throws std::invalid_argument
/// listing the valid names.
PruningMethod parse_pruning_method(const std::string& name);
/// The name parse_pruning_method accepts.
std::string to_string(PruningMethod method);

struct PruningConfig {
  PruningMethod method = PruningMethod::kVote3D;
  /// Neighbourhood radius, metres, > 0. vote_3d: a point votes only for a
  /// point of another view this close; mutual_nn / ratio: the candidates. The
  /// published 0.1 was in the capture's units; 1 cm suits metric clouds with a
  /// few millimetres between points.
  double vote_radius_m = 0.01;
  /// vote_3d: fraction of the points kept, the most voted first; in [0, 1].
  /// Kept count = round(keep_fraction * N). Published 0.8.
  double keep_fraction = 0.8;
  /// vote_3d: points with fewer votes are dropped even inside keep_fraction;
  /// >= 0. 0 is the published behaviour.
  int min_votes = 0;
  /// ratio: nearest / second-nearest feature distance must be below this;
  /// in (0, 1]. Published 0.8.
  double ratio = 0.8;
};

/// Indices (ascending) of the points to keep. `points` N x 3 metres; view[i]
/// the camera view point i came from (any ints); `features` N x D, used by
/// mutual_nn and ratio (vote_3d and none also accept 0 rows). Throws
/// std::invalid_argument on mismatched sizes, a non-finite point or a config
/// value out of range.
std::vector<std::size_t> prune_points(const PointsF& points, const std::vector<int>& view,
                                      const FeaturesF& features, const PruningConfig& config);

/// Votes each point receives under vote_3d (N), for inspection and tests.
std::vector<int> count_votes_3d(const PointsF& points, const std::vector<int>& view,
                                double vote_radius_m);

}  // namespace dffeval
