#include "pipeline/backbone/backbone_training.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "common/seeded_rng.h"
#include "pipeline/backbone/learned_backbone.h"
#include "pipeline/backbone/point_featurizer.h"

namespace dffeval {
namespace {

namespace F = torch::nn::functional;

// Pairs with fewer matches inside their crops than this are redrawn: InfoNCE
// over a handful of matches says little.
constexpr int kMinMatchesPerPair = 8;
constexpr int kMaxDraws = 20;

// One pair of crops in a batch: matches and random negatives in crop pixels.
struct PairSample {
  int pair = 0;
  std::vector<Eigen::Vector2i> pa, pb;
  std::vector<Eigen::Vector3f> key;
  std::vector<Eigen::Vector2i> neg_a, neg_b;
};

struct Batch {
  torch::Tensor input;  // (2P, C, S, S): crop a of pair i at 2i, crop b at 2i + 1
  std::vector<PairSample> pairs;
};

void validate(const BackboneTrainingOptions& o) {
  if (o.steps < 1 || o.pairs_per_step < 1 || o.matches_per_pair < 2 ||
      o.random_negatives_per_pair < 0 || o.crop_px < 0 || o.crop_px % 2 != 0 ||
      !(o.learning_rate > 0) || !(o.temperature > 0) || o.log_every < 1) {
    throw std::invalid_argument(
        "backbone training: need steps >= 1, pairs_per_step >= 1, matches_per_pair >= 2, "
        "random_negatives_per_pair >= 0, an even crop_px >= 0, learning_rate > 0, "
        "temperature > 0, log_every >= 1");
  }
}

// k distinct indices of [0, n) (all of them if k >= n), in draw order.
std::vector<int> sample_indices(SeededRng& rng, int n, int k) {
  std::vector<int> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min(k, n);
  for (int i = 0; i < k; ++i) std::swap(idx[i], idx[rng.uniform_int(i, n - 1)]);
  idx.resize(k);
  return idx;
}

// Top-left corner of an S x S crop of a W x H image centred near (u, v).
Eigen::Vector2i crop_origin(SeededRng& rng, const Eigen::Vector2i& centre, int S, int W, int H) {
  const int jitter = S / 4;
  const int x = centre.x() - S / 2 + rng.uniform_int(-jitter, jitter);
  const int y = centre.y() - S / 2 + rng.uniform_int(-jitter, jitter);
  return {std::clamp(x, 0, W - S), std::clamp(y, 0, H - S)};
}

std::vector<Eigen::Vector2i> random_valid_pixels(SeededRng& rng, const CameraView& view,
                                                 const Eigen::Vector2i& origin, int S, int n) {
  std::vector<Eigen::Vector2i> out;
  for (int tries = 0; tries < 8 * n && static_cast<int>(out.size()) < n; ++tries) {
    const int u = rng.uniform_int(0, S - 1), v = rng.uniform_int(0, S - 1);
    if (view.depth_at(origin.x() + u, origin.y() + v) > 0.f) out.emplace_back(u, v);
  }
  return out;
}

// Random colour change of a crop's RGB channels (0-2, stored as rgb - 0.5):
// a channel permutation with per-channel gains, or grey.
void augment_colour(SeededRng& rng, torch::Tensor crop) {
  torch::Tensor rgb = crop.narrow(0, 0, 3) + 0.5;
  if (rng.uniform() < 0.25) {
    rgb = rgb.mean(0, /*keepdim=*/true).expand({3, -1, -1});
  } else {
    std::vector<int> perm = sample_indices(rng, 3, 3);
    std::vector<torch::Tensor> channels;
    for (int c = 0; c < 3; ++c) channels.push_back(rgb[perm[c]] * rng.uniform(0.6, 1.4));
    rgb = torch::stack(channels);
  }
  rgb = (rgb + rng.uniform(-0.1, 0.1)).clamp(0.0, 1.0);
  crop.narrow(0, 0, 3).copy_(rgb - 0.5);
}

// Draws a batch of pairs_per_step pairs with matches inside their crops.
Batch draw_batch(SeededRng& rng, const CorrespondenceDataset& data, const std::vector<int>& usable,
                 const BackboneTrainingOptions& o, bool augment) {
  Batch batch;
  std::vector<torch::Tensor> crops;
  for (int p = 0; p < o.pairs_per_step; ++p) {
    for (int draw = 0; draw < kMaxDraws; ++draw) {
      const int pi = usable[rng.uniform_int(0, static_cast<int>(usable.size()) - 1)];
      const CorrespondencePair& pair = data.pairs[pi];
      const CameraView& va = data.views[pair.view_a];
      const CameraView& vb = data.views[pair.view_b];
      const int S = o.crop_px > 0 ? o.crop_px : va.width;
      const int Sy = o.crop_px > 0 ? o.crop_px : va.height;
      const int anchor = rng.uniform_int(0, static_cast<int>(pair.pix_a.size()) - 1);
      const Eigen::Vector2i oa = o.crop_px > 0
                                     ? crop_origin(rng, pair.pix_a[anchor], S, va.width, va.height)
                                     : Eigen::Vector2i(0, 0);
      const Eigen::Vector2i ob = o.crop_px > 0
                                     ? crop_origin(rng, pair.pix_b[anchor], S, vb.width, vb.height)
                                     : Eigen::Vector2i(0, 0);
      auto inside = [&](const Eigen::Vector2i& px, const Eigen::Vector2i& origin) {
        const Eigen::Vector2i q = px - origin;
        return q.x() >= 0 && q.y() >= 0 && q.x() < S && q.y() < Sy;
      };
      std::vector<int> in;
      for (int i = 0; i < static_cast<int>(pair.pix_a.size()); ++i)
        if (inside(pair.pix_a[i], oa) && inside(pair.pix_b[i], ob)) in.push_back(i);
      if (static_cast<int>(in.size()) < kMinMatchesPerPair && draw + 1 < kMaxDraws) continue;
      if (in.empty()) continue;

      PairSample s;
      s.pair = pi;
      for (int k : sample_indices(rng, static_cast<int>(in.size()), o.matches_per_pair)) {
        const int i = in[k];
        s.pa.push_back(pair.pix_a[i] - oa);
        s.pb.push_back(pair.pix_b[i] - ob);
        if (!pair.key.empty()) s.key.push_back(pair.key[i]);
      }
      s.neg_a = random_valid_pixels(rng, va, oa, S, o.random_negatives_per_pair);
      s.neg_b = random_valid_pixels(rng, vb, ob, S, o.random_negatives_per_pair);
      torch::Tensor ca = learned_backbone_input(va, oa.x(), oa.y(), S, Sy);
      torch::Tensor cb = learned_backbone_input(vb, ob.x(), ob.y(), S, Sy);
      if (augment && rng.uniform() < o.color_augment_probability) augment_colour(rng, ca);
      if (augment && rng.uniform() < o.color_augment_probability) augment_colour(rng, cb);
      crops.push_back(ca);
      crops.push_back(cb);
      batch.pairs.push_back(std::move(s));
      break;
    }
  }
  if (batch.pairs.empty()) {
    throw std::invalid_argument("backbone training: no pair has matches inside its crops");
  }
  batch.input = torch::stack(crops);
  return batch;
}

// Descriptors of map (1, D, h, w) at crop pixels (same convention as
// sample_features: pixel centre / stride - 0.5 in cell units, clamped):
// returns (n, D).
torch::Tensor sample_map(const torch::Tensor& map, const std::vector<Eigen::Vector2i>& px,
                         double stride) {
  const auto h = map.size(2), w = map.size(3);
  std::vector<float> grid(2 * px.size());
  for (std::size_t i = 0; i < px.size(); ++i) {
    // grid_sample with align_corners = false reads cell coordinate c at
    // normalized (c + 0.5) / size * 2 - 1.
    const double cx = (px[i].x() + 0.5) / stride - 0.5, cy = (px[i].y() + 0.5) / stride - 0.5;
    grid[2 * i] = static_cast<float>((cx + 0.5) / w * 2 - 1);
    grid[2 * i + 1] = static_cast<float>((cy + 0.5) / h * 2 - 1);
  }
  const torch::Tensor g =
      torch::from_blob(grid.data(), {1, 1, static_cast<std::int64_t>(px.size()), 2},
                       torch::kFloat32)
          .clone();
  const torch::Tensor s = F::grid_sample(map, g,
                                         F::GridSampleFuncOptions()
                                             .mode(torch::kBilinear)
                                             .padding_mode(torch::kBorder)
                                             .align_corners(false));
  return s.squeeze(0).squeeze(1).t();  // (1, D, 1, n) -> (n, D)
}

torch::Tensor pixel_tensor(const std::vector<Eigen::Vector2i>& px) {
  std::vector<float> v(2 * px.size());
  for (std::size_t i = 0; i < px.size(); ++i) {
    v[2 * i] = static_cast<float>(px[i].x());
    v[2 * i + 1] = static_cast<float>(px[i].y());
  }
  return torch::from_blob(v.data(), {static_cast<std::int64_t>(px.size()), 2}, torch::kFloat32)
      .clone();
}

// InfoNCE of queries q (M, D) against keys k (M, D) (q_i matches k_i) plus
// random negatives (K, D); masked logits are ignored.
torch::Tensor info_nce(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& neg,
                       const torch::Tensor& key_mask, const torch::Tensor& neg_mask,
                       double temperature) {
  torch::Tensor logits = torch::matmul(q, k.t());
  const double minus_inf = -std::numeric_limits<float>::infinity();
  if (key_mask.defined()) logits = logits.masked_fill(key_mask, minus_inf);
  if (neg.defined() && neg.size(0) > 0) {
    torch::Tensor ln = torch::matmul(q, neg.t());
    if (neg_mask.defined()) ln = ln.masked_fill(neg_mask, minus_inf);
    logits = torch::cat({logits, ln}, 1);
  }
  const torch::Tensor target = torch::arange(q.size(0), torch::kLong);
  return F::cross_entropy(logits / temperature, target);
}

torch::Tensor batch_loss(DenseDescriptorNet& net, const Batch& batch,
                         const BackboneTrainingOptions& o) {
  const torch::Tensor out = net->forward(batch.input);
  torch::Tensor total = torch::zeros({});
  for (std::size_t p = 0; p < batch.pairs.size(); ++p) {
    const PairSample& s = batch.pairs[p];
    const torch::Tensor ma = out.narrow(0, 2 * p, 1), mb = out.narrow(0, 2 * p + 1, 1);
    const double stride = kLearnedBackboneStride;
    const torch::Tensor fa = sample_map(ma, s.pa, stride), fb = sample_map(mb, s.pb, stride);
    torch::Tensor key_mask;
    if (!s.key.empty()) {
      std::vector<float> kv(3 * s.key.size());
      for (std::size_t i = 0; i < s.key.size(); ++i)
        for (int c = 0; c < 3; ++c) kv[3 * i + c] = s.key[i][c];
      const torch::Tensor keys =
          torch::from_blob(kv.data(), {static_cast<std::int64_t>(s.key.size()), 3}, torch::kFloat32)
              .clone();
      key_mask = torch::cdist(keys, keys) < o.negative_margin;
      key_mask.fill_diagonal_(false);
    }
    // Random negatives near the true match would be positives in disguise.
    auto near_mask = [&](const std::vector<Eigen::Vector2i>& match,
                         const std::vector<Eigen::Vector2i>& neg) {
      if (neg.empty()) return torch::Tensor();
      return torch::cdist(pixel_tensor(match), pixel_tensor(neg)) < o.random_negative_min_px;
    };
    const torch::Tensor na = s.neg_a.empty() ? torch::Tensor() : sample_map(ma, s.neg_a, stride);
    const torch::Tensor nb = s.neg_b.empty() ? torch::Tensor() : sample_map(mb, s.neg_b, stride);
    total = total + 0.5 * (info_nce(fa, fb, nb, key_mask, near_mask(s.pb, s.neg_b), o.temperature) +
                           info_nce(fb, fa, na, key_mask, near_mask(s.pa, s.neg_a), o.temperature));
  }
  return total / static_cast<double>(batch.pairs.size());
}

std::vector<int> usable_pairs(const CorrespondenceDataset& data, const BackboneTrainingOptions& o) {
  std::vector<int> usable;
  for (int i = 0; i < static_cast<int>(data.pairs.size()); ++i) {
    const CorrespondencePair& p = data.pairs[i];
    if (p.view_a < 0 || p.view_b < 0 || p.view_a >= static_cast<int>(data.views.size()) ||
        p.view_b >= static_cast<int>(data.views.size()) || p.pix_a.size() != p.pix_b.size() ||
        (!p.key.empty() && p.key.size() != p.pix_a.size())) {
      throw std::invalid_argument("backbone training: pair " + std::to_string(i) +
                                  " is inconsistent (view indices or match counts)");
    }
    if (static_cast<int>(p.pix_a.size()) < kMinMatchesPerPair) continue;
    const CameraView& a = data.views[p.view_a];
    const CameraView& b = data.views[p.view_b];
    if (o.crop_px > 0 ? (std::min({a.width, a.height, b.width, b.height}) < o.crop_px)
                      : (a.width != data.views[0].width || a.height != data.views[0].height ||
                         b.width != a.width || b.height != a.height)) {
      throw std::invalid_argument("backbone training: pair " + std::to_string(i) +
                                  " has views smaller than the crop or of different sizes");
    }
    usable.push_back(i);
  }
  if (usable.empty()) {
    throw std::invalid_argument("backbone training: no pair has at least " +
                                std::to_string(kMinMatchesPerPair) + " matches");
  }
  return usable;
}

}  // namespace

BackboneTrainingResult train_learned_backbone(
    LearnedBackbone& backbone, const CorrespondenceDataset& data,
    const BackboneTrainingOptions& options,
    const std::function<void(const TrainingLogEntry&)>& log) {
  validate(options);
  const std::vector<int> usable = usable_pairs(data, options);
  const auto t0 = std::chrono::steady_clock::now();
  torch::manual_seed(options.seed);
  SeededRng rng(derive_seed(options.seed, "backbone_training"));
  DenseDescriptorNet& net = backbone.net();
  net->train();
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(options.learning_rate));

