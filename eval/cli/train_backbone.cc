#include "eval/cli/train_backbone.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <numeric>

#include "common/input_error.h"
#include "common/project_paths.h"
#include "common/provenance.h"
#include "common/seeded_rng.h"
#include "common/stopwatch.h"
#include "eval/cli/verbs.h"
#include "pipeline/backbone/geometric_features.h"
#include "pipeline/backbone/learned_backbone.h"

namespace dffeval {
namespace {

using Clock = std::chrono::steady_clock;
double mean_of(const std::vector<double>& v, std::size_t begin, std::size_t end) {
  end = std::min(end, v.size());
  if (begin >= end) return 0.0;
  return std::accumulate(v.begin() + begin, v.begin() + end, 0.0) / (end - begin);
}

// The loss curve in at most ~50 points (means over equal windows of steps).
nlohmann::json loss_summary(const std::vector<double>& loss) {
  const std::size_t n = loss.size();
  const std::size_t window = std::max<std::size_t>(1, (n + 49) / 50);
  nlohmann::json curve = nlohmann::json::array();
  for (std::size_t b = 0; b < n; b += window)
    curve.push_back(
        {{"steps", {b + 1, std::min(n, b + window)}}, {"mean", mean_of(loss, b, b + window)}});
  const std::size_t tail = std::max<std::size_t>(1, n / 10);
  return {{"first_step", n ? loss.front() : 0.0},
          {"mean_first_10pct", mean_of(loss, 0, tail)},
          {"mean_last_10pct", mean_of(loss, n - tail, n)},
          {"min", n ? *std::min_element(loss.begin(), loss.end()) : 0.0},
          {"final_step", n ? loss.back() : 0.0},
          {"curve_window_steps", window},
          {"curve", curve}};
}

nlohmann::json training_json(const BackboneTrainingOptions& t) {
  return {{"steps", t.steps},
          {"pairs_per_step", t.pairs_per_step},
          {"matches_per_pair", t.matches_per_pair},
          {"random_negatives_per_pair", t.random_negatives_per_pair},
          {"crop_px", t.crop_px},
          {"optimizer", "Adam"},
          {"learning_rate", t.learning_rate},
          {"schedule", "cosine to learning_rate * final_lr_fraction"},
          {"final_lr_fraction", t.final_lr_fraction},
          {"loss", "symmetric pixelwise InfoNCE (other matches + random pixels as negatives)"},
          {"temperature", t.temperature},
          {"negative_margin", t.negative_margin},
          {"random_negative_min_px", t.random_negative_min_px},
          {"color_augment_probability", t.color_augment_probability},
          {"gradient_clip_norm", t.gradient_clip_norm},
          {"seed", t.seed}};
}

/// The rendered data: training scenes of seen instances, held-out scenes
/// of seen instances (other seeds) and of novel ones, cross-view pairs only.
struct TrainingData {
  BackboneDatasetOptions options;
  BackboneDataset train, heldout, novel;
};

TrainingData render_training_data(const TrainBackboneOptions& options, std::ostream& log,
                                  nlohmann::json* timing_out) {
  nlohmann::json& timing = *timing_out;
  TrainingData out;
  // Training data: seen instances only, whatever the caller set.
  BackboneDatasetOptions& data_opt = out.options;
  data_opt = options.dataset;
  data_opt.object_set = InstanceSet::kSeen;
  data_opt.scenes = options.scenes;
  data_opt.seed = derive_seed(options.seed, "train_data");
  log << "train-backbone: rendering " << data_opt.scenes << " training scenes of seen instances ("
      << data_opt.scene_set << ")\n";
  auto t0 = Clock::now();
  out.train = build_backbone_dataset(data_opt, &log);
  timing["train_data"] = seconds_since(t0);

  // Held-out scenes: cross-view pairs only (what the metric needs).
  auto heldout_options = [&](InstanceSet set, int scenes, const std::string& label) {
    BackboneDatasetOptions o = data_opt;
    o.object_set = set;
    o.scenes = scenes;
    o.scenes_per_instance = 1;
    o.cross_scene_pairs_per_scene = 0;
    o.cross_instance_pairs_per_scene = 0;
    // Exact depth, so that the held-out scores of backbones trained with and
    // without sensor noise compare on the same scenes.
    o.sensor_noise_fraction = 0.0;
    o.seed = derive_seed(options.seed, label);
    return o;
  };
  t0 = Clock::now();
  if (options.heldout_scenes > 0) {
    log << "train-backbone: rendering " << options.heldout_scenes
        << " held-out scenes (seen instances, other seeds)\n";
    out.heldout = build_backbone_dataset(
        heldout_options(InstanceSet::kSeen, options.heldout_scenes, "heldout_seen"), nullptr);
  }
  if (options.novel_scenes > 0) {
    log << "train-backbone: rendering " << options.novel_scenes
        << " evaluation scenes of novel instances (never trained on)\n";
    out.novel = build_backbone_dataset(
        heldout_options(InstanceSet::kNovel, options.novel_scenes, "heldout_novel"), nullptr);
  }
  timing["heldout_data"] = seconds_since(t0);

  return out;
}

// Cross-view matching on held-out data: within 1 cm, 100 queries per pair.
constexpr double kRadiusM = 0.01;
constexpr int kQueries = 100;
constexpr int kLossBatches = 20;

/// Held-out metrics before training: the untrained net (the trained one's
/// initialization) and the geometric baseline, for scale.
void metrics_before_training(const LearnedBackboneSpec& spec, std::uint64_t init_seed,
                             LearnedBackbone& net, const BackboneDataset& heldout,
                             const BackboneTrainingOptions& train_opt, std::uint64_t eval_seed,
                             nlohmann::json* metrics_out, std::ostream& log) {
  nlohmann::json& metrics = *metrics_out;
  {
    ImageBackboneFeaturizer before(std::make_unique<LearnedBackbone>(spec, init_seed), true);
    metrics["heldout_seen"]["untrained"] =
        evaluate_cross_view_matching(before, heldout, kRadiusM, kQueries, 2, eval_seed).to_json();
    metrics["heldout_seen"]["geometric_baseline"] =
        evaluate_cross_view_matching(GeometricFeaturizer(GeometricFeaturesConfig{}), heldout,
                                     kRadiusM, kQueries, 2, eval_seed)
            .to_json();
    metrics["heldout_seen"]["loss_untrained"] =
        evaluate_backbone_loss(net, heldout.data, train_opt, kLossBatches, eval_seed);
    log << "train-backbone: before training: held-out loss "
        << metrics["heldout_seen"]["loss_untrained"].get<double>()
        << ", cross-view nearest feature within 1 cm: untrained "
        << metrics["heldout_seen"]["untrained"]["within_radius"].get<double>() << ", geometric "
        << metrics["heldout_seen"]["geometric_baseline"]["within_radius"].get<double>()
        << ", chance " << metrics["heldout_seen"]["untrained"]["chance_within_radius"].get<double>()
        << "\n";
  }
}

/// Held-out metrics of the trained net (seen and novel instances).
void metrics_after_training(const TrainBackboneOptions& options, LearnedBackbone& net,
                            const ImageBackboneFeaturizer& trained, const TrainingData& data,
                            const BackboneTrainingOptions& train_opt, std::uint64_t eval_seed,
                            nlohmann::json* metrics_out, std::ostream& log) {
  nlohmann::json& metrics = *metrics_out;
  const BackboneDataset& heldout = data.heldout;
  const BackboneDataset& novel = data.novel;
  if (options.heldout_scenes > 0) {
    metrics["heldout_seen"]["loss_trained"] =
        evaluate_backbone_loss(net, heldout.data, train_opt, kLossBatches, eval_seed);
    metrics["heldout_seen"]["descriptor_matches"] = [&] {
      const DescriptorMatchStats d =
          evaluate_descriptor_matches(net, heldout.data, 0, 50, 4.0, eval_seed);
      return nlohmann::json{{"matches", d.matches},
                            {"positive_cosine", d.positive_cosine},
                            {"random_cosine", d.random_cosine},
                            {"top1_within_4px", d.top1_within_radius}};
    }();
  }
  if (options.heldout_scenes > 0) {
    metrics["heldout_seen"]["trained"] =
        evaluate_cross_view_matching(trained, heldout, kRadiusM, kQueries, 2, eval_seed).to_json();
    log << "train-backbone: after training: held-out loss "
        << metrics["heldout_seen"]["loss_trained"].get<double>()
        << ", cross-view nearest feature within 1 cm "
        << metrics["heldout_seen"]["trained"]["within_radius"].get<double>() << " (median error "
        << metrics["heldout_seen"]["trained"]["median_error_m"].get<double>() * 1000 << " mm)\n";
  }
  if (options.novel_scenes > 0) {
    metrics["heldout_novel"]["trained"] =
        evaluate_cross_view_matching(trained, novel, kRadiusM, kQueries, 2, eval_seed).to_json();
    metrics["heldout_novel"]["geometric_baseline"] =
        evaluate_cross_view_matching(GeometricFeaturizer(GeometricFeaturesConfig{}), novel,
                                     kRadiusM, kQueries, 2, eval_seed)
            .to_json();
    log << "train-backbone: novel instances: cross-view nearest feature within 1 cm "
        << metrics["heldout_novel"]["trained"]["within_radius"].get<double>() << " (geometric "
        << metrics["heldout_novel"]["geometric_baseline"]["within_radius"].get<double>() << ")\n";
  }
}

/// Inference time of one 4-view observation on one thread (the budget the
/// pipeline is designed for).
nlohmann::json measure_inference(const LearnedBackbone& trained_net, const BackboneDataset& d,
                                 int threads, std::ostream& log) {
  nlohmann::json inference;
  {
    torch::set_num_threads(1);
    trained_net.compute(d.data.views[d.scene_views[0][0]]);  // warm-up
    const auto ti = Clock::now();
    for (int v : d.scene_views[0]) trained_net.compute(d.data.views[v]);
    inference = {{"views", d.scene_views[0].size()},
                 {"width", d.data.views[0].width},
                 {"height", d.data.views[0].height},
                 {"threads", 1},
                 {"seconds", seconds_since(ti)}};
    torch::set_num_threads(threads);
    log << "train-backbone: inference of " << d.scene_views[0].size()
        << " views on 1 thread: " << inference["seconds"].get<double>() << " s\n";
  }

  return inference;
}

}  // namespace

TrainBackboneReport run_train_backbone(const TrainBackboneOptions& options, std::ostream& log) {
  if (options.steps < 1 || options.scenes < 1 || options.out_path.empty() ||
      options.heldout_scenes < 0 || options.novel_scenes < 0 || options.feature_dim < 1) {
    throw InputError(
        "train-backbone: need steps >= 1, scenes >= 1, feature_dim >= 1, a non-empty output "
        "path and non-negative held-out scene counts");
  }
  const auto t_total = Clock::now();
  add_provenance_entry("libtorch_version", TORCH_VERSION);
  if (options.threads > 0) torch::set_num_threads(options.threads);
  const int threads = torch::get_num_threads();
  std::filesystem::path out = options.out_path;
  if (out.is_relative()) out = project_root() / out;

  nlohmann::json timing;
  const TrainingData data = render_training_data(options, log, &timing);
  const BackboneDataset& train = data.train;
  const BackboneDataset& heldout = data.heldout;
  const BackboneDataset& novel = data.novel;

  LearnedBackboneSpec spec;
  spec.feature_dim = options.feature_dim;
  const std::uint64_t init_seed = derive_seed(options.seed, "init");
  auto backbone = std::make_unique<LearnedBackbone>(spec, init_seed);
  LearnedBackbone& net = *backbone;
  BackboneTrainingOptions train_opt = options.training;
  train_opt.steps = options.steps;
  train_opt.seed = derive_seed(options.seed, "training");
  log << "train-backbone: net has " << net.parameter_count()
      << " parameters, D = " << spec.feature_dim << ", " << threads << " LibTorch thread(s)\n";

  nlohmann::json metrics;
  const std::uint64_t eval_seed = derive_seed(options.seed, "metrics");
  auto t0 = Clock::now();
  if (options.heldout_scenes > 0) {
    metrics_before_training(spec, init_seed, net, heldout, train_opt, eval_seed, &metrics, log);
  }
  timing["metrics_before"] = seconds_since(t0);

  log << "train-backbone: training " << train_opt.steps << " steps on " << train.data.pairs.size()
      << " pairs\n";
  char line[256];
  const BackboneTrainingResult result =
      train_learned_backbone(net, train.data, train_opt, [&](const TrainingLogEntry& e) {
        std::snprintf(line, sizeof(line), "  step %5d/%d  loss %.4f  mean %.4f  lr %.2e  %.1f s\n",
                      e.step, train_opt.steps, e.loss, e.mean_loss, e.learning_rate, e.elapsed_s);
        log << line << std::flush;
      });
  timing["training"] = result.seconds;

  t0 = Clock::now();
  ImageBackboneFeaturizer trained(std::move(backbone), true);
  const auto& trained_net = static_cast<const LearnedBackbone&>(trained.backbone());
  metrics_after_training(options, net, trained, data, train_opt, eval_seed, &metrics, log);
  timing["metrics_after"] = seconds_since(t0);

  const nlohmann::json inference =
      measure_inference(trained_net, options.heldout_scenes > 0 ? heldout : train, threads, log);

  nlohmann::json sidecar;
  sidecar["format"] = "dffeval learned backbone weights (torch::serialize archive)";
  sidecar["weights_file"] = out.filename().string();
  sidecar["command"] = options.command_line;
  sidecar["seed"] = options.seed;
  sidecar["threads"] = threads;
  sidecar["net"] = {
      {"feature_dim", spec.feature_dim},
      {"base_width", spec.base_width},
      {"decoder_width", spec.decoder_width},
      {"stride_px", kLearnedBackboneStride},
      {"parameters", trained_net.parameter_count()},
      {"input_channels",
       {"r - 0.5", "g - 0.5", "b - 0.5", "valid depth", "(depth - median) / 0.1 m", "normal_C x",
        "normal_C y", "normal_C z", "normal_W z", "height above world z=0 / 0.1 m"}},
      {"output", "unit L2 norm"}};
  sidecar["data"] = train.description;
  if (options.heldout_scenes > 0) sidecar["heldout_seen_data"] = heldout.description;
  if (options.novel_scenes > 0) sidecar["heldout_novel_data"] = novel.description;
  sidecar["training"] = training_json(train_opt);
  sidecar["loss"] = loss_summary(result.loss_history);
  sidecar["metrics"] = metrics;
  sidecar["metrics_note"] =
      "cross-view matching: for target-object points of one view that another view also sees, "
      "the fraction whose nearest feature (L2) among the other view's target points lies within "
      "1 cm in 3D; chance = a random point of the other view";
  sidecar["inference"] = inference;
  timing["total"] = seconds_since(t_total);
  sidecar["timing_s"] = timing;
  sidecar["provenance"] = provenance();

  trained_net.save(out, sidecar);
  log << "train-backbone: wrote " << out.string() << " and " << sidecar_path(out).string() << " ("
      << timing["total"].get<double>() << " s in all)\n";

  TrainBackboneReport report;
  report.weights_path = out.string();
  report.sidecar_path = sidecar_path(out).string();
  report.loss_history = result.loss_history;
  report.sidecar = std::move(sidecar);
  return report;
}

Verb add_train_backbone_verb(CLI::App& app, const std::string& command_line) {
  auto options = std::make_shared<TrainBackboneOptions>();
  TrainBackboneOptions& train = *options;
  train.command_line = command_line;
  auto* tb = app.add_subcommand(
      "train-backbone", "train the learned dense-descriptor backbone on renders of seen instances");
  tb->add_option("--steps", train.steps, "optimizer steps")->capture_default_str();
  tb->add_option("--scenes", train.scenes, "training scenes rendered")->capture_default_str();
  tb->add_option("--cross-scene-pairs", train.dataset.cross_scene_pairs_per_scene,
                 "view pairs per scene with another scene of its instance (other pose)")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  tb->add_option("--cross-instance-pairs", train.dataset.cross_instance_pairs_per_scene,
                 "view pairs per scene with a scene of another instance of its category")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  tb->add_option("--sensor-noise-fraction", train.dataset.sensor_noise_fraction,
                 "fraction of training scenes seen through the kinect_v1 depth-sensor model")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  tb->add_option("--seed", train.seed, "seed of everything")->capture_default_str();
  tb->add_option("--threads", train.threads, "LibTorch threads")->capture_default_str();
  tb->add_option("--out", train.out_path, "weights file (a .json sidecar goes beside it)")
      ->capture_default_str();

  return {tb, [options] {
            run_train_backbone(*options, std::cout);
            return 0;
          }};
}

}  // namespace dffeval
