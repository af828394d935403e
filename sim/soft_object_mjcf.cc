#include "sim/soft_object_mjcf.h"

#include <fmt/format.h>

#include <stdexcept>

#include "common/input_error.h"

namespace dffeval {
namespace {

void require(bool ok, const std::string& field, const std::string& why, double value) {
  if (!ok) throw InputError(fmt::format("SoftBallSpec.{} must be {} (got {})", field, why, value));
}

/// MuJoCo places the grid's bodies spacing apart and projects the cube's
/// surface onto the ellipsoid of semi-axes spacing * (count - 1) / 2.
double grid_spacing_m(const SoftBallSpec& s) { return 2 * s.radius_m / (s.count_per_axis - 1); }

void validate(const SoftBallSpec& s) {
  require(s.radius_m > 0, "radius_m", "positive", s.radius_m);
  require(s.count_per_axis >= 3, "count_per_axis", "at least 3", s.count_per_axis);
  require(s.mass_kg > 0, "mass_kg", "positive", s.mass_kg);
  require(s.element_radius_m > 0, "element_radius_m", "positive", s.element_radius_m);
  require(s.element_radius_m <= 0.5 * grid_spacing_m(s), "element_radius_m",
          "at most half the grid spacing", s.element_radius_m);
  require(s.radial_stiffness_n_m >= 0, "radial_stiffness_n_m", "non-negative",
          s.radial_stiffness_n_m);
  require(s.radial_damping_n_s_m >= 0, "radial_damping_n_s_m", "non-negative",
          s.radial_damping_n_s_m);
  require(s.smooth_timeconst_s > 0, "smooth_timeconst_s", "positive", s.smooth_timeconst_s);
  require(s.volume_timeconst_s > 0, "volume_timeconst_s", "positive", s.volume_timeconst_s);
  require(s.friction > 0, "friction", "positive", s.friction);
}

}  // namespace

int soft_ball_body_count(const SoftBallSpec& spec) {
  const int n = spec.count_per_axis, inner = n - 2;
  return n * n * n - inner * inner * inner + 1;
}

std::string soft_ball_composite_mjcf(const SoftBallSpec& spec, const std::string& prefix,
                                     const std::string& material, int extra_mass_shares) {
  validate(spec);
  if (extra_mass_shares < 0) throw std::invalid_argument("extra_mass_shares must be >= 0");
  const int n = spec.count_per_axis;
  const double element_mass_kg = spec.mass_kg / (soft_ball_body_count(spec) + extra_mass_shares);
  const std::string look = material.empty()
                               ? fmt::format("rgba=\"{:.9g} {:.9g} {:.9g} {:.9g}\"", spec.rgba[0],
                                             spec.rgba[1], spec.rgba[2], spec.rgba[3])
                               : "material=\"" + material + "\"";
  return fmt::format(
      "<composite prefix=\"{0}\" type=\"ellipsoid\" count=\"{1} {1} {1}\" spacing=\"{2:.9g}\" "
      "solrefsmooth=\"{3:.9g} 1\">\n"
      "  <joint kind=\"main\" stiffness=\"{4:.9g}\" damping=\"{5:.9g}\"/>\n"
      "  <tendon kind=\"main\" solreffix=\"{6:.9g} 1\"/>\n"
      "  <geom type=\"sphere\" size=\"{7:.9g}\" mass=\"{8:.9g}\" condim=\"4\" "
      "friction=\"{9:.9g} 0.005 0.0001\" solref=\"0.004 1\" solimp=\"0.95 0.99 0.001\" {10}/>\n"
      "</composite>\n",
      prefix, n, grid_spacing_m(spec), spec.smooth_timeconst_s, spec.radial_stiffness_n_m,
      spec.radial_damping_n_s_m, spec.volume_timeconst_s, spec.element_radius_m, element_mass_kg,
      spec.friction, look);
}

std::string soft_ball_body_mjcf(const SoftBallSpec& spec, const std::string& name, double x_m,
                                double y_m, double z_m) {
  // The centre body gets a geom of its own, of the same mass.
  return fmt::format(
      "<body name=\"{0}\" pos=\"{1:.9g} {2:.9g} {3:.9g}\">\n"
      "  <freejoint name=\"{0}_free\"/>\n{4}</body>\n",
      name, x_m, y_m, z_m, soft_ball_composite_mjcf(spec, name));
}

}  // namespace dffeval