  BackboneTrainingResult result;
  double since_log = 0.0;
  int since_log_n = 0;
  for (int step = 0; step < options.steps; ++step) {
    // Cosine decay from learning_rate to learning_rate * final_lr_fraction.
    const double progress = options.steps > 1 ? step / double(options.steps - 1) : 1.0;
    const double lr =
        options.learning_rate * (options.final_lr_fraction + (1 - options.final_lr_fraction) * 0.5 *
                                                                 (1 + std::cos(M_PI * progress)));
    for (auto& group : adam.param_groups())
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);

    const Batch batch = draw_batch(rng, data, usable, options, /*augment=*/true);
    adam.zero_grad();
    torch::Tensor loss = batch_loss(net, batch, options);
    loss.backward();
    if (options.gradient_clip_norm > 0)
      torch::nn::utils::clip_grad_norm_(net->parameters(), options.gradient_clip_norm);
    adam.step();

    const double l = loss.item<double>();
    result.loss_history.push_back(l);
    since_log += l;
    ++since_log_n;
    if (log && ((step + 1) % options.log_every == 0 || step + 1 == options.steps)) {
      TrainingLogEntry e;
      e.step = step + 1;
      e.loss = l;
      e.mean_loss = since_log / since_log_n;
      e.learning_rate = lr;
      e.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      log(e);
      since_log = 0.0;
      since_log_n = 0;
    }
  }
  net->eval();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

