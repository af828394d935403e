#include "eval/methods/sparsedff_method.h"

#include <chrono>
#include <vector>

#include "common/input_error.h"
#include "common/seeded_rng.h"
#include "common/stopwatch.h"
#include "pipeline/transfer/sparsedff_settings.h"

namespace dffeval {
namespace {

/// The method and its ablations: each ablation changes one setting.
struct Variant {
  const char* name;
  const char* description;
  /// The one change against config/methods/sparsedff.yaml, as a YAML key.
  const char* change;
  void (*apply)(SparseDffConfig*);
};

const std::vector<Variant>& variants() {
  static const std::vector<Variant> all = {
      {"sparsedff",
       "SparseDFF: learned features, refined, pruned (vote_3D), kNN field, multi-start "
       "grasp optimization (the default method)",
       "none", [](SparseDffConfig*) {}},
      {"no-refine", "SparseDFF ablation: no refinement network", "refine: false",
       [](SparseDffConfig* c) { c->refine = false; }},
      {"no-prune", "SparseDFF ablation: no point pruning", "scene.pruning.method: none",
       [](SparseDffConfig* c) { c->scene.pruning.method = PruningMethod::kNone; }},
      {"dense-field", "SparseDFF ablation: the published dense inverse-square field",
       "scene.field.interpolator: dense",
       [](SparseDffConfig* c) { c->scene.field.interpolator = FieldInterpolator::kDense; }},
      {"geometric", "SparseDFF ablation: geometric features (normals, FPFH, height)",
       "backbone.name: geometric", [](SparseDffConfig* c) { c->backbone.name = "geometric"; }},
  };
  return all;
}

const Variant& find_variant(const std::string& name) {
  for (const Variant& v : variants())
    if (name == v.name) return v;
  throw InputError("unknown SparseDFF variant '" + name +
                   "' (valid: sparsedff, no-refine, no-prune, dense-field, geometric)");
}

}  // namespace

SparseDffMethod::SparseDffMethod(SparseDffConfig config) : pipeline_(std::move(config)) {}

void SparseDffMethod::prepare(const MethodInput& in) {
  pipeline_.source_model(*in.source, derive_seed(in.source_seed, "refiner"));
}

MethodOutput SparseDffMethod::plan(const MethodInput& in) {
  MethodOutput out;
  const std::shared_ptr<const SourceModel> source = pipeline_.source_model(
      *in.source, derive_seed(in.source_seed, "refiner"), !in.source_per_trial);
  // Source work is charged to the first trial of this worker that needed it;
  // later trials of the task reuse the model and report none.
  if (reported_.insert(in.source_key).second) {
    for (const auto& [stage, s] : source->timing_s) out.timing_s[stage] = s;
  }
  const ObservationField target = pipeline_.target_field(*in.target, *source);
  for (const auto& [stage, s] : target.timing_s) out.timing_s["target_" + stage] = s;
  auto t0 = std::chrono::steady_clock::now();
  const OptimizedGrasp g =
      pipeline_.transfer(*source, target, in.demo_grasp, derive_seed(in.seed, "optimizer"));
  out.timing_s["optimize"] = seconds_since(t0);
  for (const auto& [part, sec] : g.timing_s) out.timing_s["optimize." + part] = sec;
  out.grasp = g.grasp;
  out.metrics["energy"] = g.energy.total;
  out.metrics["energy_terms"] = g.energy.terms;
  out.metrics["start_energies"] = g.start_energies;
  out.metrics["best_start"] = g.best_start;
  out.metrics["source_points"] = source->field->cloud.size();
  out.metrics["target_points"] = target.cloud.size();
  out.metrics["target_points_kept"] = target.kept.size();
  out.metrics["source_from_disk_cache"] = source->from_disk_cache;
  return out;
}

SparseDffConfig sparsedff_variant(const std::string& name) {
  const Variant& v = find_variant(name);
  SparseDffConfig c = default_sparsedff_config();
  v.apply(&c);
  return c;
}

nlohmann::json sparsedff_settings_record(const std::string& name) {
  const Variant& v = find_variant(name);
  const ShippedSparseDffSettings& shipped = shipped_sparsedff_settings();
  nlohmann::json record = {{"file", shipped.file.string()},
                           {"yaml", shipped.text},
                           {"variant", v.name},
                           {"variant_change", v.change}};
  // Only when given, so that records of runs without overrides stay as they were.
  if (!shipped.overrides.empty()) record["overrides"] = shipped.overrides;
  return record;
}

void register_sparsedff_methods() {
  for (const Variant& v : variants()) {
    const std::string name = v.name;
    register_method({name, v.description, false,
                     [name] { return std::make_unique<SparseDffMethod>(sparsedff_variant(name)); },
                     [name] { return sparsedff_settings_record(name); }});
  }
}

}  // namespace dffeval
