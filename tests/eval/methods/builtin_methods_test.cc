// The shipped methods' registration: every method is there after
// register_builtin_methods(), only oracle-pose reads ground truth, the
// sparsedff family records its settings, and registering again changes nothing.

#include "eval/methods/builtin_methods.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "eval/harness/grasp_method.h"
#include "eval/methods/heuristic_grasp.h"
#include "eval/methods/oracle_pose.h"

namespace dffeval {
namespace {

const std::vector<std::string> kSparseDff = {"sparsedff", "no-refine", "no-prune", "dense-field",
                                             "geometric"};

TEST(BuiltinMethods, EveryShippedMethodIsRegistered) {
  register_builtin_methods();
  std::vector<std::string> all = kSparseDff;
  all.push_back("oracle-pose");
  all.push_back("heuristic");
  for (const std::string& name : all) {
    const MethodInfo& info = find_method(name);
    EXPECT_EQ(info.name, name);
    EXPECT_FALSE(info.description.empty()) << name;
    EXPECT_TRUE(info.make) << name;
  }
}

TEST(BuiltinMethods, OnlyOraclePoseUsesGroundTruth) {
  register_builtin_methods();
  EXPECT_TRUE(find_method("oracle-pose").uses_ground_truth);
  // It says so where people read it (`dffeval list`).
  EXPECT_NE(find_method("oracle-pose").description.find("PRIVILEGED"), std::string::npos);
  EXPECT_FALSE(find_method("heuristic").uses_ground_truth);
  for (const std::string& name : kSparseDff) {
    EXPECT_FALSE(find_method(name).uses_ground_truth) << name;
  }
  int privileged = 0;
  for (const MethodInfo* m : list_methods()) privileged += m->uses_ground_truth;
  EXPECT_EQ(privileged, 1);
}

TEST(BuiltinMethods, FactoriesMakeTheirMethods) {
  register_builtin_methods();
  const auto oracle = find_method("oracle-pose").make();
  EXPECT_NE(dynamic_cast<OraclePoseMethod*>(oracle.get()), nullptr);
  const auto heuristic = find_method("heuristic").make();
  EXPECT_NE(dynamic_cast<HeuristicGraspMethod*>(heuristic.get()), nullptr);
  // One instance per call: workers never share a method.
  EXPECT_NE(find_method("heuristic").make().get(), heuristic.get());
}

TEST(BuiltinMethods, SparseDffVariantsRecordTheirSettings) {
  register_builtin_methods();
  for (const std::string& name : kSparseDff) {
    const MethodInfo& info = find_method(name);
    ASSERT_TRUE(info.settings) << name;
    const nlohmann::json s = info.settings();
    EXPECT_EQ(s["variant"], name);
    EXPECT_TRUE(s.contains("yaml")) << name;
    EXPECT_FALSE(s["yaml"].get<std::string>().empty()) << name;
    // Each ablation is one change; the method itself is none.
    EXPECT_EQ(s["variant_change"] == "none", name == "sparsedff") << name << ": " << s.dump();
  }
  EXPECT_FALSE(find_method("oracle-pose").settings);
  EXPECT_FALSE(find_method("heuristic").settings);
}

TEST(BuiltinMethods, RegisteringAgainIsHarmless) {
  register_builtin_methods();
  const std::size_t count = list_methods().size();
  const MethodInfo* oracle = &find_method("oracle-pose");
  // From several threads at once, as the harness's workers might.
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([] { register_builtin_methods(); });
  for (auto& t : threads) t.join();
  register_builtin_methods();
  EXPECT_EQ(list_methods().size(), count);
  EXPECT_EQ(&find_method("oracle-pose"), oracle);
  EXPECT_TRUE(find_method("oracle-pose").uses_ground_truth);
}

}  // namespace
}  // namespace dffeval
