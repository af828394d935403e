// Scene sets (scenes/*.yaml): the shipped sets load with the values the README documents,
// a bare file keeps every default, and bad files (unknown names and keys, values out of
// range, syntax errors) are InputErrors that name the file and the key.

#include "sim/scene_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "common/input_error.h"
#include "common/project_paths.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

/// A temporary folder of YAML files for one test, removed with it.
class TempYamls {
 public:
  explicit TempYamls(const std::string& name)
      : dir_(fixtures::fresh_temp_dir("scene_set_" + name)) {}
  ~TempYamls() { fs::remove_all(dir_); }
  /// Writes `text` to `name` in the folder; returns the path.
  std::string write(const std::string& name, const std::string& text) const {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }

 private:
  fs::path dir_;
};

/// The InputError message of loading `name_or_path`, or "" if it loads.
std::string load_error(const std::string& name_or_path) {
  try {
    load_scene_set(name_or_path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(SceneSet, ListsAndLoadsTheShippedSets) {
  const std::vector<std::string> names = list_scene_sets();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const char* name : {"clean", "clutter", "shift"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  for (const std::string& name : names) {
    const SceneSet s = load_scene_set(name);
    // A set's name is its file's stem, so results name the set they used.
    EXPECT_EQ(s.name, name);
    EXPECT_EQ(s.file.string(), (project_root() / "scenes" / (name + ".yaml")).string());
    EXPECT_FALSE(s.description.empty()) << name;
  }
}

TEST(SceneSet, CleanHasTheDocumentedRig) {
  // README: table top z = 0; 4 cameras at 0.38 m radius, 0.34 m height, 320x240, 45 deg.
  const SceneSet s = load_scene_set("clean");
  EXPECT_TRUE(s.table.half_size_m == Eigen::Vector2d(0.45, 0.45));
  EXPECT_TRUE(s.table.rgb == Eigen::Vector3d(0.62, 0.56, 0.48));
  EXPECT_EQ(s.table.rgb_jitter, 0.0);
  EXPECT_EQ(s.table.checker_probability, 0.0);
  EXPECT_EQ(s.cameras.count, 4);
  EXPECT_EQ(s.cameras.radius_m, 0.38);
  EXPECT_EQ(s.cameras.height_m, 0.34);
  EXPECT_TRUE(s.cameras.look_at_m == Eigen::Vector3d(0.0, 0.0, 0.06));
  EXPECT_EQ(s.cameras.azimuth_offset_deg, 45.0);
  EXPECT_EQ(s.cameras.width, 320);
  EXPECT_EQ(s.cameras.height, 240);
  EXPECT_EQ(s.cameras.fovy_deg, 45.0);
  EXPECT_EQ(s.cameras.position_jitter_m, 0.0);
  EXPECT_EQ(s.lighting.diffuse, 0.55);
  EXPECT_EQ(s.lighting.ambient, 0.35);
  EXPECT_EQ(s.lighting.direction_jitter_deg, 0.0);
  EXPECT_EQ(s.target.xy_range_m, 0.05);
  EXPECT_EQ(s.target.yaw_range_deg, 180.0);
  EXPECT_EQ(s.clutter.max_count, 0);
}

TEST(SceneSet, ClutterAndShiftAddWhatTheirNamesSay) {
  const SceneSet c = load_scene_set("clutter");
  EXPECT_EQ(c.clutter.min_count, 1);
  EXPECT_EQ(c.clutter.max_count, 4);
  EXPECT_EQ(c.clutter.min_gap_m, 0.07);
  EXPECT_EQ(c.clutter.max_distance_m, 0.30);
  EXPECT_EQ(c.cameras.count, 4);
  EXPECT_EQ(c.lighting.diffuse_jitter, 0.0);
  const SceneSet s = load_scene_set("shift");
  EXPECT_EQ(s.table.rgb_jitter, 0.25);
  EXPECT_EQ(s.table.checker_probability, 0.5);
  EXPECT_EQ(s.cameras.position_jitter_m, 0.03);
  EXPECT_EQ(s.cameras.look_at_jitter_m, 0.02);
  EXPECT_EQ(s.lighting.diffuse_jitter, 0.25);
  EXPECT_EQ(s.lighting.ambient_jitter, 0.15);
  EXPECT_EQ(s.lighting.direction_jitter_deg, 30.0);
  EXPECT_EQ(s.clutter.max_count, 0);
}

TEST(SceneSet, RealConditionSetsHaveTheirSensorAndCalibration) {
  for (const char* name : {"clean", "clutter", "shift"}) {
    const SceneSet s = load_scene_set(name);
    EXPECT_EQ(s.sensor.preset, "ideal") << name;
    EXPECT_FALSE(s.sensor.axial_noise) << name;
    EXPECT_FALSE(s.calibration.enabled()) << name;
  }
  const SceneSet noisy = load_scene_set("noisy");
  EXPECT_EQ(noisy.sensor.preset, "kinect_v1");
  EXPECT_TRUE(noisy.sensor.axial_noise && noisy.sensor.quantization && noisy.sensor.grazing_holes);
  EXPECT_FALSE(noisy.calibration.enabled());
  EXPECT_EQ(noisy.clutter.max_count, 0);
  const SceneSet mis = load_scene_set("miscalibrated");
  EXPECT_EQ(mis.sensor.preset, "ideal");
  EXPECT_EQ(mis.calibration.rotation_max_deg, 0.3);
  EXPECT_EQ(mis.calibration.translation_max_m, 0.003);
  EXPECT_EQ(mis.calibration.focal_max_fraction, 0.005);
  EXPECT_EQ(mis.calibration.principal_point_max_px, 1.0);
  // real_like: shift + clutter + sensor + calibration.
  const SceneSet real = load_scene_set("real_like");
  const SceneSet shift = load_scene_set("shift");
  EXPECT_EQ(real.sensor.preset, "kinect_v1");
  EXPECT_EQ(real.calibration.translation_max_m, 0.003);
  EXPECT_EQ(real.clutter.max_count, 4);
  EXPECT_EQ(real.cameras.position_jitter_m, shift.cameras.position_jitter_m);
  EXPECT_EQ(real.lighting.direction_jitter_deg, shift.lighting.direction_jitter_deg);
  EXPECT_EQ(real.table.checker_probability, shift.table.checker_probability);
  const SceneSet source = load_scene_set("real_source");
  EXPECT_EQ(source.sensor.preset, "kinect_v1");
  EXPECT_TRUE(source.calibration.enabled());
  EXPECT_EQ(source.clutter.max_count, 0);
}

TEST(SceneSet, ABareFileKeepsEveryDefault) {
  const TempYamls files("bare");
  const std::string path = files.write("bare.yaml", "name: bare\n");
  const SceneSet s = load_scene_set(path);
  const SceneSet d;
  EXPECT_EQ(s.name, "bare");
  EXPECT_EQ(s.description, "");
  EXPECT_EQ(s.file.string(), path);
  EXPECT_TRUE(s.table.half_size_m == d.table.half_size_m);
  EXPECT_TRUE(s.table.rgb == d.table.rgb);
  EXPECT_EQ(s.cameras.count, d.cameras.count);
  EXPECT_EQ(s.cameras.radius_m, d.cameras.radius_m);
  EXPECT_TRUE(s.cameras.look_at_m == d.cameras.look_at_m);
  EXPECT_EQ(s.cameras.width, d.cameras.width);
  EXPECT_EQ(s.lighting.diffuse, d.lighting.diffuse);
  EXPECT_EQ(s.target.yaw_range_deg, d.target.yaw_range_deg);
  EXPECT_EQ(s.clutter.min_gap_m, d.clutter.min_gap_m);
  // A section with some keys keeps the defaults of the others.
  const SceneSet partial =
      load_scene_set(files.write("partial.yaml", "name: partial\ncameras:\n  count: 2\n"));
  EXPECT_EQ(partial.cameras.count, 2);
  EXPECT_EQ(partial.cameras.fovy_deg, d.cameras.fovy_deg);
}

TEST(SceneSet, UnknownNamesListTheKnownOnes) {
  const std::string e = load_error("no_such_set");
  EXPECT_TRUE(contains(e, "unknown scene set 'no_such_set'")) << e;
  for (const std::string& name : list_scene_sets()) EXPECT_TRUE(contains(e, name)) << e;
  const std::string missing = load_error("/no/such/dir/scenes.yaml");
  EXPECT_TRUE(contains(missing, "/no/such/dir/scenes.yaml: file not found")) << missing;
}

TEST(SceneSet, UnknownKeysNameTheFileLineAndKey) {
  const TempYamls files("unknown_keys");
  const std::string top = files.write("top.yaml", "name: t\ncolour: red\n");
  const std::string e = load_error(top);
  EXPECT_TRUE(contains(e, top + ":2")) << e;
  EXPECT_TRUE(contains(e, "unknown key 'colour'")) << e;
  const std::string nested =
      files.write("nested.yaml", "name: t\ncameras:\n  count: 3\n  fov_deg: 60\n");
  const std::string n = load_error(nested);
  EXPECT_TRUE(contains(n, nested + ":4")) << n;
  EXPECT_TRUE(contains(n, "unknown key 'cameras.fov_deg'")) << n;
  for (const char* section :
       {"table", "lighting", "target", "clutter", "sensor", "calibration_error"}) {
    const std::string path = files.write(std::string(section) + "_typo.yaml",
                                         "name: t\n" + std::string(section) + ":\n  typo: 1\n");
    const std::string m = load_error(path);
    EXPECT_TRUE(contains(m, path)) << m;
    EXPECT_TRUE(contains(m, "unknown key '" + std::string(section) + ".typo'")) << m;
  }
}

TEST(SceneSet, ValuesOutOfRangeNameTheKeyAndTheRange) {
  const TempYamls files("ranges");
  struct Case {
    const char* yaml;
    const char* key;
    const char* reason;
  };
  const Case cases[] = {
      {"cameras:\n  count: 0\n", "cameras.count", "must be in [1, 16]"},
      {"cameras:\n  count: 17\n", "cameras.count", "must be in [1, 16]"},
      {"cameras:\n  width: 8\n", "cameras.width", "must be in [16, 4096] pixels"},
      {"cameras:\n  height: 5000\n", "cameras.height", "must be in [16, 4096] pixels"},
      {"cameras:\n  fovy_deg: 170\n", "cameras.fovy_deg", "must be in (5, 150) degrees"},
      {"cameras:\n  look_at_m: [0, 0]\n", "cameras.look_at_m", "expected a list of 3 numbers"},
      {"table:\n  half_size_m: [0.05, 0.4]\n", "table.half_size_m", "expected [x, y] > 0.1 m"},
      {"table:\n  half_size_m: [0.4, 0.4, 0.4]\n", "table.half_size_m", "expected [x, y]"},
      {"table:\n  checker_probability: 1.5\n", "table.checker_probability", "must be in [0, 1]"},
      {"table:\n  rgb: [1, 0]\n", "table.rgb", "expected a list of 3 numbers"},
      {"target:\n  xy_range_m: 0.3\n", "target.xy_range_m", "must be in [0, 0.3) m"},
      {"clutter:\n  min_count: 3\n  max_count: 2\n", "clutter.max_count",
       "need 0 <= min_count <= max_count <= 8"},
      {"clutter:\n  max_count: 9\n", "clutter.max_count", "max_count <= 8"},
      {"cameras:\n  count: four\n", "cameras.count", "wrong type"},
      // Found while writing the scene-set fuzz target's invariants: these
      // loaded and reached the renderer.
      {"cameras:\n  radius_m: -0.5\n", "cameras.radius_m", "must be in (0.05, 5) m"},
      {"cameras:\n  radius_m: .nan\n", "cameras.radius_m", "must be a finite number"},
      {"cameras:\n  height_m: .inf\n", "cameras.height_m", "must be a finite number"},
      {"cameras:\n  position_jitter_m: -0.01\n", "cameras.position_jitter_m", "must be >= 0"},
      {"table:\n  rgb: [0.5, 2, 0.5]\n", "table.rgb", "each channel must be in [0, 1]"},
      {"table:\n  rgb_jitter: -1\n", "table.rgb_jitter", "must be >= 0"},
      {"lighting:\n  diffuse: 3\n", "lighting.diffuse", "must be in [0, 1]"},
      {"lighting:\n  ambient_jitter: -0.1\n", "lighting.ambient_jitter", "must be >= 0"},
      {"lighting:\n  direction_jitter_deg: 120\n", "lighting.direction_jitter_deg",
       "must be in [0, 90] degrees"},
      {"target:\n  yaw_range_deg: -10\n", "target.yaw_range_deg", "must be in [0, 180] degrees"},
      {"clutter:\n  min_gap_m: -0.1\n", "clutter.min_gap_m", "must be >= 0 m"},
      {"clutter:\n  max_distance_m: 0.01\n", "clutter.max_distance_m",
       "must be in (min_gap_m, 2) m"},
      {"calibration_error:\n  rotation_max_deg: -0.1\n", "calibration_error.rotation_max_deg",
       "must be in [0, 10] degrees"},
      {"calibration_error:\n  translation_max_m: 3\n", "calibration_error.translation_max_m",
       "must be in [0, 0.1] m"},
      {"calibration_error:\n  focal_max_fraction: 0.5\n", "calibration_error.focal_max_fraction",
       "must be in [0, 0.2]"},
      {"calibration_error:\n  principal_point_max_px: .nan\n",
       "calibration_error.principal_point_max_px", "must be a finite number"},
      {"sensor:\n  preset: kinect_v9\n", "sensor.preset", "kinect_v1"},
  };
  int i = 0;
  for (const Case& c : cases) {
    const std::string path =
        files.write("range_" + std::to_string(i++) + ".yaml", std::string("name: r\n") + c.yaml);
    const std::string e = load_error(path);
    EXPECT_TRUE(contains(e, path)) << c.yaml << " -> " << e;
    EXPECT_TRUE(contains(e, "'" + std::string(c.key) + "'")) << c.yaml << " -> " << e;
    EXPECT_TRUE(contains(e, c.reason)) << c.yaml << " -> " << e;
  }
  // The boundaries that are allowed.
  EXPECT_EQ(load_error(files.write("edges.yaml",
                                   "name: e\ncameras:\n  count: 16\n  width: 16\n  height: 4096\n"
                                   "table:\n  checker_probability: 1\ntarget:\n  xy_range_m: 0\n"
                                   "clutter:\n  min_count: 8\n  max_count: 8\n")),
            "");
}

TEST(SceneSet, MissingNameAndSyntaxErrorsAreInputErrors) {
  const TempYamls files("syntax");
  const std::string unnamed = files.write("unnamed.yaml", "description: no name\n");
  const std::string e = load_error(unnamed);
  EXPECT_TRUE(contains(e, unnamed)) << e;
  EXPECT_TRUE(contains(e, "'name'")) << e;
  EXPECT_TRUE(contains(e, "required key is missing")) << e;
  const std::string broken = files.write("broken.yaml", "name: b\ncameras: [1, 2\n");
  const std::string s = load_error(broken);
  EXPECT_TRUE(contains(s, broken + ":")) << s;
  EXPECT_TRUE(contains(s, "YAML syntax error")) << s;
}

}  // namespace
}  // namespace dffeval
