#pragma once
// The tests' reference: differentiable, batched kinematics of the Shadow hand
// in LibTorch, built from the one HandModel (hand/hand_model.h). Not
// production code: the optimizer poses the hand with hand/forward_kinematics.h
// and differentiates its energy by hand (pipeline/grasp/grasp_energy.h;
// LibTorch's per-operation overhead was a quarter of a trial); the tests hold
// those to this autograd version, term by term.
//
// Tensors: torch::Tensor is at::Tensor; this header includes only ATen's
// Tensor (LibTorch's full headers cost ~20 s per translation unit).
// Every function below works in float32 and float64 (all tensor arguments of
// one call share a dtype and device) and is differentiable by autograd.

#include <ATen/core/Tensor.h>

#include <Eigen/Core>
#include <Eigen/Geometry>
#include <memory>
#include <string>
#include <vector>

#include "hand/hand_model.h"
#include "hand/hand_surface.h"
#include "types/grasp.h"

namespace dffeval {

/// 6D rotation representation (Zhou et al. 2019) to rotation matrices:
/// r6 (..., 6) holds the first two COLUMNS of R, (a1, a2); Gram-Schmidt gives
/// b1 = a1/|a1|, b2 = normalized (a2 - (b1.a2) b1), b3 = b1 x b2, R = [b1 b2 b3].
/// Returns (..., 3, 3). Any r6 with a1, a2 not parallel is valid.
at::Tensor rot6d_to_matrix(const at::Tensor& r6);

/// Rotation matrices (..., 3, 3) to the 6D representation (..., 6): the first
/// two columns, concatenated. rot6d_to_matrix(matrix_to_rot6d(R)) == R.
at::Tensor matrix_to_rot6d(const at::Tensor& R);

/// Batched hand parameters for the optimizer: wrist_pos (B, 3) metres (the
/// palm body's origin in the world), rot6d (B, 6) palm orientation, joints
/// (B, 22) radians in hand_joint_names() order.
struct HandParams {
  at::Tensor wrist_pos;
  at::Tensor rot6d;
  at::Tensor joints;
};

/// Grasps to parameters (float64 on the CPU unless `dtype` says otherwise).
HandParams grasps_to_hand_params(const std::vector<Grasp>& grasps,
                                 at::ScalarType dtype = at::kDouble);

/// Parameters back to grasps (rot6d is orthonormalized by Gram-Schmidt).
std::vector<Grasp> hand_params_to_grasps(const HandParams& params);

/// The hand's kinematic model. Immutable after load() and cheap to copy (the
/// constant tensors are shared), so one instance may serve many threads.
struct HandConsts;

class HandKinematics {
 public:
  /// The tensors of `model` (float64 and float32 copies).
  explicit HandKinematics(const HandModel& model);
  /// HandKinematics(HandModel::load(mjcf_path)).
  static HandKinematics load(const std::string& mjcf_path = "");

  /// Hand bodies from the palm down (palm = index 0), in MuJoCo's body order;
  /// the world and the mocap target are not included.
  int num_bodies() const;
  const std::vector<std::string>& body_names() const;
  /// Index of a hand body by name; throws std::out_of_range if unknown.
  int body_index(const std::string& name) const;
  /// Parent index of each hand body (-1 for the palm).
  const std::vector<int>& body_parent() const;
  /// The finger chain of each hand body: the index of the palm child whose
  /// subtree holds it (0 ff, 1 mf, 2 rf, 3 lf, 4 th for the project's model,
  /// see chain_names()); -1 for the palm itself.
  const std::vector<int>& body_chain() const;
  /// Names of the palm's child bodies, one per chain (e.g. "ffknuckle").
  const std::vector<std::string>& chain_names() const;
  /// The body each finger joint moves, in hand_joint_names() order.
  const std::vector<int>& joint_body() const;
  /// Placement and hinge of every hand body, in body_names() order (parents
  /// before children).
  const std::vector<HandBodyJoint>& body_joints() const;

  /// Joint limits (22,), radians, float64, hand_joint_names() order
  /// (-inf/+inf for a joint without limits).
  at::Tensor joint_lower() const;
  at::Tensor joint_upper() const;

  /// Collision primitives of the hand (geoms of hand bodies with a nonzero
  /// contype or conaffinity), in MuJoCo's geom order.
  const std::vector<HandGeom>& geoms() const;

  /// The MJCF file the model was built from.
  const std::string& mjcf_path() const;
  /// The plain model it was built from; also by conversion, so a test can
  /// hand a HandKinematics to what takes the model.
  const HandModel& model() const;
  operator const HandModel&() const { return model(); }  // NOLINT: implicit on purpose

