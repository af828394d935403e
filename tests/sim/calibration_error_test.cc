// Calibration error: the drawn errors stay inside their bounds (and fill
// them), and a view handed on differs from the rendered one by exactly the
// drawn error, pixels untouched.

#include "sim/calibration_error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace dffeval {
namespace {

CalibrationErrorSpec rig_spec() {
  CalibrationErrorSpec spec;
  spec.rotation_max_deg = 0.3;
  spec.translation_max_m = 0.003;
  spec.focal_max_fraction = 0.005;
  spec.principal_point_max_px = 1.0;
  return spec;
}

CameraView some_view() {
  CameraView v;
  v.name = "cam0";
  v.width = 4;
  v.height = 3;
  v.K << 290.0, 0, 160.0, 0, 290.0, 120.0, 0, 0, 1;
  v.X_WC = Eigen::Translation3d(0.3, -0.2, 0.4) *
           Eigen::AngleAxisd(2.0, Eigen::Vector3d(0.3, -0.5, 0.8).normalized());
  v.depth_m = {0.5f, 0.6f, 0.0f, 0.7f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
  v.rgb.assign(36, 17);
  return v;
}

TEST(CalibrationError, DrawsStayWithinTheirBoundsAndFillThem) {
  const CalibrationErrorSpec spec = rig_spec();
  double max_rot = 0, max_trans = 0, max_focal = 0, max_pp = 0;
  for (std::uint64_t seed = 0; seed < 2000; ++seed) {
    const CalibrationError e = draw_calibration_error(spec, seed);
    EXPECT_LE(e.rotation_deg(), spec.rotation_max_deg + 1e-9);
    EXPECT_LE(e.translation_m(), spec.translation_max_m + 1e-12);
    EXPECT_LE(std::abs(e.focal_scale - 1.0), spec.focal_max_fraction + 1e-12);
    EXPECT_LE(e.principal_shift_px.cwiseAbs().maxCoeff(), spec.principal_point_max_px + 1e-12);
    max_rot = std::max(max_rot, e.rotation_deg());
    max_trans = std::max(max_trans, e.translation_m());
    max_focal = std::max(max_focal, std::abs(e.focal_scale - 1.0));
    max_pp = std::max(max_pp, e.principal_shift_px.cwiseAbs().maxCoeff());
  }
  // Uniform draws: 2000 of them come within 1% of every bound.
  EXPECT_GT(max_rot, 0.99 * spec.rotation_max_deg);
  EXPECT_GT(max_trans, 0.99 * spec.translation_max_m);
  EXPECT_GT(max_focal, 0.99 * spec.focal_max_fraction);
  EXPECT_GT(max_pp, 0.99 * spec.principal_point_max_px);
}

TEST(CalibrationError, ErrorDirectionsAreNotBiased) {
  // The mean translation of many draws is near zero compared with its size:
  // a sign error or a fixed axis would put it near the bound.
  Eigen::Vector3d sum = Eigen::Vector3d::Zero();
  const int n = 4000;
  for (int seed = 0; seed < n; ++seed)
    sum += draw_calibration_error(rig_spec(), seed).X_CtrueCreported.translation();
  EXPECT_LT((sum / n).norm(), 0.1 * rig_spec().translation_max_m);
}

TEST(CalibrationError, TheViewHandedOnDiffersByExactlyTheDrawnError) {
  const CameraView truth = some_view();
  const CalibrationError e = draw_calibration_error(rig_spec(), 42);
  ASSERT_GT(e.translation_m(), 0.0);
  const CameraView reported = apply_calibration_error(e, truth);
  const Eigen::Isometry3d recovered = truth.X_WC.inverse() * reported.X_WC;
  EXPECT_TRUE(recovered.matrix().isApprox(e.X_CtrueCreported.matrix(), 1e-12));
  EXPECT_DOUBLE_EQ(reported.K(0, 0), truth.K(0, 0) * e.focal_scale);
  EXPECT_DOUBLE_EQ(reported.K(1, 1), truth.K(1, 1) * e.focal_scale);
  EXPECT_DOUBLE_EQ(reported.K(0, 2), truth.K(0, 2) + e.principal_shift_px.x());
  EXPECT_DOUBLE_EQ(reported.K(1, 2), truth.K(1, 2) + e.principal_shift_px.y());
  EXPECT_EQ(reported.K(0, 1), 0.0);
  EXPECT_EQ(reported.depth_m, truth.depth_m);
  EXPECT_EQ(reported.rgb, truth.rgb);
  // The camera moved by the drawn amount, in the world too.
  EXPECT_NEAR((reported.X_WC.translation() - truth.X_WC.translation()).norm(), e.translation_m(),
              1e-12);
}

TEST(CalibrationError, NoBoundsNoError) {
  const CalibrationError e = draw_calibration_error(CalibrationErrorSpec{}, 7);
  EXPECT_TRUE(e.X_CtrueCreported.matrix().isIdentity(0.0));
  EXPECT_EQ(e.focal_scale, 1.0);
  EXPECT_EQ(e.principal_shift_px, Eigen::Vector2d::Zero());
  EXPECT_FALSE(CalibrationErrorSpec{}.enabled());
}

TEST(CalibrationError, SeededAndOneBoundDoesNotMoveTheOthers) {
  const CalibrationError a = draw_calibration_error(rig_spec(), 5);
  const CalibrationError b = draw_calibration_error(rig_spec(), 5);
  const CalibrationError c = draw_calibration_error(rig_spec(), 6);
  EXPECT_EQ(a.X_CtrueCreported.matrix(), b.X_CtrueCreported.matrix());
  EXPECT_EQ(a.focal_scale, b.focal_scale);
  EXPECT_NE(a.X_CtrueCreported.matrix(), c.X_CtrueCreported.matrix());
  CalibrationErrorSpec no_rotation = rig_spec();
  no_rotation.rotation_max_deg = 0;
  const CalibrationError d = draw_calibration_error(no_rotation, 5);
  EXPECT_EQ(d.rotation_deg(), 0.0);
  EXPECT_EQ(d.X_CtrueCreported.translation(), a.X_CtrueCreported.translation());
  EXPECT_EQ(d.principal_shift_px, a.principal_shift_px);
}

TEST(CalibrationError, JsonNamesTheMagnitudes) {
  const CalibrationError e = draw_calibration_error(rig_spec(), 3);
  const nlohmann::json j = e.to_json();
  EXPECT_DOUBLE_EQ(j.at("translation_m").get<double>(), e.translation_m());
  EXPECT_DOUBLE_EQ(j.at("rotation_deg").get<double>(), e.rotation_deg());
  EXPECT_DOUBLE_EQ(j.at("focal_scale").get<double>(), e.focal_scale);
  EXPECT_TRUE(j.contains("X_CtrueCreported"));
}

}  // namespace
}  // namespace dffeval
