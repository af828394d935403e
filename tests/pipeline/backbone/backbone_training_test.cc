// Training the learned backbone on rendered pairs: real matches, falling loss, determinism.

#include "pipeline/backbone/backbone_training.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/input_error.h"
#include "eval/harness/backbone_dataset.h"
#include "pipeline/backbone/learned_backbone.h"
#include "tests/fixtures/backbone_data.h"

namespace fs = std::filesystem;

namespace dffeval {
namespace {

// Two rendered scenes of seen mugs, shared by the training tests.
class BackboneTraining : public ::testing::Test {
 protected:
  static BackboneTrainingOptions small_options() {
    BackboneTrainingOptions t;
    t.pairs_per_step = 2;
    t.matches_per_pair = 64;
    t.random_negatives_per_pair = 32;
    t.crop_px = 96;
    t.seed = 5;
    t.log_every = 5;
    return t;
  }
  const BackboneDataset* dataset_ = &fixtures::two_mug_scenes();
};

TEST_F(BackboneTraining, LossDecreasesAndMatchesGetCloserThanRandomPixels) {
  torch::set_num_threads(2);
  const BackboneDataset& d = *dataset_;
  LearnedBackbone net(LearnedBackboneSpec{}, 7);
  BackboneTrainingOptions t = small_options();
  t.steps = 40;
  t.learning_rate = 2e-3;
  const double loss_before = evaluate_backbone_loss(net, d.data, t, 8, 99);
  const DescriptorMatchStats before = evaluate_descriptor_matches(net, d.data, 6, 64, 4.0, 99);
  std::vector<TrainingLogEntry> log;
  const BackboneTrainingResult r =
      train_learned_backbone(net, d.data, t, [&](const TrainingLogEntry& e) { log.push_back(e); });
  ASSERT_EQ(r.loss_history.size(), 40u);
  for (double l : r.loss_history) ASSERT_TRUE(std::isfinite(l));
  EXPECT_EQ(log.size(), 8u);
  const double loss_after = evaluate_backbone_loss(net, d.data, t, 8, 99);
  const DescriptorMatchStats after = evaluate_descriptor_matches(net, d.data, 6, 64, 4.0, 99);
  EXPECT_LT(loss_after, loss_before - 0.3) << loss_before << " -> " << loss_after;
  EXPECT_GT(after.positive_cosine - after.random_cosine,
            before.positive_cosine - before.random_cosine + 0.05)
      << "before " << before.positive_cosine << " vs " << before.random_cosine << ", after "
      << after.positive_cosine << " vs " << after.random_cosine;
}

TEST_F(BackboneTraining, SameSeedSameLosses) {
  torch::set_num_threads(2);
  BackboneTrainingOptions t = small_options();
  t.steps = 3;
  LearnedBackbone a(LearnedBackboneSpec{}, 1), b(LearnedBackboneSpec{}, 1);
  const auto ra = train_learned_backbone(a, dataset_->data, t);
  const auto rb = train_learned_backbone(b, dataset_->data, t);
  EXPECT_EQ(ra.loss_history, rb.loss_history);
}

}  // namespace
}  // namespace dffeval
