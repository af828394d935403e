#include "eval/harness/grasp_fidelity.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <utility>

namespace dffeval {
namespace {

std::set<std::pair<int, std::string>> group_parts(const ContactSignature& s) {
  std::set<std::pair<int, std::string>> out;
  for (int g = 0; g < kNumLinkGroups; ++g)
    for (const auto& p : s.groups[g].parts) out.insert({g, p});
  return out;
}

Eigen::Matrix3d rot_z(double a) {
  return Eigen::AngleAxisd(a, Eigen::Vector3d::UnitZ()).toRotationMatrix();
}

}  // namespace

nlohmann::json TransferCriteria::to_json() const {
  return {{"min_part_agreement", min_part_agreement},
          {"max_contact_error", max_contact_error},
          {"require_thumb_part", require_thumb_part},
          {"max_palm_rotation_deg", max_palm_rotation_deg}};
}

nlohmann::json FidelityMetrics::to_json() const {
  return {
      {"part_agreement", part_agreement},
      {"contact_error", contact_error},
      {"thumb_on_demo_part", thumb_on_demo_part},
      {"part_agreement_held", part_agreement_held},
      {"palm_error_sym",
       {{"position_m", palm_error_sym.position_m}, {"rotation_deg", palm_error_sym.rotation_deg}}}};
}

double part_agreement(const ContactSignature& trial, const ContactSignature& demo) {
  const auto t = group_parts(trial), d = group_parts(demo);
  if (t.empty() || d.empty()) return 0.0;
  int common = 0;
  for (const auto& x : t) common += d.count(x) ? 1 : 0;
  if (common == 0) return 0.0;
  const double precision = static_cast<double>(common) / t.size();
  const double recall = static_cast<double>(common) / d.size();
  return 2 * precision * recall / (precision + recall);
}

double contact_error(const ContactSignature& trial, const ContactSignature& demo,
                     SymmetryGroup group) {
  int common = 0;
  for (int g = 0; g < kNumLinkGroups; ++g)
    common += demo.groups[g].contacts > 0 && trial.groups[g].contacts > 0 ? 1 : 0;
  if (common == 0) return kMissingGroupError;
  double best = std::numeric_limits<double>::infinity();
  for (double angle : symmetry_angles(group)) {
    const Eigen::Matrix3d R = rot_z(angle);
    double sum = 0.0;
    for (int g = 0; g < kNumLinkGroups; ++g) {
      if (demo.groups[g].contacts == 0 || trial.groups[g].contacts == 0) continue;
      const Eigen::Vector3d a =
          (R * trial.groups[g].centroid_obj_m).cwiseQuotient(trial.object_size_m);
      const Eigen::Vector3d b = demo.groups[g].centroid_obj_m.cwiseQuotient(demo.object_size_m);
      sum += (a - b).norm();
    }
    best = std::min(best, sum / common);
  }
  return best;
}

bool thumb_on_demo_part(const ContactSignature& trial, const ContactSignature& demo) {
  const auto& d = demo.group(LinkGroup::kThumb).parts;
  if (d.empty()) return true;
  for (const auto& p : trial.group(LinkGroup::kThumb).parts)
    if (d.count(p)) return true;
  return false;
}

PalmError palm_error_sym(const Eigen::Isometry3d& X_ObjPalm, const Eigen::Isometry3d& X_ObjPalm_ref,
                         SymmetryGroup group) {
  PalmError best;
  double best_cost = std::numeric_limits<double>::infinity();
  for (double angle : symmetry_angles(group)) {
    const Eigen::Matrix3d R = rot_z(angle);
    const Eigen::Vector3d p_ref = R * X_ObjPalm_ref.translation();
    const Eigen::Matrix3d R_ref = R * X_ObjPalm_ref.linear();
    PalmError e;
    e.position_m = (X_ObjPalm.translation() - p_ref).norm();
    const double rot_rad = Eigen::AngleAxisd(X_ObjPalm.linear().transpose() * R_ref).angle();
    e.rotation_deg = rot_rad * 180.0 / M_PI;
    const double cost = e.position_m + kPalmMetresPerRadian * rot_rad;
    if (cost < best_cost) {
      best_cost = cost;
      best = e;
    }
  }
  return best;
}

FidelityMetrics measure_fidelity(const ContactSignature& trial_closed,
                                 const ContactSignature& trial_held, const ContactSignature& demo,
                                 SymmetryGroup group, const Eigen::Isometry3d& X_ObjPalm,
                                 const Eigen::Isometry3d& X_ObjPalm_ref) {
  FidelityMetrics m;
  m.part_agreement = part_agreement(trial_closed, demo);
  m.contact_error = contact_error(trial_closed, demo, group);
  m.thumb_on_demo_part = thumb_on_demo_part(trial_closed, demo);
  m.part_agreement_held = part_agreement(trial_held, demo);
  m.palm_error_sym = palm_error_sym(X_ObjPalm, X_ObjPalm_ref, group);
  return m;
}

bool is_demonstrated_grasp(const FidelityMetrics& m, const TransferCriteria& c) {
  return m.part_agreement >= c.min_part_agreement && m.contact_error <= c.max_contact_error &&
         (!c.require_thumb_part || m.thumb_on_demo_part) &&
         m.palm_error_sym.rotation_deg <= c.max_palm_rotation_deg;
}

}  // namespace dffeval
