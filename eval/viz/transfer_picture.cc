#include "eval/viz/transfer_picture.h"

#include "eval/viz/feature_colors.h"
#include "eval/viz/point_splat.h"

namespace dffeval {
namespace {

std::vector<Eigen::Vector3d> to_points(const PointsF& p) {
  std::vector<Eigen::Vector3d> out(static_cast<std::size_t>(p.rows()));
  for (Eigen::Index i = 0; i < p.rows(); ++i) out[i] = p.row(i).transpose().cast<double>();
  return out;
}

/// One panel: a cloud with its colours and a hand, seen from two sides.
RgbImage panel(const ObservationField& scene, const std::vector<Eigen::Vector3f>& colors,
               const PointsF& hand_W, const std::string& title) {
  const std::vector<Eigen::Vector3d> cloud = to_points(scene.points);
  GreyPoints hand;
  hand.p_W = to_points(hand_W);
  std::vector<Eigen::Vector3d> all = cloud;
  all.insert(all.end(), hand.p_W.begin(), hand.p_W.end());
  std::vector<RgbImage> views;
  for (double azimuth : {-60.0, 30.0}) {
    const SplatCamera cam = fit_camera(all, azimuth, 30.0, 360, 320);
    views.push_back(splat_points(cam, cloud, colors, SplatStyle{}, &hand));
  }
  RgbImage out = hstack(views);
  draw_text(&out, 6, 6, title);
  return out;
}

}  // namespace

void write_transfer_picture(const std::filesystem::path& file, const ObservationField& source,
                            const ObservationField& target, const PointsF& optimized_hand_W,
                            const PointsF& demo_hand_W) {
  const SharedPca pca = fit_shared_pca(source.refined, target.refined);
  const RgbImage top =
      panel(source, pca_colors(pca, source.refined), demo_hand_W, "source + demonstration");
  const RgbImage bottom =
      panel(target, pca_colors(pca, target.refined), optimized_hand_W, "target + optimized grasp");
  write_png(file, vstack({top, bottom}));
}

}  // namespace dffeval
