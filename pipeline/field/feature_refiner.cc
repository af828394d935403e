#include "pipeline/field/feature_refiner.h"

#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>

#include "pipeline/cloud/nearest_points.h"

namespace dffeval {
namespace {

torch::Tensor to_tensor(const FeaturesF& f) {
  return torch::from_blob(const_cast<float*>(f.data()), {f.rows(), f.cols()}, torch::kFloat32)
      .clone();
}

FeaturesF from_tensor(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous().to(torch::kFloat32);
  FeaturesF out(c.size(0), c.size(1));
  std::copy(c.data_ptr<float>(), c.data_ptr<float>() + c.numel(), out.data());
  return out;
}

struct RefinerNet : torch::nn::Module {
  RefinerNet(int dim, int hidden, int projection)
      : fc1(register_module("fc1", torch::nn::Linear(dim, hidden))),
        fc2(register_module("fc2", torch::nn::Linear(hidden, dim))),
        head(register_module("head", torch::nn::Linear(dim, projection))) {}
  torch::Tensor refine(const torch::Tensor& x) {
    return torch::relu(fc2->forward(torch::relu(fc1->forward(x))));
  }
  torch::Tensor project(const torch::Tensor& refined) {
    return torch::relu(head->forward(refined));
  }
  torch::nn::Linear fc1, fc2, head;
};

}  // namespace

struct FeatureRefiner::Impl {
  int dim = 0;
  int hidden = 0;
  int projection = 0;
  std::shared_ptr<RefinerNet> net;
  std::vector<double> losses;
};

FeatureRefiner::FeatureRefiner() : impl_(std::make_unique<Impl>()) {}
FeatureRefiner::~FeatureRefiner() = default;
FeatureRefiner::FeatureRefiner(FeatureRefiner&&) noexcept = default;
FeatureRefiner& FeatureRefiner::operator=(FeatureRefiner&&) noexcept = default;

int FeatureRefiner::dim() const { return impl_->dim; }
const std::vector<double>& FeatureRefiner::loss_history() const { return impl_->losses; }

std::vector<std::pair<std::size_t, std::size_t>> cross_view_pairs(const PointsF& points,
                                                                  const std::vector<int>& view,
                                                                  double radius_m) {
  if (static_cast<std::size_t>(points.rows()) != view.size()) {
    throw std::invalid_argument("cross_view_pairs: points and view ids differ in count");
  }
  std::map<int, std::vector<std::size_t>> members;
  for (std::size_t i = 0; i < view.size(); ++i) members[view[i]].push_back(i);
  std::map<int, std::unique_ptr<NearestPoints>> trees;
  for (const auto& [v, idx] : members) {
    PointsF p(idx.size(), 3);
    for (std::size_t k = 0; k < idx.size(); ++k) p.row(k) = points.row(idx[k]);
    trees[v] = std::make_unique<NearestPoints>(std::move(p));
  }

  const float r2 = static_cast<float>(radius_m * radius_m);
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (const auto& [va, idx_a] : members) {
    for (const auto& [vb, idx_b] : members) {
      if (va == vb) continue;
      for (std::size_t a : idx_a) {
        std::uint32_t nearest = 0;
        float d2 = 0;
        trees[vb]->nearest(points.row(a).data(), 1, &nearest, &d2);
        if (d2 <= r2) pairs.emplace_back(a, idx_b[static_cast<std::size_t>(nearest)]);
      }
    }
  }
  return pairs;
}

double cross_view_feature_distance(const PointsF& points, const std::vector<int>& view,
                                   const FeaturesF& features, double radius_m) {
  const auto pairs = cross_view_pairs(points, view, radius_m);
  if (pairs.empty()) return 0.0;
  double sum = 0;
  for (const auto& [a, b] : pairs) {
    const Eigen::VectorXf fa = features.row(a).transpose().normalized();
    const Eigen::VectorXf fb = features.row(b).transpose().normalized();
    sum += (fa - fb).norm();
  }
  return sum / static_cast<double>(pairs.size());
}

FeatureRefiner FeatureRefiner::train(const PointsF& points, const std::vector<int>& view,
                                     const FeaturesF& features, const RefinerConfig& config,
                                     const RefinerLog& log) {
  if (features.rows() != points.rows() || features.rows() == 0) {
    throw std::invalid_argument("refiner: need as many features as points, and at least one");
  }
  if (!features.allFinite()) throw std::invalid_argument("refiner: features contain NaN or inf");
  const auto pairs = cross_view_pairs(points, view, config.positive_radius_m);
  if (pairs.size() < 2) {
    throw std::invalid_argument(
        "refiner: the scene has no cross-view positive pairs (one view only, or views that "
        "do not overlap within positive_radius_m)");
  }

  FeatureRefiner out;
  out.impl_->dim = static_cast<int>(features.cols());
  out.impl_->hidden = config.hidden_multiplier * out.impl_->dim;
  out.impl_->projection = config.projection_dim;
  {
    // LibTorch initializes the layers from its one global generator: seeding
    // and drawing under a lock keeps two workers that train at once from
    // taking each other's numbers (same seed, same refiner, whatever --jobs).
    static std::mutex init_mutex;
    std::lock_guard<std::mutex> lock(init_mutex);
    torch::manual_seed(config.seed);
    out.impl_->net =
        std::make_shared<RefinerNet>(out.impl_->dim, out.impl_->hidden, out.impl_->projection);
  }
  RefinerNet& net = *out.impl_->net;
  torch::optim::Adam adam(net.parameters(), torch::optim::AdamOptions(config.learning_rate));

  const torch::Tensor all = to_tensor(features);
  std::mt19937_64 rng(config.seed);
  const int batch = std::min<int>(config.batch_size, static_cast<int>(pairs.size()));
  std::vector<int64_t> ia(batch), ib(batch);
  const torch::Tensor labels = torch::arange(batch, torch::kLong);
  for (int step = 0; step < config.steps; ++step) {
    // Pairs drawn with our own RNG (not std::uniform_int_distribution) so the
    // batches are the same with every standard library.
    for (int k = 0; k < batch; ++k) {
      const auto& pr = pairs[rng() % pairs.size()];
      ia[k] = static_cast<int64_t>(pr.first);
      ib[k] = static_cast<int64_t>(pr.second);
    }
    const torch::Tensor qa = all.index_select(0, torch::tensor(ia));
    const torch::Tensor kb = all.index_select(0, torch::tensor(ib));
    const torch::Tensor zq = torch::nn::functional::normalize(
        net.project(net.refine(qa)), torch::nn::functional::NormalizeFuncOptions().dim(1));
    const torch::Tensor zk = torch::nn::functional::normalize(
        net.project(net.refine(kb)), torch::nn::functional::NormalizeFuncOptions().dim(1));
    const torch::Tensor logits = zq.matmul(zk.t()) / config.temperature;
    const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, labels);
    adam.zero_grad();
    loss.backward();
    adam.step();
    const double l = loss.item<double>();
    out.impl_->losses.push_back(l);
    if (log) log(step, l);
  }
  return out;
}

