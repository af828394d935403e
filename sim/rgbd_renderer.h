#pragma once
// Headless RGB-D rendering of a World's cameras with MuJoCo's own renderer.

#include <mujoco/mujoco.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/offscreen_gl.h"
#include "sim/world.h"
#include "types/observation.h"

namespace dffeval {

/// Rendered views plus what only a simulator knows.
struct RenderedViews {
  /// The views as a camera rig would give them (RGB, metric depth, K, X_WC).
  Observation observation;
  /// Per view, per pixel: the MuJoCo body id seen, -1 for background. For
  /// evaluation and diagnostics only: never an input to a grasp method.
  /// Empty unless requested.
  std::vector<std::vector<std::int32_t>> segmentation_body;
};

/// Owns a GL context and MuJoCo render state. Not thread-safe: one per
/// worker thread, used only on the thread that created it.
class RgbdRenderer {
 public:
  RgbdRenderer();
  ~RgbdRenderer();
  RgbdRenderer(const RgbdRenderer&) = delete;
  RgbdRenderer& operator=(const RgbdRenderer&) = delete;

  /// Renders every camera of the world at state `d` (after mj_forward).
  RenderedViews render(const World& world, mjData* d, bool with_segmentation = false);

  /// Colour only, one camera (frames of a video): the view without depth.
  /// Throws std::out_of_range for a camera the scene does not have.
  CameraView render_colour(const World& world, mjData* d, std::size_t camera);

  const std::string& gl_backend() const { return gl_.backend(); }

 private:
  void bind_world(const World& world);
  OffscreenGl gl_;
  /// World::serial() of the world whose meshes and textures are uploaded; 0
  /// none. Not the model's address: a new World's model can be allocated
  /// where a freed one was, and the renderer then drew the old object's
  /// meshes (found 2026-11-25: suite results depended on allocation history).
  std::uint64_t bound_world_ = 0;
  mjvScene scene_;
  mjrContext context_;
  bool has_context_ = false;
};

/// A picture of one view's segmentation for people (diagnostics only): the
/// target red, the hand blue, other objects green, the table grey, background
/// black. RGB, row-major.
std::vector<std::uint8_t> segmentation_picture(const World& world,
                                               const std::vector<std::int32_t>& segmentation_body);

/// Intrinsics of a MuJoCo camera with vertical field of view fovy (degrees)
/// rendered at width x height: square pixels, principal point at the centre.
Eigen::Matrix3d camera_intrinsics(double fovy_deg, int width, int height);

}  // namespace dffeval
