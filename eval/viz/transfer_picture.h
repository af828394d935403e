#pragma once
// The picture `dffeval transfer` writes (the original's `result_vis --pca
// --with_hand`): the source cloud with the demonstrated hand and the target
// cloud with the optimized hand, points coloured by a PCA of their features
// shared between both clouds (so equal colours mean similar features), the
// hand drawn grey.

#include <filesystem>

#include "pipeline/transfer/observation_field.h"
#include "types/feature_types.h"

namespace dffeval {

void write_transfer_picture(const std::filesystem::path& file, const ObservationField& source,
                            const ObservationField& target, const PointsF& optimized_hand_W,
                            const PointsF& demo_hand_W);

}  // namespace dffeval
