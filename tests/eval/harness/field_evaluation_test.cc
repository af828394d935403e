// A small `fieldeval` run (run_fieldeval) writes every documented key.

#include "eval/harness/field_evaluation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/input_error.h"
#include "pipeline/backbone/point_featurizer.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) { return fixtures::fresh_temp_dir("viz_" + name); }

TEST(FieldEval, SmallRunWritesTheDocumentedKeys) {
  const fs::path dir = temp_dir("fieldeval");
  FieldEvalOptions o;
  o.pairs = 1;
  o.categories = {"mug"};
  // Both shipped backbones: the learned one's weights are in assets/backbone/
  // (the default backbone), so a missing or unreadable file fails this test.
  o.backbones = {"learned", "geometric"};
  o.samples = 60;
  o.out = dir.string();
  o.cache_dir = "off";  // no files outside the test's folder
  std::ostringstream log;
  ASSERT_EQ(run_fieldeval(o, log), 0) << log.str();
  std::ifstream in(dir / "fieldeval.json");
  ASSERT_TRUE(in.good());
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j["tool"], "fieldeval");
  EXPECT_TRUE(fs::exists(dir / "fieldeval.md"));
  ASSERT_EQ(j["entries"].size(), 3 * o.backbones.size());  // backbones x 3 variants
  std::set<std::pair<std::string, std::string>> seen;
  auto finite = [](const nlohmann::json& x) {
    return x.is_number() && std::isfinite(x.get<double>());
  };
  for (const auto& e : j["entries"]) {
    seen.emplace(e["backbone"].get<std::string>(), e["variant"].get<std::string>());
    ASSERT_TRUE(finite(e["cross_view_distance"])) << e.dump();
    EXPECT_GE(e["cross_view_distance"].get<double>(), 0.0);
    EXPECT_LE(e["cross_view_distance"].get<double>(), 2.0 + 1e-6);  // unit vectors
    for (const char* which : {"same_instance", "other_instance"}) {
      const auto& c = e["correspondence_error_cm"][which];
      ASSERT_TRUE(finite(c)) << e.dump();
      EXPECT_GE(c.get<double>(), 0.0);
      EXPECT_LT(c.get<double>(), 100.0);  // objects are ~10 cm
      EXPECT_TRUE(finite(e["correspondence_error_symmetric_cm"][which]));
      EXPECT_LE(e["correspondence_error_symmetric_cm"][which].get<double>(),
                c.get<double>() + 1e-9);
    }
  }
  for (const std::string& b : o.backbones)
    for (const char* v : {"raw", "refined", "refined+pruned"}) EXPECT_TRUE(seen.count({b, v}));
  EXPECT_TRUE(finite(j["chance_level_cm"]["same_instance"]));
  ASSERT_EQ(j["scenes"].size(), 1u);
  EXPECT_EQ(j["scenes"][0]["category"], "mug");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dffeval
