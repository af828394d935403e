// Fuzzes the capture loader (DIR/cameras.json + each view's RGB and 16-bit
// depth PNG, pipeline/cloud/observation_io.h). The first input byte picks
// the file that the rest of the input replaces in a small valid capture
// (written once by the project's own writer): 0 cameras.json, 1 the RGB
// PNG, 2 the depth PNG. Bad input must be an InputError; a loaded capture
// must be one that back-projection can use.

#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

#include "common/input_error.h"
#include "pipeline/cloud/observation_io.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

namespace fs = std::filesystem;

struct ValidCapture {
  fs::path dir;
  std::string files[3];  // cameras.json, rgb, depth: the good bytes
};

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const ValidCapture& valid_capture() {
  static const ValidCapture capture = [] {
    dffeval::CameraView v;
    v.name = "cam0";
    v.width = 8;
    v.height = 6;
    v.K << 10, 0, 4, 0, 10, 3, 0, 0, 1;
    v.X_WC.translation() << 0.1, -0.2, 0.5;
    v.rgb.assign(8 * 6 * 3, 128);
    v.depth_m.assign(8 * 6, 0.5f);
    dffeval::Observation obs;
    obs.views.push_back(v);
    ValidCapture c;
    c.dir = dffeval::fuzz::scratch_dir() / "capture";
    dffeval::save_observation(obs, c.dir);
    c.files[0] = read_bytes(c.dir / "cameras.json");
    c.files[1] = read_bytes(c.dir / "cam0_rgb.png");
    c.files[2] = read_bytes(c.dir / "cam0_depth.png");
    return c;
  }();
  return capture;
}

void require(bool ok, const char* what) {
  if (!ok) dffeval::fuzz::invariant_failed(what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dffeval;
  if (size == 0) return 0;
  const ValidCapture& c = valid_capture();
  static const char* names[3] = {"cameras.json", "cam0_rgb.png", "cam0_depth.png"};
  const int which = data[0] % 3;
  for (int f = 0; f < 3; ++f) {
    std::ofstream out(c.dir / names[f], std::ios::binary | std::ios::trunc);
    if (f == which)
      out.write(reinterpret_cast<const char*>(data + 1), static_cast<std::streamsize>(size - 1));
    else
      out << c.files[f];
  }
  Observation obs;
  try {
    obs = load_observation(c.dir);
  } catch (const InputError&) {
    return 0;
  }
  require(!obs.views.empty(), "a capture without views");
  for (const auto& v : obs.views) {
    require(v.width > 0 && v.height > 0, "view size");
    const std::size_t n = static_cast<std::size_t>(v.width) * v.height;
    require(v.rgb.size() == 3 * n && v.depth_m.size() == n, "image sizes");
    require(v.K.allFinite() && v.K(0, 0) > 0 && v.K(1, 1) > 0, "intrinsics");
    require(v.X_WC.matrix().allFinite(), "camera pose not finite");
    const Eigen::Matrix3d R = v.X_WC.linear();
    require((R.transpose() * R).isIdentity(1e-6), "camera rotation not a rotation");
    for (float z : v.depth_m) require(std::isfinite(z) && z >= 0, "depth not finite or negative");
  }
  return 0;
}
