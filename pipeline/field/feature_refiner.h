#pragma once
// SparseDFF's feature refinement network: a per-point MLP trained once on the
// source scene with a cross-view contrastive (InfoNCE) loss, so that points of
// different views that see the same surface get the same feature; then
// applied unchanged to target scenes.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "types/feature_types.h"

namespace dffeval {

struct RefinerConfig {
  /// Hidden width = hidden_multiplier * D (published "glayer": 4).
  int hidden_multiplier = 4;
  /// Width of the projection head used only in training (published: 64).
  int projection_dim = 64;
  /// InfoNCE temperature. The published 0.007 trains slowly from a cold start
  /// in the few hundred steps we afford on a CPU; 0.07 (SimCLR's) converges
  /// in seconds and is our default.
  double temperature = 0.07;
  /// Points of two different views closer than this are positives, metres.
  double positive_radius_m = 0.004;
  /// Adam steps and learning rate. Published: 20k steps at 1e-4 on a GPU;
  /// 400 steps at 1e-3 take about a second on one core and reach a similar
  /// cross-view distance on our scenes (see README, measurements).
  int steps = 400;
  double learning_rate = 1e-3;
  /// Positive pairs per step (the other keys of the batch are negatives).
  int batch_size = 256;
  std::uint64_t seed = 1;
};

/// Loss after each logged step.
using RefinerLog = std::function<void(int step, double loss)>;

/// The trained MLP: Linear(D, hD) - ReLU - Linear(hD, D) - ReLU.
class FeatureRefiner {
 public:
  /// Trains on one scene. `view[i]` is the camera view of point i. Throws
  /// std::invalid_argument when the scene has no cross-view positive pairs
  /// (for example a single view). Runs on LibTorch's current intra-op thread
  /// count; results are identical for a given seed and thread count.
  static FeatureRefiner train(const PointsF& points, const std::vector<int>& view,
                              const FeaturesF& features, const RefinerConfig& config,
                              const RefinerLog& log = {});
  /// Reads weights written by save(); throws std::runtime_error naming the
  /// file.
  static FeatureRefiner load(const std::string& path);

  FeatureRefiner();
  ~FeatureRefiner();
  FeatureRefiner(FeatureRefiner&&) noexcept;
  FeatureRefiner& operator=(FeatureRefiner&&) noexcept;

  /// Refined features, same shape as the input (N x D).
  FeaturesF apply(const FeaturesF& features) const;
  void save(const std::string& path) const;

  int dim() const;
  /// Loss of every training step (empty after load()).
  const std::vector<double>& loss_history() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Indices (a, b) of points of different views closer than radius_m: each
/// point of every view paired with its nearest point in every other view.
std::vector<std::pair<std::size_t, std::size_t>> cross_view_pairs(const PointsF& points,
                                                                  const std::vector<int>& view,
                                                                  double radius_m);

/// Mean L2 distance between the L2-normalized features of cross-view pairs:
/// how much views disagree about the same surface (lower is better).
double cross_view_feature_distance(const PointsF& points, const std::vector<int>& view,
                                   const FeaturesF& features, double radius_m = 0.005);

}  // namespace dffeval
