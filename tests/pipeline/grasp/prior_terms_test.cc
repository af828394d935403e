// The prior terms (joint ranges, the wrist cone, the demonstrated joints)
// against their LibTorch reference: values and gradients.

#include <gtest/gtest.h>

#include "pipeline/grasp/energy_terms.h"
#include "tests/pipeline/grasp/energy_term_check.h"

namespace dffeval {
namespace {

TEST(PriorTerms, JointLimitsEqualsTheReferenceWithAFiniteDifferenceGradient) {
  energy_test::check_energy_term("joint_limits");
}

TEST(PriorTerms, WristPriorEqualsTheReferenceWithAFiniteDifferenceGradient) {
  energy_test::check_energy_term("wrist_prior");
}

TEST(PriorTerms, JointPriorEqualsTheReferenceWithAFiniteDifferenceGradient) {
  energy_test::check_energy_term("joint_prior");
}

}  // namespace
}  // namespace dffeval
