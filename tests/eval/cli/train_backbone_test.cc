// `dffeval train-backbone` (run_train_backbone): loadable weights and a sidecar.

#include "eval/cli/train_backbone.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/input_error.h"
#include "pipeline/backbone/learned_backbone.h"
#include "tests/fixtures/cli_run.h"
#include "tests/fixtures/synthetic_views.h"
#include "tests/fixtures/temp_dir.h"

namespace fs = std::filesystem;

namespace dffeval {
namespace {

fs::path temp_dir(const std::string& name) { return fixtures::fresh_temp_dir("backbone_" + name); }

TEST(TrainBackboneJob, TinyRunWritesLoadableWeightsAndASidecar) {
  const fs::path dir = temp_dir("job");
  TrainBackboneOptions o;
  o.steps = 5;
  o.scenes = 2;
  o.seed = 3;
  o.heldout_scenes = 1;
  o.novel_scenes = 1;
  o.threads = 2;
  o.out_path = (dir / "w.pt").string();
  o.command_line = "dffeval train-backbone --steps 5 --scenes 2";
  o.dataset.categories = {"box"};
  o.training.pairs_per_step = 2;
  o.training.matches_per_pair = 32;
  o.training.crop_px = 96;
  std::ostringstream log;
  const TrainBackboneReport r = run_train_backbone(o, log);
  ASSERT_EQ(r.loss_history.size(), 5u);
  for (double l : r.loss_history) EXPECT_TRUE(std::isfinite(l));
  EXPECT_NE(log.str().find("step     5/5"), std::string::npos) << log.str();
  ASSERT_TRUE(fs::exists(dir / "w.pt"));
  ASSERT_TRUE(fs::exists(dir / "w.json"));
  const nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / "w.json"));
  EXPECT_EQ(j["command"], o.command_line);
  EXPECT_EQ(j["seed"], 3);
  EXPECT_EQ(j["data"]["object_set"], "seen");
  for (const auto& id : j["data"]["instances"]) {
    EXPECT_NE(id.get<std::string>().find("/seen/"), std::string::npos) << id;
  }
  EXPECT_TRUE(j["provenance"].contains("git_commit"));
  EXPECT_TRUE(j["metrics"]["heldout_seen"]["trained"].contains("within_radius"));

  BackboneConfig bc;
  bc.learned.weights_path = (dir / "w.pt").string();
  const auto f = make_featurizer(bc);
  EXPECT_EQ(f->dim(), 32);
  EXPECT_EQ(f->name(), "learned");
}

TEST(TrainBackboneJob, PairCountsPerSceneReachTheDataAndBadOnesAreRefused) {
  // The real command: without cross-scene and cross-instance pairs only
  // cross-view pairs are rendered, and the sidecar says so (about 20 s).
  const fs::path dir = temp_dir("pairs");
  const auto ok = fixtures::run_dffeval(
      "train-backbone --steps 1 --scenes 2 --threads 1 --cross-scene-pairs 0 "
      "--cross-instance-pairs 0 --out " +
      (dir / "w.pt").string());
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  const nlohmann::json j = nlohmann::json::parse(std::ifstream(dir / "w.json"));
  const nlohmann::json& pairs = j["data"]["pairs"];
  EXPECT_TRUE(pairs.contains("cross_view")) << pairs.dump();
  EXPECT_FALSE(pairs.contains("cross_scene")) << pairs.dump();
  EXPECT_FALSE(pairs.contains("cross_instance")) << pairs.dump();

  // Negative counts are refused before anything is rendered.
  for (const std::string option : {"--cross-scene-pairs -1", "--cross-instance-pairs -3"}) {
    const auto r = fixtures::run_dffeval("train-backbone --steps 1 " + option + " --out " +
                                         (dir / "x.pt").string());
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_TRUE(fixtures::contains(r.output, option.substr(0, option.find(' ')))) << r.output;
    EXPECT_FALSE(fs::exists(dir / "x.pt"));
  }
}

}  // namespace
}  // namespace dffeval
