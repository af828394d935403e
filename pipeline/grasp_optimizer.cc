#include "pipeline/grasp_optimizer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <stdexcept>

#include "pipeline/cloud_clusters.h"
#include "pipeline/nearest_points.h"

namespace dffeval {
namespace {

constexpr double kPi = 3.14159265358979323846;

/// The feature field as an autograd function of the query points: the field
/// itself is Eigen code with analytic derivatives; the forward pass records a
/// tape (owned by the caller, alive until backward) and the backward pass is
/// the field's vector-Jacobian product.
struct FieldEval : torch::autograd::Function<FieldEval> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const FeatureField* field, FieldTape* tape) {
    const torch::Tensor xc = x.detach().to(torch::kFloat32).contiguous();
    const PointsF xm = Eigen::Map<const PointsF>(xc.data_ptr<float>(), xc.size(0), 3);
    FeaturesF values;
    field->evaluate_vjp(xm, &values, tape);
    ctx->saved_data["field"] = reinterpret_cast<int64_t>(field);
    ctx->saved_data["tape"] = reinterpret_cast<int64_t>(tape);
    return torch::from_blob(values.data(), {values.rows(), values.cols()}, torch::kFloat32)
        .clone()
        .to(x.scalar_type());
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_out) {
    const auto* field = reinterpret_cast<const FeatureField*>(ctx->saved_data["field"].toInt());
    const auto* tape = reinterpret_cast<const FieldTape*>(ctx->saved_data["tape"].toInt());
    const torch::Tensor g = grad_out[0].to(torch::kFloat32).contiguous();
    const FeaturesF dL_dF = Eigen::Map<const FeaturesF>(g.data_ptr<float>(), g.size(0), g.size(1));
    PointsF dL_dx = field->pullback(*tape, dL_dF);
    // The field is float32; the gradient goes back in the caller's dtype.
    const torch::Tensor gx =
        torch::from_blob(dL_dx.data(), {dL_dx.rows(), 3}, torch::kFloat32).clone();
    return {gx.to(grad_out[0].scalar_type()), torch::Tensor(), torch::Tensor()};
  }
};

/// F at x (Q,3): differentiable when a tape is given, plain evaluation
/// otherwise. Evaluations without a tape are one-offs (the scoring of the
/// start candidates, the final energies, energy_of) whose queries do not come
/// back, so they bypass the field's neighbour-search cache: filling cells all
/// around the object for 72 candidate yaws made the scoring cost 0.13 to
/// 0.22 s per trial, against 0.06 to 0.09 s without the cache (smoke suite).
torch::Tensor field_at(const FeatureField& field, const torch::Tensor& x, FieldTape* tape) {
  if (tape) return FieldEval::apply(x, &field, tape);
  const torch::Tensor xc = x.detach().to(torch::kFloat32).contiguous();
  FeaturesF values;
  field.evaluate(Eigen::Map<const PointsF>(xc.data_ptr<float>(), xc.size(0), 3), &values, nullptr,
                 NeighbourCache::kBypass);
  return torch::from_blob(values.data(), {values.rows(), values.cols()}, torch::kFloat32)
      .clone()
      .to(x.scalar_type());
}

/// Uniform in [0, 1) from 53 random bits: the same draw with every standard
/// library (std::uniform_real_distribution is implementation-defined).
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
double uniform_pm1(std::mt19937_64& rng) { return 2.0 * uniform01(rng) - 1.0; }

struct GraspParams {
  torch::Tensor t, r6, q;  // (B,3), (B,6), (B,22)
};

GraspParams params_of(const std::vector<Grasp>& grasps) {
  const int64_t b = static_cast<int64_t>(grasps.size());
  GraspParams p{torch::zeros({b, 3}), torch::zeros({b, 6}), torch::zeros({b, kNumHandJoints})};
  auto t = p.t.accessor<float, 2>();
  auto r6 = p.r6.accessor<float, 2>();
  auto q = p.q.accessor<float, 2>();
  for (int64_t i = 0; i < b; ++i) {
    const Eigen::Isometry3d& X = grasps[i].X_WPalm;
    const Eigen::Matrix3d R = X.rotation();
    for (int c = 0; c < 3; ++c) {
      t[i][c] = static_cast<float>(X.translation()[c]);
      // 6D representation: the first two columns of R.
      r6[i][c] = static_cast<float>(R(c, 0));
      r6[i][3 + c] = static_cast<float>(R(c, 1));
    }
    for (int k = 0; k < kNumHandJoints; ++k) q[i][k] = static_cast<float>(grasps[i].joints_rad[k]);
  }
  return p;
}