  /// World poses of all hand bodies for a batch of hand parameters.
  struct Poses {
    /// Body orientations R_WB, (B, nb, 3, 3).
    at::Tensor R;
    /// Body origins p_WB, (B, nb, 3), metres.
    at::Tensor p;
  };

  /// Forward kinematics. wrist_pos (B, 3) is the palm origin in the world
  /// (metres), rot6d (B, 6) the palm orientation (see rot6d_to_matrix), joints
  /// (B, 22) radians in hand_joint_names() order (not clamped to the limits).
  /// At zero joints the palm is at (R, wrist_pos) and every other body where
  /// MuJoCo's mj_kinematics puts it for the same palm_free qpos and hinges.
  /// Differentiable w.r.t. all three inputs; float32 or float64.
  Poses forward(const at::Tensor& wrist_pos, const at::Tensor& rot6d,
                const at::Tensor& joints) const;
  Poses forward(const HandParams& params) const {
    return forward(params.wrist_pos, params.rot6d, params.joints);
  }

  /// Constant tensors shared by the functions below; defined in the .cc.
  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  HandKinematics() = default;
  static void fill_forward_consts(Impl& im, const std::vector<int>& depth,
                                  const std::vector<int>& body_joint, HandConsts* c);
  static void fill_geom_consts(Impl& im, HandConsts* c);
  static void fill_capsule_pairs(Impl& im, HandConsts* c);
  std::shared_ptr<const Impl> impl_;
};

/// Signed distance (metres; negative inside) from each cloud point to each
/// collision geom of the hand: cloud (M, 3) world points -> (B, G, M), geoms
/// in HandKinematics::geoms() order. Exact for spheres, capsules, boxes and
/// cylinders (inside and outside). Dense, O(B G M) with autograd: meant for
/// tests, diagnostics and small clouds.
at::Tensor hand_geom_signed_distance(const HandKinematics& kin, const HandKinematics::Poses& poses,
                                     const at::Tensor& cloud);

/// Signed distance (metres) from each cloud point to the hand (the minimum
/// over its collision geoms): cloud (M, 3) -> (B, M). Dense like the above.
at::Tensor hand_signed_distance(const HandKinematics& kin, const HandKinematics::Poses& poses,
                                const at::Tensor& cloud);

/// Depth (metres, >= 0) by which each cloud point lies inside the hand's
/// collision geoms, the max over geoms: cloud (M, 3) -> (B, M); 0 outside.
/// Equal to max(0, -hand_signed_distance), but sparse: one bounding-sphere
/// test per (hand, geom, point) without autograd, exact distances only for
/// the candidates, autograd only for the deepest geom of each penetrating
/// (hand, point); cheap for M ~ 2000, B = 10. The interior distance is exact
/// for every primitive type, boxes and cylinders included (the distance to
/// the nearest face). The gradient flows through the deepest geom only; it is
/// zero for a point exactly on a capsule's axis or a sphere's centre (the
/// distance has a kink there).
at::Tensor hand_penetration_depth(const HandKinematics& kin, const HandKinematics::Poses& poses,
                                  const at::Tensor& cloud);

/// Self-collision penalty (B,), metres: the sum over pairs of capsules on
/// DIFFERENT finger chains (the thumb counts as a chain) of their overlap
/// depth max(0, r1 + r2 - distance between the segments). Zero at the zero
/// pose (neighbouring fingers have a 2 mm gap) and at the demonstrated grasps.
/// Knuckle cylinders, the thumb base sphere and the palm boxes are not part of
/// it (they overlap the palm by design).
at::Tensor hand_self_penetration(const HandKinematics& kin, const HandKinematics::Poses& poses);

/// World positions (B, P, 3), metres, of the surface points for the given
/// poses (differentiable; in the poses' dtype).
at::Tensor hand_surface_world(const HandKinematics::Poses& poses, const HandSurfacePoints& points);

/// World outward unit normals (B, P, 3) of the surface points.
at::Tensor hand_surface_normals_world(const HandKinematics::Poses& poses,
                                      const HandSurfacePoints& points);

/// The surface points' body-frame positions (P, 3) and normals as float64
/// tensors, and their bodies (P,) int64.
at::Tensor surface_local_tensor(const HandSurfacePoints& points);
at::Tensor surface_normal_tensor(const HandSurfacePoints& points);
at::Tensor surface_body_tensor(const HandSurfacePoints& points);

}  // namespace dffeval
