#pragma once
// Inside the LibTorch reference (torch_hand_kinematics.h): the constant
// tensors of a HandKinematics, shared by its kinematics
// (torch_hand_kinematics.cc) and its collision terms (torch_hand_collision.cc).

#include <ATen/ATen.h>

#include <vector>

#include "tests/hand/reference/torch_hand_kinematics.h"

namespace dffeval {

/// How a level of the body tree picks its parents' poses out of the level
/// above: broadcast (the level above is the palm alone), a contiguous slice
/// (the usual case: one child per chain), or a gather.
struct ParentSelect {
  enum Kind { kBroadcast, kSlice, kGather } kind = kBroadcast;
  int64_t start = 0;
  int64_t length = 0;
  at::Tensor index;  // int64, kGather only
};

/// Constant tensors of one dtype (and device).
struct HandConsts {
  // Forward kinematics; non-palm bodies in level order (n = nb - 1).
  at::Tensor joint_select;   // (n,) int64: column of `joints` driving each body (0 if none)
  at::Tensor qpos0;          // (n,) MuJoCo's joint reference (0 if none)
  at::Tensor A, AK, AK2;     // (n, 3, 3): R_body, R_body K, R_body K^2 (K = [axis]x, 0 if none)
  at::Tensor p0, u1, u2;     // (n, 3): body_pos, R_body K a, R_body K^2 a (a = joint anchor)
  at::Tensor level_to_body;  // (nb,) int64: hand body i is column level_to_body[i] of the
                             // level-ordered result
  std::vector<ParentSelect> parent_select;  // per level 1..L
  // Collision geoms, rounded boxes (sphere, capsule, box) first, then cylinders.
  at::Tensor geom_body;       // (G,) int64
  at::Tensor geom_R;          // (G, 3, 3) R_BG
  at::Tensor geom_p;          // (G, 3) p_BG
  at::Tensor round_extent;    // (Gr, 1, 3) box half sizes (capsule: (0, 0, hl), sphere: 0)
  at::Tensor round_radius;    // (Gr, 1) rounding radius (box: 0)
  at::Tensor cyl_radius;      // (Gc, 1)
  at::Tensor cyl_half;        // (Gc, 1)
  at::Tensor sorted_to_geom;  // (G,) int64: geoms() index g is sorted column sorted_to_geom[g]
  // The same primitives as one row each (sorted layout), for the sparse path.
  at::Tensor row_extent;  // (G, 3) as round_extent (cylinders: 0)
  at::Tensor row_radius;  // (G,) as round_radius (cylinders: their radius)
  at::Tensor row_half;    // (G,) cylinder half length (others: 0)
  at::Tensor row_is_cyl;  // (G,) bool
  // Capsule pairs of different chains for self-collision.
  at::Tensor cap_body;    // (C,) int64
  at::Tensor cap_local;   // (C, 3, 2): columns p_BG and the axis z_BG
  at::Tensor cap_half;    // (C, 1) half lengths
  at::Tensor pair_a;      // (Np,) int64 capsule index
  at::Tensor pair_b;      // (Np,) int64
  at::Tensor pair_rsum;   // (Np,) r_a + r_b
  at::Tensor pair_len2a;  // (Np,) |segment a|^2 (constant under rigid motion)
  at::Tensor pair_len2b;  // (Np,)

  HandConsts to(const at::TensorOptions& opt) const {
    // Index tensors stay int64; only the device changes for them.
    const auto idx = at::TensorOptions().dtype(at::kLong).device(opt.device());
    HandConsts c = *this;
    for (at::Tensor* t :
         {&c.qpos0,        &c.A,          &c.AK,       &c.AK2,        &c.p0,
          &c.u1,           &c.u2,         &c.geom_R,   &c.geom_p,     &c.round_extent,
          &c.round_radius, &c.cyl_radius, &c.cyl_half, &c.row_extent, &c.row_radius,
          &c.row_half,     &c.cap_local,  &c.cap_half, &c.pair_rsum,  &c.pair_len2a,
          &c.pair_len2b}) {
      *t = t->to(opt);
    }
    for (at::Tensor* t : {&c.joint_select, &c.level_to_body, &c.geom_body, &c.sorted_to_geom,
                          &c.cap_body, &c.pair_a, &c.pair_b}) {
      *t = t->to(idx);
    }
    c.row_is_cyl = c.row_is_cyl.to(opt.device());
    for (auto& ps : c.parent_select)
      if (ps.index.defined()) ps.index = ps.index.to(idx);
    return c;
  }
};

struct HandKinematics::Impl {
  HandModel model;
  std::vector<int> parent, chain;
  std::vector<HandGeom> geoms;
  int num_rounded = 0;
  int num_cylinders = 0;
  /// The collision primitives in the sorted layout as plain numbers, for the
  /// penetration term's candidate search (see hand_penetration_depth).
  struct PrimitiveRow {
    Eigen::Vector3d extent = Eigen::Vector3d::Zero();  // as HandConsts::row_extent
    double radius = 0.0;                               // as row_radius
    double half = 0.0;                                 // as row_half
    bool cylinder = false;
    /// Squared radius of a sphere about the geom's centre that holds it,
    /// 1 mm larger so that a float32 test is safe, m^2.
    float bound2 = 0.f;
  };
  std::vector<PrimitiveRow> rows;
  at::Tensor lower, upper;
  // Level layout of the non-palm bodies: level l (1-based) holds
  // [level_begin[l-1], level_begin[l]).
  std::vector<int64_t> level_begin;
  bool has_qpos0 = false;
  bool has_anchor = false;
  HandConsts f64, f32;

  /// The constants in the dtype and on the device of `like`.
  HandConsts consts(const at::Tensor& like) const {
    const HandConsts& base = like.scalar_type() == at::kFloat ? f32 : f64;
    if (like.scalar_type() != at::kFloat && like.scalar_type() != at::kDouble) {
      throw std::invalid_argument("HandKinematics: tensors must be float32 or float64");
    }
    if (like.device().is_cpu()) return base;
    return base.to(like.options());
  }
};

}  // namespace dffeval