Grasp grasp_of(const GraspParams& p, int64_t i, const torch::Tensor& lower,
               const torch::Tensor& upper) {
  torch::NoGradGuard no_grad;
  const torch::Tensor R = rot6d_to_matrix(p.r6.index({i})).to(torch::kFloat64).contiguous();
  const torch::Tensor t = p.t.index({i}).to(torch::kFloat64).contiguous();
  const torch::Tensor q =
      torch::max(torch::min(p.q.index({i}), upper), lower).to(torch::kFloat64).contiguous();
  Grasp g;
  Eigen::Matrix3d Rm;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) Rm(r, c) = R[r][c].item<double>();
  g.X_WPalm.linear() = Eigen::Quaterniond(Rm).normalized().toRotationMatrix();
  g.X_WPalm.translation() =
      Eigen::Vector3d(t[0].item<double>(), t[1].item<double>(), t[2].item<double>());
  for (int k = 0; k < kNumHandJoints; ++k) g.joints_rad[k] = q[k].item<double>();
  return g;
}

torch::Tensor points_tensor(const PointsF& p) {
  return torch::from_blob(const_cast<float*>(p.data()), {p.rows(), 3}, torch::kFloat32).clone();
}

/// Elevation (radians) of the palm's x, y and z axes above the horizontal:
/// unchanged by a yaw about the vertical, so the wrist cone constrains roll
/// and pitch only.
torch::Tensor axis_elevations(const torch::Tensor& R) {
  return torch::asin(R.select(-2, 2).clamp(-1.0 + 1e-6, 1.0 - 1e-6));
}

}  // namespace

GraspOptimizer::GraspOptimizer(const HandKinematics& hand, HandSurfacePoints surface,
                               GraspOptimizerConfig config)
    : hand_(hand), surface_(std::move(surface)), config_(std::move(config)) {
  if (config_.starts < 1 || config_.iterations < 0) {
    throw std::invalid_argument("grasp optimizer: starts must be >= 1 and iterations >= 0");
  }
}

PointsF GraspOptimizer::surface_points(const Grasp& grasp) const {
  torch::NoGradGuard no_grad;
  const GraspParams p = params_of({grasp});
  const torch::Tensor pts =
      hand_surface_world(hand_.forward(p.t, p.r6, p.q), surface_).index({0}).contiguous();
  PointsF out(pts.size(0), 3);
  std::copy(pts.data_ptr<float>(), pts.data_ptr<float>() + pts.numel(), out.data());
  return out;
}

FeaturesF GraspOptimizer::reference_descriptor(const FeatureField& source_field,
                                               const Grasp& demo) const {
  FeaturesF values;
  source_field.evaluate(surface_points(demo), &values, nullptr);
  return values;
}

