#include "pipeline/backbone/learned_backbone.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>

#include "common/input_error.h"
#include "common/project_paths.h"

namespace dffeval {
namespace {

namespace F = torch::nn::functional;

// Version of the weights file layout; bumped when the net's structure or its
// input channels change, so an old file is rejected instead of misread.
constexpr std::int64_t kWeightsFormatVersion = 1;
constexpr int kGroups = 8;
constexpr int kLevels = 4;

// Depth steps larger than this fraction of the depth are silhouettes, not
// surface: normals are not taken across them.
constexpr float kMaxRelativeDepthStep = 0.03f;

Eigen::Vector3f camera_point(const CameraView& view, int u, int v, float d) {
  return Eigen::Vector3f(static_cast<float>((u + 0.5 - view.K(0, 2)) / view.K(0, 0)) * d,
                         static_cast<float>((v + 0.5 - view.K(1, 2)) / view.K(1, 1)) * d, d);
}

float median_valid_depth(const std::vector<float>& depth_m) {
  std::vector<float> valid;
  valid.reserve(depth_m.size());
  for (float d : depth_m)
    if (d > 0.f && std::isfinite(d)) valid.push_back(d);
  if (valid.empty()) return 0.f;
  auto mid = valid.begin() + static_cast<std::ptrdiff_t>(valid.size() / 2);
  std::nth_element(valid.begin(), mid, valid.end());
  return *mid;
}

}  // namespace

torch::Tensor learned_backbone_input(const CameraView& view) {
  return learned_backbone_input(view, 0, 0, view.width, view.height);
}

torch::Tensor learned_backbone_input(const CameraView& view, int x0, int y0, int width,
                                     int height) {
  const int W = view.width, H = view.height;
  if (W <= 0 || H <= 0 || view.rgb.size() != static_cast<std::size_t>(W) * H * 3 ||
      view.depth_m.size() != static_cast<std::size_t>(W) * H) {
    throw std::invalid_argument("learned backbone: view '" + view.name +
                                "' has inconsistent image sizes");
  }
  if (x0 < 0 || y0 < 0 || width <= 0 || height <= 0 || x0 + width > W || y0 + height > H) {
    throw std::invalid_argument("learned backbone: window outside view '" + view.name + "'");
  }
  const std::size_t plane = static_cast<std::size_t>(width) * height;
  std::vector<float> x(kLearnedBackboneInputChannels * plane, 0.f);
  auto ch = [&](int c, int u, int v) -> float& {
    return x[c * plane + static_cast<std::size_t>(v - y0) * width + (u - x0)];
  };
  const float median = median_valid_depth(view.depth_m);
  const Eigen::Matrix3f R_WC = view.X_WC.rotation().cast<float>();
  const Eigen::Vector3f p_WC = view.X_WC.translation().cast<float>();
  auto valid = [&](int u, int v) {
    if (u < 0 || v < 0 || u >= W || v >= H) return false;
    const float d = view.depth_at(u, v);
    return d > 0.f && std::isfinite(d);
  };

  for (int v = y0; v < y0 + height; ++v) {
    for (int u = x0; u < x0 + width; ++u) {
      const std::size_t k = static_cast<std::size_t>(v) * W + u;
      for (int c = 0; c < 3; ++c) ch(c, u, v) = view.rgb[3 * k + c] / 255.f - 0.5f;
      if (!valid(u, v)) continue;
      const float d = view.depth_m[k];
      ch(3, u, v) = 1.f;
      ch(4, u, v) = std::clamp((d - median) / 0.1f, -3.f, 3.f);
      const Eigen::Vector3f p_C = camera_point(view, u, v, d);

      // Tangents by central differences, one-sided where a neighbour is
      // missing or across a silhouette.
      auto neighbour_ok = [&](int uu, int vv) {
        return valid(uu, vv) && std::abs(view.depth_at(uu, vv) - d) < kMaxRelativeDepthStep * d;
      };
      auto tangent = [&](int du, int dv, Eigen::Vector3f* t) {
        const bool fwd = neighbour_ok(u + du, v + dv), back = neighbour_ok(u - du, v - dv);
        if (!fwd && !back) return false;
        const Eigen::Vector3f a =
            fwd ? camera_point(view, u + du, v + dv, view.depth_at(u + du, v + dv)) : p_C;
        const Eigen::Vector3f b =
            back ? camera_point(view, u - du, v - dv, view.depth_at(u - du, v - dv)) : p_C;
        *t = a - b;
        return true;
      };
      Eigen::Vector3f tu, tv;
      if (tangent(1, 0, &tu) && tangent(0, 1, &tv)) {
        Eigen::Vector3f n_C = tu.cross(tv);
        if (n_C.norm() > 1e-12f) {
          n_C.normalize();
          if (n_C.dot(p_C) > 0.f) n_C = -n_C;  // facing the camera
          for (int c = 0; c < 3; ++c) ch(5 + c, u, v) = n_C[c];
          ch(8, u, v) = (R_WC * n_C).z();
        }
      }
      const float z_W = (R_WC * p_C + p_WC).z();
      ch(9, u, v) = std::clamp(z_W / 0.1f, -1.f, 5.f);
    }
  }
  return torch::from_blob(x.data(), {kLearnedBackboneInputChannels, height, width}, torch::kFloat32)
      .clone();
}

DenseDescriptorNetImpl::DenseDescriptorNetImpl(const LearnedBackboneSpec& spec) : spec_(spec) {
  if (spec.feature_dim <= 0 || spec.base_width <= 0 || spec.base_width % kGroups != 0 ||
      spec.decoder_width <= 0 || spec.decoder_width % kGroups != 0) {
    throw std::invalid_argument(
        "learned backbone: feature_dim must be > 0 and base_width, decoder_width positive "
        "multiples of 8");
  }
  const int w = spec.base_width;
  const int widths[kLevels] = {w, 2 * w, 4 * w, 4 * w};
  int in = kLearnedBackboneInputChannels;
  for (int l = 0; l < kLevels; ++l) {
    enc_.push_back(block("enc" + std::to_string(l) + "a", in, widths[l], 2));
    enc_.push_back(block("enc" + std::to_string(l) + "b", widths[l], widths[l], 1));
    in = widths[l];
  }
  const int dw = spec.decoder_width;
  for (int l = 0; l < kLevels; ++l) {
    lateral_.push_back(
        register_module("lateral" + std::to_string(l),
                        torch::nn::Conv2d(torch::nn::Conv2dOptions(widths[l], dw, 1))));
  }
  // Smoothing after merging into strides 8 and 4 (levels 2 and 1).
  smooth_.push_back(block("smooth2", dw, dw, 1));
  smooth_.push_back(block("smooth1", dw, dw, 1));
  head1_ = register_module("head1", torch::nn::Conv2d(torch::nn::Conv2dOptions(dw, dw, 1)));
  head2_ = register_module("head2",
                           torch::nn::Conv2d(torch::nn::Conv2dOptions(dw, spec.feature_dim, 1)));
}

DenseDescriptorNetImpl::ConvBlock DenseDescriptorNetImpl::block(const std::string& name, int in,
                                                                int out, int stride) {
  ConvBlock b;
  b.conv = register_module(
      name + "_conv",
      torch::nn::Conv2d(
          torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)));
  b.norm = register_module(name + "_norm",
                           torch::nn::GroupNorm(torch::nn::GroupNormOptions(kGroups, out)));
  return b;
}

