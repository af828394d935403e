#pragma once
// The default image backbone: a compact fully convolutional dense-descriptor
// net (a 4-level strided encoder with a feature-pyramid decoder), trained by
// `dffeval train-backbone` (pipeline/backbone_training.h) on simulated views
// of the seen objects, with pixel correspondences as the only supervision.
//
// Input: RGB plus channels derived from depth and the camera calibration
// (relative depth, normals, the normals' up component and the height above
// the world's z = 0 plane, which is the table top in rendered scenes and in a
// table-calibrated rig). Object colours are randomized per instance, so shape
// cues matter more than colour. Output: unit-length D-dim descriptors at
// stride 2.
//
// This header exposes the LibTorch module for the training loop; code that
// only needs features should use pipeline/point_featurizer.h.

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/backbone/point_featurizer.h"

namespace dffeval {

/// Channels of the net's input (see learned_backbone_input()).
inline constexpr int kLearnedBackboneInputChannels = 10;
/// Image pixels per output cell.
inline constexpr int kLearnedBackboneStride = 2;

/// Architecture hyper-parameters (stored in the weights file).
struct LearnedBackboneSpec {
  /// Descriptor dimension D, > 0.
  int feature_dim = 32;
  /// Channels at stride 2; 2x at stride 4, 4x at strides 8 and 16. A multiple
  /// of 8 (group normalization uses 8 groups).
  int base_width = 24;
  /// Channels of the decoder (feature pyramid), a multiple of 8.
  int decoder_width = 64;
};

/// The net's input for one view, (kLearnedBackboneInputChannels, H, W) float:
///   0-2  RGB in [0, 1] minus 0.5;
///   3    1 where the depth is valid, else 0;
///   4    (depth - median valid depth of the image) / 0.1 m, clamped to
///        [-3, 3];
///   5-7  unit surface normal in the camera frame (OpenCV), from depth by
///        central differences, facing the camera;
///   8    the normal's world +z component (X_WC rotation);
///   9    height of the point above the world z = 0 plane / 0.1 m, clamped
///        to [-1, 5].
/// Depth-derived channels are 0 where the depth is invalid.
torch::Tensor learned_backbone_input(const CameraView& view);
/// The window [x0, x0 + width) x [y0, y0 + height) of
/// learned_backbone_input(view) (inside the image), computed without the rest
/// (the median depth is still the whole image's).
torch::Tensor learned_backbone_input(const CameraView& view, int x0, int y0, int width, int height);

/// The dense-descriptor net. forward(x): x (B, kLearnedBackboneInputChannels,
/// H, W) -> unit-length descriptors (B, D, ceil(H / 2), ceil(W / 2)); any H
/// and W (padded internally to a multiple of 16).
class DenseDescriptorNetImpl : public torch::nn::Module {
 public:
  explicit DenseDescriptorNetImpl(const LearnedBackboneSpec& spec);
  torch::Tensor forward(const torch::Tensor& x);
  const LearnedBackboneSpec& spec() const { return spec_; }

 private:
  struct ConvBlock {
    torch::nn::Conv2d conv{nullptr};
    torch::nn::GroupNorm norm{nullptr};
  };
  ConvBlock block(const std::string& name, int in, int out, int stride);
  torch::Tensor apply(ConvBlock& b, const torch::Tensor& x);

  LearnedBackboneSpec spec_;
  // Encoder: two 3x3 conv blocks per level, the first strided.
  std::vector<ConvBlock> enc_;
  // Decoder: 1x1 laterals per level, 3x3 smoothing at strides 8 and 4, a
  // 1x1 two-layer head at stride 2.
  std::vector<torch::nn::Conv2d> lateral_;
  std::vector<ConvBlock> smooth_;
  torch::nn::Conv2d head1_{nullptr}, head2_{nullptr};
};
TORCH_MODULE(DenseDescriptorNet);

/// The "learned" ImageBackbone: the net plus its input preparation.
class LearnedBackbone final : public ImageBackbone {
 public:
  /// A freshly initialized (untrained) net; initialization draws from
  /// torch's global generator seeded with init_seed.
  LearnedBackbone(const LearnedBackboneSpec& spec, std::uint64_t init_seed);
  /// Loads a weights file written by save(). Throws InputError if the file is
  /// missing (naming it and the command that makes it), std::runtime_error if
  /// it is not a learned-backbone weights file.
  static std::unique_ptr<LearnedBackbone> load(const std::filesystem::path& weights_file);
  /// Writes the weights to `weights_file` and `sidecar` (how they were made)
  /// to sidecar_path(weights_file). Creates the folder.
  void save(const std::filesystem::path& weights_file, const nlohmann::json& sidecar) const;

  /// Descriptors of one view (eval mode, no gradients), stride 2.
  FeatureMap compute(const CameraView& view) const override;
  int dim() const override { return spec_.feature_dim; }
  std::string name() const override { return "learned"; }

  const LearnedBackboneSpec& spec() const { return spec_; }
  /// The module, for training (call net()->train() / eval() as needed).
  DenseDescriptorNet& net() { return net_; }
  /// Parameters in the net.
  std::int64_t parameter_count() const;

 private:
  // Builds the net without touching torch's global generator (load()).
  explicit LearnedBackbone(const LearnedBackboneSpec& spec);
  LearnedBackboneSpec spec_;
  mutable DenseDescriptorNet net_{nullptr};
};

/// assets/backbone/learned_backbone.pt under the project root.
std::filesystem::path default_learned_backbone_path();
/// The JSON sidecar beside a weights file: the same path with ".json".
std::filesystem::path sidecar_path(const std::filesystem::path& weights_file);

}  // namespace dffeval
