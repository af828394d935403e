// Wilson score intervals checked against values computed by hand.

#include "eval/harness/success_stats.h"

#include <gtest/gtest.h>

namespace dffeval {
namespace {

TEST(SuccessStats, WilsonInterval) {
  const auto ci = wilson_interval_95(8, 10);
  EXPECT_NEAR(ci[0], 0.4902, 1e-3);
  EXPECT_NEAR(ci[1], 0.9433, 1e-3);
  const auto zero = wilson_interval_95(0, 10);
  EXPECT_DOUBLE_EQ(zero[0], 0.0);
  EXPECT_NEAR(zero[1], 0.2775, 1e-3);
}

}  // namespace
}  // namespace dffeval
