#include "eval/viz/capture_comparison.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "eval/viz/feature_colors.h"
#include "eval/viz/point_splat.h"
#include "pipeline/cloud/point_cloud.h"

namespace dffeval {
namespace {

/// Depth range of the colour scale: the 2% and 98% quantiles of the truth's
/// valid depths over all views, so the object and table fill the ramp.
std::pair<float, float> depth_range(const Observation& truth) {
  std::vector<float> valid;
  for (const CameraView& v : truth.views)
    for (float z : v.depth_m)
      if (z > 0) valid.push_back(z);
  if (valid.empty()) return {0.0f, 1.0f};
  return {quantile(valid, 0.02), quantile(valid, 0.98)};
}

RgbImage depth_picture(const CameraView& view, float lo, float hi) {
  RgbImage image(view.width, view.height, Eigen::Vector3f::Zero());
  for (int v = 0; v < view.height; ++v) {
    for (int u = 0; u < view.width; ++u) {
      const float z = view.depth_at(u, v);
      if (z > 0) image.set(u, v, similarity_ramp((z - lo) / std::max(hi - lo, 1e-6f)));
    }
  }
  return image;
}

/// |sensed - truth| where both are valid (0 .. max_mm mapped on the ramp),
/// white where only one of them is valid (a hole or a pixel out of nothing).
RgbImage difference_picture(const CameraView& truth, const CameraView& sensed, float max_mm) {
  RgbImage image(truth.width, truth.height, Eigen::Vector3f::Zero());
  for (int v = 0; v < truth.height; ++v) {
    for (int u = 0; u < truth.width; ++u) {
      const float a = truth.depth_at(u, v), b = sensed.depth_at(u, v);
      if (a > 0 && b > 0) {
        image.set(u, v, similarity_ramp(1000.0f * std::abs(b - a) / max_mm));
      } else if ((a > 0) != (b > 0)) {
        image.set(u, v, Eigen::Vector3f::Ones());
      }
    }
  }
  return image;
}

/// The back-projection near the table centre, where the target stands
/// (placements are within 5 cm of it): noise on the object and the table
/// around it is then visible at the picture's scale.
void workspace_points(const Observation& obs, std::vector<Eigen::Vector3d>* p_W,
                      std::vector<Eigen::Vector3f>* rgb) {
  const PointCloud cloud = backproject(obs, 1);
  const Eigen::AlignedBox3d box(Eigen::Vector3d(-0.13, -0.13, -0.02),
                                Eigen::Vector3d(0.13, 0.13, 0.3));
  for (std::size_t i = 0; i < cloud.size(); ++i) {
    if (!box.contains(cloud.p_W[i])) continue;
    p_W->push_back(cloud.p_W[i]);
    rgb->push_back(cloud.rgb[i]);
  }
}

}  // namespace

void write_capture_comparison(const std::filesystem::path& file, const Observation& truth,
                              const Observation& sensed) {
  if (truth.views.size() != sensed.views.size())
    throw std::invalid_argument("capture comparison: the two observations differ in view count");
  const auto [lo, hi] = depth_range(truth);
  constexpr float kMaxDifferenceMm = 10.0f;
  std::vector<RgbImage> rows;
  for (std::size_t i = 0; i < truth.views.size(); ++i) {
    const CameraView& t = truth.views[i];
    const CameraView& s = sensed.views[i];
    if (t.name != s.name || t.width != s.width || t.height != s.height)
      throw std::invalid_argument("capture comparison: view " + t.name +
                                  " differs in name or size");
    RgbImage a = depth_picture(t, lo, hi), b = depth_picture(s, lo, hi);
    RgbImage c = difference_picture(t, s, kMaxDifferenceMm);
    draw_text(&a, 4, 4, t.name + " truth", Eigen::Vector3f::Ones());
    draw_text(&b, 4, 4, t.name + " sensed", Eigen::Vector3f::Ones());
    draw_text(&c, 4, 4, "|diff| (white: hole or new)", Eigen::Vector3f::Ones());
    rows.push_back(hstack({a, b, c}));
  }
  rows.push_back(hstack({colour_bar(300, 14, similarity_ramp, fmt::format("{:.2f} m", lo),
                                    fmt::format("{:.2f} m", hi)),
                         colour_bar(300, 14, similarity_ramp, "diff 0 mm",
                                    fmt::format("{:.0f} mm", kMaxDifferenceMm))},
                        24));
  std::vector<Eigen::Vector3d> p_truth, p_sensed;
  std::vector<Eigen::Vector3f> c_truth, c_sensed;
  workspace_points(truth, &p_truth, &c_truth);
  workspace_points(sensed, &p_sensed, &c_sensed);
  if (!p_truth.empty()) {
    const SplatCamera cam = fit_camera(p_truth, -60.0, 25.0, 480, 400, 0.95);
    SplatStyle style;
    style.point_radius_m = 0.0008;
    RgbImage left = splat_points(cam, p_truth, c_truth, style);
    RgbImage right = splat_points(cam, p_sensed, c_sensed, style);
    draw_text(&left, 6, 6, "cloud, truth");
    draw_text(&right, 6, 6, "cloud, sensed (reported cameras)");
    rows.push_back(hstack({left, right}));
  }
  write_png(file, vstack(rows));
}

}  // namespace dffeval
