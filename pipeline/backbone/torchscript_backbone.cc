#include "pipeline/backbone/torchscript_backbone.h"

#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "common/input_error.h"

namespace dffeval {

struct TorchScriptBackbone::Impl {
  // A TorchScript module's forward() is not declared const; calls are
  // serialized so that const compute() is safe from several threads.
  mutable std::mutex mutex;
  mutable torch::jit::Module module;
};

TorchScriptBackbone::TorchScriptBackbone(const TorchScriptBackboneConfig& config)
    : config_(config), impl_(std::make_unique<Impl>()) {
  const std::string& file = config.module_path;
  if (config.patch_px <= 0 || config.feature_dim <= 0 || !(config.input_scale > 0) ||
      config.size_multiple_px <= 0 ||
      !(config.std[0] > 0 && config.std[1] > 0 && config.std[2] > 0)) {
    throw std::invalid_argument("torchscript backbone '" + file +
                                "': patch_px, feature_dim, input_scale, size_multiple_px and std "
                                "must be > 0");
  }
  if (file.empty() || !std::filesystem::is_regular_file(file)) {
    throw InputError("torchscript backbone: module file '" + file + "' not found");
  }
  try {
    impl_->module = torch::jit::load(file, torch::kCPU);
  } catch (const std::exception& e) {
    throw std::runtime_error("torchscript backbone: '" + file +
                             "' is not a loadable TorchScript module: " + e.what());
  }
  impl_->module.eval();
}

TorchScriptBackbone::~TorchScriptBackbone() = default;

FeatureMap TorchScriptBackbone::compute(const CameraView& view) const {
  namespace F = torch::nn::functional;
  const std::string& file = config_.module_path;
  const int H = view.height, W = view.width;
  if (H <= 0 || W <= 0 || view.rgb.size() != static_cast<std::size_t>(H) * W * 3) {
    throw std::invalid_argument("torchscript backbone: view '" + view.name +
                                "' has an inconsistent RGB image");
  }
  torch::InferenceMode guard;
  // (H, W, 3) uint8 -> (1, 3, H, W) float in [0, 1].
  torch::Tensor x =
      torch::from_blob(const_cast<std::uint8_t*>(view.rgb.data()), {H, W, 3}, torch::kUInt8)
          .permute({2, 0, 1})
          .to(torch::kFloat32)
          .div(255.0)
          .unsqueeze(0);
  const int Hs = std::max(1, static_cast<int>(std::lround(H * config_.input_scale)));
  const int Ws = std::max(1, static_cast<int>(std::lround(W * config_.input_scale)));
  if (Hs != H || Ws != W) {
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .size(std::vector<std::int64_t>{Hs, Ws})
                              .mode(torch::kBilinear)
                              .align_corners(false));
  }
  const torch::Tensor mean =
      torch::tensor({config_.mean[0], config_.mean[1], config_.mean[2]}, torch::kFloat32)
          .view({1, 3, 1, 1});
  const torch::Tensor std =
      torch::tensor({config_.std[0], config_.std[1], config_.std[2]}, torch::kFloat32)
          .view({1, 3, 1, 1});
  x = (x - mean) / std;
  // Pad bottom/right with zeros, i.e. the mean colour after normalization, so
  // that the cells of the original image keep their positions.
  const int m = config_.size_multiple_px;
  const int Hp = (Hs + m - 1) / m * m, Wp = (Ws + m - 1) / m * m;
  if (Hp != Hs || Wp != Ws) x = F::pad(x, F::PadFuncOptions({0, Wp - Ws, 0, Hp - Hs}));

  torch::Tensor y;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    c10::IValue out;
    try {
      out = impl_->module.forward({x});
    } catch (const std::exception& e) {
      throw std::runtime_error("torchscript backbone '" + file + "' failed on a (1, 3, " +
                               std::to_string(Hp) + ", " + std::to_string(Wp) +
                               ") input: " + e.what());
    }
    if (!out.isTensor()) {
      throw std::runtime_error("torchscript backbone '" + file + "' returned a " + out.tagKind() +
                               ", expected a (1, " + std::to_string(config_.feature_dim) +
                               ", h, w) tensor");
    }
    y = out.toTensor();
  }
  const std::int64_t h_expected = (Hp + config_.patch_px - 1) / config_.patch_px;
  const std::int64_t w_expected = (Wp + config_.patch_px - 1) / config_.patch_px;
  auto shape_str = [](const torch::Tensor& t) {
    std::string s = "(";
    for (std::int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
    return s + ")";
  };
  if (y.dim() != 4 || y.size(0) != 1 || y.size(1) != config_.feature_dim ||
      y.size(2) != h_expected || y.size(3) != w_expected) {
    throw std::runtime_error("torchscript backbone '" + file + "' returned shape " + shape_str(y) +
                             " for a (1, 3, " + std::to_string(Hp) + ", " + std::to_string(Wp) +
                             ") input; expected (1, " + std::to_string(config_.feature_dim) + ", " +
                             std::to_string(h_expected) + ", " + std::to_string(w_expected) +
                             ") (feature_dim " + std::to_string(config_.feature_dim) +
                             ", patch_px " + std::to_string(config_.patch_px) + ")");
  }
  y = y.to(torch::kFloat32).contiguous();
  FeatureMap map;
  map.channels = static_cast<int>(y.size(1));
  map.height = static_cast<int>(y.size(2));
  map.width = static_cast<int>(y.size(3));
  // Cells are patch_px pixels of the resized image.
  map.stride_px = config_.patch_px / config_.input_scale;
  map.data.assign(y.data_ptr<float>(), y.data_ptr<float>() + y.numel());
  return map;
}

}  // namespace dffeval
