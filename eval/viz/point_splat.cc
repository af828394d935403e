#include "eval/viz/point_splat.h"

#include <stb/stb_image_write.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

namespace dffeval {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::uint8_t to_byte(float x) {
  return static_cast<std::uint8_t>(std::lround(std::clamp(x, 0.0f, 1.0f) * 255.0f));
}

/// Font rows, top to bottom; bit 4 is the leftmost of the 5 columns.
using Glyph = std::array<std::uint8_t, 7>;

const std::unordered_map<char, Glyph>& font() {
  static const std::unordered_map<char, Glyph> glyphs = {
      {'A', {0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}},
      {'B', {0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e}},
      {'C', {0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e}},
      {'D', {0x1e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1e}},
      {'E', {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f}},
      {'F', {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10}},
      {'G', {0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f}},
      {'H', {0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}},
      {'I', {0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e}},
      {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c}},
      {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}},
      {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f}},
      {'M', {0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11}},
      {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
      {'O', {0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e}},
      {'P', {0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10}},
      {'Q', {0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d}},
      {'R', {0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11}},
      {'S', {0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e}},
      {'T', {0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
      {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e}},
      {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04}},
      {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a}},
      {'X', {0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11}},
      {'Y', {0x11, 0x11, 0x0a, 0x04, 0x04, 0x04, 0x04}},
      {'Z', {0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f}},
      {'0', {0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e}},
      {'1', {0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e}},
      {'2', {0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f}},
      {'3', {0x1e, 0x01, 0x01, 0x0e, 0x01, 0x01, 0x1e}},
      {'4', {0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02}},
      {'5', {0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e}},
      {'6', {0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e}},
      {'7', {0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
      {'8', {0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e}},
      {'9', {0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c}},
      {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c}},
      {',', {0x00, 0x00, 0x00, 0x00, 0x0c, 0x04, 0x08}},
      {':', {0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00}},
      {';', {0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x04, 0x08}},
      {'-', {0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00}},
      {'+', {0x00, 0x04, 0x04, 0x1f, 0x04, 0x04, 0x00}},
      {'_', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1f}},
      {'=', {0x00, 0x00, 0x1f, 0x00, 0x1f, 0x00, 0x00}},
      {'/', {0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x10}},
      {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}},
      {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
      {'[', {0x0e, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0e}},
      {']', {0x0e, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0e}},
      {'%', {0x19, 0x19, 0x02, 0x04, 0x08, 0x13, 0x13}},
      {'<', {0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02}},
      {'>', {0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08}},
      {'|', {0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
      {'#', {0x0a, 0x0a, 0x1f, 0x0a, 0x1f, 0x0a, 0x0a}},
      {'*', {0x00, 0x0a, 0x04, 0x1f, 0x04, 0x0a, 0x00}},
      {'\'', {0x04, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00}},
      {' ', {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}},
  };
  return glyphs;
}

/// Glyph for c: lower case as upper case, unknown characters as a box.
const Glyph& glyph(char c) {
  static const Glyph box = {0x1f, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1f};
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  const auto it = font().find(c);
  return it == font().end() ? box : it->second;
}

/// Splats one disc into colour and depth buffers. `shade_rim` darkens the rim
/// a little so that overlapping discs of one colour still read as a surface
/// of points rather than a flat blob.
void splat_disc(RgbImage* image, std::vector<float>* zbuffer, const Eigen::Vector2d& uv,
                double depth_m, double radius_px, const Eigen::Vector3f& rgb, bool shade_rim) {
  const int u0 = static_cast<int>(std::floor(uv.x() - radius_px));
  const int u1 = static_cast<int>(std::floor(uv.x() + radius_px));
  const int v0 = static_cast<int>(std::floor(uv.y() - radius_px));
  const int v1 = static_cast<int>(std::floor(uv.y() + radius_px));
  const double r2 = radius_px * radius_px;
  for (int v = std::max(v0, 0); v <= std::min(v1, image->height - 1); ++v) {
    for (int u = std::max(u0, 0); u <= std::min(u1, image->width - 1); ++u) {
      // Pixel centres (u + 0.5, v + 0.5) inside the disc; a disc smaller
      // than a pixel still covers the pixel it falls in.
      const double du = u + 0.5 - uv.x(), dv = v + 0.5 - uv.y();
      const double d2 = du * du + dv * dv;
      const bool own_pixel =
          u == static_cast<int>(std::floor(uv.x())) && v == static_cast<int>(std::floor(uv.y()));
      if (d2 > r2 && !own_pixel) continue;
      float& z = (*zbuffer)[static_cast<std::size_t>(v) * image->width + u];
      if (depth_m >= z) continue;
      z = static_cast<float>(depth_m);
      const float shade =
          shade_rim ? 1.0f - 0.18f * static_cast<float>(std::min(1.0, d2 / std::max(r2, 1e-9)))
                    : 1.0f;
      image->set(u, v, rgb * shade);
    }
  }
}

}  // namespace