namespace {

/// What every energy evaluation of one problem shares.
struct ProblemTensors {
  torch::Tensor reference;       // (P, D) source field at the demonstrated hand
  torch::Tensor cloud;           // (M, 3) target points for penetration
  torch::Tensor demo_elevation;  // (3,)
  torch::Tensor demo_q;          // (22,)
  /// (P,) distance of each demonstrated surface point to the source cloud,
  /// capped at surface_distance_cap_m, metres.
  torch::Tensor demo_distance;
  /// Target cloud (the target field's points) for the surface-distance term;
  /// the field's own KD-tree (not owned) where it has one.
  std::shared_ptr<const NearestPoints> target_cloud;
  Eigen::Vector3d target_centroid = Eigen::Vector3d::Zero();
};

/// Distance (Q,) from each row of x (Q,3) to its nearest point of `cloud`,
/// differentiable in x (the nearest point is held fixed, so the gradient is
/// the unit vector away from it: exact almost everywhere). `known_nearest`,
/// when not empty, holds those nearest indices already (from the feature
/// field's neighbour search over the same points), saving a second search.
torch::Tensor distance_to_cloud(const NearestPoints& cloud, const torch::Tensor& x,
                                std::vector<std::int64_t> known_nearest = {}) {
  std::vector<std::int64_t> nearest = std::move(known_nearest);
  if (nearest.empty()) {
    const torch::Tensor xc = x.detach().to(torch::kFloat32).contiguous();
    nearest = cloud.query(Eigen::Map<const PointsF>(xc.data_ptr<float>(), xc.size(0), 3));
  }
  const torch::Tensor all = torch::from_blob(const_cast<float*>(cloud.points().data()),
                                             {cloud.points().rows(), 3}, torch::kFloat32);
  const torch::Tensor idx = torch::from_blob(const_cast<std::int64_t*>(nearest.data()),
                                             {static_cast<int64_t>(nearest.size())}, torch::kInt64);
  const torch::Tensor p = all.index_select(0, idx).to(x.scalar_type());
  // 1e-12 m^2 keeps the gradient finite on a cloud point.
  return ((x - p).pow(2).sum(1) + 1e-12).sqrt();
}

}  // namespace

namespace {

struct EnergyParts {
  torch::Tensor total;                         // (B,)
  std::map<std::string, torch::Tensor> terms;  // each (B,)
};

}  // namespace

// The energy of a batch of candidates; point_noise (B,P,3) may be undefined.
static EnergyParts batch_energy(const HandKinematics& hand, const HandSurfacePoints& surface,
                                const GraspOptimizerConfig& cfg, const FeatureField& target,
                                const ProblemTensors& t, const GraspParams& p,
                                const torch::Tensor& point_noise, FieldTape* tape,
                                std::map<std::string, double>* timing_s = nullptr) {
  // Seconds per part of the forward pass, accumulated into *timing_s.
  auto clock = std::chrono::steady_clock::now();
  auto lap = [&](const char* part) {
    if (!timing_s) return;
    const auto now = std::chrono::steady_clock::now();
    (*timing_s)[part] += std::chrono::duration<double>(now - clock).count();
    clock = now;
  };
  const EnergyWeights& w = cfg.weights;
  const HandKinematics::Poses poses = hand.forward(p.t, p.r6, p.q);
  const torch::Tensor pts = hand_surface_world(poses, surface);  // (B,P,3)
  const int64_t b = pts.size(0), np = pts.size(1);
  lap("kinematics");
  EnergyParts e;
  torch::Tensor total = torch::zeros({b}, p.t.options().requires_grad(false));
  // The feature and surface-distance terms probe the target at the same
  // (noisy during the optimization) surface points.
  const torch::Tensor x = (point_noise.defined() ? pts + point_noise : pts).reshape({b * np, 3});
  std::vector<std::int64_t> nearest;
  if (w.feature != 0) {
    const torch::Tensor f = field_at(target, x, tape).reshape({b, np, -1});
    e.terms["feature"] = (f - t.reference.unsqueeze(0)).abs().sum(2).mean(1);
    // t.target_cloud holds the target field's points, so the field's nearest
    // neighbours are the cloud's.
    if (tape != nullptr) nearest = tape->nearest_points();
    lap("feature");
  }
  if (w.surface_distance != 0) {
    const torch::Tensor d =
        distance_to_cloud(*t.target_cloud, x, std::move(nearest)).reshape({b, np});
    e.terms["surface_distance"] =
        (d.clamp_max(cfg.surface_distance_cap_m) - t.demo_distance.unsqueeze(0)).abs().mean(1);
    lap("surface_distance");
  }
  if (w.penetration != 0) {
    e.terms["penetration"] =
        torch::relu(hand_penetration_depth(hand, poses, t.cloud) - cfg.penetration_tolerance_m)
            .sum(1);
    lap("penetration");
  }
  if (w.table != 0) {
    e.terms["table"] =
        torch::relu(cfg.table_height_m + cfg.table_margin_m - pts.select(2, 2)).sum(1);
  }
  if (w.joint_limits != 0) {
    e.terms["joint_limits"] = (torch::relu(p.q - hand.joint_upper().unsqueeze(0)) +
                               torch::relu(hand.joint_lower().unsqueeze(0) - p.q))
                                  .sum(1);
  }
  if (w.self_collision != 0) e.terms["self_collision"] = hand_self_penetration(hand, poses);
  if (w.wrist_prior != 0) {
    const torch::Tensor el = axis_elevations(rot6d_to_matrix(p.r6));  // (B,3)
    const torch::Tensor excess =
        torch::relu((el - t.demo_elevation.unsqueeze(0)).abs() - cfg.wrist_cone_rad);
    e.terms["wrist_prior"] = (excess * excess).sum(1);
  }
  if (w.joint_prior != 0) {
    const torch::Tensor dq = p.q - t.demo_q.unsqueeze(0);
    e.terms["joint_prior"] = (dq * dq).sum(1);
  }
  const std::map<std::string, double> weight = {
      {"feature", w.feature},           {"surface_distance", w.surface_distance},
      {"penetration", w.penetration},   {"table", w.table},
      {"joint_limits", w.joint_limits}, {"self_collision", w.self_collision},
      {"wrist_prior", w.wrist_prior},   {"joint_prior", w.joint_prior}};
  for (const auto& [name, term] : e.terms) total = total + weight.at(name) * term;
  e.total = total;
  lap("other_terms");
  return e;
}

