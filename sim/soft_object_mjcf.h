#pragma once
// MJCF text of a soft, plush-ball-like object: a MuJoCo 2.2 <composite
// type="ellipsoid"> (surface bodies on radial sliders around a centre body).
// The catalog's deformable category `soft_ball` (sim/object_catalog.h) is
// written with it (sim/object_mjcf.cc).
//
// Geometry, measured while writing the category: MuJoCo places the element
// spheres inside the ellipsoid of semi-axes spacing * (count - 1) / 2, so
// that radius (radius_m) is the ball's outer radius, element spheres
// included. MuJoCo gives the composite's element geoms contype 0 and
// conaffinity 1: they do not collide with each other, but with every geom
// of contype 1 (the table, the hand, other objects).

#include <string>

namespace dffeval {

/// A soft ball. Defaults: a plush ball of 6.5 cm radius and 0.15 kg that
/// sags about 7 mm (10% of its radius) when it rests on a table (measured
/// with the world's options: 4 ms Euler, elliptic cones, impratio 10).
struct SoftBallSpec {
  double radius_m = 0.065;
  /// Bodies per axis of the composite's grid (surface bodies: n^3 - (n-2)^3).
  /// 5 gives 98 surface bodies; every count adds 18 (n-1)^2 + 3 always-active
  /// equality rows, so 7 (651 rows) nearly fills the world's njmax 1000.
  int count_per_axis = 5;
  /// Total mass, split evenly over the surface bodies and the centre body.
  double mass_kg = 0.15;
  /// Radius of each surface sphere (inside the ball's surface): about 0.4 of
  /// the grid spacing leaves gaps a fingertip does not poke through.
  double element_radius_m = 0.012;
  /// Radial spring of each surface slider, N/m: restores the shape (0 leaves
  /// only volume and smoothness, 9 mm of sag). Stable up to 3000 at 4 ms.
  double radial_stiffness_n_m = 100;
  double radial_damping_n_s_m = 0.05;
  /// Time constants (solref) of the equalities that couple neighbouring
  /// sliders (smoothness) and keep their sum (volume), seconds.
  double smooth_timeconst_s = 0.02;
  double volume_timeconst_s = 0.01;
  double friction = 0.8;
  double rgba[4] = {0.9, 0.45, 0.6, 1.0};
};

/// Number of bodies the composite adds (surface bodies plus the centre).
int soft_ball_body_count(const SoftBallSpec& spec);

/// The <composite> element alone, for a body that holds the ball's centre
/// (its bodies named by MuJoCo "{prefix}B..."). Each element geom, and the
/// centre's, gets mass_kg / (body count + extra_mass_shares): a caller that
/// adds geoms of its own keeps the total at mass_kg. With a non-empty
/// material the elements use it, otherwise spec.rgba. Throws as
/// soft_ball_body_mjcf.
std::string soft_ball_composite_mjcf(const SoftBallSpec& spec, const std::string& prefix,
                                     const std::string& material = "", int extra_mass_shares = 0);

/// MJCF text of <body name="{name}" pos="x y z"> with <freejoint> and the
/// composite (its bodies named by MuJoCo "{name}B..."). Throws InputError
/// naming the field for a non-positive radius, mass, element radius, time
/// constant or friction, a negative stiffness or damping, a count below 3,
/// or an element radius over half the grid spacing.
std::string soft_ball_body_mjcf(const SoftBallSpec& spec, const std::string& name, double x_m,
                                double y_m, double z_m);

}  // namespace dffeval
