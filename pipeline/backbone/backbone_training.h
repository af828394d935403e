#pragma once
// Self-supervised training of the learned backbone (pipeline/learned_backbone.h)
// from pixel correspondences between views: a pixelwise contrastive (InfoNCE)
// loss pulls the descriptors of matching pixels together and pushes the other
// matches of the batch (and random pixels) away. The correspondences come
// from anywhere (eval/backbone_dataset.h renders them in simulation); this
// file only needs the views and the pixel pairs.
//
// LibTorch-free header.

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "types/observation.h"

namespace dffeval {

class LearnedBackbone;
class ImageBackbone;

/// Matching pixels between two views of a dataset.
struct CorrespondencePair {
  /// Indices into CorrespondenceDataset::views.
  int view_a = 0;
  int view_b = 0;
  /// pix_a[i] in view_a sees the same surface point as pix_b[i] in view_b
  /// (pixel indices (u, v), centres at (u + 0.5, v + 0.5)).
  std::vector<Eigen::Vector2i> pix_a;
  std::vector<Eigen::Vector2i> pix_b;
  /// Optional, one per match: coordinates (any unit, e.g. a symmetry-reduced
  /// position on the object) in which two matches closer than
  /// BackboneTrainingOptions::negative_margin are not used as each other's
  /// negatives: neighbouring or symmetric surface points are not pushed
  /// apart. Empty: every other match is a negative.
  std::vector<Eigen::Vector3f> key;
  /// What kind of pair this is, for statistics (e.g. "cross_view").
  std::string kind;
};

/// Views plus correspondences between them.
struct CorrespondenceDataset {
  std::vector<CameraView> views;
  std::vector<CorrespondencePair> pairs;
};

/// Training settings. Defaults are the ones `dffeval train-backbone` uses.
struct BackboneTrainingOptions {
  /// Optimizer steps, >= 1.
  int steps = 600;
  /// Pairs per step (each contributes two crops to the batch), >= 1.
  int pairs_per_step = 4;
  /// Matches sampled per pair (the InfoNCE batch), >= 2.
  int matches_per_pair = 128;
  /// Random valid-depth pixels of each crop used as extra negatives.
  int random_negatives_per_pair = 64;
  /// Square training crops, pixels (even; 0: whole images, which must then
  /// all have one size). Each crop is centred near a random match.
  int crop_px = 128;
  /// Adam learning rate; cosine decay to lr * final_lr_fraction.
  double learning_rate = 1e-3;
  double final_lr_fraction = 0.1;
  /// InfoNCE temperature on cosine similarities.
  double temperature = 0.05;
  /// See CorrespondencePair::key, in the key's units.
  double negative_margin = 0.02;
  /// Random negatives closer than this to the true match are skipped, pixels.
  double random_negative_min_px = 6.0;
  /// Probability that a crop's colours are randomly permuted, rescaled or
  /// made grey (independently per crop): colour is not a reliable cue.
  double color_augment_probability = 0.5;
  /// Gradients are clipped to this global L2 norm (<= 0: no clipping).
  double gradient_clip_norm = 5.0;
  /// Seeds pair, crop, match and augmentation sampling (SeededRng) and torch.
  std::uint64_t seed = 1;
  /// The log callback runs every log_every steps (and on the last step).
  int log_every = 10;
};

/// One line of the training log.
struct TrainingLogEntry {
  int step = 0;
  /// Loss of this step.
  double loss = 0.0;
  /// Mean loss over the steps since the previous entry.
  double mean_loss = 0.0;
  double learning_rate = 0.0;
  /// Seconds since training started.
  double elapsed_s = 0.0;
};

struct BackboneTrainingResult {
  /// Loss of every step, in order.
  std::vector<double> loss_history;
  double seconds = 0.0;
};

/// Trains backbone.net() in place (left in eval mode). Deterministic on CPU
/// for a given seed, dataset, initial weights and torch thread count (the
/// result of a float reduction can depend on how it is split over threads).
/// Throws std::invalid_argument for invalid options or a dataset without
/// usable pairs.
BackboneTrainingResult train_learned_backbone(
    LearnedBackbone& backbone, const CorrespondenceDataset& data,
    const BackboneTrainingOptions& options,
    const std::function<void(const TrainingLogEntry&)>& log = {});

/// The mean training loss (no augmentation, no gradients) over `batches`
/// batches drawn with `seed`: a fixed yardstick to compare weights with.
double evaluate_backbone_loss(LearnedBackbone& backbone, const CorrespondenceDataset& data,
                              const BackboneTrainingOptions& options, int batches,
                              std::uint64_t seed);

/// How similar an image backbone's descriptors are at matching pixels.
struct DescriptorMatchStats {
  /// Matches evaluated.
  int matches = 0;
  /// Mean cosine similarity of the two descriptors of a match.
  double positive_cosine = 0.0;
  /// Mean cosine similarity of a match's pix_a descriptor and the descriptor
  /// of a random valid-depth pixel of view_b.
  double random_cosine = 0.0;
  /// Fraction of matches whose most similar valid-depth pixel of view_b (over
  /// every pixel, at the map's resolution) lies within `radius_px` of pix_b.
  double top1_within_radius = 0.0;
};

/// Evaluates up to `max_pairs` pairs (every pair if <= 0), `matches_per_pair`
/// matches each, sampled with `seed`.
DescriptorMatchStats evaluate_descriptor_matches(const ImageBackbone& backbone,
                                                 const CorrespondenceDataset& data, int max_pairs,
                                                 int matches_per_pair, double radius_px,
                                                 std::uint64_t seed);

}  // namespace dffeval
