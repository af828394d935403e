#pragma once
// The on-disk cache of source models (results/cache/sparsedff/KEY/): the
// source cloud, its raw features and the trained refiner, keyed by a hash of
// the source views and every setting that shapes them.

#include <filesystem>
#include <memory>
#include <string>

#include "pipeline/cloud/point_cloud.h"
#include "pipeline/field/feature_refiner.h"
#include "pipeline/transfer/sparsedff_transfer.h"
#include "types/feature_types.h"
#include "types/observation.h"

namespace dffeval {

/// Hex key (FNV-1a of the settings that shape the source model, the backbone
/// weights file and every view's pixels and cameras).
std::string source_model_key(const SparseDffConfig& config, const Observation& source);

/// Writes an entry into `dir` atomically (a temporary folder renamed), so a
/// reader never sees half an entry and two writers racing on a key both end
/// up with a whole one. `refiner` may be null.
void save_source_model(const std::filesystem::path& dir, const PointCloud& cloud,
                       const FeaturesF& raw, const FeatureRefiner* refiner);

/// Reads an entry; false if it is missing (or lacks the refiner that
/// `want_refiner` asks for). Throws on a damaged entry.
bool load_source_model(const std::filesystem::path& dir, bool want_refiner, PointCloud* cloud,
                       FeaturesF* raw, std::shared_ptr<const FeatureRefiner>* refiner);

}  // namespace dffeval