torch::Tensor DenseDescriptorNetImpl::apply(ConvBlock& b, const torch::Tensor& x) {
  return torch::relu(b.norm->forward(b.conv->forward(x)));
}

torch::Tensor DenseDescriptorNetImpl::forward(const torch::Tensor& x_in) {
  const std::int64_t H = x_in.size(2), W = x_in.size(3);
  // Pad to a multiple of 16 so that every level halves exactly; the padding
  // looks like invalid depth (all channels 0).
  const std::int64_t m = 1 << kLevels;
  const std::int64_t Hp = (H + m - 1) / m * m, Wp = (W + m - 1) / m * m;
  torch::Tensor x = x_in;
  if (Hp != H || Wp != W) x = F::pad(x_in, F::PadFuncOptions({0, Wp - W, 0, Hp - H}));

  std::vector<torch::Tensor> levels;
  for (int l = 0; l < kLevels; ++l) {
    x = apply(enc_[2 * l], x);
    x = apply(enc_[2 * l + 1], x);
    levels.push_back(x);
  }
  auto up_to = [](const torch::Tensor& t, const torch::Tensor& like) {
    return F::interpolate(t, F::InterpolateFuncOptions()
                                 .size(std::vector<std::int64_t>{like.size(2), like.size(3)})
                                 .mode(torch::kBilinear)
                                 .align_corners(false));
  };
  torch::Tensor d = lateral_[3]->forward(levels[3]);
  for (int l = 2; l >= 1; --l) {
    d = up_to(d, levels[l]) + lateral_[l]->forward(levels[l]);
    d = apply(smooth_[2 - l], d);
  }
  d = torch::relu(up_to(d, levels[0]) + lateral_[0]->forward(levels[0]));
  d = head2_->forward(torch::relu(head1_->forward(d)));
  const std::int64_t h = (H + 1) / 2, w = (W + 1) / 2;
  d = d.index({torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(0, h),
               torch::indexing::Slice(0, w)});
  return F::normalize(d, F::NormalizeFuncOptions().p(2).dim(1).eps(1e-8));
}

