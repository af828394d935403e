#include "sim/rgbd_renderer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

namespace dffeval {

Eigen::Matrix3d camera_intrinsics(double fovy_deg, int width, int height) {
  const double f = 0.5 * height / std::tan(0.5 * fovy_deg * M_PI / 180.0);
  Eigen::Matrix3d K;
  K << f, 0, 0.5 * width, 0, f, 0.5 * height, 0, 0, 1;
  return K;
}

std::vector<std::uint8_t> segmentation_picture(const World& world,
                                               const std::vector<std::int32_t>& segmentation_body) {
  std::vector<std::uint8_t> rgb(segmentation_body.size() * 3, 0);
  for (std::size_t p = 0; p < segmentation_body.size(); ++p) {
    const int b = segmentation_body[p];
    std::array<std::uint8_t, 3> c = {0, 0, 0};
    if (b == world.target_body())
      c = {230, 60, 60};
    else if (b >= 0 && world.is_hand_body(b))
      c = {60, 60, 230};
    else if (b > 0)
      c = {60, 200, 60};
    else if (b == 0)
      c = {90, 90, 90};
    std::copy(c.begin(), c.end(), rgb.begin() + 3 * p);
  }
  return rgb;
}

RgbdRenderer::RgbdRenderer() {
  mjv_defaultScene(&scene_);
  mjr_defaultContext(&context_);
}

RgbdRenderer::~RgbdRenderer() {
  gl_.make_current();
  if (has_context_) {
    mjr_freeContext(&context_);
    mjv_freeScene(&scene_);
  }
}

void RgbdRenderer::bind_world(const World& world) {
  if (world.serial() == bound_world_) return;
  const mjModel* m = world.model();
  if (has_context_) {
    mjr_freeContext(&context_);
    mjv_freeScene(&scene_);
  }
  mjv_defaultScene(&scene_);
  mjv_makeScene(m, &scene_, 2000);
  mjr_defaultContext(&context_);
  mjr_makeContext(m, &context_, mjFONTSCALE_100);
  mjr_setBuffer(mjFB_OFFSCREEN, &context_);
  if (context_.currentBuffer != mjFB_OFFSCREEN) {
    throw std::runtime_error("MuJoCo offscreen framebuffer is not available");
  }
  // Shadows and reflections cost most of the frame on llvmpipe and a depth
  // camera does not see them anyway.
  scene_.flags[mjRND_SHADOW] = 0;
  scene_.flags[mjRND_REFLECTION] = 0;
  scene_.flags[mjRND_SKYBOX] = 0;
  has_context_ = true;
  bound_world_ = world.serial();
}

void RgbdRenderer::draw(const World& world, mjData* d, const mjvCamera& camera, int W, int H,
                        bool segmentation, std::vector<unsigned char>* rgb,
                        std::vector<float>* depth) {
  mjvOption opt;
  mjv_defaultOption(&opt);
  mjvCamera cam = camera;  // mjv_updateScene takes it non-const
  const mjrRect viewport = {0, 0, W, H};
  rgb->resize(static_cast<std::size_t>(W) * H * 3);
  if (depth) depth->resize(static_cast<std::size_t>(W) * H);
  scene_.flags[mjRND_SEGMENT] = segmentation ? 1 : 0;
  scene_.flags[mjRND_IDCOLOR] = segmentation ? 1 : 0;
  // Only group 0-2 geoms are visible; sites, joints and frames are not drawn.
  mjv_updateScene(world.model(), d, &opt, nullptr, &cam, mjCAT_ALL, &scene_);
  mjr_render(viewport, &scene_, &context_);
  mjr_readPixels(rgb->data(), depth ? depth->data() : nullptr, viewport, &context_);
}

namespace {

mjvCamera fixed_camera(const World& world, std::size_t camera) {
  mjvCamera cam;
  mjv_defaultCamera(&cam);
  cam.type = mjCAMERA_FIXED;
  cam.fixedcamid = world.camera_ids()[camera];
  return cam;
}

/// Rows top-down from OpenGL's bottom-up ones, `width` RGB pixels each.
std::vector<std::uint8_t> rows_top_down(const std::vector<unsigned char>& flipped, int width,
                                        int height) {
  std::vector<std::uint8_t> out(flipped.size());
  for (int v = 0; v < height; ++v)
    std::copy_n(&flipped[static_cast<std::size_t>(height - 1 - v) * width * 3], width * 3,
                &out[static_cast<std::size_t>(v) * width * 3]);
  return out;
}

/// A view's name, size, intrinsics and pose, its colour from OpenGL's
/// bottom-up rows.
CameraView view_of(const CameraPlacement& placement,
                   const std::vector<unsigned char>& rgb_flipped) {
  const int W = placement.width, H = placement.height;
  CameraView view;
  view.name = placement.name;
  view.width = W;
  view.height = H;
  view.K = camera_intrinsics(placement.fovy_deg, W, H);
  view.X_WC = placement.X_WC;
  view.rgb = rows_top_down(rgb_flipped, W, H);
  return view;
}

}  // namespace

CameraView RgbdRenderer::render_colour(const World& world, mjData* d, std::size_t camera) {
  const auto& cams = world.scene().cameras;
  if (camera >= cams.size())
    throw std::out_of_range("render_colour: camera " + std::to_string(camera) + " of " +
                            std::to_string(cams.size()));
  gl_.make_current();
  bind_world(world);
  std::vector<unsigned char> rgb_flipped;
  draw(world, d, fixed_camera(world, camera), cams[camera].width, cams[camera].height, false,
       &rgb_flipped, nullptr);
  return view_of(cams[camera], rgb_flipped);
}

std::vector<std::uint8_t> RgbdRenderer::render_viewpoint(const World& world, mjData* d,
                                                         const Viewpoint& viewpoint) {
  const auto& cams = world.scene().cameras;
  if (cams.empty()) throw std::out_of_range("render_viewpoint: the scene has no camera");
  gl_.make_current();
  bind_world(world);
  mjvCamera cam;
  mjv_defaultCamera(&cam);
  cam.type = mjCAMERA_FREE;
  for (int i = 0; i < 3; ++i) cam.lookat[i] = viewpoint.lookat_m[i];
  cam.distance = viewpoint.distance_m;
  cam.azimuth = viewpoint.azimuth_deg;
  cam.elevation = viewpoint.elevation_deg;
  // The offscreen buffer is sized for the scene's cameras (sim/world.cc).
  const int W = cams[0].width, H = cams[0].height;
  std::vector<unsigned char> rgb_flipped;
  draw(world, d, cam, W, H, false, &rgb_flipped, nullptr);
  return rows_top_down(rgb_flipped, W, H);
}

RenderedViews RgbdRenderer::render(const World& world, mjData* d, bool with_segmentation) {
  gl_.make_current();
  const mjModel* m = world.model();
  bind_world(world);
  const double extent = m->stat.extent;
  const double znear = m->vis.map.znear * extent, zfar = m->vis.map.zfar * extent;

  RenderedViews out;
  const auto& cams = world.scene().cameras;
  std::vector<unsigned char> rgb_flipped;
  std::vector<float> depth_flipped;
  for (std::size_t c = 0; c < cams.size(); ++c) {
    const auto& placement = cams[c];
    const int W = placement.width, H = placement.height;
    const mjvCamera cam = fixed_camera(world, c);
    draw(world, d, cam, W, H, false, &rgb_flipped, &depth_flipped);
    CameraView view = view_of(placement, rgb_flipped);
    view.depth_m.resize(depth_flipped.size());
    for (int v = 0; v < H; ++v) {
      const int src = H - 1 - v;  // OpenGL rows run bottom-up
      for (int u = 0; u < W; ++u) {
        const float z = depth_flipped[static_cast<std::size_t>(src) * W + u];
        // Linearize the [0, 1] depth buffer (standard OpenGL projection);
        // the far plane means nothing was hit.
        float depth = 0.f;
        if (z < 1.0f) depth = static_cast<float>(znear * zfar / (zfar - z * (zfar - znear)));
        view.depth_m[static_cast<std::size_t>(v) * W + u] = depth;
      }
    }
    out.observation.views.push_back(std::move(view));

    if (with_segmentation) {
      draw(world, d, cam, W, H, true, &rgb_flipped, nullptr);
      std::vector<std::int32_t> seg(static_cast<std::size_t>(W) * H, -1);
      for (int v = 0; v < H; ++v) {
        const int src = H - 1 - v;
        for (int u = 0; u < W; ++u) {
          const unsigned char* px = &rgb_flipped[(static_cast<std::size_t>(src) * W + u) * 3];
          // IDCOLOR encodes (scene geom index + 1) in the RGB bytes.
          const int id = px[0] + 256 * px[1] + 65536 * px[2] - 1;
          if (id < 0 || id >= scene_.ngeom) continue;
          const mjvGeom& g = scene_.geoms[id];
          if (g.objtype == mjOBJ_GEOM && g.objid >= 0) {
            // An object's every body (a soft object's composite) is the object.
            const int b = m->geom_bodyid[g.objid];
            seg[static_cast<std::size_t>(v) * W + u] =
                world.is_hand_body(b) ? b : m->body_rootid[b];
          }
        }
      }
      out.segmentation_body.push_back(std::move(seg));
    }
  }
  scene_.flags[mjRND_SEGMENT] = 0;
  scene_.flags[mjRND_IDCOLOR] = 0;
  return out;
}

}  // namespace dffeval
