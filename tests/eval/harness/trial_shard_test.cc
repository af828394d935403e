// Shards of a trial list: parsed from K/N, round robin, disjoint and
// together the whole list; merge_shard_dirs' checks are exercised through
// the real binary in tests/eval/cli/merge_test.cc.

#include "eval/harness/trial_shard.h"

#include <gtest/gtest.h>

#include <set>

#include "common/input_error.h"

namespace dffeval {
namespace {

std::vector<Trial> numbered(int n) {
  std::vector<Trial> trials(n);
  for (int i = 0; i < n; ++i) trials[i].index = i, trials[i].id = "t/" + std::to_string(i);
  return trials;
}

TEST(TrialShard, ParsesKOfNAndRefusesAnythingElse) {
  const TrialShard s = parse_trial_shard("2/5");
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 5);
  EXPECT_EQ(s.label(), "2/5");
  EXPECT_EQ(parse_trial_shard("1/1").count, 1);
  for (const char* bad : {"0/3", "4/3", "3", "1/0", "-1/3", "a/b", "1/3/4", " 1/3", "1/1000000"}) {
    try {
      parse_trial_shard(bad);
      ADD_FAILURE() << bad << " accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(TrialShard, ShardsAreRoundRobinDisjointAndCoverTheList) {
  const auto trials = numbered(10);
  std::set<std::string> seen;
  std::size_t total = 0;
  for (int k = 1; k <= 3; ++k) {
    const auto mine = shard_trials(trials, {k, 3});
    total += mine.size();
    for (std::size_t j = 0; j < mine.size(); ++j) {
      EXPECT_EQ(mine[j].index, static_cast<int>(k - 1 + 3 * j));  // suite order kept
      EXPECT_TRUE(seen.insert(mine[j].id).second) << mine[j].id;
    }
  }
  EXPECT_EQ(total, trials.size());
  EXPECT_EQ(shard_trials(trials, {1, 3}).size(), 4u);
  EXPECT_EQ(shard_trials(trials, {3, 3}).size(), 3u);
  // More shards than trials: the last ones are empty (the CLI refuses them).
  EXPECT_TRUE(shard_trials(numbered(2), {3, 3}).empty());
}

}  // namespace
}  // namespace dffeval
