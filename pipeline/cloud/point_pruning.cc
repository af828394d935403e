#include "pipeline/cloud/point_pruning.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>

#include "pipeline/cloud/nearest_points.h"

namespace dffeval {
namespace {

using Eigen::Index;
constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

/// The points of one view with a KD-tree over them.
struct ViewIndex {
  std::vector<std::size_t> global;  // index in the full cloud of each row
  std::unique_ptr<NearestPoints> tree;
};

/// The cloud split by view: slot s holds the s-th smallest view id.
class ViewSet {
 public:
  ViewSet(const PointsF& points, const std::vector<int>& view) : points_(points) {
    std::map<int, int> slot_of_id;
    for (int id : view) slot_of_id.emplace(id, 0);
    int s = 0;
    for (auto& [id, slot] : slot_of_id) slot = s++;
    slot_.resize(view.size());
    std::vector<std::vector<std::size_t>> members(slot_of_id.size());
    for (std::size_t i = 0; i < view.size(); ++i) {
      slot_[i] = slot_of_id[view[i]];
      members[static_cast<std::size_t>(slot_[i])].push_back(i);
    }
    for (auto& m : members) {
      auto v = std::make_unique<ViewIndex>();
      PointsF view_points(static_cast<Index>(m.size()), 3);
      for (std::size_t k = 0; k < m.size(); ++k)
        view_points.row(static_cast<Index>(k)) = points.row(static_cast<Index>(m[k]));
      v->global = std::move(m);
      v->tree = std::make_unique<NearestPoints>(std::move(view_points));
      views_.push_back(std::move(v));
    }
  }

  int num_views() const { return static_cast<int>(views_.size()); }
  int slot(std::size_t i) const { return slot_[i]; }

  double dist2(std::size_t i, std::size_t j) const {
    return (points_.row(static_cast<Index>(i)).cast<double>() -
            points_.row(static_cast<Index>(j)).cast<double>())
        .squaredNorm();
  }

  /// Nearest point of view slot s to point i (global index), or kNone.
  std::size_t nearest(int s, std::size_t i) const {
    const ViewIndex& v = *views_[static_cast<std::size_t>(s)];
    std::uint32_t local = 0;
    float d2 = 0.f;
    if (v.tree->nearest(points_.row(static_cast<Index>(i)).data(), 1, &local, &d2) == 0)
      return kNone;
    return v.global[local];
  }

  /// Points of view slot s within radius_m of point i (global indices).
  void within(int s, std::size_t i, double radius_m, std::vector<std::size_t>* out) const {
    const ViewIndex& v = *views_[static_cast<std::size_t>(s)];
    // Searched a little wider in float, then filtered exactly in double.
    const auto r2 = static_cast<float>(radius_m * radius_m * (1.0 + 1e-5));
    v.tree->within(points_.row(static_cast<Index>(i)).data(), r2, &hits_);
    out->clear();
    for (const auto& [local, d2] : hits_) {
      const std::size_t j = v.global[local];
      if (dist2(i, j) <= radius_m * radius_m) out->push_back(j);
    }
    std::sort(out->begin(), out->end());
  }

