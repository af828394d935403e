#pragma once
// Pictures of point clouds for people: a small z-buffered disc-splat renderer
// with a virtual look-at camera, a few drawing helpers (panels side by side, a
// colour bar, 5x7 bitmap text) and ASCII PLY files (xyz + rgb) that MeshLab,
// CloudCompare or Open3D open directly.
//
// Diagnostics only (eval/): nothing here feeds a grasp method.

#include <Eigen/Geometry>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace dffeval {

/// 8-bit RGB image, row-major, row 0 at the top.
struct RgbImage {
  int width = 0;
  int height = 0;
  /// height * width * 3 bytes.
  std::vector<std::uint8_t> rgb;

  RgbImage() = default;
  /// A width x height image filled with `fill` (RGB in [0, 1]).
  RgbImage(int width, int height, const Eigen::Vector3f& fill = Eigen::Vector3f::Ones());
  /// Pixel (u, v) as RGB in [0, 1].
  Eigen::Vector3f at(int u, int v) const;
  void set(int u, int v, const Eigen::Vector3f& rgb01);
};

/// A pinhole camera for pictures, OpenCV convention (+x right, +y down, +z
/// forward), square pixels, principal point at the image centre.
struct SplatCamera {
  /// Camera-to-world pose, metres.
  Eigen::Isometry3d X_WC = Eigen::Isometry3d::Identity();
  int width = 480;
  int height = 400;
  /// Vertical field of view, degrees.
  double fovy_deg = 40.0;

  /// Focal length, pixels.
  double focal_px() const;
  /// Image coordinates (u, v) of world point p_W (pixel (i, j) covers
  /// [i, i + 1) x [j, j + 1)) and its depth along the optical axis, metres.
  /// Returns false for points at depth <= 1 mm (behind or at the camera).
  bool project(const Eigen::Vector3d& p_W, Eigen::Vector2d* uv, double* depth_m) const;
};

/// A camera at `eye_W` looking at `target_W` with world +z up (OpenCV frame).
SplatCamera look_at(const Eigen::Vector3d& eye_W, const Eigen::Vector3d& target_W, int width,
                    int height, double fovy_deg = 40.0);

/// A camera that looks at the centre of `points_W` from the given azimuth
/// (about world +z, degrees, 0 = from +x) and elevation (degrees above the
/// horizontal), far enough back that the points' bounding sphere fills about
/// `fill` (0..1] of the smaller image side.
SplatCamera fit_camera(const std::vector<Eigen::Vector3d>& points_W, double azimuth_deg,
                       double elevation_deg, int width, int height, double fill = 0.85,
                       double fovy_deg = 40.0);

/// What to draw.
struct SplatStyle {
  /// Disc radius of a point in the world, metres (its size on screen shrinks
  /// with depth); drawn at least min_radius_px.
  double point_radius_m = 0.0018;
  double min_radius_px = 1.0;
  /// Background colour, RGB in [0, 1].
  Eigen::Vector3f background = Eigen::Vector3f::Ones();
};

/// Extra points drawn in grey (e.g. a hand's surface points), shaded by depth
/// (nearer is lighter) so their shape reads without colours.
struct GreyPoints {
  std::vector<Eigen::Vector3d> p_W;
  double point_radius_m = 0.0025;
};

/// Renders points (world, metres) with per-point colours (RGB in [0, 1], one
/// per point) as z-buffered discs; `extra` (optional) in grey. If `depth_out`
/// is given it receives the z-buffer (height * width, depth along the optical
/// axis in metres, +inf where nothing was drawn), e.g. to tell whether a
/// marked point is hidden. Throws std::invalid_argument if the colour count
/// differs from the point count.
RgbImage splat_points(const SplatCamera& camera, const std::vector<Eigen::Vector3d>& p_W,
                      const std::vector<Eigen::Vector3f>& rgb, const SplatStyle& style = {},
                      const GreyPoints* extra = nullptr, std::vector<float>* depth_out = nullptr);

/// Whether p_W is in front of whatever `depth` (from splat_points) holds at
/// its pixel, within `tolerance_m`: a point drawn there, or not hidden.
bool is_visible(const SplatCamera& camera, const std::vector<float>& depth,
                const Eigen::Vector3d& p_W, double tolerance_m = 0.004);

/// Images side by side (top-aligned, `gap_px` of `fill` between them).
RgbImage hstack(const std::vector<RgbImage>& images, int gap_px = 8,
                const Eigen::Vector3f& fill = Eigen::Vector3f::Ones());
/// Images one above the other (left-aligned).
RgbImage vstack(const std::vector<RgbImage>& images, int gap_px = 8,
                const Eigen::Vector3f& fill = Eigen::Vector3f::Ones());

/// Draws `text` with a 5x7 bitmap font (upper-case letters, digits and
/// " .,:;-+_=/()[]%<>|#*'"; lower-case letters are drawn as upper case, other
/// characters as a box) with its top-left corner at (x, y), each font pixel
/// `scale` x `scale` image pixels. Clipped to the image.
void draw_text(RgbImage* image, int x, int y, const std::string& text,
               const Eigen::Vector3f& rgb01 = Eigen::Vector3f::Zero(), int scale = 2);
/// Width in pixels of `text` drawn at `scale`.
int text_width_px(const std::string& text, int scale = 2);

/// A filled square of half-size `half_px` centred at (u, v), with a 1-pixel
/// outline of `outline` (a marker for a chosen point).
void draw_marker(RgbImage* image, double u, double v, int half_px, const Eigen::Vector3f& fill,
                 const Eigen::Vector3f& outline = Eigen::Vector3f::Zero());

/// A horizontal colour bar `width` x `height` pixels: `ramp` sampled from 0
/// (left) to 1 (right), labelled with `left_label` and `right_label` below it.
/// The result is taller than `height` by the labels.
RgbImage colour_bar(int width, int height, Eigen::Vector3f (*ramp)(float),
                    const std::string& left_label, const std::string& right_label);

/// Writes an 8-bit RGB PNG (creates the parent folder). Throws
/// std::runtime_error if the file cannot be written.
void write_png(const std::filesystem::path& file, const RgbImage& image);

/// The 8-bit RGB PNG file's bytes, for embedding (an HTML report's data
/// URIs). Throws std::runtime_error for an empty image.
std::vector<std::uint8_t> encode_png(const RgbImage& image);

/// `image` shrunk by the smallest whole factor that makes it at most
/// `max_width_px` wide, each pixel the mean of its factor x factor block (a
/// box filter: thin lines fade rather than vanish); `image` itself when it is
/// narrow enough.
RgbImage shrunk(const RgbImage& image, int max_width_px);

/// Writes an ASCII PLY with vertices x y z (float, metres) and red green blue
/// (uchar). `rgb` holds RGB in [0, 1], one per point. Creates the parent
/// folder; throws std::invalid_argument on a count mismatch,
/// std::runtime_error if the file cannot be written.
void write_ply(const std::filesystem::path& file, const std::vector<Eigen::Vector3d>& p_W,
               const std::vector<Eigen::Vector3f>& rgb);

/// Reads an ASCII PLY written by write_ply (or any ASCII PLY whose vertex
/// element starts with x y z and has red green blue uchar properties, or
/// none). Colours default to white when absent. Throws std::runtime_error
/// naming the file for a missing file or an unsupported header.
void read_ply(const std::filesystem::path& file, std::vector<Eigen::Vector3d>* p_W,
              std::vector<Eigen::Vector3f>* rgb);

}  // namespace dffeval
