#include "pipeline/grasp/grasp_optimizer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <stdexcept>

#include "common/seeded_rng.h"
#include "pipeline/cloud/cloud_clusters.h"
#include "pipeline/cloud/nearest_points.h"
#include "pipeline/grasp/grasp_energy.h"

namespace dffeval {
namespace {

constexpr double kPi = 3.14159265358979323846;

/// Uniform in [0, 1) from 53 random bits: the same draw with every standard
/// library (std::uniform_real_distribution is implementation-defined).
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
double uniform_pm1(std::mt19937_64& rng) { return 2.0 * uniform01(rng) - 1.0; }

/// Adam (Kingma and Ba; LibTorch's defaults: betas 0.9 and 0.999, eps 1e-8,
/// bias-corrected) over the candidates' parameters.
struct AdamMoments {
  std::vector<GraspParamVector> m, v;
  int steps = 0;
};

void adam_step(const std::vector<GraspParamVector>& gradient, const GraspParamVector& lr,
               AdamMoments* moments, std::vector<GraspParamVector>* params) {
  constexpr double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  if (moments->m.empty()) {
    moments->m.assign(params->size(), GraspParamVector{});
    moments->v.assign(params->size(), GraspParamVector{});
  }
  ++moments->steps;
  const double c1 = 1.0 - std::pow(beta1, moments->steps);
  const double c2 = 1.0 - std::pow(beta2, moments->steps);
  for (std::size_t b = 0; b < params->size(); ++b) {
    for (int k = 0; k < kGraspParams; ++k) {
      double& m = moments->m[b][k];
      double& v = moments->v[b][k];
      const double g = gradient[b][k];
      m = beta1 * m + (1 - beta1) * g;
      v = beta2 * v + (1 - beta2) * g * g;
      (*params)[b][k] -= lr[k] / c1 * m / (std::sqrt(v / c2) + eps);
    }
  }
}

}  // namespace

GraspOptimizer::GraspOptimizer(const HandModel& hand, HandSurfacePoints surface,
                               GraspOptimizerConfig config)
    : hand_(hand), surface_(std::move(surface)), config_(std::move(config)) {
  if (config_.starts < 1 || config_.iterations < 0) {
    throw std::invalid_argument("grasp optimizer: starts must be >= 1 and iterations >= 0");
  }
}

PointsF GraspOptimizer::surface_points(const Grasp& grasp) const {
  return GraspEnergy(hand_, surface_, config_).surface_points(grasp_params(grasp));
}

FeaturesF GraspOptimizer::reference_descriptor(const FeatureField& source_field,
                                               const Grasp& demo) const {
  FeaturesF values;
  source_field.evaluate(surface_points(demo), &values, nullptr);
  return values;
}

namespace {

/// What every energy evaluation of one problem compares with.
EnergyReference energy_reference(const GraspOptimizer& opt, const TransferProblem& problem) {
  if (!problem.source_field || !problem.target_field) {
    throw std::invalid_argument("grasp optimizer: source and target fields are required");
  }
  if (problem.target_points.rows() == 0) {
    throw std::invalid_argument("grasp optimizer: the target cloud is empty");
  }
  if (problem.source_field->dim() != problem.target_field->dim()) {
    throw std::invalid_argument("grasp optimizer: source and target features differ in size");
  }
  const GraspOptimizerConfig& cfg = opt.config();
  EnergyReference ref;
  ref.target_field = problem.target_field;
  ref.descriptor = opt.reference_descriptor(*problem.source_field, problem.demo_grasp);
  ref.demo_elevation = palm_axis_elevations(problem.demo_grasp.X_WPalm.rotation());
  for (int k = 0; k < kNumHandJoints; ++k) ref.demo_joints[k] = problem.demo_grasp.joints_rad[k];
  // Target cloud for the penetration term, evenly subsampled.
  const PointsF& tp = problem.target_points;
  const Eigen::Index m = std::min<Eigen::Index>(tp.rows(), cfg.penetration_points);
  std::vector<Eigen::Vector3d> penetration_points;
  for (Eigen::Index k = 0; k < m; ++k) {
    penetration_points.push_back(tp.row(k * tp.rows() / m).cast<double>().transpose());
  }
  ref.penetration_cloud = PenetrationCloud(std::move(penetration_points));
  if (cfg.weights.surface_distance != 0) {
    // The fields' own KD-trees (kKnn, kDense), so that no trial builds a
    // second tree over the same points; a tree of its own for kTree.
    auto tree_of = [](const FeatureField& field) -> std::shared_ptr<const NearestPoints> {
      if (const NearestPoints* tree = field.search_tree()) {
        return std::shared_ptr<const NearestPoints>(std::shared_ptr<void>(), tree);  // not owned
      }
      return std::make_shared<const NearestPoints>(field.points());
    };
    const std::shared_ptr<const NearestPoints> source_tree = tree_of(*problem.source_field);
    const PointsF demo_points = opt.surface_points(problem.demo_grasp);
    ref.demo_distance =
        distances_to_cloud(demo_points, source_tree->points(), source_tree->query(demo_points));
    for (double& d : ref.demo_distance) d = std::min(d, cfg.surface_distance_cap_m);
    ref.target_cloud = tree_of(*problem.target_field);
    // Only the kNN field's search stops at its near radius; the others'
    // distances come from an exact search of every point anyway.
    const FieldConfig& field_config = problem.target_field->config();
    const double radius = field_config.knn_radius_m;
    if (field_config.interpolator == FieldInterpolator::kKnn && radius > 0.0 &&
        cfg.surface_distance_cap_m > radius) {
      CloudDistanceGridConfig grid;
      grid.far_m = static_cast<float>(cfg.surface_distance_cap_m);
      ref.far_distance = std::make_shared<const CloudDistanceGrid>(*ref.target_cloud, grid);
    }
  }
  return ref;
}

Grasp grasp_of(const GraspParamVector& x, const HandModel& hand) {
  Grasp g;
  g.X_WPalm.linear() =
      Eigen::Quaterniond(rot6d_matrix(x.data() + 3)).normalized().toRotationMatrix();
  g.X_WPalm.translation() = Eigen::Vector3d(x[0], x[1], x[2]);
  for (int k = 0; k < kNumHandJoints; ++k) {
    g.joints_rad[k] = std::clamp(x[9 + k], hand.joint_lower()[k], hand.joint_upper()[k]);
  }
  return g;
}

}  // namespace

struct OptimizerState {
  const TransferProblem* problem = nullptr;
  std::unique_ptr<GraspEnergy> energy;
  EnergyReference reference;
  std::vector<GraspParamVector> params;
  AdamMoments adam;
  /// The published point noise's draws (portable, seeded per optimization).
  std::unique_ptr<SeededRng> noise_rng;
  std::vector<std::vector<double>> history;
  int iteration = 0;
  FieldTape tape;
  std::map<std::string, double> timing_s;
};

void OptimizerStateDeleter::operator()(OptimizerState* state) const { delete state; }

std::vector<std::size_t> choose_starts(const std::vector<double>& totals, int per_centre,
                                       int starts, int min_per_cluster) {
  std::vector<std::size_t> order(totals.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return totals[a] < totals[b]; });
  const std::size_t wanted = std::min(order.size(), static_cast<std::size_t>(starts));
  std::vector<char> chosen(totals.size(), 0);
  std::size_t count = 0;
  // Reserved first: each cluster's best candidates, larger clusters (lower
  // centre index) first, so that a cut-short reservation keeps the larger.
  const std::size_t clusters = (totals.size() + per_centre - 1) / per_centre;
  for (std::size_t c = 0; c < clusters && count < wanted; ++c) {
    int taken = 0;
    for (std::size_t k : order) {
      if (taken >= min_per_cluster || count >= wanted) break;
      if (k / per_centre != c) continue;
      chosen[k] = 1;
      ++taken;
      ++count;
    }
  }
  for (std::size_t k : order) {
    if (count >= wanted) break;
    if (!chosen[k]) {
      chosen[k] = 1;
      ++count;
    }
  }
  // In energy order, as without reservations: with one cluster (or none
  // reserved) the starts are exactly the lowest candidates, in that order.
  std::vector<std::size_t> out;
  for (std::size_t k : order) {
    if (chosen[k]) out.push_back(k);
  }
  return out;
}