FeaturesF FeatureRefiner::apply(const FeaturesF& features) const {
  if (!impl_->net) throw std::logic_error("refiner: not trained or loaded");
  if (features.cols() != impl_->dim) {
    throw std::invalid_argument("refiner: trained for " + std::to_string(impl_->dim) +
                                "-d features, given " + std::to_string(features.cols()) + "-d");
  }
  torch::NoGradGuard no_grad;
  return from_tensor(impl_->net->refine(to_tensor(features)));
}

void FeatureRefiner::save(const std::string& path) const {
  if (!impl_->net) throw std::logic_error("refiner: nothing to save");
  torch::serialize::OutputArchive archive;
  impl_->net->save(archive);
  archive.write("dims", torch::tensor({int64_t{impl_->dim}, int64_t{impl_->hidden},
                                       int64_t{impl_->projection}}));
  archive.save_to(path);
}

FeatureRefiner FeatureRefiner::load(const std::string& path) {
  FeatureRefiner out;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    torch::Tensor dims;
    archive.read("dims", dims);
    out.impl_->dim = static_cast<int>(dims[0].item<int64_t>());
    out.impl_->hidden = static_cast<int>(dims[1].item<int64_t>());
    out.impl_->projection = static_cast<int>(dims[2].item<int64_t>());
    out.impl_->net =
        std::make_shared<RefinerNet>(out.impl_->dim, out.impl_->hidden, out.impl_->projection);
    out.impl_->net->load(archive);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": cannot read refiner weights: " + e.what_without_backtrace());
  }
  return out;
}

}  // namespace dffeval
