// `dffeval fieldeval` through the real binary on a tiny run (one category,
// one pair, the geometric backbone): the documented keys of fieldeval.json,
// the table, and the exit code 2 of bad options.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>
#include <string>

#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/temp_dir.h"

namespace dffeval {
namespace {

namespace fs = std::filesystem;

using fixtures::run_dffeval;

using fixtures::contains;

bool finite_number(const nlohmann::json& x) {
  return x.is_number() && std::isfinite(x.get<double>());
}

TEST(FieldEvalVerb, TinyRunWritesTheDocumentedKeys) {
  const fs::path out = fixtures::fresh_temp_dir("cli_fieldeval") / "fe";
  const auto r = run_dffeval(
      "fieldeval --suite smoke --pairs 1 --categories can --backbones geometric --out " +
          out.string(),
      "DFFEVAL_CACHE=off");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(fs::exists(out / "fieldeval.json")) << r.output;
  ASSERT_TRUE(fs::exists(out / "fieldeval.md")) << r.output;
  // The table is printed too.
  EXPECT_TRUE(contains(r.output, "| geometric | refined+pruned |")) << r.output;

  const nlohmann::json j = fixtures::read_json(out / "fieldeval.json");
  for (const char* k : {"tool", "suite", "pairs_per_category", "samples_per_scene",
                        "cross_view_radius_m", "backbones", "skipped_backbones", "notes", "scenes",
                        "chance_level_cm", "entries", "timing_s", "provenance"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j["tool"], "fieldeval");
  EXPECT_EQ(j["suite"], "smoke");
  EXPECT_EQ(j["pairs_per_category"], 1);
  EXPECT_EQ(j["backbones"], nlohmann::json::array({"geometric"}));
  EXPECT_TRUE(j["skipped_backbones"].empty()) << j["skipped_backbones"];

  // One scene pair of the can, from the suite's first can task.
  ASSERT_EQ(j["scenes"].size(), 1u);
  const auto& scene = j["scenes"][0];
  EXPECT_EQ(scene["category"], "can");
  EXPECT_EQ(scene["task"], "can_top");
  EXPECT_EQ(scene["pair"], 0);
  for (const char* k : {"source", "same_instance", "other_instance"}) {
    EXPECT_TRUE(scene.contains(k)) << k;
  }

  // One entry per variant of the backbone.
  ASSERT_EQ(j["entries"].size(), 3u);
  std::set<std::string> variants;
  for (const auto& e : j["entries"]) {
    EXPECT_EQ(e["backbone"], "geometric");
    variants.insert(e["variant"].get<std::string>());
    ASSERT_TRUE(finite_number(e["cross_view_distance"])) << e.dump();
    EXPECT_GE(e["cross_view_distance"].get<double>(), 0.0);
    EXPECT_LE(e["cross_view_distance"].get<double>(), 2.0);
    EXPECT_TRUE(finite_number(e["cross_view_distance_source"])) << e.dump();
    for (const char* which : {"same_instance", "other_instance"}) {
      for (const char* k : {"correspondence_error_cm", "correspondence_error_median_cm",
                            "correspondence_error_symmetric_cm", "off_object_match_fraction"}) {
        ASSERT_TRUE(finite_number(e[k][which])) << k << " " << which << ": " << e.dump();
        EXPECT_GE(e[k][which].get<double>(), 0.0) << k;
      }
    }
    EXPECT_TRUE(finite_number(e["correspondence_error_size_normalized_cm"]["other_instance"]));
    EXPECT_GT(e["points"]["source"].get<double>(), 0.0);
    EXPECT_TRUE(e["per_category"].contains("can")) << e.dump();
  }
  EXPECT_EQ(variants, (std::set<std::string>{"raw", "refined", "refined+pruned"}));
  ASSERT_TRUE(finite_number(j["chance_level_cm"]["same_instance"]));
  ASSERT_TRUE(finite_number(j["chance_level_cm"]["other_instance"]));

  // What the numbers are for: the refiner lowers the cross-view distance,
  // and matching on the same instance beats a random target point.
  const auto& raw = j["entries"][0];
  const auto& refined = j["entries"][1];
  ASSERT_EQ(raw["variant"], "raw");
  ASSERT_EQ(refined["variant"], "refined");
  EXPECT_LT(refined["cross_view_distance"].get<double>(), raw["cross_view_distance"].get<double>());
  EXPECT_LT(raw["correspondence_error_cm"]["same_instance"].get<double>(),
            j["chance_level_cm"]["same_instance"].get<double>());
}

TEST(FieldEvalVerb, BadOptionsAreExitCode2) {
  const fs::path dir = fixtures::fresh_temp_dir("cli_fieldeval_bad");
  const std::string tiny = " --suite smoke --pairs 1 --categories can ";
  auto r = run_dffeval("fieldeval" + tiny + "--backbones bogus --out " + (dir / "a").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "unknown backbone 'bogus'")) << r.output;
  EXPECT_TRUE(contains(r.output, "geometric")) << r.output;
  r = run_dffeval("fieldeval --suite smoke --categories teapot --backbones geometric --out " +
                  (dir / "b").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "teapot")) << r.output;
  r = run_dffeval("fieldeval --suite smoke --pairs 0 --backbones geometric --out " +
                  (dir / "c").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--pairs")) << r.output;
  r = run_dffeval("fieldeval --suite no_such_suite --backbones geometric --out " +
                  (dir / "d").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "no_such_suite")) << r.output;
  for (const char* sub : {"a", "b", "c", "d"}) {
    EXPECT_FALSE(fs::exists(dir / sub / "fieldeval.json")) << sub;
  }
}

}  // namespace
}  // namespace dffeval
