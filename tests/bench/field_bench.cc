// Feature field speed: 5,000 query points on a 20,000-point cloud with D = 32
// features (synthetic, seeded), value + Jacobian, one thread.
//   BM_FieldQueryDense  the published dense interpolator (the reference)
//   BM_FieldQueryKnn    kNN + background (target: >= 50x faster than dense)
//   BM_FieldQueryTree   Barnes-Hut octree
//   BM_FieldVjpKnn      forward (values + tape) and pullback, what an
//                       energy's gradient needs; the same queries every
//                       iteration, so after the first the neighbour-search
//                       cache is warm (as in the optimizer's later steps)
// main() is in dffeval_bench.cc.

#include <benchmark/benchmark.h>

#include <cmath>

#include "common/seeded_rng.h"
#include "pipeline/field/feature_field.h"

namespace dffeval {
namespace {

constexpr int kCloudPoints = 20000;
constexpr int kQueries = 5000;
constexpr int kFeatureDim = 32;

/// A bumpy closed surface about 8 cm across (radius modulated by low-order
/// waves, like an object with parts), random points on it, smooth features
/// plus per-point noise; queries within 1 cm of the surface.
struct FieldBenchData {
  PointsF points{kCloudPoints, 3};
  FeaturesF features{kCloudPoints, kFeatureDim};
  PointsF queries{kQueries, 3};
};

double bumpy_radius_m(const Eigen::Vector3d& dir) {
  return 0.04 * (1.0 + 0.2 * std::sin(3 * dir.x()) * std::cos(2 * dir.y()) + 0.1 * dir.z());
}

const FieldBenchData& bench_data() {
  static const FieldBenchData data = [] {
    FieldBenchData d;
    SeededRng rng(2024);
    auto random_dir = [&] {
      return Eigen::Vector3d(rng.normal(), rng.normal(), rng.normal()).normalized();
    };
    for (int i = 0; i < kCloudPoints; ++i) {
      const Eigen::Vector3d dir = random_dir();
      d.points.row(i) = (bumpy_radius_m(dir) * dir).cast<float>().transpose();
    }
    for (int k = 0; k < kFeatureDim; ++k) {
      const Eigen::Vector3d wave = random_dir() * (2 * M_PI / rng.uniform(0.03, 0.08));
      const double phase = rng.uniform(0, 2 * M_PI);
      for (int i = 0; i < kCloudPoints; ++i)
        d.features(i, k) = static_cast<float>(
            std::sin(wave.dot(d.points.row(i).cast<double>().transpose()) + phase) +
            rng.normal(0.0, 0.1));
    }
    for (int q = 0; q < kQueries; ++q) {
      const Eigen::Vector3d dir = random_dir();
      d.queries.row(q) =
          ((bumpy_radius_m(dir) + rng.uniform(-0.01, 0.01)) * dir).cast<float>().transpose();
    }
    return d;
  }();
  return data;
}

void run_query_bench(benchmark::State& state, FieldInterpolator interpolator) {
  const FieldBenchData& d = bench_data();
  FieldConfig config;
  config.interpolator = interpolator;
  const FeatureField field(d.points, d.features, config);
  FeaturesF values, jacobian;
  for (auto _ : state) {
    // The same queries every iteration: without the bypass the kNN field's
    // neighbour-search cache would answer them from filled cells after the
    // first, which is not what a one-off query costs.
    field.evaluate(d.queries, &values, &jacobian, NeighbourCache::kBypass);
    benchmark::DoNotOptimize(values.data());
    benchmark::DoNotOptimize(jacobian.data());
  }
  state.counters["queries_per_s"] = benchmark::Counter(
      static_cast<double>(kQueries), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_FieldQueryDense(benchmark::State& state) {
  run_query_bench(state, FieldInterpolator::kDense);
}
BENCHMARK(BM_FieldQueryDense)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_FieldQueryKnn(benchmark::State& state) { run_query_bench(state, FieldInterpolator::kKnn); }
BENCHMARK(BM_FieldQueryKnn)->Unit(benchmark::kMillisecond)->MinTime(1.0);

void BM_FieldQueryTree(benchmark::State& state) {
  run_query_bench(state, FieldInterpolator::kTree);
}
BENCHMARK(BM_FieldQueryTree)->Unit(benchmark::kMillisecond)->MinTime(1.0);

void BM_FieldVjpKnn(benchmark::State& state) {
  const FieldBenchData& d = bench_data();
  const FeatureField field(d.points, d.features);
  const FeaturesF dL_dF = FeaturesF::Constant(kQueries, kFeatureDim, 1.f);
  FeaturesF values;
  FieldTape tape;
  for (auto _ : state) {
    field.evaluate_vjp(d.queries, &values, &tape);
    benchmark::DoNotOptimize(field.pullback(tape, dL_dF).data());
  }
  state.counters["queries_per_s"] = benchmark::Counter(
      static_cast<double>(kQueries), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_FieldVjpKnn)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace
}  // namespace dffeval
