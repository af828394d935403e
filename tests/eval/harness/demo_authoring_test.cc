// Every demonstration replayed on its own source object lifts it (verify_demonstration).

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
  EXPECT_LT(r.initial_penetration_m, 0.01);
}

INSTANTIATE_TEST_SUITE_P(AllTasks, DemoReplay, ::testing::ValuesIn(list_tasks()));

}  // namespace
}  // namespace dffeval