struct OptimizerState {
  const TransferProblem* problem = nullptr;
  ProblemTensors tensors;
  GraspParams p;
  std::unique_ptr<torch::optim::Adam> adam;
  torch::Generator gen;
  std::vector<std::vector<double>> history;
  int iteration = 0;
  FieldTape tape;
  std::map<std::string, double> timing_s;
};

static ProblemTensors problem_tensors(const GraspOptimizer& opt, const TransferProblem& problem,
                                      int penetration_points) {
  if (!problem.source_field || !problem.target_field) {
    throw std::invalid_argument("grasp optimizer: source and target fields are required");
  }
  if (problem.target_points.rows() == 0) {
    throw std::invalid_argument("grasp optimizer: the target cloud is empty");
  }
  if (problem.source_field->dim() != problem.target_field->dim()) {
    throw std::invalid_argument("grasp optimizer: source and target features differ in size");
  }
  ProblemTensors t;
  const FeaturesF ref = opt.reference_descriptor(*problem.source_field, problem.demo_grasp);
  t.reference =
      torch::from_blob(const_cast<float*>(ref.data()), {ref.rows(), ref.cols()}, torch::kFloat32)
          .clone();
  const GraspParams demo = params_of({problem.demo_grasp});
  t.demo_elevation = axis_elevations(rot6d_to_matrix(demo.r6)).index({0});
  t.demo_q = demo.q.index({0});
  // Target cloud for the penetration term, evenly subsampled.
  const PointsF& tp = problem.target_points;
  const Eigen::Index m = std::min<Eigen::Index>(tp.rows(), penetration_points);
  PointsF cloud_pts(m, 3);
  for (Eigen::Index k = 0; k < m; ++k) cloud_pts.row(k) = tp.row(k * tp.rows() / m);
  t.cloud = points_tensor(cloud_pts);
  t.target_centroid = tp.colwise().mean().cast<double>().transpose();
  if (opt.config().weights.surface_distance != 0) {
    // The fields' own KD-trees where they have one (kKnn, kDense), so that
    // no trial builds a second tree over the same points.
    auto tree_of = [](const FeatureField& field) -> std::shared_ptr<const NearestPoints> {
      if (const NearestPoints* tree = field.search_tree()) {
        return std::shared_ptr<const NearestPoints>(std::shared_ptr<void>(), tree);  // not owned
      }
      return std::make_shared<const NearestPoints>(field.points());
    };
    const PointsF demo_pts = opt.surface_points(problem.demo_grasp);
    t.demo_distance = distance_to_cloud(*tree_of(*problem.source_field), points_tensor(demo_pts))
                          .clamp_max(opt.config().surface_distance_cap_m);
    t.target_cloud = tree_of(*problem.target_field);
  }
  return t;
}

