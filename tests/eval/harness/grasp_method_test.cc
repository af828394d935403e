// The method registry: methods registered by name are found and listed, an
// unknown name is an input error listing the known ones, and a registered
// method plugs in without the harness knowing it.

#include "eval/harness/grasp_method.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "common/input_error.h"

namespace dffeval {
namespace {

// Names unique to this file: the registry is shared by every test of the
// executable.
constexpr const char* kShift = "grasp-method-test-shift";
constexpr const char* kOther = "grasp-method-test-other";

/// Moves the demonstrated grasp up by a fixed height: a method of our own.
class ShiftUpMethod : public GraspMethod {
 public:
  explicit ShiftUpMethod(double dz) : dz_(dz) {}
  MethodOutput plan(const MethodInput& input) override {
    MethodOutput out;
    out.grasp = input.demo_grasp;
    out.grasp.X_WPalm.translation().z() += dz_;
    out.metrics["dz"] = dz_;
    return out;
  }

 private:
  double dz_;
};

MethodInfo shift_info(const std::string& name, double dz, bool privileged = false) {
  return {name,
          "test: the demo grasp moved up",
          privileged,
          [dz] { return std::make_unique<ShiftUpMethod>(dz); },
          {}};
}

std::vector<std::string> listed_names() {
  std::vector<std::string> names;
  for (const MethodInfo* m : list_methods()) names.push_back(m->name);
  return names;
}

TEST(GraspMethod, RegisteredMethodIsFoundAndPlans) {
  register_method(shift_info(kShift, 0.05));
  const MethodInfo& info = find_method(kShift);
  EXPECT_EQ(info.name, kShift);
  EXPECT_EQ(info.description, "test: the demo grasp moved up");
  EXPECT_FALSE(info.uses_ground_truth);
  EXPECT_FALSE(info.settings);
  ASSERT_TRUE(info.make);
  const std::unique_ptr<GraspMethod> method = info.make();
  ASSERT_NE(method, nullptr);
  MethodInput in;
  in.demo_grasp.X_WPalm.translation() = Eigen::Vector3d(0.1, 0.2, 0.3);
  in.demo_grasp.joints_rad[4] = 0.25;
  const MethodOutput out = method->plan(in);
  EXPECT_NEAR(out.grasp.X_WPalm.translation().z(), 0.35, 1e-12);
  EXPECT_NEAR(out.grasp.X_WPalm.translation().x(), 0.1, 1e-12);
  EXPECT_EQ(out.grasp.joints_rad[4], 0.25);
  EXPECT_EQ(out.metrics["dz"], 0.05);
}

TEST(GraspMethod, ListIsSortedByNameAndHoldsEveryRegisteredMethod) {
  register_method(shift_info(kShift, 0.05));
  register_method(shift_info(kOther, 0.01, true));
  const std::vector<std::string> names = listed_names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::count(names.begin(), names.end(), kShift), 1);
  EXPECT_EQ(std::count(names.begin(), names.end(), kOther), 1);
  for (const MethodInfo* m : list_methods()) {
    if (m->name == kOther) {
      EXPECT_TRUE(m->uses_ground_truth);
    } else if (m->name == kShift) {
      EXPECT_FALSE(m->uses_ground_truth);
    }
  }
}

TEST(GraspMethod, RegisteringANameAgainReplacesIt) {
  register_method(shift_info(kShift, 0.05));
  const std::size_t before = list_methods().size();
  MethodInfo again = shift_info(kShift, 0.02);
  again.description = "replaced";
  again.settings = [] { return nlohmann::json{{"dz", 0.02}}; };
  register_method(again);
  EXPECT_EQ(list_methods().size(), before);
  const MethodInfo& info = find_method(kShift);
  EXPECT_EQ(info.description, "replaced");
  ASSERT_TRUE(info.settings);
  EXPECT_EQ(info.settings()["dz"], 0.02);
  MethodInput in;
  EXPECT_NEAR(info.make()->plan(in).grasp.X_WPalm.translation().z(), 0.02, 1e-12);
  register_method(shift_info(kShift, 0.05));  // back to the other tests' version
}

TEST(GraspMethod, UnknownNameIsAnInputErrorListingTheKnownNames) {
  register_method(shift_info(kShift, 0.05));
  register_method(shift_info(kOther, 0.01));
  try {
    find_method("no-such-method");
    FAIL() << "no InputError for an unknown method";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'no-such-method'"), std::string::npos) << what;
    EXPECT_NE(what.find("known: "), std::string::npos) << what;
    for (const std::string& name : listed_names()) {
      EXPECT_NE(what.find(name), std::string::npos) << name << " not in: " << what;
    }
  }
  // Names are exact: no case folding or prefix matching.
  EXPECT_THROW(find_method("GRASP-METHOD-TEST-SHIFT"), InputError);
  EXPECT_THROW(find_method("grasp-method-test"), InputError);
}

}  // namespace
}  // namespace dffeval