RgbImage::RgbImage(int w, int h, const Eigen::Vector3f& fill) : width(w), height(h) {
  if (w < 0 || h < 0) throw std::invalid_argument("RgbImage: negative size");
  rgb.resize(static_cast<std::size_t>(w) * h * 3);
  const std::uint8_t r = to_byte(fill.x()), g = to_byte(fill.y()), b = to_byte(fill.z());
  for (std::size_t i = 0; i < rgb.size(); i += 3) {
    rgb[i] = r;
    rgb[i + 1] = g;
    rgb[i + 2] = b;
  }
}

Eigen::Vector3f RgbImage::at(int u, int v) const {
  const std::size_t i = (static_cast<std::size_t>(v) * width + u) * 3;
  return Eigen::Vector3f(rgb[i], rgb[i + 1], rgb[i + 2]) / 255.0f;
}

void RgbImage::set(int u, int v, const Eigen::Vector3f& c) {
  if (u < 0 || v < 0 || u >= width || v >= height) return;
  const std::size_t i = (static_cast<std::size_t>(v) * width + u) * 3;
  rgb[i] = to_byte(c.x());
  rgb[i + 1] = to_byte(c.y());
  rgb[i + 2] = to_byte(c.z());
}

double SplatCamera::focal_px() const {
  return 0.5 * height / std::tan(0.5 * fovy_deg * kPi / 180.0);
}

bool SplatCamera::project(const Eigen::Vector3d& p_W, Eigen::Vector2d* uv, double* depth_m) const {
  const Eigen::Vector3d p_C = X_WC.inverse() * p_W;
  if (p_C.z() <= 1e-3) return false;
  const double f = focal_px();
  *uv = Eigen::Vector2d(f * p_C.x() / p_C.z() + 0.5 * width, f * p_C.y() / p_C.z() + 0.5 * height);
  *depth_m = p_C.z();
  return true;
}

SplatCamera look_at(const Eigen::Vector3d& eye_W, const Eigen::Vector3d& target_W, int width,
                    int height, double fovy_deg) {
  const Eigen::Vector3d z = (target_W - eye_W).normalized();
  // Looking straight down or up: any horizontal "right" will do.
  Eigen::Vector3d x = z.cross(Eigen::Vector3d::UnitZ());
  if (x.norm() < 1e-9) x = Eigen::Vector3d::UnitX();
  x.normalize();
  const Eigen::Vector3d y = z.cross(x);  // image down = world -z side
  SplatCamera cam;
  cam.X_WC.linear().col(0) = x;
  cam.X_WC.linear().col(1) = y;
  cam.X_WC.linear().col(2) = z;
  cam.X_WC.translation() = eye_W;
  cam.width = width;
  cam.height = height;
  cam.fovy_deg = fovy_deg;
  return cam;
}