LearnedBackbone::LearnedBackbone(const LearnedBackboneSpec& spec) : spec_(spec) {
  net_ = DenseDescriptorNet(spec);
  net_->eval();
}

LearnedBackbone::LearnedBackbone(const LearnedBackboneSpec& spec, std::uint64_t init_seed)
    : spec_(spec) {
  torch::manual_seed(init_seed);
  net_ = DenseDescriptorNet(spec);
  net_->eval();
}

std::int64_t LearnedBackbone::parameter_count() const {
  std::int64_t n = 0;
  for (const auto& p : net_->parameters()) n += p.numel();
  return n;
}

FeatureMap LearnedBackbone::compute(const CameraView& view) const {
  torch::InferenceMode guard;
  const bool was_training = net_->is_training();
  if (was_training) net_->eval();
  const torch::Tensor out = net_->forward(learned_backbone_input(view).unsqueeze(0)).contiguous();
  if (was_training) net_->train();
  FeatureMap map;
  map.channels = static_cast<int>(out.size(1));
  map.height = static_cast<int>(out.size(2));
  map.width = static_cast<int>(out.size(3));
  map.stride_px = kLearnedBackboneStride;
  map.data.assign(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
  return map;
}

void LearnedBackbone::save(const std::filesystem::path& weights_file,
                           const nlohmann::json& sidecar) const {
  if (weights_file.has_parent_path())
    std::filesystem::create_directories(weights_file.parent_path());
  torch::serialize::OutputArchive archive;
  net_->save(archive);
  // The architecture travels with the weights, so load() needs no sidecar.
  archive.write("dffeval_spec",
                torch::tensor({kWeightsFormatVersion, std::int64_t{spec_.feature_dim},
                               std::int64_t{spec_.base_width}, std::int64_t{spec_.decoder_width},
                               std::int64_t{kLearnedBackboneInputChannels}}),
                /*is_buffer=*/true);
  archive.save_to(weights_file.string());
  std::ofstream out(sidecar_path(weights_file));
  out << sidecar.dump(2) << "\n";
  if (!out) throw std::runtime_error("cannot write " + sidecar_path(weights_file).string());
}

std::unique_ptr<LearnedBackbone> LearnedBackbone::load(const std::filesystem::path& weights_file) {
  if (!std::filesystem::exists(weights_file)) {
    throw InputError("learned backbone weights '" + weights_file.string() +
                     "' not found; make them with `dffeval train-backbone`");
  }
  torch::serialize::InputArchive archive;
  torch::Tensor spec_t;
  try {
    archive.load_from(weights_file.string());
    if (!archive.try_read("dffeval_spec", spec_t, /*is_buffer=*/true)) {
      throw std::runtime_error("no dffeval_spec entry");
    }
  } catch (const std::exception& e) {
    throw InputError("learned backbone weights '" + weights_file.string() +
                     "' are not a dffeval learned-backbone file: " + e.what());
  }
  spec_t = spec_t.to(torch::kInt64).contiguous();
  if (spec_t.numel() != 5 || spec_t[0].item<std::int64_t>() != kWeightsFormatVersion ||
      spec_t[4].item<std::int64_t>() != kLearnedBackboneInputChannels) {
    throw InputError("learned backbone weights '" + weights_file.string() +
                     "' have an unsupported format version; retrain with "
                     "`dffeval train-backbone`");
  }
  LearnedBackboneSpec spec;
  spec.feature_dim = static_cast<int>(spec_t[1].item<std::int64_t>());
  spec.base_width = static_cast<int>(spec_t[2].item<std::int64_t>());
  spec.decoder_width = static_cast<int>(spec_t[3].item<std::int64_t>());
  std::unique_ptr<LearnedBackbone> backbone(new LearnedBackbone(spec));
  try {
    backbone->net_->load(archive);
  } catch (const std::exception& e) {
    throw InputError("learned backbone weights '" + weights_file.string() +
                     "' do not fit the net: " + e.what());
  }
  backbone->net_->eval();
  return backbone;
}

std::filesystem::path default_learned_backbone_path() {
  return project_root() / "assets" / "backbone" / "learned_backbone.pt";
}

std::filesystem::path sidecar_path(const std::filesystem::path& weights_file) {
  std::filesystem::path p = weights_file;
  p.replace_extension(".json");
  return p;
}

}  // namespace dffeval
