// Where default outputs go: the source tree's results/ for a binary run from
// the build tree, DFFEVAL_RESULTS when set. (The installed case, ./results,
// is checked by tests/install_test.sh on a real `cmake --install`.)

#include "common/results_root.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "common/project_paths.h"

namespace dffeval {
namespace {

TEST(ResultsRoot, TheSourceTreesResultsUnlessTheEnvironmentSaysOtherwise) {
  ::unsetenv("DFFEVAL_RESULTS");
  ::unsetenv("DFFEVAL_ROOT");
  EXPECT_FALSE(running_installed());  // a test binary has no share/dffeval beside it
  EXPECT_EQ(results_root(), project_root() / "results");
  ::setenv("DFFEVAL_RESULTS", "/tmp/elsewhere", 1);
  EXPECT_EQ(results_root(), std::filesystem::path("/tmp/elsewhere"));
  ::unsetenv("DFFEVAL_RESULTS");
  // DFFEVAL_ROOT moves the data, and the results with it.
  ::setenv("DFFEVAL_ROOT", "/tmp/some_root", 1);
  EXPECT_FALSE(running_installed());
  EXPECT_EQ(results_root(), std::filesystem::path("/tmp/some_root") / "results");
  ::unsetenv("DFFEVAL_ROOT");
}

}  // namespace
}  // namespace dffeval