SplatCamera fit_camera(const std::vector<Eigen::Vector3d>& points_W, double azimuth_deg,
                       double elevation_deg, int width, int height, double fill, double fovy_deg) {
  Eigen::Vector3d centre = Eigen::Vector3d::Zero();
  double radius = 0.05;
  if (!points_W.empty()) {
    // Bounding-box centre, not the mean: a dense side must not push the
    // sparse side out of the frame.
    Eigen::AlignedBox3d box;
    for (const auto& p : points_W) box.extend(p);
    centre = box.center();
    radius = std::max(0.5 * box.diagonal().norm(), 0.01);
  }
  const double half_fov =
      0.5 * fovy_deg * kPi / 180.0 * std::min(1.0, static_cast<double>(width) / height);
  const double distance = radius / std::sin(half_fov * std::clamp(fill, 0.05, 1.0));
  const double az = azimuth_deg * kPi / 180.0, el = elevation_deg * kPi / 180.0;
  const Eigen::Vector3d dir(std::cos(el) * std::cos(az), std::cos(el) * std::sin(az), std::sin(el));
  return look_at(centre + distance * dir, centre, width, height, fovy_deg);
}

RgbImage splat_points(const SplatCamera& camera, const std::vector<Eigen::Vector3d>& p_W,
                      const std::vector<Eigen::Vector3f>& rgb, const SplatStyle& style,
                      const GreyPoints* extra, std::vector<float>* depth_out) {
  if (rgb.size() != p_W.size()) {
    throw std::invalid_argument("splat_points: " + std::to_string(rgb.size()) + " colours for " +
                                std::to_string(p_W.size()) + " points");
  }
  RgbImage image(camera.width, camera.height, style.background);
  std::vector<float> zbuffer(static_cast<std::size_t>(camera.width) * camera.height,
                             std::numeric_limits<float>::infinity());
  const double f = camera.focal_px();
  Eigen::Vector2d uv;
  double depth = 0;
  for (std::size_t i = 0; i < p_W.size(); ++i) {
    if (!camera.project(p_W[i], &uv, &depth)) continue;
    const double r_px = std::max(style.min_radius_px, style.point_radius_m * f / depth);
    splat_disc(&image, &zbuffer, uv, depth, r_px, rgb[i], true);
  }
  if (extra && !extra->p_W.empty()) {
    // Grey level from depth over the extra points' own depth range, so the
    // hand's shape reads without competing with the feature colours.
    double near = std::numeric_limits<double>::infinity(), far = 0;
    for (const auto& p : extra->p_W) {
      if (camera.project(p, &uv, &depth)) {
        near = std::min(near, depth);
        far = std::max(far, depth);
      }
    }
    const double span = std::max(far - near, 1e-6);
    for (const auto& p : extra->p_W) {
      if (!camera.project(p, &uv, &depth)) continue;
      const float g = static_cast<float>(0.30 + 0.45 * (far - depth) / span);
      const double r_px = std::max(style.min_radius_px, extra->point_radius_m * f / depth);
      splat_disc(&image, &zbuffer, uv, depth, r_px, Eigen::Vector3f::Constant(g), true);
    }
  }
  if (depth_out) *depth_out = std::move(zbuffer);
  return image;
}

bool is_visible(const SplatCamera& camera, const std::vector<float>& depth,
                const Eigen::Vector3d& p_W, double tolerance_m) {
  Eigen::Vector2d uv;
  double z = 0;
  if (!camera.project(p_W, &uv, &z)) return false;
  const int u = static_cast<int>(std::floor(uv.x())), v = static_cast<int>(std::floor(uv.y()));
  if (u < 0 || v < 0 || u >= camera.width || v >= camera.height) return false;
  const std::size_t i = static_cast<std::size_t>(v) * camera.width + u;
  return i < depth.size() && z <= depth[i] + tolerance_m;
}

RgbImage hstack(const std::vector<RgbImage>& images, int gap_px, const Eigen::Vector3f& fill) {
  int w = 0, h = 0;
  for (std::size_t i = 0; i < images.size(); ++i) {
    w += images[i].width + (i ? gap_px : 0);
    h = std::max(h, images[i].height);
  }
  RgbImage out(w, h, fill);
  int x0 = 0;
  for (const auto& im : images) {
    for (int v = 0; v < im.height; ++v) {
      std::copy_n(im.rgb.begin() + static_cast<std::ptrdiff_t>(v) * im.width * 3, im.width * 3,
                  out.rgb.begin() + (static_cast<std::ptrdiff_t>(v) * w + x0) * 3);
    }
    x0 += im.width + gap_px;
  }
  return out;
}

