#pragma once
// Where the hand touches the object: for each link group of the hand (thumb,
// the four fingers, the palm) the object parts it touches and the centroid of
// its contact points in the canonical object frame. A demonstration replayed
// on its source object gives the signature a transfer should reproduce; the
// harness compares a trial's signature with it (eval/harness/grasp_fidelity.h).

#include <mujoco/mujoco.h>

#include <Eigen/Core>
#include <array>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "sim/world.h"

namespace dffeval {

/// The hand's link groups. Bodies are assigned by name: th* thumb, ff* index,
/// mf* middle, rf* ring, lf* little (its metacarpal included), the palm body
/// itself palm.
enum class LinkGroup { kThumb, kIndex, kMiddle, kRing, kLittle, kPalm };
inline constexpr int kNumLinkGroups = 6;

/// "thumb", "index", "middle", "ring", "little", "palm".
std::string to_string(LinkGroup group);

/// The contacts of one link group with the object.
struct GroupContacts {
  /// Contact points of this group with the target object (0: untouched).
  int contacts = 0;
  /// The parts touched (sim/object_semantics.h names).
  std::set<std::string> parts;
  /// Mean contact point, canonical object frame, metres (zero if untouched).
  Eigen::Vector3d centroid_obj_m = Eigen::Vector3d::Zero();
};

struct ContactSignature {
  std::array<GroupContacts, kNumLinkGroups> groups;
  /// The object's bounding-box size in its canonical frame, metres: centroids
  /// divided by it are comparable across instances of different sizes.
  Eigen::Vector3d object_size_m = Eigen::Vector3d::Ones();

  const GroupContacts& group(LinkGroup g) const { return groups[static_cast<int>(g)]; }
  /// True if no group touches the object.
  bool empty() const;
  nlohmann::json to_json() const;
  /// Inverse of to_json; throws nlohmann::json::exception on a bad layout.
  static ContactSignature from_json(const nlohmann::json& j);
};

/// The link group of a hand body, or -1 for a body that is not the hand's.
int link_group_of_body(const World& world, int body);

/// One contact between a hand body and the world's target object.
struct ContactPoint {
  /// The contact point (midway between the surfaces), world frame, metres.
  Eigen::Vector3d p_W = Eigen::Vector3d::Zero();
  /// The same point in the canonical object frame, metres.
  Eigen::Vector3d p_obj = Eigen::Vector3d::Zero();
  /// Unit contact normal pointing out of the object, world frame.
  Eigen::Vector3d n_W = Eigen::Vector3d::UnitZ();
  LinkGroup group = LinkGroup::kPalm;
  /// The object part touched (sim/object_semantics.h names).
  std::string part;
};

/// The hand's contacts with the world's target object at the state d (after
/// mj_forward or mj_step), in MuJoCo's contact order.
std::vector<ContactPoint> read_contact_points(const World& world, const mjData* d);

/// The signature of the hand's contacts with the world's target object at the
/// state d (after mj_forward or mj_step).
ContactSignature read_contact_signature(const World& world, const mjData* d);

}  // namespace dffeval
