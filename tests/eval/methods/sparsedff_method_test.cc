// The sparsedff method through the harness's interface (GraspMethod::plan):
// a transfer onto its own source object in a new pose is executed in MuJoCo
// and lifts it; the variants differ from the shipped settings by their one
// documented change.

#include "eval/methods/sparsedff_method.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "common/input_error.h"
#include "eval/harness/draw_recipe.h"
#include "pipeline/transfer/sparsedff_settings.h"
#include "sim/grasp_executor.h"
#include "sim/rgbd_renderer.h"
#include "sim/world.h"
#include "tests/fixtures/rendered_demo.h"

namespace dffeval {
namespace {

TEST(SparseDffMethod, TransferToItsOwnSourceObjectInANewPoseSucceeds) {
  at::set_num_threads(1);
  const fixtures::RenderedDemo& src = fixtures::rendered_demo("mug_wrap");
  // The same instance at a new pose.
  DrawRecipe recipe;
  recipe.category = src.demo.category;
  recipe.set = src.demo.source_set;
  recipe.index = src.demo.source_index;
  recipe.seed = 4242;
  const auto world = World::compose(realize_scene(recipe));
  const MjDataPtr data = world->make_settled_data();
  RgbdRenderer renderer;
  const Observation target = renderer.render(*world, data.get()).observation;

  SparseDffConfig config = sparsedff_variant("sparsedff");
  config.cache_dir = "off";
  SparseDffMethod method(config);
  MethodInput in;
  in.demo = &src.demo;
  in.source = &src.source;
  in.demo_grasp = src.demo_grasp;
  in.target = &target;
  in.source_key = "mug_wrap@clean";
  const MethodOutput out = method.plan(in);
  EXPECT_TRUE(out.metrics.contains("energy"));
  EXPECT_GT(out.timing_s.at("optimize"), 0.0);
  EXPECT_GT(out.timing_s.at("source_refiner_training"), 0.0);  // the first plan pays for it
  const ExecutionResult ex = execute_grasp(*world, data.get(), out.grasp, ExecutionConfig{});
  EXPECT_TRUE(ex.success) << "failure mode " << to_string(ex.failure) << ", lift "
                          << ex.object_lift_m << " m, energy " << out.metrics["energy"];
}

TEST(SparseDffMethod, EachVariantChangesOneSetting) {
  const SparseDffConfig base = default_sparsedff_config();
  EXPECT_TRUE(sparsedff_variant("sparsedff").refine);
  EXPECT_FALSE(sparsedff_variant("no-refine").refine);
  EXPECT_EQ(sparsedff_variant("no-prune").scene.pruning.method, PruningMethod::kNone);
  EXPECT_NE(base.scene.pruning.method, PruningMethod::kNone);
  EXPECT_EQ(sparsedff_variant("dense-field").scene.field.interpolator, FieldInterpolator::kDense);
  EXPECT_EQ(sparsedff_variant("geometric").backbone.name, "geometric");
  EXPECT_NE(base.backbone.name, "geometric");
  EXPECT_THROW(sparsedff_variant("sparse-dff"), InputError);
  const nlohmann::json record = sparsedff_settings_record("no-prune");
  EXPECT_EQ(record["variant_change"], "scene.pruning.method: none");
  EXPECT_NE(record["yaml"].get<std::string>().find("optimizer:"), std::string::npos);
}

}  // namespace
}  // namespace dffeval
