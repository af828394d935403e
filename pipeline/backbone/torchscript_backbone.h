#pragma once
// Any TorchScript image encoder as a backbone, e.g. a DINOv2 ViT that a user
// exported with torch.jit.trace/script and torch.jit.save. The module takes
// (1, 3, H, W) float (normalized RGB) and returns (1, D, h, w) patch features,
// with h = H / patch and w = W / patch.

#include <memory>
#include <mutex>
#include <string>

#include "pipeline/backbone/point_featurizer.h"

namespace dffeval {

class TorchScriptBackbone final : public ImageBackbone {
 public:
  /// Loads config.module_path (absolute, or relative to the working
  /// directory). Throws InputError if the file is missing and
  /// std::runtime_error naming the file if it is not a TorchScript module;
  /// std::invalid_argument for invalid settings.
  explicit TorchScriptBackbone(const TorchScriptBackboneConfig& config);
  ~TorchScriptBackbone() override;

  /// Resizes the RGB image by config.input_scale, pads it to a multiple of
  /// config.size_multiple_px, normalizes it and runs the module. The map
  /// covers the padded image; its stride is patch_px / input_scale image
  /// pixels. Throws std::runtime_error naming the file if the module's output
  /// is not (1, feature_dim, ceil(H'/patch), ceil(W'/patch))-shaped.
  FeatureMap compute(const CameraView& view) const override;
  int dim() const override { return config_.feature_dim; }
  std::string name() const override { return "torchscript"; }
  const TorchScriptBackboneConfig& config() const { return config_; }

 private:
  struct Impl;
  TorchScriptBackboneConfig config_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dffeval
