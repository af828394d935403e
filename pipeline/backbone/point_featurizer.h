#pragma once
// Per-point features for a back-projected cloud (SparseDFF stage 1). Image
// backbones compute one dense feature map per view and the cloud samples it at
// each point's pixel; the geometric baseline works on the points directly. The
// pipeline sees only PointFeaturizer, chosen by name from a BackboneConfig.
//
// This header is LibTorch-free so that the pipeline and eval code that only
// picks a backbone does not compile the LibTorch headers.

#include <Eigen/Core>
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/cloud/point_cloud.h"
#include "types/feature_types.h"
#include "types/observation.h"

namespace dffeval {

class StrictYaml;

/// A dense feature map of one image: `channels` values per cell on a grid of
/// height x width cells. Cell (x, y) has its centre at image coordinates
/// ((x + 0.5) * stride_px, (y + 0.5) * stride_px), so image pixel (u, v),
/// whose centre is (u + 0.5, v + 0.5), lies at map coordinates
/// ((u + 0.5) / stride_px - 0.5, (v + 0.5) / stride_px - 0.5) in cell units.
struct FeatureMap {
  int channels = 0;
  int height = 0;
  int width = 0;
  /// Image pixels per map cell along each axis (e.g. 2 for a stride-2 net,
  /// 14 for a ViT/14 on the unscaled image, 7 on an image upscaled 2x).
  double stride_px = 1.0;
  /// Channel-major values: data[(c * height + y) * width + x].
  std::vector<float> data;

  float at(int c, int y, int x) const {
    return data[(static_cast<std::size_t>(c) * height + y) * width + x];
  }
};

/// An image encoder: one RGB-D view in, one dense feature map out.
class ImageBackbone {
 public:
  virtual ~ImageBackbone() = default;
  /// The view's dense feature map. Thread-compatible: const calls from
  /// several threads on one backbone are safe.
  virtual FeatureMap compute(const CameraView& view) const = 0;
  /// Channels of the maps compute() returns.
  virtual int dim() const = 0;
  virtual std::string name() const = 0;
};

/// Bilinear samples of `map` at the centres of `pixels` (u, v) of its image,
/// one row per pixel (pixels.size() x map.channels). Samples outside the grid
/// of cell centres take the nearest border value (clamped coordinates).
FeaturesF sample_features(const FeatureMap& map, const std::vector<Eigen::Vector2i>& pixels);

/// Bilinear samples of `map` for every point of `cloud` whose view is
/// `view_index`, written to the same rows of `out` (which must have
/// cloud.size() rows and map.channels columns); other rows are untouched.
void sample_features_into(const FeatureMap& map, const PointCloud& cloud, int view_index,
                          FeaturesF* out);

/// What the pipeline calls: features for every point of a cloud.
class PointFeaturizer {
 public:
  virtual ~PointFeaturizer() = default;
  /// Features of every point of `cloud` (cloud.size() x dim()), whose points
  /// came from the views of `obs` (PointCloud::view, PointCloud::pixel).
  virtual FeaturesF featurize(const Observation& obs, const PointCloud& cloud) const = 0;
  virtual int dim() const = 0;
  virtual std::string name() const = 0;
};

/// Adapts an ImageBackbone: computes the map of every view that has points in
/// the cloud and samples it at the points' pixels; optionally re-normalizes
/// each sampled feature to unit L2 length (bilinear interpolation of unit
/// vectors shortens them).
class ImageBackboneFeaturizer final : public PointFeaturizer {
 public:
  ImageBackboneFeaturizer(std::unique_ptr<ImageBackbone> backbone, bool l2_normalize);
  FeaturesF featurize(const Observation& obs, const PointCloud& cloud) const override;
  int dim() const override { return backbone_->dim(); }
  std::string name() const override { return backbone_->name(); }
  const ImageBackbone& backbone() const { return *backbone_; }

 private:
  std::unique_ptr<ImageBackbone> backbone_;
  bool l2_normalize_;
};

/// Settings of the "learned" backbone (pipeline/learned_backbone.h).
struct LearnedBackboneConfig {
  /// Weights file written by `dffeval train-backbone`; relative paths are
  /// under the project root. Empty: assets/backbone/learned_backbone.pt.
  std::string weights_path;
};

/// Settings of the "torchscript" backbone (pipeline/torchscript_backbone.h):
/// any TorchScript image encoder taking (1, 3, H, W) float and returning
/// (1, dim, h, w), e.g. a DINOv2 ViT exported by the user.
struct TorchScriptBackboneConfig {
  /// The TorchScript file (torch.jit.save); relative paths are under the
  /// project root. Required.
  std::string module_path;
  /// Input pixels per output cell of the module (a ViT's patch size), > 0.
  int patch_px = 14;
  /// Channels the module returns, > 0; checked on the first image.
  int feature_dim = 768;
  /// Per-channel normalization of RGB in [0, 1]: (rgb - mean) / std.
  std::array<double, 3> mean{0.485, 0.456, 0.406};
  std::array<double, 3> std{0.229, 0.224, 0.225};
  /// The image is resized by this factor before the module (> 0; > 1 gives
  /// finer patches, as SparseDFF does).
  double input_scale = 1.0;
  /// The resized image is padded (bottom/right, with the mean colour) to a
  /// multiple of this many pixels (usually patch_px), > 0.
  int size_multiple_px = 14;
};

/// Settings of the "geometric" featurizer (pipeline/geometric_features.h).
struct GeometricFeaturesConfig {
  /// Neighbourhood radius for the normals, metres.
  double normal_radius_m = 0.01;
  /// Neighbourhood radius for FPFH, metres.
  double fpfh_radius_m = 0.025;
  /// At most this many neighbours per FPFH / normal neighbourhood.
  int max_neighbours = 60;
  /// Height of the table top in the world (z), metres.
  double table_height_m = 0.0;
  /// Heights above the table are divided by this before clamping to [0, 1].
  double height_scale_m = 0.3;
  /// Weight of each block after its normalization.
  double normal_weight = 1.0;
  double fpfh_weight = 1.0;
  double height_weight = 1.0;
};

/// Which backbone makes the per-point features, and its settings.
struct BackboneConfig {
  /// "learned" (default), "torchscript" or "geometric".
  std::string name = "learned";
  /// Re-normalize sampled image features to unit length (image backbones).
  bool l2_normalize = true;
  LearnedBackboneConfig learned;
  TorchScriptBackboneConfig torchscript;
  GeometricFeaturesConfig geometric;
};

/// The valid BackboneConfig::name values.
const std::vector<std::string>& backbone_names();

/// Makes the featurizer named by config.name. Throws std::invalid_argument
/// for an unknown name (listing the valid ones), InputError for a missing
/// weights/module file, std::runtime_error for a file that does not load.
std::unique_ptr<PointFeaturizer> make_featurizer(const BackboneConfig& config);

}  // namespace dffeval
