// The regression verdict on comparisons built here: worse and significant
// is a regression, worse but not significant or better is not, per row and
// overall.

#include "eval/harness/regression_check.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "eval/harness/paired_comparison.h"

namespace dffeval {
namespace {

using json = nlohmann::json;

json stats(int a_only, int b_only, int n) {
  return {{"n", n},        {"a_only", a_only}, {"b_only", b_only},
          {"rate_a", 0.5}, {"rate_b", 0.5},    {"mcnemar_p", mcnemar_exact_p(a_only, b_only)}};
}

json comparison(const json& row_transfer, const json& overall_transfer) {
  return {{"rates", {{{"name", "transfer"}, {"key", "transfer"}}}},
          {"rows",
           {{{"task", "mug_top"},
             {"object_set", "novel"},
             {"scene_set", "clean"},
             {"rates", {{"transfer", row_transfer}}}}}},
          {"overall",
           {{"task", "all"},
            {"object_set", "all"},
            {"scene_set", "all"},
            {"rates", {{"transfer", overall_transfer}}}}}};
}

TEST(RegressionCheck, WorseAndSignificantIsARegressionPerRowAndOverall) {
  // Row: 6 lost, none gained (p = 2/64 = 0.031); overall: 6 lost, 2 gained
  // (p = 2 * 37/256 = 0.289).
  const json found = find_regressions(comparison(stats(6, 0, 10), stats(6, 2, 40)));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0]["task"], "mug_top");
  EXPECT_EQ(found[0]["rate"], "transfer");
  EXPECT_EQ(found[0]["a_only"], 6);
  EXPECT_NEAR(found[0]["mcnemar_p"].get<double>(), 0.03125, 1e-12);
  EXPECT_NE(regression_markdown(found, 0.05).find("1 REGRESSION(S)"), std::string::npos);
  // Both lines when the overall is significant too.
  EXPECT_EQ(find_regressions(comparison(stats(6, 0, 10), stats(9, 0, 40))).size(), 2u);
}

TEST(RegressionCheck, BetterOrNotSignificantIsNone) {
  EXPECT_TRUE(find_regressions(comparison(stats(0, 8, 10), stats(0, 8, 40))).empty());
  // Five lost of five discordant: p = 2/32 = 0.0625.
  EXPECT_TRUE(find_regressions(comparison(stats(5, 0, 10), stats(5, 0, 40))).empty());
  EXPECT_TRUE(find_regressions(comparison(stats(0, 0, 10), stats(0, 0, 40))).empty());
  // A looser alpha does call five of five a regression.
  EXPECT_EQ(find_regressions(comparison(stats(5, 0, 10), stats(0, 0, 40)), 0.1).size(), 1u);
  EXPECT_NE(regression_markdown(json::array(), 0.05).find("none"), std::string::npos);
  EXPECT_THROW(find_regressions(comparison(stats(0, 0, 1), stats(0, 0, 1)), 0.0),
               std::invalid_argument);
}

}  // namespace
}  // namespace dffeval
