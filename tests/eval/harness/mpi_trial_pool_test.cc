// The MPI session and dispatcher in one process (MPI's singleton start,
// without mpirun): one rank, so the dispatcher has no worker to serve and
// returns at once without taking a trial. The two-rank run is the ctest test
// MpiRunEqualsOneProcess (tests/mpi_test.sh), under mpirun.

#include "eval/harness/mpi_trial_pool.h"

#include <gtest/gtest.h>

namespace dffeval {
namespace {

TEST(MpiTrialPool, AloneTheDispatcherServesNoOneAndTakesNothing) {
  MpiSession session;
  EXPECT_EQ(session.rank(), 0);
  EXPECT_EQ(session.size(), 1);
  MpiTrialDispatcher dispatcher(session);
  int taken = 0;
  dispatcher.serve(
      [&]() -> std::optional<std::size_t> {
        ++taken;
        return std::nullopt;
      },
      [](std::size_t, const nlohmann::json&) { FAIL() << "no worker sent a record"; });
  EXPECT_EQ(taken, 0);
  EXPECT_EQ(dispatcher.trials_per_rank(), std::vector<std::size_t>{0});
}

}  // namespace
}  // namespace dffeval