double evaluate_backbone_loss(LearnedBackbone& backbone, const CorrespondenceDataset& data,
                              const BackboneTrainingOptions& options, int batches,
                              std::uint64_t seed) {
  validate(options);
  const std::vector<int> usable = usable_pairs(data, options);
  SeededRng rng(derive_seed(seed, "backbone_loss"));
  DenseDescriptorNet& net = backbone.net();
  const bool was_training = net->is_training();
  net->eval();
  torch::NoGradGuard no_grad;
  double sum = 0.0;
  for (int b = 0; b < batches; ++b) {
    sum += batch_loss(net, draw_batch(rng, data, usable, options, /*augment=*/false), options)
               .item<double>();
  }
  if (was_training) net->train();
  return batches > 0 ? sum / batches : 0.0;
}

DescriptorMatchStats evaluate_descriptor_matches(const ImageBackbone& backbone,
                                                 const CorrespondenceDataset& data, int max_pairs,
                                                 int matches_per_pair, double radius_px,
                                                 std::uint64_t seed) {
  SeededRng rng(derive_seed(seed, "descriptor_matches"));
  std::vector<int> pairs;
  for (int i = 0; i < static_cast<int>(data.pairs.size()); ++i)
    if (!data.pairs[i].pix_a.empty()) pairs.push_back(i);
  if (max_pairs > 0 && static_cast<int>(pairs.size()) > max_pairs) {
    std::vector<int> chosen;
    for (int k : sample_indices(rng, static_cast<int>(pairs.size()), max_pairs))
      chosen.push_back(pairs[k]);
    std::sort(chosen.begin(), chosen.end());
    pairs = chosen;
  }
  DescriptorMatchStats stats;
  double pos = 0, rnd = 0;
  int top1 = 0;
  for (int pi : pairs) {
    const CorrespondencePair& pair = data.pairs[pi];
    const CameraView& vb = data.views[pair.view_b];
    const FeatureMap ma = backbone.compute(data.views[pair.view_a]);
    const FeatureMap mb = backbone.compute(vb);
    const std::vector<int> idx =
        sample_indices(rng, static_cast<int>(pair.pix_a.size()), matches_per_pair);
    std::vector<Eigen::Vector2i> pa, pb, pr;
    for (int i : idx) {
      pa.push_back(pair.pix_a[i]);
      pb.push_back(pair.pix_b[i]);
    }
    // Candidates in view b: every valid-depth pixel at the map's resolution.
    std::vector<Eigen::Vector2i> cand;
    const int step = std::max(1, static_cast<int>(std::lround(mb.stride_px)));
    for (int v = step / 2; v < vb.height; v += step)
      for (int u = step / 2; u < vb.width; u += step)
        if (vb.depth_at(u, v) > 0.f) cand.emplace_back(u, v);
    if (cand.empty()) continue;
    for (std::size_t i = 0; i < pa.size(); ++i)
      pr.push_back(cand[rng.uniform_int(0, static_cast<int>(cand.size()) - 1)]);
    auto unit = [](FeaturesF f) {
      for (Eigen::Index r = 0; r < f.rows(); ++r) {
        const float n = f.row(r).norm();
        if (n > 1e-12f) f.row(r) /= n;
      }
      return f;
    };
    const FeaturesF fa = unit(sample_features(ma, pa)), fb = unit(sample_features(mb, pb));
    const FeaturesF fr = unit(sample_features(mb, pr)), fc = unit(sample_features(mb, cand));
    const Eigen::MatrixXf sim = fa * fc.transpose();
    for (Eigen::Index i = 0; i < fa.rows(); ++i) {
      pos += fa.row(i).dot(fb.row(i));
      rnd += fa.row(i).dot(fr.row(i));
      Eigen::Index best = 0;
      sim.row(i).maxCoeff(&best);
      if ((cand[best] - pb[i]).cast<double>().norm() <= radius_px) ++top1;
      ++stats.matches;
    }
  }
  if (stats.matches > 0) {
    stats.positive_cosine = pos / stats.matches;
    stats.random_cosine = rnd / stats.matches;
    stats.top1_within_radius = static_cast<double>(top1) / stats.matches;
  }
  return stats;
}

}  // namespace dffeval
