#include "sim/contact_signature.h"

#include <string>

#include "sim/object_semantics.h"

namespace dffeval {

std::string to_string(LinkGroup group) {
  switch (group) {
    case LinkGroup::kThumb:
      return "thumb";
    case LinkGroup::kIndex:
      return "index";
    case LinkGroup::kMiddle:
      return "middle";
    case LinkGroup::kRing:
      return "ring";
    case LinkGroup::kLittle:
      return "little";
    case LinkGroup::kPalm:
      return "palm";
  }
  return "palm";
}

bool ContactSignature::empty() const {
  for (const auto& g : groups)
    if (g.contacts > 0) return false;
  return true;
}

nlohmann::json ContactSignature::to_json() const {
  nlohmann::json j;
  j["object_size_m"] = {object_size_m.x(), object_size_m.y(), object_size_m.z()};
  nlohmann::json gj = nlohmann::json::object();
  for (int i = 0; i < kNumLinkGroups; ++i) {
    const GroupContacts& g = groups[i];
    if (g.contacts == 0) continue;
    const Eigen::Vector3d& c = g.centroid_obj_m;
    gj[to_string(static_cast<LinkGroup>(i))] = {
        {"contacts", g.contacts},
        {"parts", std::vector<std::string>(g.parts.begin(), g.parts.end())},
        {"centroid_obj_m", {c.x(), c.y(), c.z()}}};
  }
  j["groups"] = gj;
  return j;
}

ContactSignature ContactSignature::from_json(const nlohmann::json& j) {
  ContactSignature s;
  const auto& size = j.at("object_size_m");
  s.object_size_m =
      Eigen::Vector3d(size.at(0).get<double>(), size.at(1).get<double>(), size.at(2).get<double>());
  for (int i = 0; i < kNumLinkGroups; ++i) {
    const std::string name = to_string(static_cast<LinkGroup>(i));
    if (!j.at("groups").contains(name)) continue;
    const auto& gj = j.at("groups").at(name);
    GroupContacts& g = s.groups[i];
    g.contacts = gj.at("contacts").get<int>();
    for (const auto& p : gj.at("parts")) g.parts.insert(p.get<std::string>());
    const auto& c = gj.at("centroid_obj_m");
    g.centroid_obj_m =
        Eigen::Vector3d(c.at(0).get<double>(), c.at(1).get<double>(), c.at(2).get<double>());
  }
  return s;
}

int link_group_of_body(const World& world, int body) {
  if (body < 0 || !world.is_hand_body(body)) return -1;
  const mjModel* m = world.model();
  // The group is named by the first finger body on the way up to the palm
  // (a fingertip's name alone would do, but a future body without the
  // prefix still inherits its finger's group).
  for (int b = body; b > 0 && b != world.palm_body(); b = m->body_parentid[b]) {
    const char* raw = mj_id2name(m, mjOBJ_BODY, b);
    const std::string name = raw ? raw : "";
    const std::string prefix = name.substr(0, 2);
    if (prefix == "th") return static_cast<int>(LinkGroup::kThumb);
    if (prefix == "ff") return static_cast<int>(LinkGroup::kIndex);
    if (prefix == "mf") return static_cast<int>(LinkGroup::kMiddle);
    if (prefix == "rf") return static_cast<int>(LinkGroup::kRing);
    if (prefix == "lf") return static_cast<int>(LinkGroup::kLittle);
  }
  return static_cast<int>(LinkGroup::kPalm);
}

std::vector<ContactPoint> read_contact_points(const World& world, const mjData* d) {
  const mjModel* m = world.model();
  const int target = world.target_body();
  const ObjectInstance& object = world.scene().target.object;
  const Eigen::Isometry3d X_ObjW = world.body_pose(d, target).inverse();
  std::vector<ContactPoint> out;
  for (int i = 0; i < d->ncon; ++i) {
    const mjContact& c = d->contact[i];
    const int b1 = m->geom_bodyid[c.geom1], b2 = m->geom_bodyid[c.geom2];
    int hand_body = -1;
    // MuJoCo's contact normal points from geom1 to geom2: outward from the
    // object when the object is geom1.
    double outward = 1.0;
    // A soft target's composite bodies all count as the target (in its frame).
    if (world.is_target_body(b1) && world.is_hand_body(b2)) {
      hand_body = b2;
    } else if (world.is_target_body(b2) && world.is_hand_body(b1)) {
      hand_body = b1;
      outward = -1.0;
    } else {
      continue;
    }
    ContactPoint p;
    p.group = static_cast<LinkGroup>(link_group_of_body(world, hand_body));
    p.p_W = Eigen::Vector3d(c.pos[0], c.pos[1], c.pos[2]);
    p.n_W = outward * Eigen::Vector3d(c.frame[0], c.frame[1], c.frame[2]);
    p.p_obj = X_ObjW * p.p_W;
    p.part = part_label(object, p.p_obj, X_ObjW.linear() * p.n_W);
    out.push_back(std::move(p));
  }
  return out;
}

ContactSignature read_contact_signature(const World& world, const mjData* d) {
  ContactSignature s;
  s.object_size_m = world.scene().target.object.bounds_obj().sizes();
  std::array<Eigen::Vector3d, kNumLinkGroups> sums;
  sums.fill(Eigen::Vector3d::Zero());
  for (const ContactPoint& p : read_contact_points(world, d)) {
    const int group = static_cast<int>(p.group);
    GroupContacts& g = s.groups[group];
    ++g.contacts;
    g.parts.insert(p.part);
    sums[group] += p.p_obj;
  }
  for (int i = 0; i < kNumLinkGroups; ++i) {
    if (s.groups[i].contacts > 0) s.groups[i].centroid_obj_m = sums[i] / s.groups[i].contacts;
  }
  return s;
}

}  // namespace dffeval