 private:
  const PointsF& points_;
  std::vector<int> slot_;
  std::vector<std::unique_ptr<ViewIndex>> views_;
  mutable std::vector<std::pair<std::uint32_t, float>> hits_;
};

void check_inputs(const PointsF& points, const std::vector<int>& view, const FeaturesF& features,
                  const PruningConfig& config) {
  const auto n = static_cast<std::size_t>(points.rows());
  if (view.size() != n)
    throw std::invalid_argument("prune_points: " + std::to_string(n) + " points but " +
                                std::to_string(view.size()) + " view ids");
  const bool needs_features =
      config.method == PruningMethod::kMutualNearest || config.method == PruningMethod::kRatioTest;
  if (static_cast<std::size_t>(features.rows()) != n && (needs_features || features.rows() != 0))
    throw std::invalid_argument(
        "prune_points: " + std::to_string(n) + " points but " + std::to_string(features.rows()) +
        " feature rows" +
        (needs_features ? " (" + to_string(config.method) + " compares features)" : std::string()));
  if (!points.allFinite()) throw std::invalid_argument("prune_points: a point is not finite");
  if (needs_features && !features.allFinite())
    throw std::invalid_argument("prune_points: a feature is not finite");
  if (!(config.vote_radius_m > 0.0) || !std::isfinite(config.vote_radius_m))
    throw std::invalid_argument("PruningConfig.vote_radius_m must be > 0, got " +
                                std::to_string(config.vote_radius_m));
  if (!(config.keep_fraction >= 0.0 && config.keep_fraction <= 1.0))
    throw std::invalid_argument("PruningConfig.keep_fraction must be in [0, 1], got " +
                                std::to_string(config.keep_fraction));
  if (config.min_votes < 0)
    throw std::invalid_argument("PruningConfig.min_votes must be >= 0, got " +
                                std::to_string(config.min_votes));
  if (!(config.ratio > 0.0 && config.ratio <= 1.0))
    throw std::invalid_argument("PruningConfig.ratio must be in (0, 1], got " +
                                std::to_string(config.ratio));
}

/// For every point, the nearest point of another view within radius_m
/// (kNone if none), and its squared distance (infinity if none).
void nearest_other_view(const ViewSet& views, std::size_t n, double radius_m,
                        std::vector<std::size_t>* target, std::vector<double>* target_d2) {
  target->assign(n, kNone);
  target_d2->assign(n, std::numeric_limits<double>::infinity());
  const double r2 = radius_m * radius_m;
  for (std::size_t i = 0; i < n; ++i) {
    for (int s = 0; s < views.num_views(); ++s) {
      if (s == views.slot(i)) continue;
      const std::size_t j = views.nearest(s, i);
      if (j == kNone) continue;
      const double d2 = views.dist2(i, j);
      if (d2 > r2) continue;
      if (d2 < (*target_d2)[i] || (d2 == (*target_d2)[i] && j < (*target)[i])) {
        (*target)[i] = j;
        (*target_d2)[i] = d2;
      }
    }
  }
}

std::vector<std::size_t> prune_vote_3d(const PointsF& points, const std::vector<int>& view,
                                       const PruningConfig& config) {
  const auto n = static_cast<std::size_t>(points.rows());
  const ViewSet views(points, view);
  std::vector<std::size_t> target;
  std::vector<double> target_d2;
  nearest_other_view(views, n, config.vote_radius_m, &target, &target_d2);
  std::vector<int> votes(n, 0);
  for (std::size_t i = 0; i < n; ++i)
    if (target[i] != kNone) ++votes[target[i]];

  std::vector<std::size_t> rank(n);
  for (std::size_t i = 0; i < n; ++i) rank[i] = i;
  std::sort(rank.begin(), rank.end(), [&](std::size_t a, std::size_t b) {
    if (votes[a] != votes[b]) return votes[a] > votes[b];
    if (target_d2[a] != target_d2[b]) return target_d2[a] < target_d2[b];
    return a < b;
  });
  const auto n_keep = static_cast<std::size_t>(std::llround(config.keep_fraction * n));
  std::vector<std::size_t> keep;
  keep.reserve(n_keep);
  for (std::size_t r = 0; r < n_keep; ++r)
    if (votes[rank[r]] >= config.min_votes) keep.push_back(rank[r]);
  std::sort(keep.begin(), keep.end());
  return keep;
}

/// match[i * V + s]: the feature-nearest point of view slot s within the
/// radius of point i, or kNone. For the ratio test also whether that match
/// passes (d1 < ratio d2, or a single candidate).
void match_views(const ViewSet& views, std::size_t n, const FeaturesF& features,
                 const PruningConfig& config, std::vector<std::size_t>* match,
                 std::vector<char>* passes_ratio) {
  const auto v = static_cast<std::size_t>(views.num_views());
  match->assign(n * v, kNone);
  passes_ratio->assign(n * v, 0);
  std::vector<std::size_t> cands;
  for (std::size_t i = 0; i < n; ++i) {
    const auto fi = features.row(static_cast<Index>(i)).cast<double>();
    for (int s = 0; s < views.num_views(); ++s) {
      if (s == views.slot(i)) continue;
      views.within(s, i, config.vote_radius_m, &cands);
      if (cands.empty()) continue;
      // Two smallest feature distances; candidates are in ascending index
      // order, so strict comparisons keep the lower index on ties.
      double d1 = std::numeric_limits<double>::infinity(), d2 = d1;
      std::size_t best = kNone;
      for (std::size_t j : cands) {
        const double d = (features.row(static_cast<Index>(j)).cast<double>() - fi).norm();
        if (d < d1) {
          d2 = d1;
          d1 = d;
          best = j;
        } else if (d < d2) {
          d2 = d;
        }
      }
      const std::size_t slot = i * v + static_cast<std::size_t>(s);
      (*match)[slot] = best;
      (*passes_ratio)[slot] = cands.size() == 1 || d1 < config.ratio * d2;
    }
  }
}

}  // namespace

PruningMethod parse_pruning_method(const std::string& name) {
  if (name == "none") return PruningMethod::kNone;
  if (name == "vote_3d") return PruningMethod::kVote3D;
  if (name == "mutual_nn") return PruningMethod::kMutualNearest;
  if (name == "ratio") return PruningMethod::kRatioTest;
  throw std::invalid_argument("unknown pruning method '" + name +
                              "'; valid names: none, vote_3d, mutual_nn, ratio");
}

std::string to_string(PruningMethod method) {
  switch (method) {
    case PruningMethod::kNone:
      return "none";
    case PruningMethod::kVote3D:
      return "vote_3d";
    case PruningMethod::kMutualNearest:
      return "mutual_nn";
    case PruningMethod::kRatioTest:
      return "ratio";
  }
  return "unknown";
}

std::vector<int> count_votes_3d(const PointsF& points, const std::vector<int>& view,
                                double vote_radius_m) {
  PruningConfig config;
  config.vote_radius_m = vote_radius_m;
  check_inputs(points, view, FeaturesF(), config);
  const auto n = static_cast<std::size_t>(points.rows());
  std::vector<int> votes(n, 0);
  if (n == 0) return votes;
  const ViewSet views(points, view);
  std::vector<std::size_t> target;
  std::vector<double> target_d2;
  nearest_other_view(views, n, vote_radius_m, &target, &target_d2);
  for (std::size_t i = 0; i < n; ++i)
    if (target[i] != kNone) ++votes[target[i]];
  return votes;
}

std::vector<std::size_t> prune_points(const PointsF& points, const std::vector<int>& view,
                                      const FeaturesF& features, const PruningConfig& config) {
  check_inputs(points, view, features, config);
  const auto n = static_cast<std::size_t>(points.rows());
  if (n == 0) return {};
  if (config.method == PruningMethod::kNone) {
    std::vector<std::size_t> all(n);
    for (std::size_t i = 0; i < n; ++i) all[i] = i;
    return all;
  }
  if (config.method == PruningMethod::kVote3D) return prune_vote_3d(points, view, config);

  const ViewSet views(points, view);
  std::vector<std::size_t> match;
  std::vector<char> passes_ratio;
  match_views(views, n, features, config, &match, &passes_ratio);
  const auto v = static_cast<std::size_t>(views.num_views());
  std::vector<std::size_t> keep;
  for (std::size_t i = 0; i < n; ++i) {
    bool supported = false;
    for (std::size_t s = 0; s < v && !supported; ++s) {
      const std::size_t j = match[i * v + s];
      if (j == kNone) continue;
      if (config.method == PruningMethod::kRatioTest) {
        supported = passes_ratio[i * v + s] != 0;
      } else {
        supported = match[j * v + static_cast<std::size_t>(views.slot(i))] == i;
      }
    }
    if (supported) keep.push_back(i);
  }
  return keep;
}

}  // namespace dffeval