RgbImage vstack(const std::vector<RgbImage>& images, int gap_px, const Eigen::Vector3f& fill) {
  int w = 0, h = 0;
  for (std::size_t i = 0; i < images.size(); ++i) {
    h += images[i].height + (i ? gap_px : 0);
    w = std::max(w, images[i].width);
  }
  RgbImage out(w, h, fill);
  int y0 = 0;
  for (const auto& im : images) {
    for (int v = 0; v < im.height; ++v) {
      std::copy_n(im.rgb.begin() + static_cast<std::ptrdiff_t>(v) * im.width * 3, im.width * 3,
                  out.rgb.begin() + static_cast<std::ptrdiff_t>(y0 + v) * w * 3);
    }
    y0 += im.height + gap_px;
  }
  return out;
}

int text_width_px(const std::string& text, int scale) {
  // 5 columns per glyph and 1 column of spacing.
  return text.empty() ? 0 : static_cast<int>(text.size()) * 6 * scale - scale;
}

void draw_text(RgbImage* image, int x, int y, const std::string& text, const Eigen::Vector3f& rgb01,
               int scale) {
  scale = std::max(scale, 1);
  int cx = x;
  for (char c : text) {
    const Glyph& g = glyph(c);
    for (int row = 0; row < 7; ++row) {
      for (int col = 0; col < 5; ++col) {
        if (!(g[row] & (0x10 >> col))) continue;
        for (int dy = 0; dy < scale; ++dy)
          for (int dx = 0; dx < scale; ++dx)
            image->set(cx + col * scale + dx, y + row * scale + dy, rgb01);
      }
    }
    cx += 6 * scale;
  }
}

void draw_marker(RgbImage* image, double u, double v, int half_px, const Eigen::Vector3f& fill,
                 const Eigen::Vector3f& outline) {
  const int cu = static_cast<int>(std::floor(u)), cv = static_cast<int>(std::floor(v));
  for (int dv = -half_px - 1; dv <= half_px + 1; ++dv) {
    for (int du = -half_px - 1; du <= half_px + 1; ++du) {
      const bool rim = std::abs(du) == half_px + 1 || std::abs(dv) == half_px + 1;
      image->set(cu + du, cv + dv, rim ? outline : fill);
    }
  }
}

RgbImage colour_bar(int width, int height, Eigen::Vector3f (*ramp)(float),
                    const std::string& left_label, const std::string& right_label) {
  const int scale = 2, label_h = 7 * scale + 6;
  RgbImage out(width, height + label_h, Eigen::Vector3f::Ones());
  for (int u = 0; u < width; ++u) {
    const Eigen::Vector3f c = ramp(width > 1 ? static_cast<float>(u) / (width - 1) : 0.0f);
    for (int v = 0; v < height; ++v) out.set(u, v, c);
  }
  draw_text(&out, 0, height + 4, left_label, Eigen::Vector3f::Zero(), scale);
  draw_text(&out, width - text_width_px(right_label, scale), height + 4, right_label,
            Eigen::Vector3f::Zero(), scale);
  return out;
}

void write_png(const std::filesystem::path& file, const RgbImage& image) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  if (image.width <= 0 || image.height <= 0 ||
      !stbi_write_png(file.c_str(), image.width, image.height, 3, image.rgb.data(),
                      image.width * 3)) {
    throw std::runtime_error("cannot write PNG " + file.string());
  }
}

std::vector<std::uint8_t> encode_png(const RgbImage& image) {
  std::vector<std::uint8_t> bytes;
  auto append = [](void* context, void* data, int size) {
    auto* out = static_cast<std::vector<std::uint8_t>*>(context);
    const auto* p = static_cast<const std::uint8_t*>(data);
    out->insert(out->end(), p, p + size);
  };
  if (image.width <= 0 || image.height <= 0 ||
      !stbi_write_png_to_func(append, &bytes, image.width, image.height, 3, image.rgb.data(),
                              image.width * 3)) {
    throw std::runtime_error("cannot encode an empty image as PNG");
  }
  return bytes;
}

