#include "sim/scene_set.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "common/input_error.h"
#include "common/project_paths.h"
#include "common/setting_overrides.h"
#include "common/strict_yaml.h"
#include "sim/depth_sensor_settings.h"

namespace dffeval {
namespace {

Eigen::Vector3d read_vec3(const StrictYaml& y, const std::string& key, const Eigen::Vector3d& def) {
  if (!y.has(key)) return def;
  auto v = y.get<std::vector<double>>(key);
  if (v.size() != 3) y.fail(key, "expected a list of 3 numbers");
  return {v[0], v[1], v[2]};
}

void require(bool ok, const StrictYaml& y, const std::string& key, const std::string& reason) {
  if (!ok) y.fail(key, reason);
}

/// Jitters are half-widths of uniform draws: a negative one is a typo.
double jitter(const StrictYaml& y, const std::string& key, double fallback) {
  const double v = y.get_or(key, fallback);
  require(v >= 0, y, key, "must be >= 0 (the half-width of a uniform draw)");
  return v;
}

/// Colours and light intensities are fractions of full scale.
double fraction(const StrictYaml& y, const std::string& key, double fallback) {
  const double v = y.get_or(key, fallback);
  require(v >= 0 && v <= 1, y, key, "must be in [0, 1]");
  return v;
}

}  // namespace

std::vector<std::string> list_scene_sets() { return list_yaml_names("scenes"); }

SceneSet load_scene_set(const std::string& name_or_path) {
  std::filesystem::path file = name_or_path;
  if (file.extension() != ".yaml") {
    file = project_root() / "scenes" / (name_or_path + ".yaml");
    if (!std::filesystem::exists(file)) {
      throw InputError(fmt::format("unknown scene set '{}' (known: {})", name_or_path,
                                   fmt::join(list_scene_sets(), ", ")));
    }
  }
  StrictYaml y =
      load_yaml_with_overrides(file, process_overrides("scenes." + file.stem().string()));
  SceneSet s;
  s.file = file;
  s.name = y.get<std::string>("name");
  s.description = y.get_or<std::string>("description", "");

  if (y.has("table")) {
    StrictYaml t = y.child("table");
    auto hs = t.get_or<std::vector<double>>("half_size_m",
                                            {s.table.half_size_m.x(), s.table.half_size_m.y()});
    require(hs.size() == 2 && hs[0] > 0.1 && hs[1] > 0.1, t, "half_size_m",
            "expected [x, y] > 0.1 m");
    s.table.half_size_m = {hs[0], hs[1]};
    s.table.rgb = read_vec3(t, "rgb", s.table.rgb);
    require(s.table.rgb.minCoeff() >= 0 && s.table.rgb.maxCoeff() <= 1, t, "rgb",
            "each channel must be in [0, 1]");
    s.table.rgb_jitter = jitter(t, "rgb_jitter", s.table.rgb_jitter);
    s.table.checker_probability = t.get_or("checker_probability", s.table.checker_probability);
    require(s.table.checker_probability >= 0 && s.table.checker_probability <= 1, t,
            "checker_probability", "must be in [0, 1]");
    t.reject_unknown_keys();
  }
  if (y.has("cameras")) {
    StrictYaml c = y.child("cameras");
    auto& r = s.cameras;
    r.count = c.get_or("count", r.count);
    require(r.count >= 1 && r.count <= 16, c, "count", "must be in [1, 16]");
    r.radius_m = c.get_or("radius_m", r.radius_m);
    require(r.radius_m > 0.05 && r.radius_m < 5, c, "radius_m", "must be in (0.05, 5) m");
    r.height_m = c.get_or("height_m", r.height_m);
    r.look_at_m = read_vec3(c, "look_at_m", r.look_at_m);
    r.azimuth_offset_deg = c.get_or("azimuth_offset_deg", r.azimuth_offset_deg);
    r.width = c.get_or("width", r.width);
    r.height = c.get_or("height", r.height);
    require(r.width >= 16 && r.width <= 4096, c, "width", "must be in [16, 4096] pixels");
    require(r.height >= 16 && r.height <= 4096, c, "height", "must be in [16, 4096] pixels");
    r.fovy_deg = c.get_or("fovy_deg", r.fovy_deg);
    require(r.fovy_deg > 5 && r.fovy_deg < 150, c, "fovy_deg", "must be in (5, 150) degrees");
    r.position_jitter_m = jitter(c, "position_jitter_m", r.position_jitter_m);
    r.look_at_jitter_m = jitter(c, "look_at_jitter_m", r.look_at_jitter_m);
    c.reject_unknown_keys();
  }
  if (y.has("lighting")) {
    StrictYaml l = y.child("lighting");
    auto& g = s.lighting;
    g.diffuse = fraction(l, "diffuse", g.diffuse);
    g.diffuse_jitter = jitter(l, "diffuse_jitter", g.diffuse_jitter);
    g.ambient = fraction(l, "ambient", g.ambient);
    g.ambient_jitter = jitter(l, "ambient_jitter", g.ambient_jitter);
    g.direction_jitter_deg = jitter(l, "direction_jitter_deg", g.direction_jitter_deg);
    require(g.direction_jitter_deg <= 90, l, "direction_jitter_deg", "must be in [0, 90] degrees");
    l.reject_unknown_keys();
  }
  if (y.has("target")) {
    StrictYaml p = y.child("target");
    s.target.xy_range_m = p.get_or("xy_range_m", s.target.xy_range_m);
    s.target.yaw_range_deg = p.get_or("yaw_range_deg", s.target.yaw_range_deg);
    require(s.target.yaw_range_deg >= 0 && s.target.yaw_range_deg <= 180, p, "yaw_range_deg",
            "must be in [0, 180] degrees");
    require(s.target.xy_range_m >= 0 && s.target.xy_range_m < 0.3, p, "xy_range_m",
            "must be in [0, 0.3) m");
    p.reject_unknown_keys();
  }
  if (y.has("clutter")) {
    StrictYaml c = y.child("clutter");
    s.clutter.min_count = c.get_or("min_count", s.clutter.min_count);
    s.clutter.max_count = c.get_or("max_count", s.clutter.max_count);
    require(s.clutter.min_count >= 0 && s.clutter.max_count >= s.clutter.min_count &&
                s.clutter.max_count <= 8,
            c, "max_count", "need 0 <= min_count <= max_count <= 8");
    s.clutter.min_gap_m = c.get_or("min_gap_m", s.clutter.min_gap_m);
    s.clutter.max_distance_m = c.get_or("max_distance_m", s.clutter.max_distance_m);
    require(s.clutter.min_gap_m >= 0, c, "min_gap_m", "must be >= 0 m");
    require(s.clutter.max_distance_m > s.clutter.min_gap_m && s.clutter.max_distance_m < 2, c,
            "max_distance_m", "must be in (min_gap_m, 2) m");
    c.reject_unknown_keys();
  }
  if (y.has("sensor")) s.sensor = read_depth_sensor_spec(y.child("sensor"));
  if (y.has("calibration_error")) {
    StrictYaml c = y.child("calibration_error");
    auto& e = s.calibration;
    // Upper limits keep a typo (degrees for radians, mm for m) from passing.
    e.rotation_max_deg = c.get_or("rotation_max_deg", e.rotation_max_deg);
    require(e.rotation_max_deg >= 0 && e.rotation_max_deg <= 10, c, "rotation_max_deg",
            "must be in [0, 10] degrees");
    e.translation_max_m = c.get_or("translation_max_m", e.translation_max_m);
    require(e.translation_max_m >= 0 && e.translation_max_m <= 0.1, c, "translation_max_m",
            "must be in [0, 0.1] m");
    e.focal_max_fraction = c.get_or("focal_max_fraction", e.focal_max_fraction);
    require(e.focal_max_fraction >= 0 && e.focal_max_fraction <= 0.2, c, "focal_max_fraction",
            "must be in [0, 0.2] (a fraction of the focal length)");
    e.principal_point_max_px = c.get_or("principal_point_max_px", e.principal_point_max_px);
    require(e.principal_point_max_px >= 0 && e.principal_point_max_px <= 50, c,
            "principal_point_max_px", "must be in [0, 50] pixels");
    c.reject_unknown_keys();
  }
  y.reject_unknown_keys();
  return s;
}

}  // namespace dffeval
