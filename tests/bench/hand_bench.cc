// Speed of the LibTorch hand kinematics (the reference; the optimizer uses
// grasp_energy.h's plain-C++ version, timed inside BM_OptimizerStep*), at the
// grasp optimizer's sizes (SparseDFF: M = 10 starts, 500 surface points, 300
// Adam steps; float32).
//   BM_HandKinematicsStep   forward kinematics + surface points + backward
//   BM_HandPenetration      penetration depth of a 2000-point cloud + backward
//   BM_HandSelfPenetration  the self-collision penalty + backward

#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "hand/hand_surface.h"
#include "tests/hand/reference/torch_hand_kinematics.h"

namespace dffeval {
namespace {

constexpr int kBatch = 10;

/// Leaf parameters of a batch of hands in a loosely closed pose.
HandParams bench_params() {
  torch::manual_seed(0);
  const auto opt = torch::TensorOptions().dtype(torch::kFloat32);
  return {(0.02 * torch::randn({kBatch, 3}, opt)).requires_grad_(true),
          torch::tensor({1.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f}, opt)
              .repeat({kBatch, 1})
              .add(0.1 * torch::randn({kBatch, 6}, opt))
              .requires_grad_(true),
          (0.4 * torch::rand({kBatch, kNumHandJoints}, opt)).requires_grad_(true)};
}

void zero_grads(HandParams& p) {
  for (torch::Tensor* t : {&p.wrist_pos, &p.rot6d, &p.joints})
    if (t->grad().defined()) t->grad().zero_();
}

void BM_HandKinematicsStep(benchmark::State& state) {
  const HandKinematics kin = HandKinematics::load();
  HandSurfaceConfig cfg;
  cfg.num_points = static_cast<int>(state.range(0));
  const HandSurfacePoints surface = sample_hand_surface(kin, cfg);
  HandParams p = bench_params();
  const torch::Tensor w = torch::randn({kBatch, cfg.num_points, 3});
  for (auto _ : state) {
    zero_grads(p);
    const torch::Tensor x = hand_surface_world(kin.forward(p), surface);
    (x * w).sum().backward();
  }
  state.counters["B"] = kBatch;
}
BENCHMARK(BM_HandKinematicsStep)->Arg(500)->Unit(benchmark::kMicrosecond);

void BM_HandPenetration(benchmark::State& state) {
  const HandKinematics kin = HandKinematics::load();
  HandParams p = bench_params();
  // A cloud around the hand: about a tenth of it inside.
  const torch::Tensor cloud =
      torch::tensor({0.0f, -0.01f, 0.08f}) +
      torch::randn({state.range(0), 3}) * torch::tensor({0.04f, 0.03f, 0.06f});
  for (auto _ : state) {
    zero_grads(p);
    hand_penetration_depth(kin, kin.forward(p), cloud).sum().backward();
  }
}
BENCHMARK(BM_HandPenetration)->Arg(2000)->Unit(benchmark::kMicrosecond);

void BM_HandSelfPenetration(benchmark::State& state) {
  const HandKinematics kin = HandKinematics::load();
  HandParams p = bench_params();
  for (auto _ : state) {
    zero_grads(p);
    hand_self_penetration(kin, kin.forward(p)).sum().backward();
  }
}
BENCHMARK(BM_HandSelfPenetration)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace dffeval