RgbImage shrunk(const RgbImage& image, int max_width_px) {
  if (max_width_px <= 0 || image.width <= max_width_px) return image;
  const int f = (image.width + max_width_px - 1) / max_width_px;
  RgbImage out(image.width / f, std::max(1, image.height / f));
  for (int v = 0; v < out.height; ++v) {
    for (int u = 0; u < out.width; ++u) {
      Eigen::Vector3f sum = Eigen::Vector3f::Zero();
      int n = 0;
      for (int dv = 0; dv < f && v * f + dv < image.height; ++dv, ++n)
        for (int du = 0; du < f; ++du) sum += image.at(u * f + du, v * f + dv);
      out.set(u, v, sum / static_cast<float>(n * f));
    }
  }
  return out;
}

void write_ply(const std::filesystem::path& file, const std::vector<Eigen::Vector3d>& p_W,
               const std::vector<Eigen::Vector3f>& rgb) {
  if (rgb.size() != p_W.size()) {
    throw std::invalid_argument("write_ply: " + std::to_string(rgb.size()) + " colours for " +
                                std::to_string(p_W.size()) + " points");
  }
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  std::ofstream out(file);
  if (!out) throw std::runtime_error("cannot write PLY " + file.string());
  out << "ply\nformat ascii 1.0\ncomment dffeval point cloud, metres\n"
      << "element vertex " << p_W.size() << "\n"
      << "property float x\nproperty float y\nproperty float z\n"
      << "property uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n";
  char line[128];
  for (std::size_t i = 0; i < p_W.size(); ++i) {
    std::snprintf(line, sizeof(line), "%.6f %.6f %.6f %d %d %d\n", p_W[i].x(), p_W[i].y(),
                  p_W[i].z(), to_byte(rgb[i].x()), to_byte(rgb[i].y()), to_byte(rgb[i].z()));
    out << line;
  }
  if (!out) throw std::runtime_error("cannot write PLY " + file.string());
}

void read_ply(const std::filesystem::path& file, std::vector<Eigen::Vector3d>* p_W,
              std::vector<Eigen::Vector3f>* rgb) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read PLY " + file.string());
  auto fail = [&](const std::string& why) { throw std::runtime_error(file.string() + ": " + why); };
  std::string line;
  if (!std::getline(in, line) || line.rfind("ply", 0) != 0) fail("not a PLY file");
  std::size_t count = 0;
  bool in_vertex = false, ascii = false;
  std::vector<std::string> props;  // vertex property names in order
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string word;
    ls >> word;
    if (word == "format") {
      std::string kind;
      ls >> kind;
      ascii = kind == "ascii";
    } else if (word == "element") {
      std::string name;
      ls >> name;
      in_vertex = name == "vertex";
      if (in_vertex) ls >> count;
      // Other elements (faces) come after the vertices and are ignored.
    } else if (word == "property" && in_vertex) {
      std::string type, name;
      ls >> type >> name;
      props.push_back(name);
    } else if (word == "end_header") {
      break;
    }
  }
  if (!ascii) fail("only ASCII PLY is supported");
  if (props.size() < 3 || props[0] != "x" || props[1] != "y" || props[2] != "z")
    fail("vertex properties must start with x y z");
  int ir = -1, ig = -1, ib = -1;
  for (std::size_t k = 0; k < props.size(); ++k) {
    if (props[k] == "red") ir = static_cast<int>(k);
    if (props[k] == "green") ig = static_cast<int>(k);
    if (props[k] == "blue") ib = static_cast<int>(k);
  }
  p_W->clear();
  rgb->clear();
  p_W->reserve(count);
  rgb->reserve(count);
  std::vector<double> vals(props.size());
  for (std::size_t i = 0; i < count; ++i) {
    for (double& v : vals) {
      if (!(in >> v)) fail("vertex " + std::to_string(i) + " is truncated");
    }
    p_W->emplace_back(vals[0], vals[1], vals[2]);
    if (ir >= 0 && ig >= 0 && ib >= 0) {
      rgb->emplace_back(static_cast<float>(vals[ir] / 255.0), static_cast<float>(vals[ig] / 255.0),
                        static_cast<float>(vals[ib] / 255.0));
    } else {
      rgb->push_back(Eigen::Vector3f::Ones());
    }
  }
}

}  // namespace dffeval
