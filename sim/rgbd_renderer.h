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
  /// Per view, per pixel: the MuJoCo body id seen (for an object its root
  /// body, so a soft object's composite reads as the object), -1 for
  /// background. For
  /// evaluation and diagnostics only: never an input to a grasp method.
  /// Empty unless requested.
  std::vector<std::vector<std::int32_t>> segmentation_body;
};

/// A camera that looks at `lookat_m` from `distance_m` away (MuJoCo's free
/// camera): azimuth about world +z of the viewing direction and its
/// elevation (negative: looking down), degrees.
struct Viewpoint {
  Eigen::Vector3d lookat_m = Eigen::Vector3d::Zero();
  double distance_m = 1.0;
  double azimuth_deg = 0.0;
  double elevation_deg = -20.0;
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

  /// Colour only, one camera: the view without depth. Throws
  /// std::out_of_range for a camera the scene does not have.
  CameraView render_colour(const World& world, mjData* d, std::size_t camera);

  /// Colour only from a viewpoint placed for people (a video's frames),
  /// the size of scene camera 0: RGB rows top-down, width x height of that
  /// camera.
  std::vector<std::uint8_t> render_viewpoint(const World& world, mjData* d,
                                             const Viewpoint& viewpoint);

  const std::string& gl_backend() const { return gl_.backend(); }

 private:
  void bind_world(const World& world);
  /// Draws the bound world at `d` from `camera` at width x height (colours,
  /// or segmentation ids) and reads its pixels, OpenGL's rows bottom-up,
  /// into `rgb` and, when not null, `depth` (the [0, 1] depth buffer).
  void draw(const World& world, mjData* d, const mjvCamera& camera, int width, int height,
            bool segmentation, std::vector<unsigned char>* rgb, std::vector<float>* depth);
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
