#include "pipeline/cloud/observation_io.h"

#include <fmt/format.h>
#include <lodepng.h>
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "common/input_error.h"
#include "common/pose_json.h"

namespace dffeval {
namespace {

constexpr double kDepthUnitM = 0.001;

/// The depth image's 16-bit big-endian samples. lodepng would widen an 8-bit
/// PNG to 16 bits without a word (a depth of at most 255 mm) or refuse a
/// colour one in its own words, so the header is checked first.
std::vector<unsigned char> read_depth_png(const std::filesystem::path& file, int width,
                                          int height) {
  std::vector<unsigned char> png;
  if (unsigned err = lodepng::load_file(png, file.string())) {
    throw InputError(
        fmt::format("{}: cannot read depth PNG: {}", file.string(), lodepng_error_text(err)));
  }
  lodepng::State state;
  unsigned w = 0, h = 0;
  if (unsigned err = lodepng_inspect(&w, &h, &state, png.data(), png.size())) {
    throw InputError(
        fmt::format("{}: cannot read depth PNG: {}", file.string(), lodepng_error_text(err)));
  }
  const LodePNGColorMode& c = state.info_png.color;
  if (c.bitdepth != 16 || c.colortype != LCT_GREY) {
    throw InputError(fmt::format(
        "{}: depth must be a 16-bit PNG in millimetres (one grey channel), this one is {}-bit {}",
        file.string(), c.bitdepth, c.colortype == LCT_GREY ? "grey" : "colour"));
  }
  // Before decoding: a damaged header can claim gigapixels.
  if (static_cast<long>(w) != width || static_cast<long>(h) != height) {
    throw InputError(fmt::format("{}: depth is {}x{}, cameras.json says {}x{}", file.string(), w, h,
                                 width, height));
  }
  std::vector<unsigned char> raw;
  if (unsigned err = lodepng::decode(raw, w, h, png, LCT_GREY, 16)) {
    throw InputError(fmt::format("{}: cannot read 16-bit depth PNG: {}", file.string(),
                                 lodepng_error_text(err)));
  }
  return raw;
}

/// The view's 8-bit RGB pixels. Only PNG, as the layout says: stb_image would
/// also try a dozen other formats on a damaged file, some of which take
/// seconds to give up; the size is checked before decoding.
std::vector<std::uint8_t> read_rgb_png(const std::filesystem::path& file, int width, int height) {
  static const unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  unsigned char head[8] = {};
  std::ifstream in(file, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot open the RGB image", file.string()));
  in.read(reinterpret_cast<char*>(head), 8);
  if (in.gcount() != 8 || !std::equal(head, head + 8, kSignature)) {
    throw InputError(fmt::format("{}: the RGB image must be a PNG file", file.string()));
  }
  int w = 0, h = 0, n = 0;
  if (!stbi_info(file.c_str(), &w, &h, &n)) {
    throw InputError(
        fmt::format("{}: cannot read RGB image: {}", file.string(), stbi_failure_reason()));
  }
  if (w != width || h != height) {
    throw InputError(fmt::format("{}: image is {}x{}, cameras.json says {}x{}", file.string(), w, h,
                                 width, height));
  }
  unsigned char* px = stbi_load(file.c_str(), &w, &h, &n, 3);
  if (!px) {
    throw InputError(
        fmt::format("{}: cannot read RGB image: {}", file.string(), stbi_failure_reason()));
  }
  std::vector<std::uint8_t> rgb(px, px + static_cast<std::size_t>(w) * h * 3);
  stbi_image_free(px);
  return rgb;
}

}  // namespace

void write_rgb_png(const std::filesystem::path& file, int width, int height,
                   const std::vector<std::uint8_t>& rgb) {
  if (!stbi_write_png(file.c_str(), width, height, 3, rgb.data(), width * 3)) {
    throw std::runtime_error("cannot write " + file.string());
  }
}

void save_observation(const Observation& obs, const std::filesystem::path& dir,
                      const nlohmann::json& extra) {
  std::filesystem::create_directories(dir);
  nlohmann::json meta = extra.is_object() ? extra : nlohmann::json::object();
  meta["format"] = "dffeval-capture-v1";
  meta["depth_unit_m"] = kDepthUnitM;
  meta["views"] = nlohmann::json::array();
  for (const auto& v : obs.views) {
    const std::string rgb_name = v.name + "_rgb.png", depth_name = v.name + "_depth.png";
    write_rgb_png(dir / rgb_name, v.width, v.height, v.rgb);
    // 16-bit big-endian grey, as lodepng expects.
    std::vector<unsigned char> depth16(static_cast<std::size_t>(v.width) * v.height * 2);
    for (std::size_t i = 0; i < v.depth_m.size(); ++i) {
      const double units = std::round(v.depth_m[i] / kDepthUnitM);
      const auto d = static_cast<std::uint16_t>(std::clamp(units, 0.0, 65535.0));
      depth16[2 * i] = static_cast<unsigned char>(d >> 8);
      depth16[2 * i + 1] = static_cast<unsigned char>(d & 0xff);
    }
    // lodepng would shrink a depth image of few distinct values (an empty
    // scene, all zeros) to 1-8 bit grey, which the loader rightly refuses:
    // always 16-bit.
    lodepng::State state;
    state.encoder.auto_convert = 0;
    state.info_raw.colortype = LCT_GREY;
    state.info_raw.bitdepth = 16;
    state.info_png.color.colortype = LCT_GREY;
    state.info_png.color.bitdepth = 16;
    std::vector<unsigned char> png;
    if (lodepng::encode(png, depth16, v.width, v.height, state) ||
        lodepng::save_file(png, (dir / depth_name).string())) {
      throw std::runtime_error("cannot write " + (dir / depth_name).string());
    }
    // Row-major K in the file.
    nlohmann::json Kj = {v.K(0, 0), v.K(0, 1), v.K(0, 2), v.K(1, 0), v.K(1, 1),
                         v.K(1, 2), v.K(2, 0), v.K(2, 1), v.K(2, 2)};
    meta["views"].push_back({{"name", v.name},
                             {"width", v.width},
                             {"height", v.height},
                             {"K", Kj},
                             {"X_WC", pose_to_json(v.X_WC)},
                             {"rgb", rgb_name},
                             {"depth", depth_name}});
  }
  std::ofstream(dir / "cameras.json") << meta.dump(2) << "\n";
}

nlohmann::json load_capture_metadata(const std::filesystem::path& dir) {
  const auto file = dir / "cameras.json";
  if (!std::filesystem::exists(file)) {
    throw InputError(
        fmt::format("{}: capture has no cameras.json (expected the layout written by "
                    "`dffeval render`)",
                    file.string()));
  }
  try {
    std::ifstream in(file);
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: invalid JSON: {}", file.string(), e.what()));
  }
}

Observation load_observation(const std::filesystem::path& dir) {
  const nlohmann::json meta = load_capture_metadata(dir);
  const std::string where = (dir / "cameras.json").string();
  Observation obs;
  try {
    const double unit = meta.value("depth_unit_m", kDepthUnitM);
    if (!(std::isfinite(unit) && unit > 0 && unit <= 1)) {
      throw InputError(fmt::format("{}: key 'depth_unit_m': must be in (0, 1] metres", where));
    }
    for (const auto& vj : meta.at("views")) {
      CameraView v;
      v.name = vj.at("name").get<std::string>();
      v.width = vj.at("width").get<int>();
      v.height = vj.at("height").get<int>();
      const auto K = vj.at("K").get<std::vector<double>>();
      if (K.size() != 9 || !(K[0] > 0) || !(K[4] > 0) ||
          !std::all_of(K.begin(), K.end(), [](double k) { return std::isfinite(k); })) {
        throw InputError(fmt::format(
            "{}: view '{}': key 'K': need 9 finite numbers with fx, fy > 0", where, v.name));
      }
      for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) v.K(r, c) = K[3 * r + c];
      try {
        v.X_WC = pose_from_json(vj.at("X_WC"), "X_WC");
      } catch (const InputError& e) {
        throw InputError(fmt::format("{}: view '{}': {}", where, v.name, e.what()));
      }

      v.rgb = read_rgb_png(dir / vj.at("rgb").get<std::string>(), v.width, v.height);
      const auto depth_file = dir / vj.at("depth").get<std::string>();
      const std::vector<unsigned char> raw = read_depth_png(depth_file, v.width, v.height);
      v.depth_m.resize(static_cast<std::size_t>(v.width) * v.height);
      for (std::size_t i = 0; i < v.depth_m.size(); ++i) {
        v.depth_m[i] = static_cast<float>(((raw[2 * i] << 8) | raw[2 * i + 1]) * unit);
      }
      obs.views.push_back(std::move(v));
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("{}: malformed capture description: {}", where, e.what()));
  }
  if (obs.views.empty()) throw InputError(where + ": key 'views': no views");
  // A capture without a single depth reading (a sensor that was off, a
  // wrong export) is bad input, not a failure of the method that gets it.
  bool any_depth = false;
  for (const auto& v : obs.views)
    for (float z : v.depth_m) any_depth = any_depth || z > 0.0f;
  if (!any_depth) {
    throw InputError(
        fmt::format("{}: every depth pixel of every view is 0 (no depth measured)", dir.string()));
  }
  return obs;
}

}  // namespace dffeval
