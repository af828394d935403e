// The contact terms (target points inside the hand, hand below the table, fingers
// overlapping) against their LibTorch reference: values and gradients.

#include <gtest/gtest.h>

#include "pipeline/grasp/energy_terms.h"
#include "tests/pipeline/grasp/energy_term_check.h"

namespace dffeval {
namespace {

TEST(ContactTerms, PenetrationEqualsTheReferenceWithAFiniteDifferenceGradient) {
  energy_test::check_energy_term("penetration");
}

TEST(ContactTerms, TableEqualsTheReferenceWithAFiniteDifferenceGradient) {
  energy_test::check_energy_term("table");
}

TEST(ContactTerms, SelfCollisionEqualsTheReferenceWithAFiniteDifferenceGradient) {
  energy_test::check_energy_term("self_collision");
}

}  // namespace
}  // namespace dffeval