void OptimizerStateDeleter::operator()(OptimizerState* state) const { delete state; }

OptimizerRun GraspOptimizer::start(const TransferProblem& problem) const {
  const auto t_start = std::chrono::steady_clock::now();
  const GraspOptimizerConfig& cfg = config_;
  OptimizerRun state(new OptimizerState());
  state->problem = &problem;
  state->tensors = problem_tensors(*this, problem, cfg.penetration_points);
  std::mt19937_64 rng(cfg.seed);

  // Candidates: the demonstration moved from source to target centroid,
  // turned by evenly spaced yaws about the vertical through the target
  // centroid, plus noise. The `starts` candidates of lowest energy (one
  // forward pass each, no gradients) become the starts.
  const int per_centre = std::max(1, cfg.start_candidates);
  std::vector<Grasp> candidates;
  // Candidates are centred on every cluster of the target cloud (largest
  // first), or on the whole cloud's centroid; only starts need them.
  std::vector<Eigen::Vector3d> centres;
  if (cfg.starts_on_every_cluster) centres = cluster_centroids(problem.target_points, cfg.clusters);
  if (centres.empty()) centres.push_back(state->tensors.target_centroid);
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
  std::vector<Grasp> starts;
  if (candidates.size() == static_cast<std::size_t>(cfg.starts)) {
    starts = candidates;
  } else {
    // Scored in chunks of per_centre to bound memory; ties keep the order.
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> totals;
    for (std::size_t a = 0; a < candidates.size(); a += per_centre) {
      const std::size_t b = std::min(candidates.size(), a + per_centre);
      const std::vector<Grasp> chunk(candidates.begin() + a, candidates.begin() + b);
      totals.push_back(batch_energy(hand_, surface_, cfg, *problem.target_field, state->tensors,
                                    params_of(chunk), torch::Tensor(), nullptr)
                           .total);
    }
    const torch::Tensor order = std::get<1>(torch::cat(totals).sort(/*stable=*/true, 0, false));
    for (int s = 0; s < cfg.starts; ++s) {
      starts.push_back(candidates[static_cast<std::size_t>(order[s].item<int64_t>())]);
    }
  }
  GraspParams& p = state->p;
  p = params_of(starts);
  p.t.set_requires_grad(true);
  p.r6.set_requires_grad(true);
  p.q.set_requires_grad(true);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{p.t},
                      std::make_unique<torch::optim::AdamOptions>(cfg.lr_translation_m));
  groups.emplace_back(std::vector<torch::Tensor>{p.r6},
                      std::make_unique<torch::optim::AdamOptions>(cfg.lr_rotation));
  groups.emplace_back(std::vector<torch::Tensor>{p.q},
                      std::make_unique<torch::optim::AdamOptions>(cfg.lr_joints));
  state->adam = std::make_unique<torch::optim::Adam>(std::move(groups),
                                                     torch::optim::AdamOptions(cfg.lr_rotation));
  state->gen = at::detail::createCPUGenerator(cfg.seed ^ 0x5bd1e995ULL);
  state->timing_s["start"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  return state;
}

void GraspOptimizer::step(OptimizerState& state) const {
  const GraspOptimizerConfig& cfg = config_;
  const std::array<double, 3> base_lr = {cfg.lr_translation_m, cfg.lr_rotation, cfg.lr_joints};
  const double progress = static_cast<double>(state.iteration) / std::max(1, cfg.iterations);
  const double cosine = 0.5 * (1.0 + std::cos(kPi * std::min(1.0, progress)));
  auto& groups = state.adam->param_groups();
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    static_cast<torch::optim::AdamOptions&>(groups[gi].options()).lr(base_lr[gi] * cosine);
  }
  torch::Tensor noise;
  const double sigma = cfg.point_noise_m * std::max(0.0, 1.0 - progress);
  const int64_t np = static_cast<int64_t>(surface_.body.size());
  if (sigma > 0) noise = torch::randn({cfg.starts, np, 3}, state.gen) * sigma;
  const ProblemTensors& t = state.tensors;
  const EnergyParts e = batch_energy(hand_, surface_, cfg, *state.problem->target_field, t, state.p,
                                     noise, &state.tape, &state.timing_s);
  auto t0 = std::chrono::steady_clock::now();
  state.adam->zero_grad();
  e.total.sum().backward();
  auto t1 = std::chrono::steady_clock::now();
  state.timing_s["backward"] += std::chrono::duration<double>(t1 - t0).count();
  state.adam->step();
  state.timing_s["adam"] +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  const torch::Tensor totals = e.total.detach().to(torch::kFloat64).contiguous();
  state.history.emplace_back(totals.data_ptr<double>(), totals.data_ptr<double>() + cfg.starts);
  ++state.iteration;
}

