// `dffeval list` names the shipped suites, tasks, methods and scene sets.

#include <gtest/gtest.h>

#include "tests/fixtures/cli_run.h"

namespace dffeval {
namespace {

TEST(ListVerb, ShowsSuitesTasksAndMethods) {
  const auto r = fixtures::run_dffeval("list");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* s : {"smoke", "novel_objects", "mug_wrap", "oracle-pose", "heuristic",
                        "PRIVILEGED", "clutter"}) {
    EXPECT_NE(r.output.find(s), std::string::npos) << s;
  }
}

}  // namespace
}  // namespace dffeval
