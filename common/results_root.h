#pragma once
// Where runs write when no --out is given. In the source tree: its results/
// folder (beside the committed baselines). An installed dffeval's data
// folder (share/dffeval) is read-only, so an installed binary writes to
// ./results of the working directory instead. DFFEVAL_RESULTS overrides both.

#include <filesystem>

namespace dffeval {

/// The folder default output folders, the results store and the source
/// model cache go under.
std::filesystem::path results_root();

/// Whether the data comes from an installed copy (bin/../share/dffeval)
/// rather than the source tree or DFFEVAL_ROOT.
bool running_installed();

}  // namespace dffeval
