// Fuzzes the scene-set reader (scenes/*.yaml). Bad input must be an
// InputError; a loaded scene set must hold only numbers the scene composer
// can use.

#include <cmath>
#include <cstdint>

#include "common/input_error.h"
#include "sim/scene_set.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

void require(bool ok, const char* what) {
  if (!ok) dffeval::fuzz::invariant_failed(what);
}

bool finite(const Eigen::Vector3d& v) { return v.allFinite(); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dffeval;
  const auto file = fuzz::write_input(data, size, "scenes.yaml");
  SceneSet s;
  try {
    s = load_scene_set(file.string());
  } catch (const InputError&) {
    return 0;
  }
  const auto& c = s.cameras;
  require(c.count >= 1 && c.width >= 16 && c.height >= 16, "camera count or size");
  require(std::isfinite(c.radius_m) && c.radius_m > 0, "camera radius_m");
  require(std::isfinite(c.height_m) && finite(c.look_at_m), "camera height_m or look_at_m");
  require(std::isfinite(c.azimuth_offset_deg), "camera azimuth_offset_deg");
  require(c.fovy_deg > 5 && c.fovy_deg < 150, "camera fovy_deg");
  require(c.position_jitter_m >= 0 && c.look_at_jitter_m >= 0, "camera jitters");
  const auto& t = s.table;
  require(t.half_size_m.allFinite() && finite(t.rgb), "table size or colour");
  require(t.rgb_jitter >= 0 && t.checker_probability >= 0 && t.checker_probability <= 1,
          "table jitter or checker probability");
  const auto& l = s.lighting;
  require(l.diffuse >= 0 && l.ambient >= 0 && l.diffuse_jitter >= 0 && l.ambient_jitter >= 0 &&
              l.direction_jitter_deg >= 0,
          "lighting");
  require(s.target.xy_range_m >= 0 && std::isfinite(s.target.yaw_range_deg), "target placement");
  require(s.clutter.min_count >= 0 && s.clutter.max_count >= s.clutter.min_count, "clutter counts");
  require(s.clutter.min_gap_m >= 0 && s.clutter.max_distance_m > 0, "clutter distances");
  return 0;
}