OptimizedGrasp GraspOptimizer::finish(OptimizerState& state) const {
  const auto t_finish = std::chrono::steady_clock::now();
  // Final energies without noise pick the winner.
  OptimizedGrasp out;
  const ProblemTensors& t = state.tensors;
  {
    torch::NoGradGuard no_grad;
    const EnergyParts e = batch_energy(hand_, surface_, config_, *state.problem->target_field, t,
                                       state.p, torch::Tensor(), nullptr);
    const torch::Tensor totals = e.total.to(torch::kFloat64).contiguous();
    out.start_energies.assign(totals.data_ptr<double>(),
                              totals.data_ptr<double>() + config_.starts);
    out.best_start =
        static_cast<int>(std::min_element(out.start_energies.begin(), out.start_energies.end()) -
                         out.start_energies.begin());
    out.energy.total = out.start_energies[out.best_start];
    for (const auto& [name, term] : e.terms) {
      out.energy.terms[name] = term.index({out.best_start}).item<double>();
    }
  }
  for (const auto& h : state.history) out.energy_history.push_back(h[out.best_start]);
  out.grasp = grasp_of(state.p, out.best_start, hand_.joint_lower(), hand_.joint_upper());
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
  torch::NoGradGuard no_grad;
  const ProblemTensors t = problem_tensors(*this, problem, config_.penetration_points);
  const EnergyParts e = batch_energy(hand_, surface_, config_, *problem.target_field, t,
                                     params_of({grasp}), torch::Tensor(), nullptr);
  EnergyTerms out;
  out.total = e.total.index({0}).item<double>();
  for (const auto& [name, term] : e.terms) out.terms[name] = term.index({0}).item<double>();
  return out;
}

double GraspOptimizer::energy_and_gradient(const TransferProblem& problem,
                                           const std::vector<double>& x,
                                           std::vector<double>* gradient) const {
  if (x.size() != static_cast<std::size_t>(kNumParams)) {
    throw std::invalid_argument("energy_and_gradient: expected 31 parameters");
  }
  ProblemTensors t = problem_tensors(*this, problem, config_.penetration_points);
  const auto f64 = torch::kFloat64;
  t.reference = t.reference.to(f64);
  t.cloud = t.cloud.to(f64);
  t.demo_elevation = t.demo_elevation.to(f64);
  t.demo_q = t.demo_q.to(f64);
  if (t.demo_distance.defined()) t.demo_distance = t.demo_distance.to(f64);
  const torch::Tensor all = torch::tensor(x, f64);
  GraspParams p{
      all.slice(0, 0, 3).reshape({1, 3}).clone().set_requires_grad(true),
      all.slice(0, 3, 9).reshape({1, 6}).clone().set_requires_grad(true),
      all.slice(0, 9, kNumParams).reshape({1, kNumHandJoints}).clone().set_requires_grad(true)};
  FieldTape tape;
  const EnergyParts e =
      batch_energy(hand_, surface_, config_, *problem.target_field, t, p, torch::Tensor(), &tape);
  const torch::Tensor total = e.total.sum();
  if (gradient) {
    total.backward();
    const torch::Tensor g =
        torch::cat({p.t.grad().reshape(-1), p.r6.grad().reshape(-1), p.q.grad().reshape(-1)})
            .contiguous();
    gradient->assign(g.data_ptr<double>(), g.data_ptr<double>() + g.numel());
  }
  return total.item<double>();
}

}  // namespace dffeval
