#include "sim/drawn_scene.h"

#include <cmath>

#include "common/seeded_rng.h"

namespace dffeval {

Eigen::Isometry3d look_at_camera(const Eigen::Vector3d& eye, const Eigen::Vector3d& target) {
  const Eigen::Vector3d z = (target - eye).normalized();  // optical axis
  Eigen::Vector3d x = z.cross(Eigen::Vector3d::UnitZ());  // image right
  if (x.norm() < 1e-9) x = Eigen::Vector3d::UnitX();
  x.normalize();
  const Eigen::Vector3d y = z.cross(x);  // image down
  Eigen::Isometry3d X = Eigen::Isometry3d::Identity();
  X.linear().col(0) = x;
  X.linear().col(1) = y;
  X.linear().col(2) = z;
  X.translation() = eye;
  return X;
}

namespace {

double footprint_radius(const ObjectInstance& o) {
  const auto b = o.bounds_obj();
  double r = 0;
  for (double x : {b.min().x(), b.max().x()})
    for (double y : {b.min().y(), b.max().y()}) r = std::max(r, std::hypot(x, y));
  return r;
}

Eigen::Isometry3d planar_pose(double x, double y, double yaw) {
  Eigen::Isometry3d X = Eigen::Isometry3d::Identity();
  X.linear() = Eigen::AngleAxisd(yaw, Eigen::Vector3d::UnitZ()).toRotationMatrix();
  X.translation() = Eigen::Vector3d(x, y, 0.0);
  return X;
}

Eigen::Vector3d clamp01(Eigen::Vector3d v) { return v.cwiseMax(0.0).cwiseMin(1.0); }

}  // namespace

DrawnScene draw_scene(const SceneSet& spec, const ObjectInstance& target, std::uint64_t seed,
                      const Eigen::Isometry3d* fixed_target_pose) {
  DrawnScene s;
  s.scene_set = spec.name;
  s.seed = seed;
  // Separate streams per aspect, so that adding clutter does not move the
  // target or the cameras of an otherwise identical scene.
  SeededRng rng_pose(derive_seed(seed, "target_pose"));
  SeededRng rng_look(derive_seed(seed, "appearance"));
  SeededRng rng_cam(derive_seed(seed, "cameras"));
  SeededRng rng_clutter(derive_seed(seed, "clutter"));

  s.table_half_size_m = spec.table.half_size_m;
  const double j = spec.table.rgb_jitter;
  s.table_rgb =
      clamp01(spec.table.rgb + Eigen::Vector3d(rng_look.uniform(-j, j), rng_look.uniform(-j, j),
                                               rng_look.uniform(-j, j)));
  s.table_checker = rng_look.uniform() < spec.table.checker_probability;
  s.table_rgb2 = clamp01(s.table_rgb * 0.7);
  const auto& L = spec.lighting;
  s.light_diffuse =
      std::max(0.05, L.diffuse + rng_look.uniform(-L.diffuse_jitter, L.diffuse_jitter));
  s.light_ambient =
      std::max(0.0, L.ambient + rng_look.uniform(-L.ambient_jitter, L.ambient_jitter));
  const double deg = M_PI / 180.0;
  for (int i = 0; i < 2; ++i) {
    double az = (i == 0 ? 30.0 : 210.0) * deg +
                rng_look.uniform(-L.direction_jitter_deg, L.direction_jitter_deg) * deg;
    double el = (i == 0 ? 60.0 : 45.0) * deg +
                rng_look.uniform(-L.direction_jitter_deg, L.direction_jitter_deg) * deg * 0.5;
    el = std::clamp(el, 15.0 * deg, 89.0 * deg);
    s.light_dirs.push_back(
        -Eigen::Vector3d(std::cos(el) * std::cos(az), std::cos(el) * std::sin(az), std::sin(el)));
  }

  const auto& C = spec.cameras;
  for (int i = 0; i < C.count; ++i) {
    const double az = (C.azimuth_offset_deg + 360.0 * i / C.count) * deg;
    Eigen::Vector3d eye(C.look_at_m.x() + C.radius_m * std::cos(az),
                        C.look_at_m.y() + C.radius_m * std::sin(az), C.height_m);
    Eigen::Vector3d look = C.look_at_m;
    for (int k = 0; k < 3; ++k) {
      eye[k] += rng_cam.uniform(-C.position_jitter_m, C.position_jitter_m);
      look[k] += rng_cam.uniform(-C.look_at_jitter_m, C.look_at_jitter_m);
    }
    CameraPlacement cam;
    cam.name = "cam" + std::to_string(i);
    cam.X_WC = look_at_camera(eye, look);
    cam.width = C.width;
    cam.height = C.height;
    cam.fovy_deg = C.fovy_deg;
    s.cameras.push_back(cam);
  }

  s.target.object = target;
  if (fixed_target_pose) {
    s.target.X_WObj = *fixed_target_pose;
  } else {
    const double r = spec.target.xy_range_m;
    const double yaw_r = spec.target.yaw_range_deg * deg;
    const double x = rng_pose.uniform(-r, r);
    const double y = rng_pose.uniform(-r, r);
    s.target.X_WObj = planar_pose(x, y, rng_pose.uniform(-yaw_r, yaw_r));
  }

  // Distractors: instances of other categories, placed by rejection sampling
  // so that footprints keep a clear gap from the target and each other.
  const int n_clutter = rng_clutter.uniform_int(spec.clutter.min_count, spec.clutter.max_count);
  const auto& cats = object_categories();
  const Eigen::Vector2d target_xy = s.target.X_WObj.translation().head<2>();
  const double target_r = footprint_radius(target);
  std::vector<std::pair<Eigen::Vector2d, double>> occupied = {{target_xy, target_r}};
  for (int i = 0; i < n_clutter; ++i) {
    std::string cat;
    do {
      cat = cats[rng_clutter.uniform_int(0, static_cast<int>(cats.size()) - 1)];
    } while (cat == target.category);
    const auto set = rng_clutter.uniform() < 0.5 ? InstanceSet::kSeen : InstanceSet::kNovel;
    ObjectInstance obj = make_object_instance(
        cat, set, rng_clutter.uniform_int(0, auxiliary_instance_count(set) - 1));
    const double r_obj = footprint_radius(obj);
    for (int attempt = 0; attempt < 100; ++attempt) {
      const double ang = rng_clutter.uniform(0, 2 * M_PI);
      const double dist =
          rng_clutter.uniform(target_r + r_obj + spec.clutter.min_gap_m,
                              std::max(target_r + r_obj + spec.clutter.min_gap_m + 1e-3,
                                       spec.clutter.max_distance_m + r_obj));
      Eigen::Vector2d xy = target_xy + dist * Eigen::Vector2d(std::cos(ang), std::sin(ang));
      bool free = std::abs(xy.x()) + r_obj < s.table_half_size_m.x() - 0.02 &&
                  std::abs(xy.y()) + r_obj < s.table_half_size_m.y() - 0.02;
      for (const auto& [c, rc] : occupied) {
        if ((xy - c).norm() < rc + r_obj + spec.clutter.min_gap_m) free = false;
      }
      if (!free) continue;
      occupied.push_back({xy, r_obj});
      s.clutter.push_back({obj, planar_pose(xy.x(), xy.y(), rng_clutter.uniform(-M_PI, M_PI))});
      break;
    }
  }
  return s;
}

nlohmann::json DrawnScene::to_json() const {
  nlohmann::json j;
  j["scene_set"] = scene_set;
  j["seed"] = seed;
  j["table_rgb"] = {table_rgb.x(), table_rgb.y(), table_rgb.z()};
  j["table_checker"] = table_checker;
  j["light_diffuse"] = light_diffuse;
  j["light_ambient"] = light_ambient;
  j["target"] = {{"id", target.object.id()},
                 {"params", target.object.params},
                 {"mass_kg", target.object.mass_kg},
                 {"friction", target.object.friction},
                 {"X_WObj", pose_to_json(target.X_WObj)}};
  j["clutter"] = nlohmann::json::array();
  for (const auto& c : clutter) {
    j["clutter"].push_back({{"id", c.object.id()}, {"X_WObj", pose_to_json(c.X_WObj)}});
  }
  j["cameras"] = nlohmann::json::array();
  for (const auto& c : cameras)
    j["cameras"].push_back({{"name", c.name}, {"X_WC", pose_to_json(c.X_WC)}});
  return j;
}

}  // namespace dffeval