OptimizerRun GraspOptimizer::start(const TransferProblem& problem) const {
  const auto t_start = std::chrono::steady_clock::now();
  const GraspOptimizerConfig& cfg = config_;
  OptimizerRun state(new OptimizerState());
  state->problem = &problem;
  state->energy = std::make_unique<GraspEnergy>(hand_, surface_, config_);
  state->reference = energy_reference(*this, problem);
  const std::uint64_t seed = problem.seed ? *problem.seed : cfg.seed;
  std::mt19937_64 rng(seed);

  // Candidates: the demonstration moved from source to target centroid,
  // turned by evenly spaced yaws about the vertical through the target
  // centroid, plus noise. The `starts` candidates of lowest energy (one
  // evaluation each, no gradients) become the starts.
  const int per_centre = std::max(1, cfg.start_candidates);
  std::vector<Grasp> candidates;
  // Candidates are centred on every cluster of the target cloud (largest
  // first), or on the whole cloud's centroid; only starts need them.
  std::vector<Eigen::Vector3d> centres;
  if (cfg.starts_on_every_cluster) centres = cluster_centroids(problem.target_points, cfg.clusters);
  if (centres.empty()) {
    centres.push_back(problem.target_points.colwise().mean().cast<double>().transpose());
  }
  for (const Eigen::Vector3d& centre : centres) {
    for (int s = 0; s < per_centre; ++s) {
      const double yaw = 2.0 * kPi * s / per_centre + cfg.start_yaw_noise_rad * uniform_pm1(rng);
      const Eigen::Vector3d noise(uniform_pm1(rng), uniform_pm1(rng),
                                  0.5 * (1.0 + uniform_pm1(rng)));
      Eigen::Isometry3d move = Eigen::Isometry3d::Identity();
      move.translate(centre + cfg.start_noise_m * noise);
      move.rotate(Eigen::AngleAxisd(yaw, Eigen::Vector3d::UnitZ()));
      move.translate(-problem.source_centroid);
      Grasp g = problem.demo_grasp;
      g.X_WPalm = move * problem.demo_grasp.X_WPalm;
      candidates.push_back(g);
    }
  }
  // Fewer candidates than starts: repeat them (their point noise differs).
  for (std::size_t k = 0; candidates.size() < static_cast<std::size_t>(cfg.starts); ++k) {
    candidates.push_back(candidates[k]);
  }
  std::vector<GraspParamVector> all;
  for (const Grasp& g : candidates) all.push_back(grasp_params(g));
  if (all.size() == static_cast<std::size_t>(cfg.starts)) {
    state->params = all;
  } else {
    // Scored in chunks of per_centre to bound memory; ties keep the order.
    std::vector<double> totals;
    for (std::size_t a = 0; a < all.size(); a += per_centre) {
      const std::size_t b = std::min(all.size(), a + per_centre);
      const std::vector<GraspParamVector> chunk(all.begin() + a, all.begin() + b);
      const EnergyBatch e =
          state->energy->evaluate(state->reference, chunk, nullptr, nullptr, nullptr);
      totals.insert(totals.end(), e.total.begin(), e.total.end());
    }
    for (std::size_t k :
         choose_starts(totals, per_centre, cfg.starts, cfg.min_starts_per_cluster)) {
      state->params.push_back(all[k]);
    }
  }
  state->noise_rng = std::make_unique<SeededRng>(derive_seed(seed, "point noise"));
  state->timing_s["start"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  return state;
}

void GraspOptimizer::step(OptimizerState& state) const {
  const GraspOptimizerConfig& cfg = config_;
  const double progress = static_cast<double>(state.iteration) / std::max(1, cfg.iterations);
  const double cosine = 0.5 * (1.0 + std::cos(kPi * std::min(1.0, progress)));
  GraspParamVector lr;
  for (int k = 0; k < kGraspParams; ++k) {
    lr[k] = cosine * (k < 3 ? cfg.lr_translation_m : k < 9 ? cfg.lr_rotation : cfg.lr_joints);
  }
  PointsF noise;
  const double sigma = cfg.point_noise_m * std::max(0.0, 1.0 - progress);
  const Eigen::Index rows = static_cast<Eigen::Index>(cfg.starts) * surface_.size();
  if (sigma > 0) {
    noise.resize(rows, 3);
    // Row-major rows x 3: the normals fill it in pairs (rows * 3 is even
    // when rows is; an odd count leaves one, drawn alone).
    float* out = noise.data();
    const Eigen::Index count = rows * 3;
    Eigen::Index j = 0;
    for (; j + 1 < count; j += 2) {
      double a = 0.0, b = 0.0;
      state.noise_rng->normal_pair(&a, &b);
      out[j] = static_cast<float>(sigma * a);
      out[j + 1] = static_cast<float>(sigma * b);
    }
    if (j < count) out[j] = static_cast<float>(sigma * state.noise_rng->normal());
  }
  std::vector<GraspParamVector> gradient;
  const EnergyBatch e =
      state.energy->evaluate(state.reference, state.params, sigma > 0 ? &noise : nullptr, &gradient,
                             &state.tape, &state.timing_s);
  const auto t0 = std::chrono::steady_clock::now();
  adam_step(gradient, lr, &state.adam, &state.params);
  state.timing_s["adam"] +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  state.history.push_back(e.total);
  ++state.iteration;
}

OptimizedGrasp GraspOptimizer::finish(OptimizerState& state) const {
  const auto t_finish = std::chrono::steady_clock::now();
  // Final energies without noise pick the winner.
  OptimizedGrasp out;
  const EnergyBatch e =
      state.energy->evaluate(state.reference, state.params, nullptr, nullptr, nullptr);
  out.start_energies = e.total;
  out.best_start =
      static_cast<int>(std::min_element(out.start_energies.begin(), out.start_energies.end()) -
                       out.start_energies.begin());
  out.energy.total = out.start_energies[out.best_start];
  for (const auto& [name, term] : e.terms) out.energy.terms[name] = term[out.best_start];
  for (const auto& h : state.history) out.energy_history.push_back(h[out.best_start]);
  out.grasp = grasp_of(state.params[out.best_start], hand_);
  out.timing_s = state.timing_s;
  out.timing_s["finish"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_finish).count();
  return out;
}

OptimizedGrasp GraspOptimizer::optimize(const TransferProblem& problem) const {
  auto state = start(problem);
  for (int it = 0; it < config_.iterations; ++it) step(*state);
  return finish(*state);
}

EnergyTerms GraspOptimizer::energy_of(const TransferProblem& problem, const Grasp& grasp) const {
  const EnergyReference ref = energy_reference(*this, problem);
  const EnergyBatch e = GraspEnergy(hand_, surface_, config_)
                            .evaluate(ref, {grasp_params(grasp)}, nullptr, nullptr, nullptr);
  EnergyTerms out;
  out.total = e.total[0];
  for (const auto& [name, term] : e.terms) out.terms[name] = term[0];
  return out;
}

double GraspOptimizer::energy_and_gradient(const TransferProblem& problem,
                                           const std::vector<double>& x,
                                           std::vector<double>* gradient) const {
  if (x.size() != static_cast<std::size_t>(kNumParams)) {
    throw std::invalid_argument("energy_and_gradient: expected 31 parameters");
  }
  const EnergyReference ref = energy_reference(*this, problem);
  GraspParamVector params;
  std::copy(x.begin(), x.end(), params.begin());
  const GraspEnergy energy(hand_, surface_, config_);
  if (!gradient) return energy.evaluate(ref, {params}, nullptr, nullptr, nullptr).total[0];
  FieldTape tape;
  std::vector<GraspParamVector> g;
  const EnergyBatch e = energy.evaluate(ref, {params}, nullptr, &g, &tape);
  gradient->assign(g[0].begin(), g[0].end());
  return e.total[0];
}

}  // namespace dffeval
