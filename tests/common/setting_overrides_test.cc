// Command-line overrides: parsed from KEY=VALUE, routed to their file by
// prefix, set into the YAML tree (nested mappings created), and read back by
// the strict reader like keys of the file.

#include "common/setting_overrides.h"

#include <gtest/gtest.h>

#include "common/input_error.h"

namespace dffeval {
namespace {

TEST(SettingOverrides, ParsesKeyEqualsValueAndRefusesTheRest) {
  const SettingOverride o = parse_setting_override("method.optimizer.iterations=100");
  EXPECT_EQ(o.key, "method.optimizer.iterations");
  EXPECT_EQ(o.value, "100");
  EXPECT_EQ(parse_setting_override("transfer.note=a=b").value, "a=b");
  for (const char* bad : {"trials", "=5", "trials=", "a..b=1", ".a=1", "a.=1"}) {
    try {
      parse_setting_override(bad);
      ADD_FAILURE() << bad << " accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos)
          << e.what();
    }
  }
}

TEST(SettingOverrides, EachGoesToItsTargetWithoutItsPrefix) {
  set_process_overrides({parse_setting_override("trials=3"),
                         parse_setting_override("method.refine=false"),
                         parse_setting_override("scenes.clean.cameras.radius_m=0.6"),
                         parse_setting_override("execution.hold_time_s=2")});
  const auto suite = process_overrides("suite");
  ASSERT_EQ(suite.size(), 2u);
  EXPECT_EQ(suite[0].key, "trials");
  EXPECT_EQ(suite[1].key, "execution.hold_time_s");
  ASSERT_EQ(process_overrides("method").size(), 1u);
  EXPECT_EQ(process_overrides("method")[0].key, "refine");
  ASSERT_EQ(process_overrides("scenes.clean").size(), 1u);
  EXPECT_EQ(process_overrides("scenes.clean")[0].key, "cameras.radius_m");
  EXPECT_TRUE(process_overrides("scenes.real_like").empty());
  EXPECT_EQ(process_override_arguments().size(), 4u);
  set_process_overrides({});
  EXPECT_TRUE(process_overrides("suite").empty());
}

TEST(SettingOverrides, SetIntoTheTreeAndReadStrictly) {
  const std::string text = "trials: 10\nexecution:\n  hold_time_s: 1.0\nlist: [1, 2]\n";
  const StrictYaml y = load_yaml_string_with_overrides(
      text, "suite.yaml",
      {{"trials", "3", "trials=3"},
       {"execution.hold_time_s", "2.5", "execution.hold_time_s=2.5"},
       {"force_test.ramp_time_s", "0.1", "force_test.ramp_time_s=0.1"},
       {"list", "[4, 5, 6]", "list=[4, 5, 6]"}});
  EXPECT_EQ(y.file(), "suite.yaml (with command-line overrides)");
  EXPECT_EQ(y.get<int>("trials"), 3);
  EXPECT_DOUBLE_EQ(y.child("execution").get<double>("hold_time_s"), 2.5);
  EXPECT_DOUBLE_EQ(y.child("force_test").get<double>("ramp_time_s"), 0.1);  // created
  EXPECT_EQ(y.get<std::vector<double>>("list").size(), 3u);
  // A typed read of a bad value names the key, as for the file's own keys.
  const StrictYaml bad =
      load_yaml_string_with_overrides(text, "suite.yaml", {{"trials", "many", "trials=many"}});
  try {
    bad.get<int>("trials");
    ADD_FAILURE() << "read 'many' as an int";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("trials"), std::string::npos) << e.what();
  }
  // An unknown key set from the command line is unknown like any other.
  const StrictYaml extra =
      load_yaml_string_with_overrides(text, "suite.yaml", {{"trails", "3", "trails=3"}});
  extra.get<int>("trials");
  extra.child("execution").accept_all_keys();
  extra.get<std::vector<double>>("list");
  try {
    extra.reject_unknown_keys();
    ADD_FAILURE() << "unknown key accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("suite.yaml (with command-line overrides): unknown key "
                                         "'trails'"),
              std::string::npos)
        << e.what();
  }
  // A path through a value that is not a mapping.
  EXPECT_THROW(
      load_yaml_string_with_overrides(text, "suite.yaml", {{"trials.x", "1", "trials.x=1"}}),
      InputError);
  // No overrides: the file as it was, its name unchanged.
  EXPECT_EQ(load_yaml_string_with_overrides(text, "suite.yaml", {}).file(), "suite.yaml");
}

}  // namespace
}  // namespace dffeval
