// Every demonstration replayed on its own source object lifts it
// (verify_demonstration), the soft ball's included.

#include "eval/harness/demo_authoring.h"

#include <gtest/gtest.h>

#include "eval/harness/demonstration.h"

namespace dffeval {
namespace {

class DemoReplay : public ::testing::TestWithParam<std::string> {};

TEST_P(DemoReplay, SucceedsOnItsSourceObject) {
  const Demonstration demo = load_demonstration(GetParam());
  const ExecutionResult r = verify_demonstration(demo);
  EXPECT_TRUE(r.success) << GetParam() << ": " << to_string(r.failure) << " lift "
                         << r.object_lift_m;
  // The soft ball's elements are light (0.5 to 1.3 g each), and MuJoCo's
  // contact softness scales with the inverse of the mass behind a contact:
  // the hand's thumb base sits 16 mm into the sphere surface at the
  // demonstrated pose (README "A soft object").
  EXPECT_LT(r.initial_penetration_m, demo.source_object().soft ? 0.02 : 0.01);
}

INSTANTIATE_TEST_SUITE_P(AllTasks, DemoReplay, ::testing::ValuesIn(list_tasks()));

}  // namespace
}  // namespace dffeval
